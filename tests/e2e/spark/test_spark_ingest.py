"""Ingest on Spark equals ingest on DuckDB, row for row, and a killed Spark ingest completes.

The inputs hold what makes ingest hard: generated logs with bad rows and repeated events,
events repeated across files of one run (the first file in input order keeps them), the same
content twice under two names (and once more under a name whose kind rejects it), a truncated
archive, provider ids ``007``, Chinese and ``forum a/b=c%``, a currency without a rate and a
late day. Events and quarantine are compared with EXCEPT ALL both ways, on every column but the
run id and the ingest time; the manifests must be equal too.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import CRASH_ENV, Lake
from tests.support.ingest import good, write_jsonl
from tests.support.spark_lakes import manifest_entries, table_difference

IGNORED = {"ingest_run_id", "ingested_at"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from auditpipe.generate import generate

    root = tmp_path_factory.mktemp("spark_ingest") / "inbox"
    generate(root / "generated", rows=2000, seed=7, providers=2, days=2)
    for n in range(3):  # each file repeats half of the previous one's events
        write_jsonl(
            root / f"overlap-{n}.jsonl",
            [
                good(
                    event_id=f"e{n * 50 + i}",
                    provider_id=("007", "中国电信", "forum a/b=c%")[(n * 50 + i) % 3],
                    event_time=f"2026-03-0{1 + i % 2}T10:00:00+08:00",
                    actor_id="张三" if i % 4 else "emp-1",
                    amount=3.5 if i % 5 == 0 else None,
                    currency="XAU" if i % 5 == 0 else None,
                )
                for i in range(100)
            ]
            + ["{ broken", '{"provider_id": "007"}'],
        )
    shutil.copy(root / "overlap-1.jsonl", root / "overlap-1-again.jsonl")  # same content
    # the same content again, under a name another kind reads and rejects: still a skip
    shutil.copy(root / "overlap-2.jsonl", root / "overlap-2.parquet")
    write_jsonl(  # a late day for a provider already seen
        root / "late.jsonl",
        [good(event_id="late1", provider_id="007", event_time="2026-03-20T01:00:00+08:00")],
    )
    whole = gzip.compress(b'{"provider_id": "x"}\n' * 2000)
    (root / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    return root


def differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows in a, rows only in a, rows only in b)."""
    return {t: table_difference(a, b, t, IGNORED) for t in ("events", "quarantine")}


def per_file(result: Any) -> list[tuple[object, ...]]:
    return [
        (
            Path(f.source_file).name,
            f.status,
            f.rows_read,
            f.rows_stored,
            f.rows_quarantined,
            f.rows_duplicate,
            sorted(f.partitions),
        )
        for f in result.files
    ]


