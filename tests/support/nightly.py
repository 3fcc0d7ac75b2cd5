"""Helpers for the nightly, status and compact tests: access events written as JSON Lines
into an inbox, the CLI run in-process or as a subprocess, and the lake read back as tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support import REPO
from tests.support.cli import run_main


def event(event_id: str, day: str = "2026-03-01", **fields: Any) -> dict[str, Any]:
    """An access event that fires no rule (a user viewing their own nickname), unless
    ``fields`` say otherwise. ``day`` is the event_date (10:00 Asia/Shanghai)."""
    doc: dict[str, Any] = {
        "event_id": event_id,
        "event_time": f"{day}T10:00:00+08:00",
        "provider_id": "forum-a",
        "actor_id": f"user-{event_id}",
        "actor_type": "subject",
        "action": "view",
        "subject_id": f"user-{event_id}",
        "data_fields": ["nickname"],
    }
    doc.update(fields)
    return doc


def breach(event_id: str, day: str = "2026-03-01", **fields: Any) -> dict[str, Any]:
    """An employee reading a user's password hash with a ticket: fires only
    illegal_use_credential (no one needs to read password hashes, authorized or not)."""
    return event(
        event_id,
        day,
        actor_id=fields.pop("actor_id", "emp-7"),
        actor_type="employee",
        subject_id=f"user-{event_id}",
        data_fields=["password_hash"],
        destination_type="internal",
        authorization_ref="TICKET-1",
        purpose="support",
        **fields,
    )


def write_log(
    path: Path, events: list[dict[str, Any]], bad_lines: int = 0, age_seconds: float = 600
) -> Path:
    """JSON Lines (plus ``bad_lines`` malformed lines), dated ``age_seconds`` in the past so
    the settle time does not hold it back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(e) for e in events] + ["{not json"] * bad_lines
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


run_cli = run_main  # the nightly tests' name for it


def run_subprocess(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m auditpipe ARGS`` in a child process (for kills and concurrent runs)."""
    return subprocess.run(
        [sys.executable, "-m", "auditpipe", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=REPO,
    )


def nightly_args(inbox: Path, lake: Path, *extra: str) -> list[str]:
    return [
        "nightly",
        "--inbox",
        str(inbox),
        "--lake",
        str(lake),
        "--date",
        "2026-03-05",
        "--settle-seconds",
        "0",
        *extra,
    ]


def table_rows(lake: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query over the lake's views, for comparing lakes."""
    from auditpipe.lake import Lake
    from auditpipe.lake.views import connect_views

    con = connect_views(Lake.open(lake))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# Columns that differ between two correct runs (who ran it and when), left out of comparisons.
EVENT_STABLE = (
    "SELECT * EXCLUDE (ingest_run_id, ingested_at, source_file) FROM events "
    "ORDER BY provider_id, event_id"
)
QUARANTINE_STABLE = (
    "SELECT source_sha256, line_number, raw, reason, provider_id FROM quarantine "
    "ORDER BY source_sha256, line_number"
)
FINDINGS_STABLE = "SELECT * EXCLUDE (detected_at) FROM findings ORDER BY finding_id"


def lake_snapshot(lake: Path) -> dict[str, Any]:
    """What a compliance officer relies on: events, quarantine, findings, manifest shas."""
    manifest = sorted(p.stem for p in (lake / "_auditpipe" / "manifest").glob("*.json"))
    return {
        "events": table_rows(lake, EVENT_STABLE),
        "quarantine": table_rows(lake, QUARANTINE_STABLE),
        "findings": table_rows(lake, FINDINGS_STABLE),
        "manifest": manifest,
    }
