"""How nightly sorts the inbox's files, without a lake: the manifest is a dict lookup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditpipe.nightly.inbox import InboxFile
from auditpipe.nightly.job import missing_files, sort_ready_files
from auditpipe.nightly.result import INGESTED, MISSING, SKIPPED

COMMITTED = {"status": "ingested", "rows_read": 5, "rows_stored": 4, "rows_quarantined": 1}
REJECTED = {"status": "rejected"}


def _file(relpath: str) -> InboxFile:
    return InboxFile(path=Path("/inbox") / relpath, relpath=relpath, size=1, mtime_ns=1, inode=1)


def _lookup(manifest: dict[str, dict[str, Any]]) -> Any:
    return manifest.get


def test_each_ready_file_is_ingested_skipped_or_resumed() -> None:
    ready = [
        (_file("new.jsonl"), "s-new"),
        (_file("old.jsonl"), "s-old"),
        (_file("copy.jsonl"), "s-new"),
        (_file("dead-run.jsonl"), "s-dead"),
        (_file("retry.jsonl"), "s-rejected"),
    ]
    manifest = {"s-old": COMMITTED, "s-dead": COMMITTED, "s-rejected": REJECTED}
    carried = {"s-dead": {"path": "dead-run.jsonl", "night": "2026-03-04"}}
    outcomes, to_ingest, to_move = sort_ready_files(ready, _lookup(manifest), carried)
    by_path = {o.path: o for o in outcomes}
    assert [item.relpath for item, _ in to_ingest] == ["new.jsonl", "retry.jsonl"]
    assert by_path["new.jsonl"].status == INGESTED
    assert by_path["old.jsonl"].status == SKIPPED
    assert by_path["old.jsonl"].reason == "its content is already in the lake"
    assert by_path["copy.jsonl"].reason == "same content as new.jsonl"
    dead = by_path["dead-run.jsonl"]
    assert dead.status == INGESTED and dead.resumed and dead.rows_stored == 4
    assert [item.relpath for item, _ in to_move] == [o.path for o in outcomes]


def test_a_planned_file_gone_from_the_inbox_is_resumed_if_committed_else_missing(
    tmp_path: Path,
) -> None:
    moved = tmp_path / "processed" / "2026-03-04" / "a.jsonl"
    moved.parent.mkdir(parents=True)
    moved.write_text("{}\n")
    not_seen = {
        "s-a": {"path": "a.jsonl", "night": "2026-03-04"},
        "s-b": {"path": "b.jsonl", "night": "2026-03-04"},
    }
    a, b = missing_files(not_seen, _lookup({"s-a": COMMITTED}), tmp_path)
    assert a.status == INGESTED and a.resumed and a.moved_to == "processed/2026-03-04/a.jsonl"
    assert b.status == MISSING and b.reason is not None and "left the inbox" in b.reason
