"""Detect on Spark equals detect on DuckDB: findings, evidence order, penalty exposure, re-runs.

Two copies of one lake (generated logs with planted cases, ingested, plus hostile hand-built
events) are detected, one with each engine; their findings must be equal in every column but
detected_at (EXCEPT ALL both ways, so evidence lists compare element by element, in order),
their results count the same, and the penalty exposure is the same.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.detect.rules import RuleError
from auditpipe.lake import Lake
from tests.support.detect_lakes import DAY, event, finding_files, write_events
from tests.support.spark_lakes import LATE, UNAUTH, hostile_events, table_difference


def twins(template: tuple[Path, Path], tmp_path: Path) -> tuple[Lake, Lake, DetectSettings]:
    root, watchlist = template
    shutil.copytree(root, tmp_path / "duckdb")
    shutil.copytree(root, tmp_path / "spark")
    settings = DetectSettings(broker_watchlist=watchlist)
    return Lake.open(tmp_path / "duckdb"), Lake.open(tmp_path / "spark"), settings


def findings_difference(a: Lake, b: Lake) -> tuple[int, int, int]:
    """(findings in a, rows of a not in b, rows of b not in a), all columns but detected_at."""
    return table_difference(a.root, b.root, "findings", {"detected_at"})


def summary(result: Any) -> dict[str, Any]:
    doc = result.to_dict()
    return {k: v for k, v in doc.items() if k not in ("files_written",)}


def test_findings_evidence_and_exposure_equal_duckdb_on_a_generated_lake(
    template: tuple[Path, Path], tmp_path: Path, spark_engine: Any
) -> None:
    local, spark, settings = twins(template, tmp_path)
    expected = run_detect(local, settings)
    got = run_detect(spark, settings, engine=spark_engine)
    total, only_local, only_spark = findings_difference(local, spark)
    assert total > 50 and (only_local, only_spark) == (0, 0)
    assert summary(got) == summary(expected)
    assert {e["provider_id"] for e in got.to_dict()["exposure"]} >= {"007", "中国电信"}
    assert got.files_written == expected.files_written
    # a re-run on Spark changes no file and keeps every finding
    files = finding_files(spark)
    again = run_detect(spark, settings, engine=spark_engine)
    assert again.new == again.updated == again.removed == 0 and again.unchanged == total
    assert finding_files(spark) == files


def test_late_days_and_rerun_on_spark_match_duckdb(
    template: tuple[Path, Path], tmp_path: Path, spark_engine: Any
) -> None:
    local, spark, settings = twins(template, tmp_path)
    run_detect(local, settings)
    run_detect(spark, settings, engine=spark_engine)
    for lake in (local, spark):  # a late day, and more evidence on a day already detected
        write_events(lake, hostile_events(LATE, "late") + hostile_events(DAY, "more"))
    expected = run_detect(local, settings)
    got = run_detect(spark, settings, engine=spark_engine)
    assert summary(got) == summary(expected)
    assert got.new and got.updated and LATE in got.days_evaluated
    assert findings_difference(local, spark)[1:] == (0, 0)
    # stricter settings remove findings the same way
    stricter = DetectSettings(broker_watchlist=settings.broker_watchlist, bulk_threshold=100_000)
    expected = run_detect(local, stricter)
    got = run_detect(spark, stricter, engine=spark_engine)
    assert got.removed and summary(got) == summary(expected)
    assert findings_difference(local, spark)[1:] == (0, 0)


def test_a_rule_failing_on_an_executor_is_the_same_rule_error(
    tmp_path: Path, spark_engine: Any
) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    write_events(lake, [event(**UNAUTH)])
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad_cast.sql").write_text(
        "-- id: bad_cast\n-- title: t\n-- category: disclosure\n-- severity: low\n"
        "-- description: d\n-- clause: c\n"
        "SELECT * FROM in_scope_events WHERE CAST(actor_id AS INTEGER) > 0\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match="rule bad_cast .* failed on the lake") as spark_error:
        run_detect(lake, DetectSettings(), rule_dirs=[rules], engine=spark_engine)
    with pytest.raises(RuleError) as local_error:
        run_detect(lake, DetectSettings(), rule_dirs=[rules])
    assert spark_error.value.message == local_error.value.message
    assert spark_error.value.hint == local_error.value.hint
    assert not list(lake.findings_dir.glob("*/*/*.parquet"))


def test_rules_grouping_by_all_or_by_position_run_on_spark_with_duckdbs_findings(
    template: tuple[Path, Path], tmp_path: Path, spark_engine: Any
) -> None:
    """Rules of a --rules folder that group with DuckDB's GROUP BY ALL or by position keep the
    locality contract: Spark runs them (it refused them) and finds what DuckDB finds."""
    local, spark, settings = twins(template, tmp_path)
    rules = tmp_path / "rules"
    rules.mkdir()
    header = (
        "-- title: t\n-- category: illegal_use\n-- severity: low\n-- description: d\n-- clause: c\n"
    )
    for rule_id, group in (("busy_actor_all", "ALL"), ("busy_actor_positions", "1, 2, 3")):
        (rules / f"{rule_id}.sql").write_text(
            f"-- id: {rule_id}\n{header}"
            "WITH busy AS (SELECT provider_id, event_date, actor_id, count(*) AS n "
            f"FROM events GROUP BY {group} HAVING count(*) >= 3) "
            "SELECT e.* FROM in_scope_events e SEMI JOIN busy "
            "USING (provider_id, event_date, actor_id)\n",
            encoding="utf-8",
        )
    settings = replace(settings, disabled_rules=("selling",))
    expected = run_detect(local, settings, rule_dirs=[rules])
    got = run_detect(spark, settings, rule_dirs=[rules], engine=spark_engine)
    assert summary(got) == summary(expected)
    assert {"busy_actor_all", "busy_actor_positions"} <= set(got.rules_run)
    assert "selling" not in got.rules_run
    assert got.by_category["illegal_use"]["low"] > 0
    assert findings_difference(local, spark)[1:] == (0, 0)
