"""Standard output that cannot be written (a reader that closed the pipe, a file on a full
disk, a descriptor closed with ``>&-``) is one error of every command: exit 2, a message that
names standard output, no traceback; never 1 ("findings", click's exit on EPIPE) and never
"the disk is full at <lake>" (docs/operations.md, "Output that cannot be written"). A closed
stderr or stdin changes nothing else."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from tests.support.cli import run_main
from tests.support.nightly import breach, event, write_log

MESSAGES = {
    errno.EPIPE: "standard output was closed before everything was printed: the program "
    "reading it closed the pipe (Broken pipe)",
    errno.ENOSPC: "could not write to standard output: No space left on device (the disk of "
    "the file standard output goes to is full, not the lake's)",
    errno.EBADF: "could not write to standard output: it is closed",
}


class Unwritable(io.TextIOBase):
    """stdout whose every write fails with ``code`` (no descriptor: nothing to silence)."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.buffer = _UnwritableBytes(code)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(self.code, os.strerror(self.code))

    def flush(self) -> None:
        pass


class _UnwritableBytes(io.RawIOBase):
    def __init__(self, code: int) -> None:
        self.code = code

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(self.code, os.strerror(self.code))


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("out") / "lake"
    logs = root.parent / "logs"
    write_log(logs / "a.jsonl", [event(f"e{i}") for i in range(30)] + [breach("b1")])
    ingest_paths(Lake.open(root, create=True), [logs], IngestSettings())
    assert run_main(["detect", "--lake", str(root), "--quiet"], _NoCapsys())[0] == 0
    return root


class _NoCapsys:
    def readouterr(self) -> tuple[str, str]:
        return "", ""


def _commands(lake: Path, tmp: Path) -> dict[str, list[str]]:
    """One invocation of every command that prints on stdout; writers on a copy of the lake
    or into a new folder, so each run has work to do and commits it first."""
    import shutil

    own = tmp / "own-lake"
    shutil.copytree(lake, own)
    logs = tmp / "logs"
    write_log(logs / "new.jsonl", [event("n1", "2026-03-02")], bad_lines=1)
    inbox = tmp / "inbox"
    write_log(inbox / "n.jsonl", [event("n2", "2026-03-03")])
    return {
        "ingest": ["ingest", str(logs), "--lake", str(own)],
        "ingest --json": ["ingest", str(logs), "--lake", str(own), "--json"],
        "detect": ["detect", "--lake", str(own)],
        "detect --json": ["detect", "--lake", str(own), "--json"],
        "rules list": ["rules", "list"],
        "rules show": ["rules", "show", "selling"],
        "rules check": ["rules", "check"],
        "report": ["report", "--lake", str(lake), "--format", "markdown"],
        "report csv": ["report", "--lake", str(lake), "--format", "csv"],
        "findings list": ["findings", "list", "--lake", str(lake)],
        "sql": ["sql", "--lake", str(lake), "SELECT * FROM events"],
        "sql table": ["sql", "--lake", str(lake), "--format", "table", "SELECT * FROM events"],
        "sql --print-views": ["sql", "--lake", str(lake), "--print-views"],
        "status": ["status", "--lake", str(lake)],
        "status --json": ["status", "--lake", str(lake), "--json"],
        "nightly": ["nightly", "--inbox", str(inbox), "--lake", str(own), "--settle-seconds", "0"],
        "compact": ["compact", "--lake", str(own), "--as-of", "2027-01-01"],
        "generate": ["generate", "--rows", "60", "--no-plant", "--out", str(tmp / "gen")],
        "--help": ["--help"],
        "sql --help": ["sql", "--help"],
    }


COMMAND_NAMES = [
    "ingest",
    "ingest --json",
    "detect",
    "detect --json",
    "rules list",
    "rules show",
    "rules check",
    "report",
    "report csv",
    "findings list",
    "sql",
    "sql table",
    "sql --print-views",
    "status",
    "status --json",
    "nightly",
    "compact",
    "generate",
    "--help",
    "sql --help",
]
# Commands that commit work before they print: the message says the work is done.
WRITERS = {"ingest", "ingest --json", "detect", "detect --json", "nightly", "compact", "generate"}


