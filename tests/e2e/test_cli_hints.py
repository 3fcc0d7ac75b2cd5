"""The CLI's rough edges (issue 12): a command line printed in a hint carries the lake's
--lake, quoted for the shell, and runs as printed; a missing lake at the default path says
how to point auditpipe at the right one; ingest of a folder with nothing to ingest is a usage
error that leaves no lake behind; status times read as people read them and lines wrap at
word boundaries; make demo installs only what running needs."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from auditpipe.lake import Lake
from tests.support import REPO
from tests.support.cli import run_main
from tests.support.ingest import good, write_jsonl
from tests.support.nightly import nightly_args, write_log

# Lake folder names a shell would split, expand or choke on if printed unquoted.
AWKWARD_LAKES = ["my lake", "it's", "a$HOME", "数据 湖", "x[1]*"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITPIPE_LAKE", "AUDITPIPE_CONFIG")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def _printed_command(text: str, after: str) -> str:
    """The command line that follows ``after`` in ``text``, up to the end of its line."""
    line = next(line for line in text.splitlines() if after in line)
    return line.split(after, 1)[1].strip()


def _runs_as_printed(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert command.startswith("auditpipe "), command
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=_env(), capture_output=True, text=True
    )


def _lake_of(command: str) -> str:
    words = shlex.split(command)
    assert "--lake" in words, f"no --lake in: {command}"
    return words[words.index("--lake") + 1]


@pytest.mark.parametrize("name", AWKWARD_LAKES)
def test_the_ingest_quarantine_hint_names_the_lake_and_runs_as_printed(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "logs" / "a.jsonl", [good(), "{not json"])
    code, _, err = run_main(["ingest", "logs", "--lake", name], capsys)
    assert code == 3
    command = _printed_command(err, "see them with: ")
    assert _lake_of(command) == name
    proc = _runs_as_printed(command, tmp_path)
    assert proc.returncode == 0, proc.stderr
    # piped, auditpipe sql prints TSV: a header line and the one quarantined line
    assert proc.stdout.splitlines()[1:] == [
        f"{tmp_path / 'logs' / 'a.jsonl'}\t2\tline is not valid JSON"
    ]


@pytest.mark.parametrize("name", AWKWARD_LAKES[:3])
def test_the_nightly_quarantine_hint_names_the_lake_and_runs_as_printed(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_log(tmp_path / "inbox" / "a.jsonl", [good()], bad_lines=1)
    args = nightly_args(Path("inbox"), Path(name), "--fail-on", "none")
    code, out, _ = run_main(args, capsys)
    assert code == 3
    command = _printed_command(out, "Quarantined rows: ")
    assert _lake_of(command) == name
    assert _runs_as_printed(command, tmp_path).returncode == 0


@pytest.mark.parametrize("name", AWKWARD_LAKES[:3])
def test_the_no_query_hint_of_sql_names_the_lake_and_runs_as_printed(
    tmp_path: Path, name: str
) -> None:
    Lake.open(tmp_path / name, create=True)
    proc = subprocess.run(
        [sys.executable, "-m", "auditpipe", "sql", "--lake", name],
        cwd=tmp_path,
        env=_env(),
        input="",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    command = _printed_command(proc.stderr, "e.g. ").split(", or run it")[0]
    assert _lake_of(command) == name
    assert _runs_as_printed(command, tmp_path).returncode == 0


@pytest.mark.parametrize("command", ["report", "status", "detect", "sql"])
def test_a_missing_lake_hint_creates_it_where_it_was_looked_for(
    tmp_path: Path,
    command: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "PATH" / "a.jsonl", [good()])  # what the hint's PATH stands for
    args = [command, "--lake", "my lake", *(["SELECT 1"] if command == "sql" else [])]
    code, _, err = run_main(args, capsys)
    assert code == 2
    assert "Error: no lake at my lake" in err
    hint = _printed_command(err, "create one with: ")
    assert _lake_of(hint) == "my lake"
    assert _runs_as_printed(hint, tmp_path).returncode == 0
    assert (tmp_path / "my lake" / "_auditpipe" / "lake.json").is_file()


def test_a_missing_lake_at_the_default_path_suggests_lake_and_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDITPIPE_LAKE", raising=False)
    code, _, err = run_main(["status"], capsys)
    assert code == 2
    assert "the default lake folder" in err
    hint = err.split("Hint: ", 1)[1]
    assert "--lake DIR" in hint and "AUDITPIPE_LAKE=DIR" in hint
    # A lake named through the variable is not "the default": the plain message.
    monkeypatch.setenv("AUDITPIPE_LAKE", str(tmp_path / "elsewhere"))
    code, _, err = run_main(["status"], capsys)
    assert code == 2
    assert "default" not in err and f"no lake at {tmp_path / 'elsewhere'}" in err


@pytest.mark.parametrize(
    "contents",
    [[], ["notes.txt", "dump.xml"], ["_expected/summary.json", ".hidden.jsonl"]],
    ids=["empty", "other-kinds", "only-hidden"],
)
def test_ingest_with_nothing_to_ingest_is_a_usage_error_and_creates_no_lake(
    tmp_path: Path, contents: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in contents:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    lake = tmp_path / "lake"
    code, out, err = run_main(["ingest", str(folder), "--lake", str(lake)], capsys)
    assert code == 2
    assert f"Error: nothing to ingest in {folder}: no log files" in err
    assert "Hint: auditpipe reads .jsonl" in err
    assert out == ""  # no empty reconciliation table
    assert not lake.exists()
    if contents == ["notes.txt", "dump.xml"]:
        assert "Warning: skipped 2 files of kinds auditpipe does not read" in err
        assert "notes.txt" in err and "dump.xml" in err


def test_ingest_of_logs_beside_other_files_warns_and_ingests_the_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "logs"
    write_jsonl(folder / "a.jsonl", [good()])
    for i in range(12):
        (folder / f"note{i:02d}.txt").write_text("x")
    code, out, err = run_main(["ingest", str(folder), "--lake", str(tmp_path / "lake")], capsys)
    assert code == 0
    assert "Warning: skipped 12 files of kinds auditpipe does not read:" in err
    assert "note09.txt and 2 more" in err and "note10.txt" not in err
    assert "a.jsonl" in out
    # --json lists every one of them, for scripts.
    (folder / "b.jsonl").write_text(json.dumps(good(event_id="b")) + "\n")
    code, out, _ = run_main(
        ["ingest", str(folder), "--lake", str(tmp_path / "lake"), "--json"], capsys
    )
    assert code == 0
    skipped = json.loads(out)["skipped_files"]
    assert skipped["other_kinds"] == [str(folder / f"note{i:02d}.txt") for i in range(12)]
    assert skipped["not_regular"] == skipped["unreadable"] == skipped["broken_links"] == []


def test_links_that_cannot_be_followed_are_skipped_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # They were reported as "not a regular file (a FIFO, device or socket)".
    folder = tmp_path / "logs"
    write_jsonl(folder / "a.jsonl", [good()])
    (folder / "loop.jsonl").symlink_to("loop.jsonl")
    (folder / "rotated.jsonl").symlink_to("gone.jsonl")
    args = ["ingest", str(folder), "--lake", str(tmp_path / "lake")]
    code, _, err = run_main(args, capsys)
    assert code == 0
    assert "skipped 2 links whose targets are missing or that loop" in err
    assert "FIFO" not in err
    code, out, _ = run_main([*args, "--json"], capsys)
    skipped = json.loads(out)["skipped_files"]
    assert skipped["broken_links"] == [str(folder / "loop.jsonl"), str(folder / "rotated.jsonl")]
    assert skipped["not_regular"] == []


# -- status -----------------------------------------------------------------------------------
def test_status_says_how_long_ago_and_the_local_time() -> None:
    from auditpipe.status import ago

    now = dt.datetime(2026, 11, 30, 21, 30, tzinfo=dt.UTC)
    shanghai = "Asia/Shanghai"
    assert ago("2026-11-30T18:30:00+00:00", shanghai, now) == (
        "3 hours ago, 2026-12-01 02:30 (Asia/Shanghai)"
    )
    assert ago("2026-11-30T21:29:50+00:00", shanghai, now).startswith("just now, ")
    assert ago("2026-11-30T21:29:00+00:00", shanghai, now).startswith("1 minute ago, ")
    assert ago("2026-11-30T20:01:00+00:00", shanghai, now).startswith("89 minutes ago, ")
    assert ago("2026-11-30T19:59:00+00:00", shanghai, now).startswith("2 hours ago, ")
    assert ago("2026-11-27T21:30:00+00:00", "UTC", now) == "3 days ago, 2026-11-27 21:30 (UTC)"
    assert ago("2026-11-30T23:30:00+00:00", "UTC", now).startswith("in 2 hours, ")


class _Terminal:
    """A console whose stdout is a terminal of ``width`` columns, captured."""

    def __init__(self, width: int) -> None:
        from rich.console import Console as RichConsole

        from auditpipe.console import Console

        class TerminalConsole(Console):
            @property
            def stdout_is_terminal(self) -> bool:
                return True

        self.buffer = io.StringIO()
        self.console = TerminalConsole()
        self.console.__dict__["out"] = RichConsole(
            file=self.buffer, width=width, force_terminal=True, color_system=None
        )


@pytest.mark.parametrize("width", [40, 60, 100])
def test_status_lines_wrap_at_word_boundaries_to_the_terminal_width(
    tmp_path: Path, width: int
) -> None:
    from auditpipe.console import set_console
    from auditpipe.lake.runs import RunRecord, save_run
    from auditpipe.status import lake_status, render_status

    lake = Lake.open(tmp_path / "a lake with quite a long name", create=True)
    done = RunRecord("nightly-20261130T183000Z-1a2b3c4d", "2026-12-01", "2026-11-30T18:30:00+00:00")
    done.status, done.exit_code, done.finished_at = "completed", 1, "2026-11-30T18:31:00+00:00"
    done.summary = {"exit_reason": "39 new finding(s) at or above high, see the night's report"}
    save_run(lake, done)
    terminal = _Terminal(width)
    set_console(terminal.console)
    try:
        render_status(lake_status(lake), now=dt.datetime(2026, 11, 30, 21, 31, tzinfo=dt.UTC))
    finally:
        set_console(None)
    text = terminal.buffer.getvalue()
    prose = [line for line in text.splitlines() if not re.match(r"^\s*[┏┃┡│└━]", line)]
    words = " ".join(prose).split()
    assert "3 hours ago," in " ".join(words)
    assert "(Asia/Shanghai)," in words
    for line in prose:
        # Wrapped lines fit, unless one word (a path, a run id) is longer than the line.
        assert len(line) <= width or " " not in line.strip(), line
    # No word was cut: every word of the one-line form is a word of the wrapped form.
    plain = io.StringIO()
    from rich.console import Console as RichConsole

    from auditpipe.console import Console

    piped = Console()
    piped.__dict__["out"] = RichConsole(file=plain, width=1000, color_system=None)
    set_console(piped)
    try:
        render_status(lake_status(lake), now=dt.datetime(2026, 11, 30, 21, 31, tzinfo=dt.UTC))
    finally:
        set_console(None)
    one_line = [line for line in plain.getvalue().splitlines() if line.startswith("Last run:")]
    assert len(one_line) == 1  # not a terminal: nothing is wrapped, for scripts
    assert set(one_line[0].split()) <= set(words)


# -- make demo ---------------------------------------------------------------------------------
def test_make_demo_installs_only_what_running_needs_and_make_test_the_dev_tools(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"

    def planned(target: str) -> str:
        return subprocess.run(
            ["make", "-n", target, f"VENV={venv}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    demo = planned("demo")
    assert re.search(r"pip install --quiet -e \.$", demo, flags=re.M)
    assert "[dev]" not in demo
    assert "'.[dev]'" in planned("test")