@pytest.fixture(scope="module")
def duckdb_lake(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    lake = Lake.open(tmp_path_factory.mktemp("duckdb_ingest") / "lake", create=True)
    return lake.root, ingest_paths(lake, [inputs], IngestSettings())


def test_events_quarantine_and_counts_equal_duckdb_and_a_rerun_skips_all(
    inputs: Path, duckdb_lake: tuple[Path, Any], tmp_path: Path, spark_engine: Any
) -> None:
    expected_root, expected = duckdb_lake
    lake = Lake.open(tmp_path / "lake", create=True)
    got = ingest_paths(lake, [inputs], IngestSettings(), engine=spark_engine)
    assert per_file(got) == per_file(expected)
    assert manifest_entries(lake.root) == manifest_entries(expected_root)
    statuses = {status for _, status, *_ in per_file(got)}
    assert statuses == {"ingested", "skipped", "rejected"}
    assert sum(f.rows_duplicate for f in got.files) > 100  # repeats across files were dropped
    diff = differences(expected_root, lake.root)
    assert diff["events"][0] > 1000 and diff["events"][1:] == (0, 0)
    assert diff["quarantine"][0] > 5 and diff["quarantine"][1:] == (0, 0)
    assert not list(lake.staging_dir.glob("*")) if lake.staging_dir.exists() else True
    before = sorted(p.name for p in lake.events_dir.rglob("*.parquet"))
    again = ingest_paths(lake, [inputs], IngestSettings(), engine=spark_engine)
    assert {f.status for f in again.files} <= {"skipped", "rejected"}
    assert sorted(p.name for p in lake.events_dir.rglob("*.parquet")) == before


def test_a_spark_ingest_killed_midway_is_completed_by_the_next_run(
    inputs: Path, duckdb_lake: tuple[Path, Any], tmp_path: Path, spark_engine: Any
) -> None:
    lake_dir = tmp_path / "lake"
    killed = subprocess.run(
        [sys.executable, "-m", "auditpipe", "ingest", str(inputs), "--lake", str(lake_dir)]
        + ["--engine", "spark", "--spark-master", "local[1]", "-q"],
        env={**os.environ, CRASH_ENV: "after_journal"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    # -q: Spark's session start says nothing (its shell default would set WARN and say so)
    assert "log level" not in killed.stderr, killed.stderr[-2000:]
    lake = Lake.open(lake_dir)
    assert list(lake.journal_dir.glob("*.json"))  # killed right after its first commit point
    ingest_paths(lake, [inputs], IngestSettings(), engine=spark_engine)
    diff = differences(duckdb_lake[0], lake_dir)
    assert diff["events"][1:] == (0, 0) and diff["quarantine"][1:] == (0, 0)
    assert not list(lake.journal_dir.glob("*.json"))


def test_repeats_of_an_earlier_file_of_the_run_are_counted_as_duckdb_counts_them(
    tmp_path: Path, spark_engine: Any
) -> None:
    """Files of one run that repeat event ids an earlier file stored, on the same day and on
    another (a reused counter): each file's counts and counters, the manifest and the lake
    equal the DuckDB engine's, ``rows_duplicate_of_another_day`` included."""
    import dataclasses

    inbox = tmp_path / "inbox"
    day = "2026-03-0{}T10:00:00+08:00"
    for name, ids, d in (("a", range(0, 20), 1), ("b", range(10, 30), 2), ("c", range(25, 40), 1)):
        write_jsonl(
            inbox / f"{name}.jsonl",
            [
                good(event_id=f"e{i}", provider_id=("007", "x=y")[i % 2], event_time=day.format(d))
                for i in ids
            ]
            + [good(event_id="e5", event_time=day.format(d))],  # forum-a: a key of its own
        )
    results = {}
    for engine in ("duckdb", "spark"):
        lake = Lake.open(tmp_path / engine, create=True)
        got = ingest_paths(
            lake, [inbox], IngestSettings(), engine=spark_engine if engine == "spark" else None
        )
        results[engine] = [
            {**dataclasses.asdict(f), "partitions": sorted(f.partitions)} for f in got.files
        ]
    counters = [f["counters"] for f in results["duckdb"]]
    assert counters == [
        {},
        {"rows_duplicate_of_another_day": 11},
        {"rows_duplicate_of_another_day": 5},
    ]
    assert results["spark"] == results["duckdb"]
    assert manifest_entries(tmp_path / "spark") == manifest_entries(tmp_path / "duckdb")
    events = table_difference(tmp_path / "duckdb", tmp_path / "spark", "events", IGNORED)
    assert events == (41, 0, 0)


def test_a_lake_the_executor_cannot_write_fails_as_on_duckdb(
    tmp_path: Path, spark_engine: Any, capsys: Any
) -> None:
    """An executor that cannot write the lake's staging folder (here a file in its place)
    raises the error DuckDB's run raises, so the command says what and where (exit 2), not
    "a Spark task failed" with a Python traceback inside a Java log."""
    from tests.support.cli import run_main

    write_jsonl(tmp_path / "in" / "a.jsonl", [good(event_id="e1")])
    outcomes = {}
    for engine in ("duckdb", "spark"):
        lake = Lake.open(tmp_path / engine, create=True)
        lake.staging_dir.parent.mkdir(parents=True, exist_ok=True)
        lake.staging_dir.write_text("not a folder", encoding="utf-8")
        code, _, err = run_main(
            ["ingest", str(tmp_path / "in"), "--lake", str(lake.root), "--engine", engine],
            capsys,
        )
        outcomes[engine] = (code, err.replace(str(lake.root), "LAKE"))
    code, err = outcomes["duckdb"]
    assert code == 2 and "Not a directory" in err and "LAKE/_auditpipe/staging/" in err
    assert outcomes["spark"][0] == 2 and "Traceback" not in outcomes["spark"][1]
    # the message names the run's own staging folder: the same but for its random name
    assert [line.split("staging/")[0] for line in outcomes["spark"][1].splitlines()] == [
        line.split("staging/")[0] for line in err.splitlines()
    ]
