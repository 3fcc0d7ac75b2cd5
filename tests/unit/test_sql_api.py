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


def _ingest_log_lakes(tmp_path: Path) -> dict[str, Path]:
    """Lakes whose manifests differ in what read_json would infer from them."""
    import shutil

    from tests.support.ingest import good, ingest, write_jsonl

    empty = tmp_path / "empty"
    Lake.open(empty, create=True)
    # one file, quarantined whole: no partitions, no reason, no compression; a blank line
    bad = tmp_path / "bad" / "x.jsonl"
    bad.parent.mkdir()
    bad.write_text("not json\n\n")
    ingest(tmp_path / "only_quarantined", bad)
    # events and an account snapshot (whose entry has lake_table)
    snapshot = tmp_path / "mixed_in" / "blog-b-2026-02-28.accounts.jsonl"
    snapshot.parent.mkdir()
    shutil.copy(Path(__file__).parents[2] / "sample_data" / snapshot.name, snapshot)
    write_jsonl(snapshot.parent / "forum-a.jsonl", [good()])
    ingest(tmp_path / "mixed", snapshot.parent)
    return {
        "empty": empty,
        "only_quarantined": tmp_path / "only_quarantined",
        "mixed": tmp_path / "mixed",
    }


def test_ingest_log_has_the_declared_columns_and_types_in_every_lake(tmp_path: Path) -> None:
    """The columns, their order and their types do not depend on what the manifest entries
    hold, in auditpipe.connect, in the printed views a plain DuckDB runs, and in scan()."""
    from auditpipe.lake.schema import empty_select
    from auditpipe.lake.views import INGEST_LOG_COLUMNS
    from auditpipe.sql.run import printable_views

    reference = duckdb.connect()
    expected = reference.sql(f"DESCRIBE {empty_select(INGEST_LOG_COLUMNS)}").fetchall()
    polars_names = [n for n, _ in INGEST_LOG_COLUMNS]
    for name, root in _ingest_log_lakes(tmp_path).items():
        plain = duckdb.connect()
        plain.execute(printable_views(root))
        for con in (auditpipe.connect(root), plain):
            got = con.sql("DESCRIBE ingest_log").fetchall()
            assert [r[:2] for r in got] == [r[:2] for r in expected], name
        assert auditpipe.scan(root, "ingest_log").collect_schema().names() == polars_names
    con = auditpipe.connect(tmp_path / "only_quarantined")
    row = con.sql("SELECT partitions, reason, counters->>'blank_lines' FROM ingest_log").fetchall()
    assert row == [([], None, "1")]
    tables = auditpipe.connect(tmp_path / "mixed").sql(
        "SELECT lake_table, count(*) FROM ingest_log GROUP BY ALL ORDER BY 1 NULLS FIRST"
    )
    assert tables.fetchall() == [(None, 1), ("accounts", 1)]
