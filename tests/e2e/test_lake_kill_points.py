"""What is on disk at the moment a commit is killed, at each of the lake's kill points.

The crash tests in test_ingest_crash.py compare the lake after the rerun, which rolls forward
whatever a dead run left. Here nothing runs after the kill: the folder is read as the kill
left it, and the promises of a lake commit must already hold.

- At any moment, every manifest entry's files are in place and whole (a manifest entry never
  names a file that is not there yet).
- Every file visible under events/ and quarantine/ is whole Parquet.
- A journal, once written, can be rolled forward: each move it names is either still staged
  (whole, with its rows) or already in place.
- Before the journal nothing of the commit is in place; after it, data files move first and
  the manifest entry last.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from auditpipe.lake import CRASH_ENV
from tests.support import REPO
from tests.support.ingest import good, write_jsonl

pytestmark = pytest.mark.slow  # a subprocess per kill

KILL_POINTS = ["before_journal", "after_journal", "between_moves", "before_manifest"]


def run_ingest(path: Path, lake: Path, crash_at: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    proc = subprocess.run(
        [sys.executable, "-m", "auditpipe", "ingest", str(path), "--lake", str(lake), "-q"],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    return proc.returncode


@pytest.fixture(scope="module")
def first_night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A lake holding one file already, and a second file to commit into it: three
    partitions (one new provider) and a quarantined line."""
    base = tmp_path_factory.mktemp("kill-points")
    first = write_jsonl(base / "in" / "a.jsonl", [good(event_id=f"a{i}") for i in range(5)])
    assert run_ingest(first, base / "lake") == 0
    second = write_jsonl(
        base / "in2" / "b.jsonl",
        [
            good(event_id="b1"),
            good(event_id="b2", event_time="2026-03-02T10:00:00+08:00"),
            good(event_id="b3", provider_id="isp-c"),
            "{ broken",
        ],
    )
    return base / "lake", second


def manifest_entries(lake: Path) -> dict[str, dict[str, object]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in (lake / "_auditpipe" / "manifest").glob("*.json")
    }


def journals(lake: Path) -> list[dict[str, list[list[str]]]]:
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((lake / "_auditpipe" / "journal").glob("*.json"))
    ]


def assert_lake_promises(lake: Path) -> None:
    """The invariants that hold at every instant, kill or no kill."""
    for sha, entry in manifest_entries(lake).items():
        for rel in entry["files"]:  # type: ignore[attr-defined]
            assert (lake / rel).is_file(), f"manifest {sha[:12]} names {rel}, not in place"
    for path in [*lake.glob("events/*/*/*.parquet"), *lake.glob("quarantine/*.parquet")]:
        pq.read_metadata(path)  # raises on a truncated file
    for doc in journals(lake):
        for src, dst in doc["moves"] + doc["meta_moves"]:
            staged, final = lake / src, lake / dst
            assert staged.exists() or final.exists(), f"journal names {dst}, which is lost"
            if staged.exists() and staged.suffix == ".parquet":
                assert pq.read_metadata(staged).num_rows > 0


@pytest.mark.parametrize("point", KILL_POINTS)
def test_at_each_kill_point_the_lake_on_disk_keeps_the_commit_promises(
    first_night: tuple[Path, Path], tmp_path: Path, point: str
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(first_night[0], lake)
    before = manifest_entries(lake)
    events_before = sorted(lake.glob("events/*/*/*.parquet"))

    assert run_ingest(first_night[1], lake, crash_at=point) == -9

    assert_lake_promises(lake)
    new_entries = set(manifest_entries(lake)) - set(before)
    assert new_entries == set(), f"killed at {point}, the manifest already has the new file"
    pending = journals(lake)
    if point == "before_journal":
        assert pending == []
        assert sorted(lake.glob("events/*/*/*.parquet")) == events_before
        assert list(lake.glob("quarantine/*.parquet")) == []
        staged = list((lake / "_auditpipe" / "staging").rglob("*.parquet"))
        assert len(staged) == 4  # written and whole before the journal
        for path in staged:
            pq.read_metadata(path)
    else:
        (doc,) = pending
        moves = doc["moves"]
        assert len(moves) == 4 and len(doc["meta_moves"]) == 1
        in_place = [dst for src, dst in moves if (lake / dst).exists()]
        expected = {"after_journal": 0, "between_moves": 1, "before_manifest": 4}[point]
        assert len(in_place) == expected, (point, in_place)
        for src, dst in doc["meta_moves"]:
            assert (lake / src).exists() and not (lake / dst).exists()

    # The rerun rolls a written journal forward, so the file then counts as ingested (exit 0,
    # skipped); killed before the journal, nothing was committed and it is ingested anew (3:
    # one bad line).
    assert run_ingest(first_night[1], lake) == (3 if point == "before_journal" else 0)
    assert journals(lake) == []
    assert_lake_promises(lake)
    assert len(set(manifest_entries(lake)) - set(before)) == 1
