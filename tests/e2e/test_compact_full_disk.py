"""``compact --retain-days`` on a real, full file system (tmpfs; needs root and mount): the
remedy for a full disk must work on one. It wrote its lock line and its journal first and
failed with "disk full", exactly when it was needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditpipe import compact
from auditpipe.generate import generate
from tests.e2e.test_lake_real_disk_full import resize, small_disk, used_kib
from tests.support.cli import run_main

pytestmark = pytest.mark.slow


def _fill(disk: Path) -> None:
    """Write a file until the file system refuses another byte."""
    with (disk / "filler").open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\xa5" * 4096)
        except OSError:
            pass


RETAIN = ["--retain-days", "2", "--as-of", "2026-03-06", "--include-evidence"]


def test_retention_frees_a_full_disk_with_the_reserve_compact_keeps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compact, "RESERVE_BYTES", 256 * 1024, raising=False)
    logs = tmp_path / "logs"
    generate(logs, rows=300, seed=3, formats=("jsonl",), providers=2, days=6)
    with small_disk(tmp_path / "disk") as disk:
        resize(disk, 8 * 1024)
        lake = disk / "lake"
        code, _, err = run_main(["ingest", str(logs), "--lake", str(lake), "--quiet"], capsys)
        assert code in (0, 3), err
        code, _, err = run_main(["compact", "--lake", str(lake), "--quiet"], capsys)
        assert code == 0, err
        assert (lake / "_auditpipe" / "reserve").stat().st_size == 256 * 1024
        days_before = {p.name for p in lake.glob("events/*/event_date=*")}
        _fill(disk)
        assert used_kib(disk) >= 8 * 1024 - 4
        code, out, err = run_main(["compact", "--lake", str(lake), *RETAIN, "--json"], capsys)
        assert code == 0, err
        result = json.loads(out)
        assert result["events_deleted"] > 0 and result["completed"], result
        days_after = {p.name for p in lake.glob("events/*/event_date=*")}
        assert min(days_after) >= "event_date=2026-03-04" and days_after < days_before
        cutoff = json.loads((lake / "_auditpipe" / "retention.json").read_text())["cutoff"]
        assert cutoff == "2026-03-04"
        # the room it freed holds the reserve again, for the next time
        assert (lake / "_auditpipe" / "reserve").stat().st_size == 256 * 1024


def test_without_a_reserve_a_full_disk_says_what_to_free(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compact, "RESERVE_BYTES", 256 * 1024, raising=False)
    logs = tmp_path / "logs"
    generate(logs, rows=300, seed=3, formats=("jsonl",), providers=2, days=6)
    with small_disk(tmp_path / "disk") as disk:
        resize(disk, 8 * 1024)
        lake = disk / "lake"
        code, _, err = run_main(["ingest", str(logs), "--lake", str(lake), "--quiet"], capsys)
        assert code in (0, 3), err
        _fill(disk)
        code, _, err = run_main(["compact", "--lake", str(lake), *RETAIN], capsys)
        assert code == 2, err
        assert "Error: the disk is full" in err and "Traceback" not in err, err
        # what to free, how much, and that the next compact keeps room for this
        assert "free at least" in err and "outside the lake" in err, err
        assert "_auditpipe/reserve" in err, err
