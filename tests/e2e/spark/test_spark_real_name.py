"""The real-name rules on Spark equal DuckDB: they read history (the account timeline, built once
per run from the whole lake) yet each task's findings depend on its partition and that one file,
so the two engines must agree row for row, also when only the last day is evaluated."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.lake import Lake
from tests.support.account_lakes import real_name_cases, write_accounts
from tests.support.detect_lakes import DAY, write_events
from tests.support.spark_lakes import table_difference


def test_real_name_findings_on_spark_equal_duckdb(tmp_path: Path, spark_engine: Any) -> None:
    events, rows = real_name_cases(days=3)
    local = Lake.open(tmp_path / "duckdb", create=True)
    write_events(local, events)
    write_accounts(local, rows)
    shutil.copytree(local.root, tmp_path / "spark")  # the same files, so the same snapshot ids
    spark = Lake.open(tmp_path / "spark")
    last = DAY + dt.timedelta(days=2)
    # the last day alone first (history from earlier days must still count), then all days
    for since in (last, None):
        expected = run_detect(local, DetectSettings(), since=since)
        got = run_detect(spark, DetectSettings(), since=since, engine=spark_engine)
        assert got.to_dict() | {"files_written": 0} == expected.to_dict() | {"files_written": 0}
        assert got.by_category["real_name"] == expected.by_category["real_name"]
    total, only_local, only_spark = table_difference(
        local.root, spark.root, "findings", {"detected_at"}
    )
    assert total >= 10 and (only_local, only_spark) == (0, 0)
