"""The Spark engine's tests: one local[2] Spark session for the whole run.

They need Java 17 and the ``spark`` extra. Without either, ``make test`` skips this folder with
one message naming ``make test-spark``; with ``AUDITPIPE_REQUIRE_SPARK`` set (CI, make test-spark)
a missing one is an error instead, so CI never passes by skipping them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _missing() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java 17 is not installed"
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (the auditpipe[spark] extra)"
    return None


MISSING = _missing()
if MISSING and os.environ.get("AUDITPIPE_REQUIRE_SPARK"):
    raise pytest.UsageError(f"the Spark tests cannot run: {MISSING}; run `make test-spark`")
collect_ignore_glob = ["test_*.py"] if MISSING else []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if MISSING:
        terminalreporter.write_line(
            f"Spark tests skipped: {MISSING}. Run them with `make test-spark`."
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(lake, broker watchlist): generated and ingested once, copied by each test."""
    from auditpipe.generate import generate
    from auditpipe.ingest import IngestSettings, ingest_paths
    from auditpipe.lake import Lake
    from tests.support.detect_lakes import write_events
    from tests.support.spark_lakes import hostile_events

    root = tmp_path_factory.mktemp("spark_lake")
    logs = root / "logs"
    generate(logs, rows=4000, seed=20261130, providers=3, days=2)
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [logs], IngestSettings())
    write_events(lake, hostile_events())
    watchlist = root / "brokers.txt"
    brokers = (logs / "_expected" / "brokers.txt").read_text(encoding="utf-8")
    watchlist.write_text(brokers + "\nacme data brokers\n", encoding="utf-8")
    return lake.root, watchlist


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[Any]:
    """A SparkEngine over the one local[2] session of the test run (UI off, loopback)."""
    from auditpipe.engines import SparkSettings
    from auditpipe.engines.spark import SparkEngine, start_session

    settings = SparkSettings(
        master="local[2]",
        app_name="auditpipe-tests",
        conf={"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"},
    )
    session, owned = start_session(settings)
    yield SparkEngine(settings, session=session)
    if owned:
        session.stop()
