"""The Spark engine: Spark schedules, DuckDB computes.

Each work item becomes one Spark task (``spark.range(n, numPartitions=n)``, so exactly one item
per task, no shuffle; ``[spark] items_per_task`` packs several into one). The task unpickles the
pipeline's task function and runs it over its item(s); the function is the same DuckDB code the
``duckdb`` engine runs over all items at once, and
its result travels back as Arrow IPC bytes in a binary column, so Spark never converts a type
(no INT96 timestamps, no provider_id inferred as a number). The driver collects the results and
the pipeline commits them with the lake's own transaction.

An error raised in a task (an ``AuditpipeError`` such as a rule that fails on the data, an
``OSError`` such as a lake folder it cannot write, a DuckDB error) comes back to the driver as
that same error, with its message and hint, so the command reports it as the ``duckdb`` engine
does, instead of a Python traceback inside a Java stack trace. Every task also reports the
DuckDB and auditpipe versions it ran with; the driver refuses results computed with a version
other than its own, since "exactly equal" depends on it.

What executors need: Python with auditpipe and the same DuckDB as the driver
(``spark.pyspark.python``, ``[spark] python``), and the lake folder at the same path as on the
driver (a shared mount). The session: an active one is reused (a notebook's, the tests'); else
one is built from ``[spark]`` and stopped when the engine closes.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import AuditpipeError, EngineError
from ..i18n import _
from . import SparkSettings, TaskFunction

_RESULT_SCHEMA = "item long, ok boolean, payload binary, versions string"

# Settings for a local session: no web UI or console progress bar (stdout is for data), bound
# to the loopback address, few shuffle partitions (auditpipe's jobs do not shuffle).
LOCAL_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",
}


def _versions() -> str:
    import duckdb

    from .. import __version__

    return f"auditpipe {__version__}, duckdb {duckdb.__version__}"


def start_session(settings: SparkSettings) -> tuple[Any, bool]:
    """(SparkSession, whether this call started it). Reuses an active session."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            _("the spark engine needs pyspark, which is not installed"),
            hint=_("pip install 'auditpipe[spark]' (and Java 17), or use --engine duckdb"),
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    conf: dict[str, str] = {}
    if settings.is_local:
        log_config = Path(__file__).with_name("log4j2.properties")
        conf.update(LOCAL_DEFAULTS)
        conf["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log_config}"
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    conf.update(settings.spark_conf())
    if settings.executor_python:  # PySpark takes the workers' Python from here, not the conf
        os.environ["PYSPARK_PYTHON"] = settings.executor_python
    builder = SparkSession.builder.appName(settings.app_name).master(settings.master or "local[*]")
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing, bad master URL, cluster refusing: all end here
        raise EngineError(
            _("Spark could not start (master {value}): {first_line}").format(
                value=settings.master or "local[*]", first_line=_first_line(exc)
            ),
            hint=_(
                "check that Java 17 is installed (java -version) and the master URL is right; or use --engine duckdb"
            ),
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session, True


class SparkEngine:
    name = "spark"
    partitioned = True
    in_process = False

    def __init__(self, settings: SparkSettings | None = None, session: Any = None) -> None:
        self.settings = settings or SparkSettings()
        if session is None:
            session, self._owned = start_session(self.settings)
        else:
            self._owned = False
        self.session = session

    @property
    def task_threads(self) -> int:
        """DuckDB threads per task: the cores Spark gives a task (spark.task.cpus)."""
        return int(self.session.conf.get("spark.task.cpus", "1") or 1)

    def run_tasks(
        self, task: TaskFunction, items: Sequence[Any], *, together: bool = True
    ) -> Iterator[bytes]:
        """One Spark task per ``items_per_task`` items (default 1), whatever ``together``
        says; every task runs before the first result is yielded. Results in item order."""
        size = self.settings.items_per_task
        groups = [list(items[i : i + size]) for i in range(0, len(items), size)]
        if not groups:
            return
        expected = _versions()
        frame = self.session.range(0, len(groups), 1, numPartitions=len(groups)).mapInArrow(
            _task_runner(task, groups), _RESULT_SCHEMA
        )
        try:
            table = frame.toArrow()
        except Exception as exc:
            raise EngineError(
                _("a Spark task failed: {first_line}").format(first_line=_first_line(exc)),
                hint=_("see the executor logs; run again with --engine duckdb to compare"),
            ) from exc
        table = table.sort_by("item")
        for versions in set(table.column("versions").to_pylist()):
            if versions != expected:
                raise EngineError(
                    _("a Spark executor ran {versions}, the driver {expected}").format(
                        versions=versions, expected=expected
                    ),
                    hint=_(
                        "install the same auditpipe and DuckDB on every executor ([spark] python names the interpreter executors use)"
                    ),
                )
        for ok, payload in zip(
            table.column("ok").to_pylist(), table.column("payload").to_pylist(), strict=True
        ):
            if not ok:
                raise pickle.loads(payload)
            yield payload

    def close(self) -> None:
        if self._owned:
            self.session.stop()
            self._owned = False


def _task_runner(task: TaskFunction, groups: list[list[Any]]) -> Any:
    """The function Spark's mapInArrow runs in each task: group indexes in, results out."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        versions = _versions()
        for batch in batches:
            for index in batch.column(0).to_pylist():
                try:
                    payload, ok = task(groups[index]), True
                except Exception as exc:
                    payload, ok = _travelling(exc), False
                yield pa.RecordBatch.from_pydict(
                    {
                        "item": pa.array([index], pa.int64()),
                        "ok": pa.array([ok]),
                        "payload": pa.array([payload], pa.binary()),
                        "versions": pa.array([versions]),
                    }
                )

    return run


def _travelling(exc: Exception) -> bytes:
    """``exc`` pickled for the driver to raise, as the ``duckdb`` engine would have raised it
    (an ``OSError`` naming the file, a DuckDB error the command explains); the executor's
    traceback goes with it as a note (shown with --debug). An error that does not survive a
    pickle round trip is raised here, and Spark reports the task as failed."""
    import traceback

    if not isinstance(exc, AuditpipeError):
        exc.add_note("on a Spark executor:\n" + "".join(traceback.format_exception(exc)).rstrip())
    try:
        payload = pickle.dumps(exc)
        pickle.loads(payload)
    except Exception:
        raise exc from None
    return payload


def _first_line(exc: BaseException) -> str:
    """The first line of ``exc`` that says something: for a Java error through Py4J, its
    cause (``org.apache.spark.SparkException: ...``) rather than the call that failed."""
    text = str(exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("An error occurred while calling "):
            continue
        line = line.removeprefix(":").strip()
        if line:
            return line
    return type(exc).__name__
