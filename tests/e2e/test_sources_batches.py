"""Batch boundaries: a log read in tiny batches (statements cut by a boundary: multi-line
ones, relation lines, TABLE lines before their QUERY) gives the same events and counts as
one batch: nothing lost, nothing doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sources import read_log


@pytest.mark.parametrize("fmt", ["stderr", "csvlog", "jsonlog"])
def test_pgaudit_small_batches_give_the_same_events_as_one(tmp_path: Path, fmt: str) -> None:
    """Statements cut by a batch boundary (multi-line ones, relation lines) are neither lost
    nor doubled: tiny batches and one batch give the same events."""
    import datetime as dt

    from auditpipe.generate.dblogs import WRITERS, workload

    writer, _ = WRITERS[f"pgaudit-{fmt}"]
    frame = workload(400, 5, dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    text = "\n".join(writer(frame).to_list()) + "\n"
    whole, c1 = read_log(tmp_path / "a", text, fmt=fmt)
    small, c2 = read_log(tmp_path / "b", text, fmt=fmt, batch_bytes=2048)
    key = lambda r: (r["line_number"], r["event_id"], r["subject_id"], r["data_fields"])  # noqa: E731
    assert sorted(map(key, whole)) == sorted(map(key, small))
    assert c1.as_dict() == c2.as_dict()
    assert c1.events == frame.height


def test_server_audit_small_batches_give_the_same_events_as_one(tmp_path: Path) -> None:
    import datetime as dt

    from auditpipe.generate.dblogs import server_audit, workload

    frame = workload(300, 9, dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    text = "\n".join(server_audit(frame).to_list()) + "\n"
    whole, c1 = read_log(tmp_path / "a", text, kind="server_audit", fmt=None)
    small, c2 = read_log(tmp_path / "b", text, kind="server_audit", fmt=None, batch_bytes=1024)
    key = lambda r: (r["line_number"], r["event_id"], r["subject_id"], r["data_fields"])  # noqa: E731
    assert sorted(map(key, whole)) == sorted(map(key, small))
    assert c1.as_dict() == c2.as_dict() and c1.events == frame.height