@pytest.mark.parametrize("code", [errno.EPIPE, errno.ENOSPC, errno.EBADF])
@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_stdout_that_cannot_be_written_exits_2_and_names_stdout(
    lake: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    code: int,
) -> None:
    args = _commands(lake, tmp_path)[name]
    monkeypatch.setattr(sys, "stdout", Unwritable(code))
    exit_code, _, err = run_main(args, capsys)
    assert exit_code == 2, err
    assert err.count("Error: ") == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert "disk is full" not in err
    if name in WRITERS:
        assert "could not print the summary on standard output" in err, err
        assert "itself completed (exit code" in err or "files were written" in err, err
    else:
        assert MESSAGES[code] in err, err


@pytest.mark.parametrize("stdout", ["closed pipe", "full disk", "closed descriptor"])
def test_a_real_stdout_that_fails_exits_2_without_a_traceback(lake: Path, stdout: str) -> None:
    # The real descriptors, which the in-process test cannot show: click exited 1 on EPIPE
    # ("findings"); /dev/full was "the disk is full at <lake>"; with `>&-` Python had no
    # sys.stdout at all and writing failed with an internal error.
    if stdout == "full disk" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    from tests.support.nightly import REPO

    args = [sys.executable, "-m", "auditpipe", "sql", "--lake", str(lake), "SELECT * FROM events"]
    if stdout == "closed descriptor":
        cmd = ["sh", "-c", 'exec "$@" >&-', "sh", *args]
        proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, cwd=REPO)
    elif stdout == "full disk":
        with open("/dev/full", "w") as full:
            proc = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, text=True, cwd=REPO)
    else:
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written
        with os.fdopen(write, "w") as out:
            proc = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, text=True, cwd=REPO)
    code = {"closed pipe": errno.EPIPE, "full disk": errno.ENOSPC}.get(stdout, errno.EBADF)
    assert proc.returncode == 2, proc.stderr
    assert MESSAGES[code] in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_a_closed_stderr_keeps_the_exit_code(tmp_path: Path) -> None:
    # Nowhere to say it, but the error still exits 2 (and nothing lands on stdout).
    from tests.support.nightly import REPO

    args = [sys.executable, "-m", "auditpipe", "status", "--lake", str(tmp_path / "none")]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" 2>&-', "sh", *args], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.returncode == 2 and proc.stdout == ""


def test_a_closed_stdin_reads_as_empty_input(lake: Path) -> None:
    # `auditpipe sql --lake L <&-` (cron with stdin closed): Python had no sys.stdin, and
    # sql's "is stdin a terminal?" was "unexpected internal error: AttributeError".
    from tests.support.nightly import REPO

    args = [sys.executable, "-m", "auditpipe", "sql", "--lake", str(lake)]
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", *args], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: no SQL given"), proc.stderr


class _FullFile(io.BufferedWriter):
    """A new file on a full disk: created, but every write fails without naming a file."""

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--output", "{out}/r.html"],
        ["report", "--output", "{out}/r.csv"],
        ["report", "--output", "{out}/r.json"],
        ["sql", "--output", "{out}/r.csv", "SELECT * FROM events"],
        ["sql", "--output", "{out}/r.parquet", "SELECT * FROM events"],
        ["sql", "--output", "{out}/r.txt", "--format", "table", "SELECT 1"],
    ],
    ids=["report-html", "report-csv", "report-json", "sql-csv", "sql-parquet", "sql-table"],
)
def test_an_output_file_on_a_full_disk_is_named_not_the_lake(
    lake: Path,
    tmp_path: Path,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # write() names no file: the error fell back to the lake, which the report only reads,
    # so the operator freed space on the wrong disk ("the disk is full at /srv/lake").
    import auditpipe.outputs

    def full_open(path: Any, mode: str = "r", *rest: Any, **kw: Any) -> Any:
        if "w" in mode and str(path).startswith(str(tmp_path)):
            return _FullFile(io.FileIO(path, "w"))
        return open(path, mode, *rest, **kw)  # noqa: SIM115

    monkeypatch.setattr(auditpipe.outputs, "open", full_open, raising=False)
    argv = [a.format(out=tmp_path) for a in args]
    code, _, err = run_main([argv[0], "--lake", str(lake), *argv[1:]], capsys)
    assert code == 2, err
    target = Path(argv[argv.index("--output") + 1])
    assert f"Error: the disk is full at {target} " in err, err
    assert str(lake) not in err.split("Hint:")[0]
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no partial file left"
