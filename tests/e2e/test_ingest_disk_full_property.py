"""A full disk at any of ingest's own file operations (hypothesis picks which one): one clean
error, a lake that reads as before or with whole files added, and a rerun that reconciles.

ENOSPC is raised from the N-th Python-level write, fsync, mkdir or rename under the lake
(manifest entries, the journal, the commit's renames and the folders they make, run records,
caches); the Parquet writers' own writes (Arrow, DuckDB) are covered on a real full file
system by test_lake_real_disk_full.py.
"""

from __future__ import annotations

import builtins
import errno
import gc
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.generate import generate
from tests.support.cli import run_main

pytestmark = pytest.mark.slow


class DiskFills:
    """Counts file operations under ``root`` and fails the ``at``-th one with ENOSPC."""

    def __init__(self, root: Path, at: int) -> None:
        self.root, self.at, self.count = str(root), at, 0

    def hit(self, path: Any) -> None:
        if not str(path).startswith(self.root):
            return
        self.count += 1
        if self.count == self.at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_open, real_fsync = builtins.open, os.fsync
        real_replace, real_rename, real_mkdir = os.replace, os.rename, os.mkdir

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, str | os.PathLike) and any(m in mode for m in "wax+"):
                self.hit(file)
            return real_open(file, mode, *args, **kwargs)

        def fsync(fd: int) -> None:
            # A folder's fsync is best effort (some file systems refuse it) and never ENOSPC.
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                self.hit(os.readlink(f"/proc/self/fd/{fd}"))
            real_fsync(fd)

        def replace(src: Any, dst: Any, **kwargs: Any) -> None:
            self.hit(dst)
            real_replace(src, dst, **kwargs)

        def rename(src: Any, dst: Any, **kwargs: Any) -> None:
            self.hit(dst)
            real_rename(src, dst, **kwargs)

        def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
            if not os.path.lexists(path):  # an existing one is EEXIST, full disk or not
                self.hit(path)
            real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", open_)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "rename", rename)
        monkeypatch.setattr(os, "mkdir", mkdir)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("logs") / "gen"
    generate(out, rows=80, seed=3, formats=("jsonl", "csv.gz"), providers=2, days=2, plant=False)
    return out


def _listing(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.is_dir() else []


def _counts(lake: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run_main(
        [
            "sql",
            "--lake",
            str(lake),
            "--format",
            "json",
            "SELECT (SELECT count(*) FROM events) AS events, "
            "(SELECT count(DISTINCT event_id) FROM events) AS distinct_events, "
            "(SELECT count(*) FROM quarantine) AS quarantined, "
            "(SELECT count(*) FROM accounts) AS accounts",
        ],
        capsys,
    )
    assert code == 0, err
    return dict(json.loads(out)[0])


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(at=st.integers(1, 160))
def test_a_full_disk_at_any_file_operation_then_a_rerun_reconciles(
    logs: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    at: int,
) -> None:
    lake = tmp_path_factory.mktemp("lake") / "lake"
    summary = json.loads((logs / "_expected" / "summary.json").read_text())
    unraisable: list[Any] = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
        fills = DiskFills(lake, at)
        fills.install(monkeypatch)
        code, _, err = run_main(["ingest", str(logs), "--lake", str(lake)], capsys)
        gc.collect()
    assert not unraisable, unraisable
    assert "Traceback" not in err
    if fills.count >= at:  # the disk filled during the run
        assert code == 2, err
        assert f"Error: the disk is full at {lake}" in err, err
        assert "Hint: free space" in err
        if (lake / "_auditpipe" / "lake.json").exists():
            assert run_main(["status", "--lake", str(lake)], capsys)[0] == 0
            partial = _counts(lake, capsys)
            assert partial["events"] == partial["distinct_events"]
        # Nothing is left in staging unless a committed journal still needs it.
        if not _listing(lake / "_auditpipe" / "journal"):
            assert not _listing(lake / "_auditpipe" / "staging"), at
    code, _, err = run_main(["ingest", str(logs), "--lake", str(lake)], capsys)
    assert code in (0, 3), err
    counts = _counts(lake, capsys)
    assert counts["events"] == counts["distinct_events"] == summary["totals"]["expected_stored"]
    assert not _listing(lake / "_auditpipe" / "staging")
    assert not _listing(lake / "_auditpipe" / "journal")
    assert not [p for p in lake.rglob(".*.tmp")]
