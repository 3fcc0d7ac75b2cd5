"""Helpers for the ingest tests: write small logs, ingest them, read the lake back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from auditpipe.ingest import IngestResult, IngestSettings, ingest_paths
from auditpipe.lake import Lake

GOOD = {
    "event_time": "2026-03-01T10:00:00+08:00",
    "provider_id": "forum-a",
    "actor_id": "emp-1",
    "action": "view",
    "data_fields": ["phone"],
}


def good(**changes: Any) -> dict[str, Any]:
    record = dict(GOOD)
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def write_jsonl(path: Path, rows: list[Any], compress: bool = False) -> Path:
    """Rows may be dicts (dumped as JSON), str or bytes (written as they are)."""
    lines = []
    for row in rows:
        if isinstance(row, bytes):
            lines.append(row)
        elif isinstance(row, str):
            lines.append(row.encode())
        else:
            lines.append(json.dumps(row, ensure_ascii=False).encode())
    data = b"\n".join(lines) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def ingest(lake_dir: Path, *paths: Path, **settings: Any) -> IngestResult:
    lake = Lake.open(lake_dir, create=True)
    return ingest_paths(lake, list(paths), IngestSettings(**settings))


def query(lake_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    events = lake_dir / "events" / "*" / "*" / "*.parquet"
    quarantine = lake_dir / "quarantine" / "*.parquet"
    if list(lake_dir.glob("events/*/*/*.parquet")):
        con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet('{events}', hive_partitioning = true, "
            "hive_types = {'provider_id': 'VARCHAR', 'event_date': 'DATE'})"
        )
    if list(lake_dir.glob("quarantine/*.parquet")):
        con.execute(f"CREATE VIEW quarantine AS SELECT * FROM read_parquet('{quarantine}')")
    return con.execute(sql).fetchall()


def reasons(lake_dir: Path) -> dict[int, str]:
    return dict(query(lake_dir, "SELECT line_number, reason FROM quarantine"))


def lake_snapshot(lake_dir: Path) -> dict[str, bytes]:
    """Every data file and manifest entry of the lake, by relative path (not the lock)."""
    return {
        str(p.relative_to(lake_dir)): p.read_bytes()
        for p in sorted(lake_dir.rglob("*"))
        if p.is_file() and p.name != "lock"
    }
