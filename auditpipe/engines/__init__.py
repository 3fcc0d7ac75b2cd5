"""Engines: where auditpipe's partitioned work runs.

The pipeline (detect, ingest) cuts its work into independent items, such as one
``(provider_id, event_date)`` partition or one input file, and hands the engine a task function
and those items. The engine runs the function over groups of items and yields each group's result
as Arrow IPC bytes; the pipeline then diffs, verifies and commits on the driver, the same way
whichever engine ran. It never branches on the engine's name, only asks what it can do.

- ``duckdb`` (the default): in this process; one group holding every item (or, when the
  pipeline asks, one item at a time, each result yielded before the next item starts); the task
  is DuckDB itself, so this is exactly the single-machine pipeline.
- ``spark``: one Spark task per item. Spark schedules, DuckDB computes: every task runs the
  same DuckDB code over its item, so the results equal the ``duckdb`` engine's as long as the
  work is local to its item (see "The locality contract" in docs/detect.md).

Task functions must be picklable callables (module-level functions or instances of module-level
classes) over picklable items, since a Spark executor unpickles them. They return bytes that no
engine interprets: Arrow IPC for tables (detect's findings, ``to_ipc``), so no type is ever
translated, or a pickle for small records (ingest's staged-file results).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..config import Config, load_settings
from ..errors import ConfigError
from ..i18n import _

if TYPE_CHECKING:
    import pyarrow as pa

ENGINE_NAMES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"

# The master URLs Spark accepts (SparkSubmit and SparkContext): local with at least one thread
# (and optionally a number of task failures allowed), a local cluster, a standalone master (or
# several), YARN, Kubernetes.
MASTER_URL = re.compile(
    r"local(\[(\*|[1-9]\d*)(\s*,\s*[1-9]\d*)?\])?"
    r"|local-cluster\[\s*[1-9]\d*\s*,\s*[1-9]\d*\s*,\s*[1-9]\d*\s*\]"
    r"|spark://[^\s/,]+(,[^\s/,]+)*"
    r"|yarn"
    r"|k8s://\S+"
)

Item = TypeVar("Item")
TaskFunction = Callable[[Sequence[Any]], bytes]


class Engine(Protocol):
    """Runs a task function over groups of work items; one result (Arrow IPC bytes) per group."""

    name: str
    # True when each item runs alone (work that spans items would then differ): detect refuses
    # rules that break the locality contract on such an engine.
    partitioned: bool
    # True when tasks run in this process (callbacks such as progress bars can reach them).
    in_process: bool

    @property
    def task_threads(self) -> int | None:
        """DuckDB threads for one task; None = DuckDB's default (every core)."""
        ...

    def run_tasks(
        self, task: TaskFunction, items: Sequence[Any], *, together: bool = True
    ) -> Iterator[bytes]:
        """Results of ``task`` over groups of ``items``, in item order. ``together``: the
        items may share one call (detect's partitions); False: results must come one item at
        a time, as soon as each is done, where the engine can (ingest commits file by file)."""
        ...

    def close(self) -> None: ...


def _parse_conf(value: Any, config: Config) -> dict[str, str]:
    """``[spark.conf]``: Spark settings as strings (TOML numbers and booleans allowed)."""
    if not isinstance(value, dict):
        raise ConfigError(
            _("[spark] conf should be a table of Spark settings"),
            hint=_('e.g. [spark.conf] "spark.sql.shuffle.partitions" = "8"'),
        )
    bad = [k for k, v in value.items() if not isinstance(v, str | int | float | bool)]
    if bad:
        raise ConfigError(
            _("[spark.conf] values must be strings or numbers: {items}").format(
                items=", ".join(sorted(bad))
            ),
            hint=_('e.g. [spark.conf] "spark.sql.shuffle.partitions" = "8"'),
        )
    return {str(k): _conf_value(v) for k, v in value.items()}


