"""auditpipe.connect and auditpipe.scan: the Python API over the lake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

import auditpipe
from auditpipe.errors import LakeError, UsageError
from auditpipe.lake import Lake
from auditpipe.lake.views import VIEW_NAMES, create_views
from tests.support.report_lakes import identifier_events


def test_connect_has_every_view_with_the_printed_views_columns_and_types(shared_lake: Lake) -> None:
    guarded = auditpipe.connect(shared_lake.root)
    plain = duckdb.connect()
    create_views(plain, shared_lake.root)  # the read_parquet views --print-views shows
    for view in VIEW_NAMES:
        assert (
            guarded.execute(f"DESCRIBE {view}").fetchall()
            == plain.execute(f"DESCRIBE {view}").fetchall()
        ), view
        assert (
            guarded.execute(f"SELECT count(*) FROM {view}").fetchone()
            == plain.execute(f"SELECT count(*) FROM {view}").fetchone()
        ), view


def test_connect_reads_the_lake_from_the_environment(
    shared_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITPIPE_LAKE", str(shared_lake.root))
    assert auditpipe.connect().execute("SELECT count(*) FROM events").fetchone()[0] == 11


def test_connect_to_a_missing_lake_is_a_lake_error(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match="no lake at"):
        auditpipe.connect(tmp_path / "none")


def test_connect_to_an_empty_lake_gives_empty_views(tmp_path: Path) -> None:
    Lake.open(tmp_path / "lake", create=True)
    con = auditpipe.connect(tmp_path / "lake")
    for view in VIEW_NAMES:
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == 0


def test_scan_events_is_lazy_with_hive_partition_columns(shared_lake: Lake) -> None:
    frame = auditpipe.scan(shared_lake.root, "events")
    assert isinstance(frame, pl.LazyFrame)
    schema = frame.collect_schema()
    assert schema["provider_id"] == pl.String
    assert schema["event_date"] == pl.Date
    assert schema["event_time"] == pl.Datetime("us", "UTC")
    assert schema["data_fields"] == pl.List(pl.String)
    assert frame.select(pl.len()).collect().item() == len(identifier_events())
    day = frame.filter(
        (pl.col("provider_id") == "forum-a") & (pl.col("event_date") == dt.date(2026, 3, 2))
    ).collect()
    assert day["event_id"].to_list() == ["s2"]


@pytest.mark.parametrize("table", ["findings", "quarantine", "finding_evidence", "ingest_log"])
def test_scan_matches_the_sql_view(shared_lake: Lake, table: str) -> None:
    frame = auditpipe.scan(shared_lake.root, table).collect()
    count = (
        auditpipe.connect(shared_lake.root).execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    )
    assert frame.height == count > 0


def test_scan_finding_evidence_joins_events(shared_lake: Lake) -> None:
    frame = auditpipe.scan(shared_lake.root, "finding_evidence").collect()
    assert {"finding_id", "category", "event_id", "subject_id", "line_number"} <= set(frame.columns)
    selling = frame.filter(pl.col("category") == "selling").sort("event_id")
    assert selling["event_id"].to_list() == ["s1", "s2"]


def test_fields_outside_the_contract_read_back_as_json_text(shared_lake: Lake) -> None:
    scanned = (
        auditpipe.scan(shared_lake.root, "events").filter(pl.col("event_id") == "ok1").collect()
    )
    assert scanned["extras"].to_list() == ['{"channel":"app"}']
    con = auditpipe.connect(shared_lake.root)
    assert con.execute(
        "SELECT extras->>'channel', typeof(extras) FROM events WHERE event_id = 'ok1'"
    ).fetchone() == ("app", "JSON")


def test_scan_of_an_empty_lake_has_the_schema_and_no_rows(tmp_path: Path) -> None:
    Lake.open(tmp_path / "lake", create=True)
    frame = auditpipe.scan(tmp_path / "lake", "findings").collect()
    assert frame.height == 0
    assert frame.schema["event_date"] == pl.Date and "finding_id" in frame.columns


def test_scan_of_an_unknown_table_names_the_tables(shared_lake: Lake) -> None:
    with pytest.raises(UsageError) as info:
        auditpipe.scan(shared_lake.root, "evnts")
    assert "events" in (info.value.hint or "")
