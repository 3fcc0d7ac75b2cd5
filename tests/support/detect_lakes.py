"""Small hand-built lakes for the detect, rules and penalty tests.

``event(**fields)`` is one stored event with harmless defaults (an employee viewing one
user's phone number inside provider p1, authorized and with a purpose, so no rule fires);
a test overrides only what it is about. ``write_events`` stores events in a lake the way
ingest does: the columns of lake_schema.EVENT_FILE_COLUMNS, hive partitions by provider_id and
event_date (the Asia/Shanghai date of event_time), data_classes/categories from the catalog.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from auditpipe.contract import load_catalog
from auditpipe.lake import Lake
from auditpipe.lake.schema import EVENT_FILE_COLUMNS

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 1)
_ids = itertools.count(1)


def at(day: dt.date = DAY, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment of ``day`` in Shanghai, as the UTC timestamp the lake stores."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(
        dt.UTC
    )


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": f"e{next(_ids):06d}",
        "event_time": at(),
        "provider_id": "p1",
        "provider_type": "iisp",
        "system": "crm",
        "actor_id": "emp1",
        "actor_type": "employee",
        "action": "view",
        "subject_id": "u1",
        "record_count": 1,
        "data_fields": ["phone"],
        "destination_type": "internal",
        "destination_party": None,
        "authorization_ref": "TICKET-1",
        "purpose": "support",
        "amount": None,
        "currency": "CNY",
        "outcome": "success",
        "source_ip": "10.0.0.1",
    }
    base.update(fields)
    return base


def _complete(e: dict[str, Any], catalog: Any) -> dict[str, Any]:
    row = dict(e)
    fields = [f.strip().lower() for f in row["data_fields"]]
    entries = [catalog.lookup(f) for f in fields]
    row["data_fields"] = fields
    row["data_classes"] = sorted({x.data_class for x in entries})
    row["data_categories"] = sorted({x.category for x in entries})
    row.setdefault("extras", None)
    row.setdefault("event_id_derived", False)
    row.setdefault("source_file", "hand_built.jsonl")
    row.setdefault("source_sha256", "0" * 64)
    row.setdefault("line_number", 1)
    row.setdefault("ingest_run_id", "test")
    row.setdefault("ingested_at", dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    row["event_date"] = row["event_time"].astimezone(SHANGHAI).date()
    return row


def make_lake(root: Path) -> Lake:
    return Lake.open(root, create=True)


_ARROW_TYPES = {
    "VARCHAR": "string",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "BIGINT": "int64",
    "VARCHAR[]": "list",
    "DECIMAL(18,4)": "decimal",
    "JSON": "string",
    "BOOLEAN": "bool",
}


def _arrow_schema() -> Any:
    import pyarrow as pa

    kinds = {
        "string": pa.string(),
        "timestamptz": pa.timestamp("us", tz="UTC"),
        "int64": pa.int64(),
        "list": pa.list_(pa.string()),
        "decimal": pa.decimal128(18, 4),
        "bool": pa.bool_(),
    }
    return pa.schema([(n, kinds[_ARROW_TYPES[t]]) for n, t in EVENT_FILE_COLUMNS])


def write_events(lake: Lake, events: list[dict[str, Any]]) -> None:
    """Store ``events`` in the lake as new Parquet files (one per touched partition)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    catalog = load_catalog()
    schema = _arrow_schema()
    partitions: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for e in events:
        row = _complete(e, catalog)
        if row["amount"] is not None:
            row["amount"] = Decimal(str(row["amount"]))
        partitions.setdefault((row["provider_id"], row["event_date"]), []).append(row)
    for (provider, day), rows in partitions.items():
        table = pa.Table.from_pylist(rows, schema=schema)
        # percent-encoded like ingest and DuckDB do: "forum a/b" -> provider_id=forum%20a%2Fb
        folder = lake.events_dir / f"provider_id={quote(provider, safe='')}" / f"event_date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        staged = lake.root.parent / f".part-{uuid.uuid4().hex}.parquet"
        pq.write_table(table, staged, compression="zstd")
        os.replace(staged, folder / f"part-{uuid.uuid4().hex[:16]}.parquet")


def read_findings(lake: Lake) -> list[dict[str, Any]]:
    """Every stored finding of the lake, as dicts, in (event_date, rule_id, actor_id) order."""
    import duckdb

    from auditpipe.lake.views import create_views

    con = duckdb.connect()
    try:
        create_views(con, lake.root)
        cur = con.execute(
            "SELECT * FROM findings ORDER BY event_date, rule_id, actor_id, destination_party"
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def finding_files(lake: Lake) -> dict[str, int]:
    """Relative path -> mtime of every findings file, to prove files were (not) rewritten."""
    return {
        str(p.relative_to(lake.root)): p.stat().st_mtime_ns
        for p in sorted(lake.findings_dir.glob("*/*/*.parquet"))
    }


def detect_events(
    root: Path, events: list[dict[str, Any]], **overrides: Any
) -> tuple[Any, list[dict[str, Any]]]:
    """Write ``events`` into a new lake under ``root``, run detect, return (result, findings)."""
    from auditpipe.detect import DetectSettings, run_detect

    lake = make_lake(root / "lake")
    write_events(lake, events)
    result = run_detect(lake, DetectSettings(**overrides))
    return result, read_findings(lake)
