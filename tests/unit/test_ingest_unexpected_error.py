"""One bad file never stops a run, even when it makes auditpipe fail in a way nobody foresaw
(pyarrow's CSV reader raised ArrowInvalid on a row of a few megabytes, and the night's other
files were never read): such a file is rejected with what happened and what to do, the other
files go on, and the next run reads it again. What is not the file's doing still stops the
run: a full disk, DuckDB's memory limit, an interrupt, and auditpipe's own refusals (a file
that does not reconcile is never published)."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from auditpipe.errors import AuditpipeError
from auditpipe.ingest import tasks
from tests.support.ingest import good, ingest, query, write_jsonl


def _failing_on(name: str, error: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tasks.stage_file

    def stage_file(lake: Any, work: Any, source: Any, *args: Any, **kwargs: Any) -> Any:
        if source.path.name == name:
            raise error
        return real(lake, work, source, *args, **kwargs)

    monkeypatch.setattr(tasks, "stage_file", stage_file)


def _inbox(tmp_path: Path) -> list[Path]:
    return [
        write_jsonl(tmp_path / "a.jsonl", [good(event_id="a1")]),
        write_jsonl(tmp_path / "bad.jsonl", [good(event_id="b1"), good(event_id="b2")]),
        write_jsonl(tmp_path / "c.jsonl", [good(event_id="c1")]),
    ]


@pytest.mark.parametrize(
    "error",
    [
        pa.ArrowInvalid("straddling object straddles two block boundaries"),
        duckdb.ConversionException("Could not convert string 'x' to INT64"),
        ValueError("something no test had shown"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        IndexError("list index out of range"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_file_that_fails_unexpectedly_is_rejected_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    _failing_on("bad.jsonl", error, monkeypatch)
    result = ingest(tmp_path / "lake", *_inbox(tmp_path))
    statuses = {Path(f.source_file).name: f.status for f in result.files}
    assert statuses == {"a.jsonl": "ingested", "bad.jsonl": "rejected", "c.jsonl": "ingested"}
    [bad] = [f for f in result.files if f.status == "rejected"]
    assert type(error).__name__ in (bad.reason or "")
    assert "did not expect" in (bad.reason or "")
    ids = query(tmp_path / "lake", "SELECT event_id FROM events ORDER BY 1")
    assert ids == [("a1",), ("c1",)]

    monkeypatch.undo()  # the defect fixed: the next run reads the rejected file again
    again = ingest(tmp_path / "lake", *_inbox(tmp_path))
    assert {Path(f.source_file).name: f.status for f in again.files}["bad.jsonl"] == "ingested"
    ids = query(tmp_path / "lake", "SELECT event_id FROM events ORDER BY 1")
    assert ids == [("a1",), ("b1",), ("b2",), ("c1",)]


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        duckdb.IOException('Could not write file "x": No space left on device'),
        duckdb.OutOfMemoryException("failed to allocate data of size 1.0 GiB"),
        AuditpipeError("internal error: 2 rows read but 1 stored"),
        KeyboardInterrupt(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_what_is_not_the_files_doing_still_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    _failing_on("bad.jsonl", error, monkeypatch)
    with pytest.raises(type(error)):
        ingest(tmp_path / "lake", *_inbox(tmp_path))
