"""Exit codes are a contract with schedulers: every command's error path exits 2 with and
without --debug (before or after the command's name), a full disk says so, Ctrl-C exits 130,
and each command's --help lists exactly the codes it can return."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditpipe.cli import COMMAND_EXIT_CODES, cli, exit_meaning, hoist_debug
from auditpipe.cli.lazy import subcommands
from auditpipe.errors import DiskFullError, disk_full_path, explain
from tests.support.cli import run_main


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in subcommands(group).items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found.update(_commands(command, prefix + name + " "))
    return found


COMMANDS = _commands(cli)


def test_every_command_declares_its_exit_codes() -> None:
    assert set(COMMANDS) == set(COMMAND_EXIT_CODES)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_lists_exactly_the_codes_the_command_can_return(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_main([*name.split(), "--help"], capsys)
    assert code == 0
    section = out.split("Exit codes:", 1)[1]
    listed = [int(m) for m in re.findall(r"^\s+(\d+)\s{2,}\S", section, flags=re.M)]
    assert listed == list(COMMAND_EXIT_CODES[name])
    for c in listed:
        assert exit_meaning(name, c) in section


def _error_args(name: str, tmp_path: Path) -> list[str]:
    """An invocation of ``name`` that fails with an AuditpipeError (exit 2)."""
    missing = str(tmp_path / "no-lake")
    not_a_lake = tmp_path / "not-a-lake"
    not_a_lake.mkdir(exist_ok=True)
    (not_a_lake / "x.txt").write_text("x")
    return {
        "ingest": ["ingest", str(tmp_path / "no-such-file.jsonl"), "--lake", missing],
        "detect": ["detect", "--lake", missing],
        "rules": ["rules", "show", "no_such_rule"],
        "rules list": ["rules", "list", "--rules", str(tmp_path / "no-rules")],
        "rules show": ["rules", "show", "no_such_rule"],
        "rules check": ["rules", "check", "--rules", str(tmp_path / "no-rules")],
        "report": ["report", "--lake", missing],
        "sql": ["sql", "--lake", missing, "SELECT 1"],
        "nightly": ["nightly", "--inbox", str(tmp_path), "--lake", str(not_a_lake)],
        "status": ["status", "--lake", missing],
        "compact": ["compact", "--lake", missing],
        "generate": ["generate", "--rows", "10", "--out", str(not_a_lake)],
        "sources": ["sources", "check", str(tmp_path / "no-such-source.toml")],
        "sources check": ["sources", "check", str(tmp_path / "no-such-source.toml")],
        "findings": ["findings", "list", "--lake", missing],
        "findings list": ["findings", "list", "--lake", missing],
        "findings show": ["findings", "show", "f-0", "--lake", missing],
    }[name]


@pytest.mark.parametrize("debug", ["none", "before", "after"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_error_exits_2_with_or_without_debug(
    name: str, debug: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _error_args(name, tmp_path)
    if debug == "before":
        args = ["--debug", *args]
    elif debug == "after":
        args = [*args, "--debug"]
    code, _, err = run_main(args, capsys)
    assert code == 2, err
    assert "Error: " in err
    assert ("Traceback" in err) == (debug != "none")


def test_a_bug_exits_2_with_or_without_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditpipe.status

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(auditpipe.status, "lake_status", broken)
    from auditpipe.lake import Lake

    lake = tmp_path / "lake"
    Lake.open(lake, create=True)
    for args in (["status", "--lake", str(lake)], ["status", "--lake", str(lake), "--debug"]):
        code, _, err = run_main(args, capsys)
        assert code == 2
        assert "unexpected internal error: ZeroDivisionError: boom" in err


def _raising(exc: BaseException) -> Any:
    def raiser(*args: object, **kwargs: object) -> None:
        raise exc

    return raiser


def _lake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    from auditpipe.lake import Lake

    return Lake.open(tmp_path / "lake", create=True).root


DISK_FULL = [
    OSError(errno.ENOSPC, "No space left on device", "/mnt/lake/events/x.parquet"),
    OSError(errno.EDQUOT, "Disk quota exceeded", "/mnt/lake/events/x.parquet"),
]


@pytest.mark.parametrize("exc", DISK_FULL, ids=["ENOSPC", "EDQUOT"])
@pytest.mark.parametrize("debug", [False, True])
def test_a_full_disk_is_reported_as_such(
    exc: OSError,
    debug: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import auditpipe.status

    lake = _lake(tmp_path, capsys)
    monkeypatch.setattr(auditpipe.status, "lake_status", _raising(exc))
    code, _, err = run_main(
        ["status", "--lake", str(lake), *(["--debug"] if debug else [])], capsys
    )
    assert code == 2
    assert "Error: the disk is full at /mnt/lake/events/x.parquet" in err
    assert "free space" in err and "internal error" not in err


@pytest.mark.parametrize(("inodes_free", "says_inodes"), [(0, True), (3, True), (50_000, False)])
def test_a_file_system_out_of_inodes_is_named_as_such_not_as_out_of_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inodes_free: int, says_inodes: bool
) -> None:
    # ENOSPC also means "no inode left" (many small files) while df -h shows free space: the
    # message said "the disk is full" and "free space", and the operator found space free.
    import auditpipe.errors

    class Stat:
        f_frsize = f_bsize = 4096
        f_blocks, f_bfree, f_bavail = 1_000_000, 600_000, 600_000
        f_files, f_ffree, f_favail = 100_000, inodes_free, inodes_free

    monkeypatch.setattr(auditpipe.errors.os, "statvfs", lambda path: Stat())
    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "lake" / "x.json"))
    explained = explain(exc, where=tmp_path)
    assert isinstance(explained, DiskFullError)
    text = f"{explained.message} {explained.hint}"
    assert ("no free inodes" in text) is says_inodes, text
    assert ("df -i" in text) is says_inodes, text
    assert explained.message.startswith(f"the disk is full at {tmp_path / 'lake' / 'x.json'}")


def test_a_move_refused_names_where_the_file_was_going_not_only_where_it_was() -> None:
    # A commit renames staged files into partition folders; a folder the user may not write
    # made "Permission denied (<staged file>)": the operator checked the staging folder, which
    # was fine, not the partition folder that refused the file.
    staged = "/srv/lake/_auditpipe/staging/txn-1/part-0.parquet"
    final = "/srv/lake/events/provider_id=a/event_date=2026-03-01/part-1.parquet"
    explained = explain(OSError(errno.EACCES, os.strerror(errno.EACCES), staged, None, final))
    assert explained.message == f"{os.strerror(errno.EACCES)} ({staged} -> {final})"


def test_a_write_refused_by_a_read_only_file_system_says_to_remount_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel remounts a file system read-only after a disk error, mid-run: the message
    # was "Read-only file system (path)" with "check the disk and permissions", and no
    # permission change helps there.
    import auditpipe.status

    lake = _lake(tmp_path, capsys)
    exc = OSError(errno.EROFS, os.strerror(errno.EROFS), "/mnt/lake/_auditpipe/journal/t.json")
    monkeypatch.setattr(auditpipe.status, "lake_status", _raising(exc))
    code, _, err = run_main(["status", "--lake", str(lake)], capsys)
    assert code == 2
    assert "Error: the file system of /mnt/lake/_auditpipe/journal/t.json is read-only" in err
    assert "mount -o remount,rw" in err and "internal error" not in err


@pytest.mark.parametrize(
    ("exc", "path"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), None),
        (
            RuntimeError(
                'IO Error: Could not write file "/data/lake/f.tmp": No space left on device'
            ),
            Path("/data/lake/f.tmp"),
        ),
        (RuntimeError("disk quota exceeded"), None),
        (
            # DuckDB's asynchronous writer (a COPY to Parquet) quotes the path inside JSON:
            # the backslash before the closing quote was taken for part of the file's name.
            RuntimeError(
                'IO Error: Async write failed for range [offset=0, size=1007]: {"exception_type'
                '":"IO","exception_message":"Could not write file \\"/data/lake/_auditpipe/'
                'staging/txn-1/findings/part-1.parquet\\": No space left on device","errno":"28"}'
            ),
            Path("/data/lake/_auditpipe/staging/txn-1/findings/part-1.parquet"),
        ),
    ],
    ids=["errno-no-path", "duckdb-text", "text-no-path", "duckdb-json-quoted"],
)
def test_disk_full_is_recognised_by_errno_or_by_text_and_through_causes(
    exc: BaseException, path: Path | None
) -> None:
    assert disk_full_path(exc) == path
    try:
        try:
            raise exc
        except BaseException as inner:
            raise ValueError("while committing") from inner
    except ValueError as outer:
        assert disk_full_path(outer) == path
        explained = explain(outer, where=Path("/srv/lake"))
        assert isinstance(explained, DiskFullError)
        assert explained.message.startswith(f"the disk is full at {path or '/srv/lake'}")
    assert disk_full_path(OSError(errno.EACCES, "Permission denied")) is False


@pytest.mark.parametrize("kind", ["KeyboardInterrupt", "duckdb"])
def test_ctrl_c_prints_interrupted_and_exits_130(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    import auditpipe.status

    lake = _lake(tmp_path, capsys)
    exc = KeyboardInterrupt() if kind == "KeyboardInterrupt" else duckdb.InterruptException()
    monkeypatch.setattr(auditpipe.status, "lake_status", _raising(exc))
    code, _, err = run_main(["status", "--lake", str(lake)], capsys)
    assert code == 130
    assert "interrupted" in err and "internal error" not in err


def test_a_usage_error_in_nightly_leaves_no_run_record_and_no_lake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    args = ["nightly", "--inbox", str(tmp_path / "no-inbox"), "--lake", str(lake)]
    code, _, err = run_main(args, capsys)
    assert code == 2 and "is not a folder" in err
    assert not lake.exists()


def test_a_usage_error_inside_the_run_leaves_no_run_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditpipe.nightly.job as job
    from auditpipe.errors import UsageError

    monkeypatch.setattr(job, "scan_inbox", _raising(UsageError("inbox vanished")))
    (tmp_path / "inbox").mkdir()
    lake = tmp_path / "lake"
    code, _, _ = run_main(
        ["nightly", "--inbox", str(tmp_path / "inbox"), "--lake", str(lake)], capsys
    )
    assert code == 2
    assert not list((lake / "_auditpipe" / "runs").glob("*.json"))


@given(
    st.lists(st.sampled_from(["detect", "--lake", "x", "--debug", "-q"]), max_size=6),
    st.lists(st.sampled_from(["--debug", "y"]), max_size=3),
)
def test_debug_anywhere_before_a_double_dash_moves_to_the_front(
    before: list[str], after: list[str]
) -> None:
    args = [*before, "--", *after]
    moved, debug = hoist_debug(args)
    assert debug == ("--debug" in before)
    if debug:
        assert moved == ["--debug", *[a for a in before if a != "--debug"], "--", *after]
    else:
        assert moved == args


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (DISK_FULL[0], 2, "the disk is full at /mnt/lake/events/x.parquet"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
    ids=["disk-full", "ctrl-c"],
)
def test_nightly_reports_a_full_disk_or_ctrl_c_once_and_in_its_json(
    exc: BaseException,
    code: int,
    words: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    import auditpipe.nightly.job as job

    monkeypatch.setattr(job, "scan_inbox", _raising(exc))
    (tmp_path / "inbox").mkdir()
    args = ["nightly", "--inbox", str(tmp_path / "inbox"), "--lake", str(tmp_path / "lake")]
    got, out, err = run_main([*args, "--json"], capsys)
    assert got == code
    assert err.count(words) == 1, err
    doc = json.loads(out)
    assert doc["status"] == "failed" and doc["exit_code"] == code and words in doc["error"]


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[detcet]\nbulk_threshold = 5\n", "unknown table(s)"),
        ("[nightly]\nsettle_second = 5\n", "unknown key(s) in [nightly]: settle_second"),
        ("[ingest]\nmax_line_byte = 5\n", "unknown key(s) in [ingest]: max_line_byte"),
    ],
    ids=["table", "nightly-key", "ingest-key"],
)
def test_a_misspelt_setting_stops_the_command_with_exit_2(
    toml: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "auditpipe.toml"
    config.write_text(toml, encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    args = ["nightly", "--inbox", str(tmp_path / "inbox"), "--lake", str(tmp_path / "lake")]
    code, _, err = run_main([*args, "--config", str(config)], capsys)
    assert code == 2 and words in err and "did you mean" in err
    assert not (tmp_path / "lake").exists()


def test_a_command_without_debug_logs_no_statement_after_one_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # main() run twice in one process (a script, a test runner): the first --debug's statement
    # log went on into every later command's stderr.
    from tests.support.ingest import good, write_jsonl

    log = write_jsonl(tmp_path / "a.jsonl", [good()])
    lake = str(tmp_path / "lake")
    code, _, err = run_main(["--debug", "ingest", str(log), "--lake", lake], capsys)
    assert code == 0 and "auditpipe.sql: " in err
    code, _, err = run_main(["sql", "--lake", lake, "SELECT count(*) FROM events"], capsys)
    assert code == 0 and "auditpipe.sql: " not in err


def test_ctrl_c_that_a_library_turned_into_another_error_still_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB, interrupted by Ctrl-C inside ``execute``, takes the KeyboardInterrupt and raises
    ``RuntimeError: Query interrupted``: ingest and nightly printed "unexpected internal error"
    and exited 2 (a real SIGINT here, delivered to the handler the CLI installs)."""
    import signal

    import auditpipe.status

    lake = _lake(tmp_path, capsys)

    def interrupted_query(*args: Any, **kwargs: Any) -> Any:
        try:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C while the query runs
        except KeyboardInterrupt:
            raise RuntimeError("Query interrupted") from None  # what DuckDB raises
        raise AssertionError("SIGINT did not interrupt")

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        monkeypatch.setattr(auditpipe.status, "lake_status", interrupted_query)
        code, _, err = run_main(["status", "--lake", str(lake)], capsys)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130
    assert "interrupted" in err and "internal error" not in err
    # The next command starts without the mark: an error is an error again.
    monkeypatch.setattr(auditpipe.status, "lake_status", _raising(RuntimeError("a bug")))
    code, _, err = run_main(["status", "--lake", str(lake)], capsys)
    assert code == 2 and "internal error" in err