@dataclass(frozen=True)
class SparkSettings:
    """The ``[spark]`` table of auditpipe.toml (``--spark-master`` overrides ``master``)."""

    # Spark master URL (spark://host:7077, yarn, k8s://...); None = a local session, local[*].
    master: str | None = None
    app_name: str = "auditpipe"
    # spark.executor.memory / .cores / .instances and spark.driver.memory; None = Spark's default.
    executor_memory: str | None = None
    executor_cores: int | None = None
    executor_instances: int | None = None
    driver_memory: str | None = None
    # The Python executors run (spark.pyspark.python); None = this interpreter for a local
    # master, the cluster's own setting otherwise. It needs auditpipe and the same DuckDB.
    python: str | None = None
    # Work items (detect: partitions; ingest: files) per Spark task. 1 = one task per item;
    # more spreads each task's fixed cost (a DuckDB session, Spark's scheduling) over more work.
    items_per_task: int = 1
    # Any other Spark settings, passed as they are ("spark.sql.shuffle.partitions" = "8").
    conf: dict[str, str] = field(default_factory=dict, metadata={"parse": _parse_conf})

    def __post_init__(self) -> None:
        if self.master is not None and not MASTER_URL.fullmatch(self.master):
            # Spark itself would start a JVM first, which prints its stack trace and dies
            raise ConfigError(
                _("{value!r} is not a Spark master URL").format(value=self.master),
                hint=_(
                    "use local, local[N], local[*], spark://HOST:PORT, yarn or k8s://URL "
                    "(--spark-master, or master in [spark])"
                ),
            )
        for key in ("executor_cores", "executor_instances", "items_per_task"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ConfigError(
                    _("[spark] {key} must be at least 1, not {value}").format(key=key, value=value)
                )

    @classmethod
    def from_config(cls, config: Config, master: str | None = None) -> SparkSettings:
        return load_settings(config, "spark", cls, overrides={"master": master})

    def spark_conf(self) -> dict[str, str]:
        """Every Spark setting these settings make, as ``spark.*`` keys."""
        import sys

        out: dict[str, str] = {}
        named = {
            "spark.executor.memory": self.executor_memory,
            "spark.executor.cores": self.executor_cores,
            "spark.executor.instances": self.executor_instances,
            "spark.driver.memory": self.driver_memory,
        }
        out.update({k: str(v) for k, v in named.items() if v is not None})
        python = self.executor_python
        if python:
            out["spark.pyspark.python"] = python
            out["spark.pyspark.driver.python"] = sys.executable
        out.update(self.conf)
        return out

    @property
    def executor_python(self) -> str | None:
        """The Python executors run: ``python``, else this interpreter for a local master."""
        import sys

        return self.python or (sys.executable if self.is_local else None)

    @property
    def is_local(self) -> bool:
        return self.master is None or self.master.startswith("local")


def _conf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class EngineSettings:
    """Which engine runs detect and ingest: ``[engine] name``, or ``--engine``."""

    # duckdb (in this process) or spark
    name: str = DEFAULT_ENGINE
    spark: SparkSettings = field(default_factory=SparkSettings, metadata={"config": False})

    def __post_init__(self) -> None:
        if self.name not in ENGINE_NAMES:
            raise ConfigError(
                _("[engine] name {name!r} is not an engine").format(name=self.name),
                hint=_("engine names: ") + ", ".join(ENGINE_NAMES),
            )

    @classmethod
    def from_config(
        cls, config: Config, name: str | None = None, spark_master: str | None = None
    ) -> EngineSettings:
        """``[engine]`` and ``[spark]`` from auditpipe.toml; ``name``/``spark_master`` win."""
        spark = SparkSettings.from_config(config, master=spark_master)
        return load_settings(config, "engine", cls, overrides={"name": name}, spark=spark)


@contextmanager
def open_engine(settings: EngineSettings | None = None) -> Iterator[Engine]:
    """The engine ``settings`` name, closed (its Spark session stopped, if it started one) after."""
    settings = settings or EngineSettings()
    engine: Engine
    if settings.name == "spark":
        from .spark import SparkEngine

        engine = SparkEngine(settings.spark)
    else:
        from .duckdb import DuckDBEngine

        engine = DuckDBEngine()
    try:
        yield engine
    finally:
        engine.close()


def to_ipc(table: pa.Table) -> bytes:
    """An Arrow table as IPC stream bytes (what task functions return)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def from_ipc(data: bytes) -> pa.Table:
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()
