"""Engine settings and the parts of the engines that need no Spark session."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from auditpipe.config import Config, load_config
from auditpipe.detect import RuleError
from auditpipe.engines import EngineSettings, SparkSettings, from_ipc, to_ipc
from auditpipe.engines.duckdb import DuckDBEngine
from auditpipe.errors import ConfigError, EngineError


def config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "auditpipe.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_engine_defaults_to_duckdb_and_the_flag_wins_over_the_file(tmp_path: Path) -> None:
    assert EngineSettings.from_config(Config()).name == "duckdb"
    cfg = config(tmp_path, '[engine]\nname = "spark"\n[spark]\nmaster = "spark://a:7077"\n')
    assert EngineSettings.from_config(cfg).name == "spark"
    assert EngineSettings.from_config(cfg, "duckdb").name == "duckdb"
    settings = EngineSettings.from_config(cfg, spark_master="local[3]")
    assert settings.spark.master == "local[3]"
    assert EngineSettings.from_config(cfg).spark.master == "spark://a:7077"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[engine]\nname = "flink"\n', "[engine] name 'flink' is not an engine"),
        ('engine = "spark"\n', "is not a table"),
        ("[engine]\nname = 3\n", "should be a string"),
        ("[spark]\nmastr = 'x'\n", "unknown key(s) in [spark]: mastr"),
        ("[spark]\nexecutor_cores = 0\n", "executor_cores must be at least 1"),
        ("[spark]\nitems_per_task = 'many'\n", "items_per_task should be a whole number"),
        ("[spark.conf]\n'spark.x' = [1]\n", "strings or numbers: spark.x"),
    ],
)
def test_bad_engine_settings_are_named(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        EngineSettings.from_config(config(tmp_path, text))


def test_spark_conf_is_what_the_settings_say() -> None:
    settings = SparkSettings(
        master="spark://head:7077",
        executor_memory="8g",
        executor_cores=4,
        conf={"spark.task.maxFailures": "8"},
    )
    conf = settings.spark_conf()
    assert conf["spark.executor.memory"] == "8g" and conf["spark.executor.cores"] == "4"
    assert conf["spark.task.maxFailures"] == "8"
    assert "spark.pyspark.python" not in conf  # a cluster's own setting unless given
    local = SparkSettings().spark_conf()
    assert local["spark.pyspark.python"] == sys.executable
    cfg = SparkSettings.from_config(Config({"spark": {"conf": {"a": True, "b": 2}}}))
    assert cfg.conf == {"a": "true", "b": "2"}


def test_ipc_round_trip_keeps_types_exactly() -> None:
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa

    table = pa.table(
        {
            "provider_id": pa.array(["007", "中国电信", None]),
            "t": pa.array([dt.datetime(2026, 3, 1, tzinfo=dt.UTC)] * 3, pa.timestamp("us", "UTC")),
            "amount": pa.array([Decimal("1.25"), None, Decimal("0")], pa.decimal128(18, 2)),
            "ids": pa.array([["b", "a"], [], None], pa.list_(pa.string())),
        }
    )
    back = from_ipc(to_ipc(table))
    assert back.schema == table.schema and back.equals(table)


def test_the_duckdb_engine_runs_every_item_as_one_group() -> None:
    calls: list[list[int]] = []

    def task(items: Any) -> bytes:
        calls.append(list(items))
        return b"x"

    engine = DuckDBEngine()
    assert list(engine.run_tasks(task, [1, 2, 3])) == [b"x"]
    assert list(engine.run_tasks(task, [])) == []
    assert calls == [[1, 2, 3]] and not engine.partitioned
    calls.clear()
    one_by_one = engine.run_tasks(task, [1, 2, 3], together=False)
    assert next(one_by_one) == b"x" and calls == [[1]]  # the next item waits for the caller
    assert list(one_by_one) == [b"x", b"x"] and calls == [[1], [2], [3]]


def test_errors_keep_their_hint_across_a_pickle() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(RuleError("rule x failed", hint="fix it")))
    assert isinstance(error, RuleError) and (error.message, error.hint) == (
        "rule x failed",
        "fix it",
    )


class FakeFrame:
    """What SparkEngine uses of a DataFrame, run here: one call of the mapInArrow function
    per partition, each with a batch holding that partition's one id."""

    def __init__(self, n: int, fn: Any = None) -> None:
        self.n, self.fn = n, fn

    def mapInArrow(self, fn: Any, schema: str) -> FakeFrame:  # noqa: N802 (Spark's name)
        return FakeFrame(self.n, fn)

    def toArrow(self) -> Any:  # noqa: N802
        import pyarrow as pa

        partitions = [[pa.record_batch({"id": pa.array([i], pa.int64())})] for i in range(self.n)]
        out = [b for part in reversed(partitions) for b in self.fn(iter(part))]  # any order
        return pa.Table.from_batches(out)


class FakeSession:
    conf = {"spark.task.cpus": "3"}

    def range(self, start: int, end: int, step: int, numPartitions: int) -> FakeFrame:  # noqa: N803
        assert (start, step, numPartitions) == (0, 1, end)  # one partition per task
        return FakeFrame(end)


def echo(items: Any) -> bytes:
    return ",".join(map(str, items)).encode()


