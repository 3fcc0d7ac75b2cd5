"""The input-kind seam (auditpipe/ingest/kinds.py): a new kind is one class that yields Arrow
batches; the pipeline gives its rows every guarantee (reconciliation, quarantine, dedup,
partitions) and records its own counters in the result and the manifest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from auditpipe.ingest import kinds
from auditpipe.ingest.kinds import ReadContext
from tests.support.ingest import ingest, query


class KeyValueLog:
    """A toy server log: lines ``AUDIT k=v k=v ...`` are events, other lines are not."""

    name = "kvlog"
    suffixes: tuple[str, ...] = (".kvlog",)

    def batches(self, ctx: ReadContext) -> Iterator[pa.Table]:
        stream = ctx.open_bytes()
        try:
            lines = stream.read(1 << 20).decode().splitlines()
        finally:
            stream.close()
        audit = [(n, text) for n, text in enumerate(lines, 1) if text.startswith("AUDIT ")]
        ctx.count("non_audit_lines", len(lines) - len(audit))
        fields = [dict(kv.split("=", 1) for kv in text.split()[1:]) for _, text in audit]
        columns = {
            "line_number": pa.array([n for n, _ in audit], pa.int64()),
            "raw": pa.array([text for _, text in audit], pa.string()),
            "reason": pa.array(
                [None if "actor_id" in f else "no actor named" for f in fields], pa.string()
            ),
        }
        for name in ("event_id", "event_time", "provider_id", "actor_id", "action", "data_fields"):
            columns[name] = pa.array([f.get(name) for f in fields], pa.string())
        yield pa.table(columns)


@pytest.fixture
def kvlog(monkeypatch: pytest.MonkeyPatch) -> None:
    kinds.known_kinds()  # the built-in kinds first
    monkeypatch.setitem(kinds._KINDS, "kvlog", KeyValueLog())


def test_a_new_kind_plugs_in_with_its_own_counters(kvlog: None, tmp_path: Path) -> None:
    log = tmp_path / "server.kvlog"
    event = "event_time=2026-03-01T10:00:00+08:00 provider_id=db-a action=view data_fields=phone"
    log.write_text(
        "server started\n"
        f"AUDIT event_id=1 actor_id=u1 {event}\n"
        "checkpoint\n"
        f"AUDIT event_id=2 {event}\n"
        f"AUDIT event_id=1 actor_id=u1 {event}\n"
    )
    result = ingest(tmp_path / "lake", log)
    (f,) = result.files
    assert f.format == "kvlog"
    assert (f.rows_read, f.rows_stored, f.rows_quarantined, f.rows_duplicate) == (3, 1, 1, 1)
    assert f.counters == {"non_audit_lines": 2}
    assert query(tmp_path / "lake", "SELECT line_number, reason FROM quarantine") == [
        (4, "no actor named")
    ]
    assert query(tmp_path / "lake", "SELECT event_id, line_number FROM events") == [("1", 2)]
    manifest = json.loads(
        (tmp_path / "lake" / "_auditpipe" / "manifest" / f"{f.sha256}.json").read_text()
    )
    assert manifest["counters"] == {"non_audit_lines": 2}