@pytest.mark.parametrize("form", ["KeyboardInterrupt", "duckdb"])
def test_a_nightly_stopped_by_ctrl_c_is_left_unfinished_not_recorded_as_failed(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C while DuckDB runs a query reaches the job as DuckDB's ``RuntimeError: Query
    interrupted``: the run exited 130 but was recorded as "failed: Query interrupted" (exit 2)
    with a run_failed log line. It is now left as a KeyboardInterrupt anywhere leaves it: its
    record unfinished (the next run completes its work), no error, no run_failed."""
    import json
    import signal

    import auditpipe.nightly.job as job
    from tests.support.nightly import event, write_log

    def interrupt_at_baseline(point: str) -> None:
        if point != "baseline":
            return
        try:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C while detection's first query runs
        except KeyboardInterrupt:
            if form == "KeyboardInterrupt":
                raise
            raise RuntimeError("Query interrupted") from None  # what DuckDB raises
        raise AssertionError("SIGINT did not interrupt")

    write_log(tmp_path / "inbox" / "a.jsonl", [event("a1", "2026-03-01")])
    lake, log = tmp_path / "lake", tmp_path / "job.jsonl"
    args = ["nightly", "--inbox", str(tmp_path / "inbox"), "--lake", str(lake)]
    monkeypatch.setattr(job, "checkpoint", interrupt_at_baseline)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        code, _, err = run_main([*args, "--settle-seconds", "0", "--log-file", str(log)], capsys)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130 and "interrupted" in err
    (record,) = [
        json.loads(p.read_text()) for p in (lake / "_auditpipe" / "runs").glob("nightly-*.json")
    ]
    assert (record["status"], record.get("error"), record.get("exit_code")) == (
        "running",
        None,
        None,
    )
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert "run_failed" not in events


@pytest.mark.parametrize("limit", ["100KB", "1MB", "3MB"])
def test_a_memory_limit_too_small_for_the_work_says_so_not_a_rule_or_a_bug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    # [detect] memory_limit = "10MB" blamed the first rule ("fix the rule, or disable it");
    # "100KB", too small for DuckDB to start, was "unexpected internal error".
    from tests.support.nightly import breach, event, write_log

    logs = tmp_path / "logs"
    write_log(logs / "a.jsonl", [event(f"e{i}") for i in range(50)] + [breach("b1")])
    lake = tmp_path / "lake"
    assert run_main(["ingest", str(logs), "--lake", str(lake), "-q"], capsys)[0] == 0
    config = tmp_path / "auditpipe.toml"
    config.write_text(f'[detect]\nmemory_limit = "{limit}"\n')
    code, _, err = run_main(["detect", "--lake", str(lake), "--config", str(config)], capsys)
    assert code == 2
    assert "Error: DuckDB ran out of memory within its limit" in err, err
    assert "memory_limit in [ingest] or [detect]" in err
    assert "rule" not in err.split("Hint:")[0] and "internal error" not in err
