"""A lake on a file system that will not lock (NFS without its lock daemon, some FUSE and SMB
mounts): ``flock`` fails with ENOLCK, EOPNOTSUPP or ENOSYS there. Writers refuse with a message
that says so; readers, which hold no lake lock, still read."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from typing import Any

import pytest

from auditpipe.errors import LakeError, LockError
from auditpipe.lake import Lake
from tests.support.cli import run_main
from tests.support.ingest import good, ingest, write_jsonl

NO_LOCKS = [errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS]


def _refuse_locks(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def refuse(fd: int, operation: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fcntl, "flock", refuse)


@pytest.fixture
def lake_with_events(tmp_path: Path) -> Path:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "a.jsonl", [good(actor_id="a1"), good()]))
    return tmp_path / "lake"


@pytest.mark.parametrize("code", NO_LOCKS, ids=errno.errorcode.get)
def test_a_writer_on_a_file_system_without_locks_is_refused_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    _refuse_locks(monkeypatch, code)
    with pytest.raises(LakeError) as info, lake.locked("ingest"):
        pass
    assert not isinstance(info.value, LockError)  # not "busy": nobody holds it
    assert "does not support file locks" in str(info.value)
    assert "local disk" in (info.value.hint or "")


@pytest.mark.parametrize("code", NO_LOCKS, ids=errno.errorcode.get)
def test_ingest_on_a_file_system_without_locks_exits_2_with_that_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, code: int
) -> None:
    log = write_jsonl(tmp_path / "a.jsonl", [good()])
    Lake.open(tmp_path / "lake", create=True)
    _refuse_locks(monkeypatch, code)
    rc, _out, err = run_main(["ingest", str(log), "--lake", str(tmp_path / "lake")], capsys)
    assert rc == 2
    assert "does not support file locks" in err
    assert "check the disk and permissions" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("code", NO_LOCKS, ids=errno.errorcode.get)
@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["sql", "SELECT count(*) FROM events"],
        ["report", "--format", "json"],
        ["findings", "list"],
    ],
    ids=lambda a: a[0],
)
def test_readers_read_a_lake_on_a_file_system_without_locks(
    lake_with_events: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    code: int,
    args: list[str],
) -> None:
    _refuse_locks(monkeypatch, code)
    rc, out, err = run_main([*args, "--lake", str(lake_with_events)], capsys)
    assert rc == 0, err
    assert "Error" not in err
    if args[0] == "sql":
        assert out.splitlines()[-1].strip() == "2"
