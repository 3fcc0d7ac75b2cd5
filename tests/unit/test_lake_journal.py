"""A disk full (or a kill) while the journal is written leaves nothing in ``journal/``."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from auditpipe.lake import Lake, Transaction, write_atomic
from auditpipe.lake import commit as commit_module
from auditpipe.lake.commit import lake_files


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.open(tmp_path / "lake", create=True, timezone="UTC")


def _staged_transaction(lake: Lake) -> Any:
    txn = lake.transaction()
    staged = txn.staging / "a.json"
    staged.write_text("{}", encoding="utf-8")
    txn.add_file(staged, "notes/a.json")
    return txn


def _full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


class _FullFile:
    """A file that is created but whose writes fail, as on a full disk."""

    def __init__(self, path: Path, mode: str) -> None:
        self._fh = open(path, mode)  # noqa: SIM115 (closed in __exit__)

    def __enter__(self) -> _FullFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def write(self, data: bytes) -> int:
        _full()
        return 0


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_a_disk_full_at_any_step_of_the_journal_write_leaves_no_file_and_no_commit(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    txn = _staged_transaction(lake)
    journal = str(lake.journal_dir.resolve())
    real_fsync, real_replace = os.fsync, os.replace

    def full_open(path: Path, mode: str) -> Any:
        return _FullFile(path, mode) if str(path).startswith(journal) else open(path, mode)  # noqa: SIM115

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(journal):
            _full()
        real_fsync(fd)

    def replace(src: Path, dst: Path) -> None:
        if str(dst).startswith(journal):
            _full()
        real_replace(src, dst)

    fakes = {
        "write": ("open", full_open),
        "fsync": ("fsync", fsync),
        "replace": ("replace", replace),
    }
    name, fake = fakes[step]
    monkeypatch.setattr(
        commit_module if name == "open" else commit_module.os, name, fake, raising=False
    )
    with pytest.raises(OSError, match="No space"):
        txn.commit()
    monkeypatch.undo()
    txn.abort()
    assert list(lake.journal_dir.iterdir()) == []
    assert not (lake.root / "notes" / "a.json").exists()
    # and the next writer commits normally
    _staged_transaction(lake).commit()
    assert (lake.root / "notes" / "a.json").exists()


def test_a_journal_left_in_its_temporary_file_by_a_kill_is_removed_by_recover(lake: Lake) -> None:
    lake.journal_dir.mkdir(parents=True, exist_ok=True)
    left = lake.journal_dir / ".txn-x.json.0123abcd.tmp"
    left.write_text('{"moves": [', encoding="utf-8")  # cut off mid-write
    with lake.locked("test"):
        pass
    assert list(lake.journal_dir.iterdir()) == []


def test_write_atomic_leaves_the_old_file_whole_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "doc.json"
    write_atomic(target, b"old")
    monkeypatch.setattr(commit_module, "open", _FullFile, raising=False)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]
    assert target.read_bytes() == b"old"


def _replacing(lake: Lake, n: int) -> tuple[list[str], Transaction]:
    """``n`` partition folders holding old.parquet, and a transaction replacing each with
    new.parquet."""
    folders = [f"events/provider_id=p{i}/event_date=2026-03-01" for i in range(n)]
    txn = lake.transaction()
    for i, folder in enumerate(folders):
        (lake.root / folder).mkdir(parents=True)
        (lake.root / folder / "old.parquet").write_bytes(b"old")
        staged = txn.staging / f"new{i}.parquet"
        staged.write_bytes(b"new")
        txn.add_file(staged, f"{folder}/new.parquet")
        txn.delete(f"{folder}/old.parquet")
    return folders, txn


class _Killed(BaseException):
    """Stands for SIGKILL at a crash point (the journal stays, as after a real kill)."""


@pytest.mark.parametrize("moves_done", [1, 2, 3])
def test_a_crash_mid_commit_leaves_at_most_one_folder_with_old_and_new_files(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, moves_done: int
) -> None:
    """What a reader that globs the folders sees until the next writer rolls forward."""
    folders, txn = _replacing(lake, 3)
    reached = []

    def crash_point(name: str) -> None:
        if name == "between_moves":
            reached.append(name)
            if len(reached) == moves_done:
                raise _Killed

    monkeypatch.setattr(commit_module, "crash_point", crash_point)
    with pytest.raises(_Killed):
        txn.commit()
    monkeypatch.undo()
    seen = [sorted(p.name for p in (lake.root / f).iterdir()) for f in folders]
    doubled = [s for s in seen if s == ["new.parquet", "old.parquet"]]
    assert len(doubled) == 1  # the folder being applied, and no other
    assert seen == [["new.parquet"]] * (moves_done - 1) + doubled + [["old.parquet"]] * (
        3 - moves_done
    )
    with lake.locked("test"):  # the next writer rolls the commit forward
        pass
    assert [sorted(p.name for p in (lake.root / f).iterdir()) for f in folders] == [
        ["new.parquet"]
    ] * 3


def test_a_listing_never_interleaves_with_a_commit_being_applied(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader listing the lake while a writer is between two renames waits for the commit
    (milliseconds) and then sees all of it: never one folder before and another after."""
    import threading

    folders, txn = _replacing(lake, 2)
    listings: list[dict[str, list[Path]]] = []
    readers: list[threading.Thread] = []

    def crash_point(name: str) -> None:
        if name == "between_moves" and not readers:
            reader = threading.Thread(target=lambda: listings.append(lake_files(lake.root)))
            readers.append(reader)
            reader.start()
            reader.join(timeout=0.5)
            assert reader.is_alive(), "the listing did not wait for the commit"

    monkeypatch.setattr(commit_module, "crash_point", crash_point)
    txn.commit()
    readers[0].join(timeout=10)
    names = [p.relative_to(lake.root.resolve()).as_posix() for p in listings[0]["events"]]
    assert names == [f"{folder}/new.parquet" for folder in folders]


@pytest.mark.parametrize("step", ["add_json", "journal"])
def test_a_transaction_that_fails_before_its_commit_point_leaves_no_staging_folder(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    # Ingest's commit of a file (its manifest entry, then the journal) never aborted its
    # transaction: a full disk left an empty staging/txn-*/meta folder behind every time,
    # until the next writing command, in a lake said to be "as it was".
    txn = _staged_transaction(lake)
    if step == "add_json":
        monkeypatch.setattr(commit_module, "write_json_atomic", _full)
        with pytest.raises(OSError, match="No space"):
            txn.add_json("_auditpipe/manifest/x.json", {"a": 1})
    else:
        txn.add_json("_auditpipe/manifest/x.json", {"a": 1})
        monkeypatch.setattr(commit_module, "write_json_atomic", _full)
        with pytest.raises(OSError, match="No space"):
            txn.commit()
    assert not (lake.staging_dir / txn.txn_id).exists()
    assert list(lake.journal_dir.glob("*")) == []
    monkeypatch.undo()
    _staged_transaction(lake).commit()
    assert (lake.root / "notes" / "a.json").exists()
