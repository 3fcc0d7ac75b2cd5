"""A file's sha256 computed beside its staging (ingest/hashing.py): the lake is the same as when
the hash came first, and a file the hash shows is in the lake already stops being staged."""

from __future__ import annotations

import gzip
import hashlib
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import auditpipe.ingest.hashing as hashing
import auditpipe.ingest.sources as sources
import auditpipe.ingest.tasks as tasks
from auditpipe.ingest.stage import FileStager
from auditpipe.lake import Lake
from tests.support.ingest import good, ingest, lake_snapshot, query, write_jsonl

BATCH = 4096  # bytes per batch: the test file makes many batches


def log(path: Path) -> Path:
    rows = [good(event_id=f"e{i}", actor_id=f"a{i}") for i in range(300)] + ["not json"]
    return write_jsonl(path, rows)


class LateHash:
    """Hash every file on a thread (none counts as small), and let each hash finish only once
    the stager has taken the file's first batch: staging has started, the hash comes after."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.first_batch = threading.Event()
        self.hashes: list[Future[str]] = []
        self.batches = 0
        real_hash, real_start, real_add = sources.sha256_of, hashing.file_sha256, FileStager.add

        def late(path: Path, *args: Any, **kwargs: Any) -> str:
            assert self.first_batch.wait(timeout=60)
            return real_hash(path, *args, **kwargs)

        def start(source: Any, *args: Any, **kwargs: Any) -> Future[str]:
            self.first_batch.clear()
            sha = real_start(source, *args, **kwargs)
            self.hashes.append(sha)
            return sha

        def add(stager: FileStager, batch: Any) -> None:
            self.batches += 1
            real_add(stager, batch)
            self.first_batch.set()
            self.hashes[-1].result(timeout=60)  # known before the next batch is asked for

        monkeypatch.setattr(hashing, "HASH_FIRST_BYTES", 0)
        monkeypatch.setattr(sources, "sha256_of", late)
        monkeypatch.setattr(tasks, "file_sha256", start)
        monkeypatch.setattr(FileStager, "add", add)


def test_the_lake_is_the_same_when_the_hash_comes_after_staging_began(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = log(tmp_path / "in.jsonl")
    first = ingest(tmp_path / "first", path, batch_bytes=BATCH)
    LateHash(monkeypatch)
    late = ingest(tmp_path / "late", path, batch_bytes=BATCH)

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert first.files[0].sha256 == late.files[0].sha256 == sha
    assert (late.rows_stored, late.rows_quarantined) == (first.rows_stored, 1) == (300, 1)
    for table in ("events", "quarantine"):  # every column but the run's id and time
        sql = f"SELECT * EXCLUDE (ingest_run_id, ingested_at) FROM {table} ORDER BY line_number"
        assert query(tmp_path / "late", sql) == query(tmp_path / "first", sql)
    assert query(tmp_path / "late", "SELECT DISTINCT source_sha256 FROM events") == [(sha,)]
    files = set(lake_snapshot(tmp_path / "late"))
    assert files == set(lake_snapshot(tmp_path / "first")), "the same files, named the same"
    assert f"_auditpipe/manifest/{sha}.json" in files
    assert f"quarantine/part-{sha[:16]}.parquet" in files
    assert any(Path(f).name == f"part-{sha[:16]}-0.parquet" for f in files)


def test_a_file_the_lake_holds_stops_staging_once_hashed_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = log(tmp_path / "in.jsonl")
    late = LateHash(monkeypatch)
    ingest(tmp_path / "lake", path, batch_bytes=BATCH)
    whole = late.batches
    before = lake_snapshot(tmp_path / "lake")

    late.batches = 0
    again = ingest(tmp_path / "lake", path, batch_bytes=BATCH)

    assert whole > 2 and late.batches == 1, "staging stopped at the first batch after the hash"
    skipped = again.files[0]
    assert skipped.status == "skipped" and skipped.reason
    assert skipped.reason.startswith("same content already ingested from")
    assert (again.rows_read, again.rows_stored, again.rows_quarantined) == (0, 0, 0)
    assert lake_snapshot(tmp_path / "lake") == before, "no event, quarantine or manifest written"
    staging = Lake.open(tmp_path / "lake").staging_dir
    assert not staging.exists() or not any(staging.iterdir()), "no staging folder left"


def test_a_file_rejected_before_its_hash_is_known_is_recorded_under_that_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = gzip.compress(b"".join(b'{"event_id": "e%d"}\n' % i for i in range(2000)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])  # a truncated archive: the file is rejected
    monkeypatch.setattr(hashing, "HASH_FIRST_BYTES", 0)
    result = ingest(tmp_path / "lake", path).files[0]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (result.status, result.sha256) == ("rejected", sha)
    entry = Lake.open(tmp_path / "lake").manifest_entry(sha)
    assert entry is not None and entry["status"] == "rejected"