def test_spark_tasks_group_items_and_come_back_in_item_order() -> None:
    from auditpipe.engines.spark import SparkEngine

    engine = SparkEngine(SparkSettings(), session=FakeSession())
    assert list(engine.run_tasks(echo, [1, 2, 3, 4, 5])) == [b"1", b"2", b"3", b"4", b"5"]
    packed = SparkEngine(SparkSettings(items_per_task=2), session=FakeSession())
    assert list(packed.run_tasks(echo, [1, 2, 3, 4, 5])) == [b"1,2", b"3,4", b"5"]
    assert engine.task_threads == 3 and engine.partitioned and not engine.in_process
    engine.close()  # a session it did not start is left running (nothing to assert but no error)


def fails_on_three(items: Any) -> bytes:
    if 3 in items:
        raise RuleError("rule x failed on the lake", hint="fix rule x")
    return b"ok"


def test_an_error_in_a_task_is_raised_on_the_driver_as_itself() -> None:
    from auditpipe.engines.spark import SparkEngine

    engine = SparkEngine(SparkSettings(), session=FakeSession())
    with pytest.raises(RuleError, match="rule x failed") as caught:
        list(engine.run_tasks(fails_on_three, [1, 2, 3]))
    assert caught.value.hint == "fix rule x"


def fails_with_os_error(items: Any) -> bytes:
    raise PermissionError(13, "Permission denied", "/lake/_auditpipe/staging/x")


def fails_with_duckdb_error(items: Any) -> bytes:
    import duckdb

    raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")


class Unpicklable(Exception):
    def __init__(self, a: str, b: str) -> None:  # pickle calls it with one argument
        super().__init__(a)
        self.b = b


def fails_unpicklably(items: Any) -> bytes:
    raise Unpicklable("x", "y")


@pytest.mark.parametrize(
    ("task", "kind", "words"),
    [
        (fails_with_os_error, PermissionError, "Permission denied"),
        (fails_with_duckdb_error, Exception, "could not allocate block"),
    ],
)
def test_any_error_in_a_task_is_raised_on_the_driver_as_itself(
    task: Any, kind: type[Exception], words: str
) -> None:
    """The command then reports it as it does on the duckdb engine (an OSError naming the
    file, DuckDB's out-of-memory hint), with the executor's traceback as a note."""
    from auditpipe.engines.spark import SparkEngine

    engine = SparkEngine(SparkSettings(), session=FakeSession())
    with pytest.raises(kind, match=words) as caught:
        list(engine.run_tasks(task, [1]))
    assert type(caught.value).__name__ == type(_raised(task)).__name__
    assert "on a Spark executor" in "".join(getattr(caught.value, "__notes__", []))
    if isinstance(caught.value, OSError):
        assert caught.value.filename == "/lake/_auditpipe/staging/x"


def _raised(task: Any) -> BaseException:
    try:
        task([1])
    except Exception as exc:
        return exc
    raise AssertionError("no error")


def test_an_error_that_cannot_travel_fails_the_task_as_before() -> None:
    from auditpipe.engines.spark import SparkEngine

    engine = SparkEngine(SparkSettings(), session=FakeSession())
    with pytest.raises(EngineError, match="a Spark task failed: x") as caught:
        list(engine.run_tasks(fails_unpicklably, [1]))  # the task raised it, as before
    assert isinstance(caught.value.__cause__, Unpicklable)


def test_results_from_another_duckdb_version_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditpipe.engines import spark

    answers = iter(["auditpipe 0.1.0, duckdb 9.9.9", "auditpipe 0.1.0, duckdb 1.0.0"])
    monkeypatch.setattr(spark, "_versions", lambda: next(answers))
    engine = spark.SparkEngine(SparkSettings(), session=FakeSession())
    with pytest.raises(
        EngineError, match=r"executor ran auditpipe 0.1.0, duckdb 1.0.0, the driver .*9.9.9"
    ):
        list(engine.run_tasks(echo, [1]))


@pytest.mark.parametrize(
    "master",
    ["foo://x", "local[0]", "local[x]", "local[2", "locale", "spark:/head", "k8s:", "Yarn ", ""],
)
def test_a_master_url_spark_refuses_is_an_error_before_spark_starts(master: str) -> None:
    """Spark would start a JVM, print its stack trace and fail with "Java gateway process
    exited"; the URL is checked first, with the forms Spark accepts in the hint."""
    with pytest.raises(ConfigError, match=re.escape(f"{master!r} is not a Spark master URL")) as e:
        SparkSettings(master=master)
    assert e.value.hint is not None and "spark://HOST:PORT" in e.value.hint


@pytest.mark.parametrize(
    "master",
    [
        "local",
        "local[2]",
        "local[*]",
        "local[2,3]",
        "local[*,4]",
        "local-cluster[2,1,1024]",
        "local-cluster[2, 1, 1024]",
        "local[2, 3]",
        "spark://head:7077",
        "spark://a:7077,b:7077",
        "yarn",
        "k8s://https://head:6443",
    ],
)
def test_the_master_urls_spark_accepts_are_accepted(master: str) -> None:
    assert SparkSettings(master=master).master == master


def test_a_java_error_says_its_cause_not_the_py4j_call() -> None:
    from auditpipe.engines.spark import _first_line

    error = Exception(
        "An error occurred while calling None.org.apache.spark.api.java.JavaSparkContext.\n"
        ": org.apache.spark.SparkException: Could not parse Master URL: 'x'\n"
        "\tat org.apache.spark.SparkContext$.createTaskScheduler(SparkContext.scala:3333)\n"
    )
    assert _first_line(error) == "org.apache.spark.SparkException: Could not parse Master URL: 'x'"
    assert _first_line(Exception("\n  plain message\nmore")) == "plain message"
