"""--output names a symlink or a pipe: the output goes where it points, and the name stays.

A file is written beside its name and renamed into place when complete (never half a
result). Renaming onto a symlink replaced the link with a plain file (``latest.csv`` pointing
at this month's report stopped pointing anywhere), and onto a named pipe or a device
(``/dev/stdout``, a FIFO a loader reads) replaced the pipe with a file nobody reads. A link's
target is now replaced instead, and a pipe or device is written as a stream.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from auditpipe.lake import Lake
from tests.support.cli import run_main

QUERY = "SELECT provider_id, count(*) AS n FROM events GROUP BY ALL ORDER BY 1"
EXPECTED = "provider_id,n\nblog-b,1\nforum-a,10\n"


@pytest.mark.parametrize("command", ["sql", "report"])
def test_a_symlink_keeps_pointing_at_the_written_file(
    shared_lake: Lake, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "monthly" / ("2026-03.csv" if command == "sql" else "2026-03.md")
    target.parent.mkdir()
    target.write_text("last month\n", encoding="utf-8")
    link = tmp_path / ("latest.csv" if command == "sql" else "latest.md")
    link.symlink_to(target)
    args = [command, "--lake", str(shared_lake.root), "--output", str(link)]
    code, _, err = run_main([*args, QUERY] if command == "sql" else args, capsys)
    assert code in (0, 1), err  # report exits 1 on findings at --fail-on
    assert link.is_symlink() and link.resolve() == target.resolve()
    written = target.read_text(encoding="utf-8")
    assert written != "last month\n"
    if command == "sql":
        assert written.replace('"', "") == EXPECTED
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        [link.name, target.parent.name, target.name]
    )  # no partial file left beside either


def test_a_named_pipe_is_written_as_a_stream(
    shared_lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "loader.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        code, _, err = run_main(
            ["sql", "--lake", str(shared_lake.root), "--output", str(fifo), QUERY], capsys
        )
    finally:
        # The command never opened the pipe: let the reader go. Opened without blocking, so
        # that a reader which got the result and is only ending its thread (still alive a
        # moment after its read returned) leaves nothing to wait for: a blocking open would
        # wait for a reader that never comes (this hung a CI run).
        with contextlib.suppress(OSError):  # ENXIO: no reader is waiting
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=10)
    assert code == 0, err
    assert fifo.is_fifo()
    assert received and received[0].decode().replace('"', "") == EXPECTED
