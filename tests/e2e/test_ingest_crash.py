"""A run killed at any point: no truncated file is ever visible, and the rerun gives exactly
the lake one clean run gives (nothing lost, nothing doubled)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from auditpipe.lake import CRASH_ENV
from tests.support.ingest import good, write_jsonl


def make_inputs(folder: Path, rows: int = 3000) -> Path:
    """Three files over two providers and several days, with duplicates across files."""
    for n in range(3):
        write_jsonl(
            folder / f"log{n}.jsonl",
            [
                good(
                    event_id=f"e{(n * rows + i) % (rows * 2)}",
                    provider_id=f"p{i % 2}",
                    event_time=f"2026-03-0{1 + i % 3}T10:00:00+08:00",
                    actor_id=f"a{i}",
                )
                for i in range(rows)
            ]
            + ["{ broken"],
        )
    return folder


def run_ingest(
    inputs: Path, lake: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "auditpipe", "ingest", str(inputs), "--lake", str(lake), "-q"],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lake_state(lake: Path) -> tuple[object, ...]:
    """What a reader sees: events, quarantine rows and manifest entries (not file names)."""
    import duckdb

    con = duckdb.connect()
    events = con.execute(
        f"SELECT provider_id, event_id, line_number, source_sha256 FROM read_parquet('{lake}/events/*/*/*.parquet', "
        "hive_partitioning = true) ORDER BY ALL"
    ).fetchall()
    quarantine = con.execute(
        f"SELECT source_sha256, line_number, reason FROM read_parquet('{lake}/quarantine/*.parquet') ORDER BY ALL"
    ).fetchall()
    manifest = con.execute(
        f"SELECT sha256, status, rows_read, rows_stored, rows_quarantined, rows_duplicate "
        f"FROM read_json('{lake}/_auditpipe/manifest/*.json') ORDER BY ALL"
    ).fetchall()
    return events, quarantine, manifest


def assert_every_visible_file_is_whole(lake: Path) -> None:
    for path in list(lake.glob("events/*/*/*.parquet")) + list(lake.glob("quarantine/*.parquet")):
        pq.read_metadata(path)  # raises on a truncated or footerless file


@pytest.fixture(scope="module")
def clean_state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[object, ...]]:
    base = tmp_path_factory.mktemp("clean")
    inputs = make_inputs(base / "in")
    proc = run_ingest(inputs, base / "lake")
    proc.communicate()
    assert proc.returncode == 3  # the broken lines are quarantined
    return inputs, lake_state(base / "lake")


@pytest.mark.slow
@pytest.mark.parametrize(
    "point", ["before_journal", "after_journal", "between_moves", "before_manifest"]
)
def test_kill_at_a_commit_point_then_rerun_equals_a_clean_run(
    tmp_path: Path, clean_state: tuple[Path, tuple[object, ...]], point: str
) -> None:
    inputs, expected = clean_state
    lake = tmp_path / "lake"
    proc = run_ingest(inputs, lake, {CRASH_ENV: point})
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert_every_visible_file_is_whole(lake)
    rerun = run_ingest(inputs, lake)
    _, err = rerun.communicate()
    assert rerun.returncode == 3, err
    assert lake_state(lake) == expected
    assert not list((lake / "_auditpipe" / "journal").glob("*.json"))


@pytest.mark.slow
def test_kill_at_random_moments_then_rerun_equals_a_clean_run(
    tmp_path: Path, clean_state: tuple[Path, tuple[object, ...]]
) -> None:
    inputs, expected = clean_state
    rng = random.Random(20261129)
    for attempt in range(3):
        lake = tmp_path / f"lake{attempt}"
        for _ in range(3):  # up to three kills in a row on the same lake
            proc = run_ingest(inputs, lake)
            time.sleep(rng.uniform(0.2, 2.5))
            proc.kill()
            proc.communicate()
            if lake.exists():
                assert_every_visible_file_is_whole(lake)
        rerun = run_ingest(inputs, lake)
        _, err = rerun.communicate()
        assert rerun.returncode in (0, 3), err  # 0 when the killed runs had finished every file
        assert lake_state(lake) == expected


@pytest.mark.slow
def test_auditpipe_readers_never_see_half_a_commit(
    tmp_path: Path, clean_state: tuple[Path, tuple[object, ...]]
) -> None:
    """Killed between two renames of one file's commit: a raw glob sees part of that file,
    but auditpipe.connect (and so sql and report) sees the commit whole."""
    import auditpipe

    inputs, _ = clean_state
    lake = tmp_path / "lake"
    proc = run_ingest(inputs, lake, {CRASH_ENV: "between_moves"})
    proc.communicate()
    assert list((lake / "_auditpipe" / "journal").glob("*.json")), "expected a pending commit"
    query = "SELECT source_sha256, count(*) FROM events GROUP BY 1"
    seen = dict(auditpipe.connect(lake).execute(query).fetchall())
    rerun = run_ingest(inputs, lake)
    rerun.communicate()
    final = dict(auditpipe.connect(lake).execute(query).fetchall())
    assert seen, "the pending commit should already be visible, whole"
    assert all(seen[sha] == final[sha] for sha in seen), (seen, final)
