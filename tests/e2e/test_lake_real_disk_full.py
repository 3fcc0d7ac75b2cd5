"""Ingest into a lake on a real, small, full file system (tmpfs; needs root and mount).

The other disk-full tests raise ENOSPC from patched Python functions; these let the kernel
refuse the writes, wherever they are (Arrow's Parquet writer, DuckDB, the journal), by
giving the lake's file system a little more room each time until the ingest fits.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditpipe.generate import generate
from tests.support.cli import run_main
from tests.support.ingest import lake_snapshot

pytestmark = pytest.mark.slow


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


@contextlib.contextmanager
def small_disk(folder: Path) -> Iterator[Path]:
    """A tmpfs mounted at ``folder``, unmounted afterwards; skips when it cannot be made."""
    if os.geteuid() != 0:
        pytest.skip("a real full file system needs root (mount -t tmpfs)")
    folder.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if made.returncode:
        pytest.skip(f"a real full file system needs mount -t tmpfs: {_first_line(made.stderr)}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@contextlib.contextmanager
def small_ext4(folder: Path, inodes: int) -> Iterator[Path]:
    """A 6 MiB ext4 file system with ``inodes`` inodes, loop-mounted at ``folder``."""
    if os.geteuid() != 0:
        pytest.skip("a real file system out of inodes needs root (mkfs.ext4, mount -o loop)")
    image = folder.with_suffix(".ext4")
    folder.mkdir()
    subprocess.run(["truncate", "-s", "6M", str(image)], check=True)
    made = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-N", str(inodes), "-m", "0", str(image)],
        capture_output=True,
        text=True,
    )
    if made.returncode == 0:
        made = subprocess.run(
            ["mount", "-o", "loop", str(image), str(folder)], capture_output=True, text=True
        )
    if made.returncode:
        pytest.skip(
            f"a real file system out of inodes needs mkfs.ext4 and mount -o loop: "
            f"{_first_line(made.stderr)}"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def resize(disk: Path, kib: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={kib}k", str(disk)], check=True)


def used_kib(disk: Path) -> int:
    st = os.statvfs(disk)
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def test_an_ingest_that_fills_a_real_disk_fails_cleanly_and_the_rerun_reconciles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrow's Parquet writer, its footer refused, stayed open: when it was collected it tried
    # again and Python printed "Exception ignored in: ParquetWriter.__del__" and a traceback
    # after the clean error, which named the lake, not the staged file whose write failed.
    logs = tmp_path / "logs"
    generate(logs, rows=400, seed=3, formats=("jsonl",), providers=2, days=2)
    log = logs / "forum-a.jsonl"
    summary = json.loads((logs / "_expected" / "summary.json").read_text())
    expected = next(f for f in summary["files"] if f["name"] == "forum-a.jsonl")
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with small_disk(tmp_path / "disk") as disk:
        lake = disk / "lake"
        code, _, err = run_main(["ingest", str(logs / "blog-b.jsonl"), "--lake", str(lake)], capsys)
        assert code in (0, 3), err
        base = used_kib(disk)
        failures = 0
        for room in range(4, 400, 12):
            resize(disk, base + room)
            before = lake_snapshot(lake)
            code, _, err = run_main(["ingest", str(log), "--lake", str(lake)], capsys)
            gc.collect()
            assert "Traceback" not in err and not unraisable, (room, err, unraisable)
            if code in (0, 3):
                break
            failures += 1
            assert code == 2, err
            assert f"Error: the disk is full at {lake}/" in err, err
            assert "Hint: free space" in err
            assert lake_snapshot(lake) == before, f"a failed ingest changed the lake ({room} KiB)"
        assert failures > 2, "the disk never filled: the sizes tried are too big"
        resize(disk, 4096)
        code, _, err = run_main(["ingest", str(log), "--lake", str(lake), "--json"], capsys)
        assert code in (0, 3), err
        code, out, _ = run_main(
            [
                "sql",
                "--lake",
                str(lake),
                "--format",
                "json",
                "SELECT count(*) AS n FROM events WHERE source_file LIKE '%forum-a.jsonl'",
            ],
            capsys,
        )
        assert json.loads(out)[0]["n"] == expected["expected_stored"]
        staging = lake / "_auditpipe" / "staging"
        assert not staging.exists() or not any(staging.iterdir())
        leftovers = [p for p in lake.rglob(".*") if p.is_file()]
        assert not leftovers, leftovers


def test_a_file_system_out_of_inodes_is_named_as_such_and_the_rerun_reconciles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ENOSPC with most of the space free: "the disk is full ... free space" sent the operator
    # to df -h, which showed the disk half empty.
    logs = tmp_path / "logs"
    generate(logs, rows=400, seed=5, formats=("jsonl",), providers=2, days=2)
    summary = json.loads((logs / "_expected" / "summary.json").read_text())
    with small_ext4(tmp_path / "disk", inodes=2048) as disk:
        lake = disk / "lake"
        filler = disk / "filler"
        filler.mkdir()
        for i in range(os.statvfs(disk).f_favail - 6):
            (filler / str(i)).touch()
        code, _, err = run_main(["ingest", str(logs), "--lake", str(lake)], capsys)
        assert code == 2, err
        assert f"Error: the disk is full at {disk}/" in err, err
        assert "no free inodes left" in err and "df -i" in err, err
        assert "Traceback" not in err
        subprocess.run(["rm", "-rf", str(filler)], check=True)
        code, _, err = run_main(["ingest", str(logs), "--lake", str(lake)], capsys)
        assert code in (0, 3), err
        code, out, _ = run_main(
            ["sql", "--lake", str(lake), "--format", "json", "SELECT count(*) AS n FROM events"],
            capsys,
        )
        assert json.loads(out)[0]["n"] == summary["totals"]["expected_stored"]
