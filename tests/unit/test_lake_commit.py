"""The order of a lake commit, as the calls reach the operating system.

A kill cannot show whether a file was fsync'ed (the page cache survives SIGKILL) and a rerun
repairs any order by rolling forward, so these tests record ``os.fsync``, ``os.replace`` and
``os.unlink`` while a commit runs and check the promises of the lake's docstring directly:

- every staged file is fsync'ed before the journal (the commit point) is renamed into place,
  and the journal's own bytes are fsync'ed before that rename;
- data files are renamed into place, and replaced files deleted, before any manifest entry;
- the folders that received files are fsync'ed before the journal is removed.

The kill points themselves are covered by ``tests/e2e/test_lake_kill_points.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from auditpipe.lake import Lake
from tests.support.ingest import good, ingest, write_jsonl


@dataclass
class Calls:
    """(operation, path[, destination]) in the order they happened; paths are resolved."""

    ops: list[tuple[str, ...]] = field(default_factory=list)

    def index(self, op: str, path: Path, *, dst: bool = False) -> int:
        """Position of the first ``op`` on ``path`` (``dst``: the destination of a replace)."""
        target = str(path.resolve())
        for i, entry in enumerate(self.ops):
            if entry[0] == op and (entry[2] if dst else entry[1]) == target:
                return i
        raise AssertionError(f"no {op} of {target}; calls were:\n" + self.dump())

    def replaces_into(self, folder: Path) -> list[tuple[int, str, str]]:
        prefix = str(folder.resolve()) + os.sep
        return [
            (i, e[1], e[2])
            for i, e in enumerate(self.ops)
            if e[0] == "replace" and e[2].startswith(prefix)
        ]

    def dump(self) -> str:
        return "\n".join(" ".join(e) for e in self.ops)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Record fsync, replace and unlink (by path) while still doing them."""
    record = Calls()
    real_fsync, real_replace, real_unlink = os.fsync, os.replace, os.unlink

    def fsync(fd: Any) -> None:
        number = fd if isinstance(fd, int) else fd.fileno()
        record.ops.append(("fsync", os.path.realpath(f"/proc/self/fd/{number}")))
        real_fsync(fd)

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        record.ops.append(("replace", os.path.realpath(src), os.path.realpath(dst)))
        real_replace(src, dst, **kwargs)

    def unlink(path: Any, **kwargs: Any) -> None:
        if kwargs.get("dir_fd") is None:  # shutil.rmtree's relative unlinks are not commits
            record.ops.append(("unlink", os.path.realpath(path)))
        real_unlink(path, **kwargs)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name the file behind an fsync'ed descriptor")
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    return record


def journal_of(lake: Lake, txn_id: str) -> Path:
    return lake.journal_dir / f"{txn_id}.json"


def test_a_transaction_fsyncs_staged_files_then_journals_then_moves_data_before_meta(
    tmp_path: Path, calls: Calls
) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    old = lake.events_dir / "provider_id=p" / "event_date=2026-03-01" / "part-old-0.parquet"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"replaced by the commit")
    txn = lake.transaction()
    staged = []
    for n in range(3):
        path = txn.staging / f"part-{n}.parquet"
        path.write_bytes(b"data %d" % n)
        txn.add_file(path, f"events/provider_id=p/event_date=2026-03-0{n + 1}/part-new-{n}.parquet")
        staged.append(path)
    txn.delete(str(old.relative_to(lake.root)))
    txn.add_json("_auditpipe/manifest/abc.json", {"files": ["..."]})
    calls.ops.clear()

    txn.commit()

    journal = journal_of(lake, txn.txn_id)
    commit_point = calls.index("replace", journal, dst=True)
    for path in staged:
        assert calls.index("fsync", path) < commit_point, f"{path.name} not fsync'ed in time"
    journal_tmp = calls.ops[commit_point][1]
    assert ("fsync", journal_tmp) in calls.ops[:commit_point], "journal bytes not fsync'ed"

    data = calls.replaces_into(lake.events_dir)
    meta = calls.replaces_into(lake.manifest_dir)
    assert len(data) == 3 and len(meta) == 1
    assert all(commit_point < i for i, _, _ in data), "a data file moved before the commit point"
    deleted = calls.index("unlink", old)
    assert max(i for i, _, _ in data) < meta[0][0], "manifest entry in place before the data"
    assert deleted < meta[0][0], "manifest entry in place before the replaced file was deleted"

    dropped = calls.index("unlink", journal)
    assert meta[0][0] < dropped
    for folder in {Path(dst).parent for _, _, dst in data} | {lake.manifest_dir}:
        fsynced = [i for i, e in enumerate(calls.ops) if e == ("fsync", str(folder.resolve()))]
        assert fsynced and max(fsynced) < dropped, f"{folder} not fsync'ed before the journal went"
    assert not journal.exists() and not (lake.staging_dir / txn.txn_id).exists()


def test_a_commit_fsyncs_the_folders_of_its_staged_files_before_the_commit_point(
    tmp_path: Path, calls: Calls
) -> None:
    """The journal names staged files by path: their folders, up to the one holding the
    staging folder, are fsync'ed before the journal is renamed into place, or a power cut
    could leave a journal naming files whose entries are gone."""
    lake = Lake.open(tmp_path / "lake", create=True)
    txn = lake.transaction()
    staged = txn.staging / "events" / "provider_id=p" / "part-0.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"data")
    txn.add_file(staged, "events/provider_id=p/event_date=2026-03-01/part-0.parquet")
    calls.ops.clear()

    txn.commit()

    commit_point = calls.index("replace", journal_of(lake, txn.txn_id), dst=True)
    for folder in [staged.parent, staged.parent.parent, txn.staging, lake.staging_dir]:
        fsynced = [i for i, e in enumerate(calls.ops) if e == ("fsync", str(folder.resolve()))]
        assert fsynced and min(fsynced) < commit_point, f"{folder} not fsync'ed before commit"


