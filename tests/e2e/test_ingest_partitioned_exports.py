"""Exports written partitioned by a field keep that field in their folder names only.

Spark's ``partitionBy``, DuckDB's ``COPY ... (PARTITION_BY ...)`` and pyarrow's hive-flavoured
``write_dataset`` leave the column out of the files and name folders ``provider_id=forum-a``,
percent-encoding what a folder name cannot hold; every reader of such a dataset takes the
value from the folder. ingest quarantined every row of them for a missing ``provider_id``."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.ingest import good, ingest, query, write_jsonl

STORED = (
    "SELECT event_id, provider_id, action, actor_id, data_fields, event_id_derived, extras "
    "FROM events ORDER BY event_id"
)


def test_contract_fields_named_by_folders_are_read_from_them(tmp_path: Path) -> None:
    rows = [
        good(event_id="e1", provider_id="forum a/b=c", action="view"),
        good(event_id="e2", provider_id="论坛", action="export"),
        good(provider_id="论坛", action="export", actor_id="derived"),
    ]
    write_jsonl(tmp_path / "want.jsonl", rows)
    ingest(tmp_path / "want", tmp_path / "want.jsonl")
    want = query(tmp_path / "want", STORED)

    table = pa.Table.from_pylist([{**r, "data_fields": json.dumps(r["data_fields"])} for r in rows])
    con = duckdb.connect()
    con.register("t", table)
    out = tmp_path / "duckdb"
    con.execute(f"COPY t TO '{out}' (FORMAT parquet, PARTITION_BY (provider_id, action))")
    assert not list(out.glob("provider_id=forum*/action=view/*.parquet"))[0].name.startswith("_")
    result = ingest(tmp_path / "lake", out)
    assert [f.rows_quarantined for f in result.files] == [0, 0]
    assert query(tmp_path / "lake", STORED) == want


def test_the_rows_own_value_wins_and_a_null_folder_is_no_value(tmp_path: Path) -> None:
    folder = tmp_path / "export" / "provider_id=forum-b"
    write_jsonl(
        folder / "part-0.jsonl",
        [good(event_id="own", provider_id="forum-a"), good(event_id="folder", provider_id=None)],
    )
    csv = tmp_path / "export" / "provider_id=forum-c" / "system=crm" / "part-0.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text(
        "event_id,event_time,actor_id,action,data_fields\n"
        "csv,2026-03-01T10:00:00+08:00,emp-1,view,phone\n"
    )
    spark_null = tmp_path / "export" / "provider_id=__HIVE_DEFAULT_PARTITION__" / "x.parquet"
    spark_null.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([good(event_id="none", provider_id=None)]), spark_null)
    result = ingest(tmp_path / "lake", tmp_path / "export")
    got = query(tmp_path / "lake", "SELECT event_id, provider_id, system FROM events ORDER BY 1")
    assert got == [("csv", "forum-c", "crm"), ("folder", "forum-b", None), ("own", "forum-a", None)]
    (reason,) = query(tmp_path / "lake", "SELECT reason FROM quarantine")
    assert reason == ("missing required field provider_id",)
    assert sum(f.rows_quarantined for f in result.files) == 1


def test_the_same_bytes_under_another_providers_folder_are_not_skipped_as_ingested(
    tmp_path: Path,
) -> None:
    """A file is known by its bytes' sha256, and content the lake holds is skipped; but two
    partition files of the same bytes in folders naming different providers hold different
    events (a heartbeat each provider logs alike). The second is rejected saying so, not
    skipped as "same content already ingested": its provider's events would be missing."""
    text = "event_time,actor_id,action,data_fields\n2026-03-01 10:00:00,sys,login,password\n"
    for provider in ("a", "b"):
        folder = tmp_path / "export" / f"provider_id={provider}"
        folder.mkdir(parents=True)
        (folder / "part-0.csv").write_text(text)
    same = tmp_path / "export2" / "provider_id=a" / "part-0.csv"  # a copy, same folder value
    same.parent.mkdir(parents=True)
    same.write_text(text)
    result = ingest(tmp_path / "lake", tmp_path / "export", same)
    assert [f.status for f in result.files] == ["ingested", "rejected", "skipped"]
    reason = result.files[1].reason
    assert "provider_id=a" in reason and "provider_id=b" in reason, reason
    # not recorded: the content's entry still names the ingested file, and a rerun tries again
    again = ingest(tmp_path / "lake", tmp_path / "export" / "provider_id=b")
    assert [f.status for f in again.files] == ["rejected"]
