"""A lake the user cannot write (another user's, a read-only mount, an immutable folder): the
commands that write say they cannot take its lock and who can; the readers still work."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from tests.support.cli import run_main
from tests.support.nightly import event, write_log


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("locked") / "lake"
    logs = root.parent / "logs"
    write_log(logs / "a.jsonl", [event("e1")])
    ingest_paths(Lake.open(root, create=True), [logs], IngestSettings())
    return root


@pytest.mark.parametrize("errno_code", [errno.EACCES, errno.EPERM, errno.EROFS])
@pytest.mark.parametrize("command", ["ingest", "detect", "compact", "nightly"])
def test_a_lake_the_user_cannot_write_names_the_lock_and_who_can(
    lake: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    errno_code: int,
) -> None:
    # A lake owned by another user, mounted read-only or made immutable: the writers said
    # "Permission denied (.../_auditpipe/lock)" and "check the disk and permissions"; the
    # readers (status, report, sql, findings) work on such a lake and still do.
    import builtins

    import auditpipe.lake.folder

    real_open = builtins.open

    def refuse_the_lock(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("/_auditpipe/lock"):
            raise OSError(errno_code, os.strerror(errno_code), str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(auditpipe.lake.folder, "open", refuse_the_lock, raising=False)
    args = {
        "ingest": ["ingest", str(tmp_path), "--lake", str(lake)],
        "detect": ["detect", "--lake", str(lake)],
        "compact": ["compact", "--lake", str(lake)],
        "nightly": ["nightly", "--inbox", str(tmp_path), "--lake", str(lake)],
    }[command]
    write_log(tmp_path / "a.jsonl", [event("x1")])
    code, _, err = run_main(args, capsys)
    assert code == 2, err
    assert f"cannot take the lock of lake {lake}: {os.strerror(errno_code)}" in err, err
    assert f"auditpipe {command} writes to the lake" in err
    if errno_code == errno.EROFS:
        # No user can write to a read-only mount: the hint said "run it as a user who can".
        assert "Hint: that file system is mounted read-only" in err, err
        assert "mount -o remount,rw" in err
    else:
        assert "Hint: run it as a user who can write to the lake folder" in err
    assert run_main(["status", "--lake", str(lake)], capsys)[0] == 0


def test_a_lake_that_cannot_be_created_says_where_one_can(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "cannot create a lake at <path>: Not a directory" came with no hint.
    (tmp_path / "a-file").write_text("x")
    write_log(tmp_path / "in" / "a.jsonl", [event("e1")])
    lake = tmp_path / "a-file" / "lake"
    code, _, err = run_main(["ingest", str(tmp_path / "in"), "--lake", str(lake)], capsys)
    assert code == 2
    assert f"Error: cannot create a lake at {lake}: Not a directory" in err
    assert "Hint: pass a --lake whose parent folder exists and that you may write to" in err


@pytest.mark.parametrize("errno_code", [errno.ENOSPC, errno.EROFS])
def test_a_lake_that_cannot_be_created_on_a_full_or_read_only_disk_says_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    errno_code: int,
) -> None:
    # A new lake on a full or read-only disk: "cannot create a lake at <path>: No space left
    # on device" with "pass a --lake whose parent folder exists and that you may write to".
    import auditpipe.lake.folder

    def refused(path: Path, doc: Any) -> None:
        raise OSError(errno_code, os.strerror(errno_code), str(path))

    monkeypatch.setattr(auditpipe.lake.folder, "write_json_atomic", refused)
    write_log(tmp_path / "in" / "a.jsonl", [event("e1")])
    lake = tmp_path / "lake"
    code, _, err = run_main(["ingest", str(tmp_path / "in"), "--lake", str(lake)], capsys)
    assert code == 2, err
    assert "you may write to" not in err, err
    if errno_code == errno.ENOSPC:
        assert f"Error: the disk is full at {lake}" in err, err
        assert "Hint: free space" in err
    else:
        assert f"Error: cannot create a lake at {lake}: Read-only file system" in err, err
        assert "mount -o remount,rw" in err