def test_a_commit_fsyncs_the_parent_of_every_folder_it_creates_before_the_journal_goes(
    tmp_path: Path, calls: Calls
) -> None:
    """A file moved into a new partition folder is only durable once the folder's own entry
    is: the parents of the folders the commit made (the new provider folder's parent, the
    table folder, and the new provider folder for its new day) are fsync'ed before the
    journal is removed, as the folders receiving files are."""
    lake = Lake.open(tmp_path / "lake", create=True)
    (lake.events_dir / "provider_id=old").mkdir(parents=True)
    txn = lake.transaction()
    targets = [
        "events/provider_id=new/event_date=2026-03-01/part-0.parquet",
        "events/provider_id=old/event_date=2026-03-02/part-1.parquet",
    ]
    for n, rel in enumerate(targets):
        path = txn.staging / f"part-{n}.parquet"
        path.write_bytes(b"data %d" % n)
        txn.add_file(path, rel)
    calls.ops.clear()

    txn.commit()

    dropped = calls.index("unlink", journal_of(lake, txn.txn_id))
    made_in = [
        lake.events_dir,
        lake.events_dir / "provider_id=new",
        lake.events_dir / "provider_id=old",
    ]
    for folder in made_in:
        fsynced = [i for i, e in enumerate(calls.ops) if e == ("fsync", str(folder.resolve()))]
        assert fsynced and max(fsynced) < dropped, f"{folder} not fsync'ed before the journal went"


def test_ingest_commits_fsynced_files_and_writes_its_manifest_entry_last(
    tmp_path: Path, calls: Calls
) -> None:
    """The same order through the public ingest: two partitions, a quarantine file, a manifest
    entry. Every file that reaches events/ or quarantine/ was fsync'ed under staging before
    the journal, and the manifest entry comes after all of them."""
    log = write_jsonl(
        tmp_path / "in.jsonl",
        [
            good(event_id="e1"),
            good(event_id="e2", event_time="2026-03-02T10:00:00+08:00"),
            good(event_id="e3", provider_id="isp-c"),
            "{ broken",
        ],
    )
    lake_dir = tmp_path / "lake"
    Lake.open(lake_dir, create=True)
    calls.ops.clear()

    result = ingest(lake_dir, log)

    assert (result.rows_stored, result.rows_quarantined) == (3, 1)
    lake = Lake.open(lake_dir)
    journals = [e for e in calls.ops if e[0] == "replace" and "/_auditpipe/journal/" in e[2]]
    assert len(journals) == 1, calls.dump()
    commit_point = calls.ops.index(journals[0])
    data = calls.replaces_into(lake.events_dir) + calls.replaces_into(lake.quarantine_dir)
    assert len(data) == 4  # three partitions and the quarantine file
    for i, src, dst in data:
        assert ("fsync", src) in calls.ops[:commit_point], f"{dst} was not fsync'ed before commit"
        assert i > commit_point
    (manifest,) = calls.replaces_into(lake.manifest_dir)
    assert manifest[0] > max(i for i, _, _ in data), "manifest entry renamed before the data"


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no cleanup handler catches it."""


def test_a_journal_killed_while_being_written_is_not_committed_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between writing the journal's bytes and renaming them into place: the commit
    did not happen, and the next writer's recover() leaves no trace of it (the journal's
    temporary file included), so a rerun's lake equals a clean run's."""
    lake = Lake.open(tmp_path / "lake", create=True)
    txn = lake.transaction()
    staged = txn.staging / "part-0.parquet"
    staged.write_bytes(b"data")
    txn.add_file(staged, "events/provider_id=p/event_date=2026-03-01/part-0.parquet")
    real_replace = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if Path(dst).parent == lake.journal_dir:
            raise Killed
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(Killed):
        txn.commit()
    monkeypatch.setattr(os, "replace", real_replace)
    assert [p.name for p in lake.journal_dir.iterdir()] != []  # the half-written journal

    with Lake.open(lake.root).locked("the next run"):
        pass

    assert list(lake.journal_dir.iterdir()) == []
    assert not lake.staging_dir.exists() or list(lake.staging_dir.iterdir()) == []
    assert list(lake.events_dir.rglob("*")) == []


@pytest.mark.parametrize("folder", ["runs", "locations", "nightly", "."])
def test_a_record_killed_while_being_written_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    """A run record, a location, the inbox hashes or the lake marker killed (or Ctrl-C'd)
    between its bytes and its rename left a hidden temporary file that no later run removed:
    recover() looked in the journal folder only."""
    from auditpipe.lake import write_json_atomic

    lake = Lake.open(tmp_path / "lake", create=True)
    real_replace = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(lake.meta_dir / folder / "record.json", {"a": 1})
    monkeypatch.setattr(os, "replace", real_replace)
    assert [p.name for p in (lake.meta_dir / folder).glob(".record.json.*.tmp")]

    with Lake.open(lake.root).locked("the next run"):
        pass

    assert list(lake.meta_dir.rglob("*.tmp")) == []
