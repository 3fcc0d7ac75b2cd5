"""A file whose events fall in many (provider_id, event_date) partitions: what staging holds
stays bounded by caps, not by the number of partitions (docs/ingest.md, "Speed and memory").
The stager is driven directly with small caps, so each test runs in well under a second."""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.ingest import stage
from auditpipe.ingest.stage import EVENT_SCHEMA, FileStager, Provenance

PROVENANCE = {"source_file", "source_sha256", "ingest_run_id", "ingested_at"}


def _batch(keys: list[tuple[str, int]], first_line: int) -> pa.Table:
    """Normalised rows, one per (provider, day offset), with distinct event ids."""
    n = len(keys)
    columns: dict[str, pa.Array] = {}
    for f in EVENT_SCHEMA:
        if f.name in PROVENANCE:
            continue
        columns[f.name] = pa.nulls(
            n, f.type.storage_type if isinstance(f.type, pa.BaseExtensionType) else f.type
        )
    lines = list(range(first_line, first_line + n))
    columns["provider_id"] = pa.array([p for p, _ in keys], pa.string())
    columns["event_date"] = pa.array(
        [dt.date(2025, 1, 1) + dt.timedelta(days=d) for _, d in keys], pa.date32()
    )
    columns["event_id"] = pa.array([f"e{i}" for i in lines], pa.string())
    columns["line_number"] = pa.array(lines, pa.int64())
    columns["reason"] = pa.nulls(n, pa.string())
    return pa.table(columns)


class _WriterCounts:
    opened = closed = most_open = 0


def _counting_writers() -> tuple[type, _WriterCounts]:
    """A ParquetWriter class that counts the writers open at once, and its counts."""
    counts = _WriterCounts()

    class Counting(pq.ParquetWriter):  # type: ignore[misc]
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, **kw)
            counts.opened += 1
            counts.most_open = max(counts.most_open, counts.opened - counts.closed)

        def close(self) -> None:
            if self.is_open:
                counts.closed += 1
            super().close()

    return Counting, counts


@pytest.fixture
def stager(tmp_path: Path) -> Iterator[FileStager]:
    sha: Future[str] = Future()
    sha.set_result("ab" * 32)
    provenance = Provenance("in.jsonl", sha, "run", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    con = duckdb.connect()
    s = FileStager(con, tmp_path / "work", provenance)
    try:
        yield s
    finally:
        s.abort()
        con.close()


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("pqr"), st.integers(0, 59)), min_size=1, max_size=80),
        min_size=1,
        max_size=6,
    )
)
def test_pending_parts_and_open_writers_stay_under_their_caps(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[str, int]]]
) -> None:
    """Every partition's rows held before they are written are a slice of their batch with
    an Arrow object per column: a file of 60,000 partitions of one event each held all of them
    (the row buffer never filled), 1 GB. Their number is capped, and so are open writers;
    every row is still staged once, in its partition, in line order."""
    sha: Future[str] = Future()
    sha.set_result("cd" * 32)
    provenance = Provenance("in.jsonl", sha, "run", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    con = duckdb.connect()
    Counting, counts = _counting_writers()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stage, "MAX_OPEN_WRITERS", 4)
        mp.setattr(stage, "MAX_PENDING_PARTS", 8)
        mp.setattr(stage.pq, "ParquetWriter", Counting)
        s = FileStager(con, tmp_path_factory.mktemp("work"), provenance)
        try:
            line = 1
            for keys in batches:
                s.add(_batch(keys, line))
                line += len(keys)
                assert sum(len(p.pending) for p in s.partitions.values()) <= 8
            staged = s.finish({})
        finally:
            s.abort()
            con.close()
    # a writer is closed on the writer thread, in order: the closes waiting in its queue (2)
    # and the one it runs may still be open when the next writer opens
    assert counts.most_open <= 4 + 3
    rows = line - 1
    assert staged.stored == rows
    partition_of = {
        n: (p, dt.date(2025, 1, 1) + dt.timedelta(days=d))
        for n, (p, d) in enumerate((k for keys in batches for k in keys), start=1)
    }
    got: dict[str, list[int]] = {}
    for path, rel, key in staged.events:
        assert rel.startswith(stage.partition_folder(*key) + "/")
        lines = pq.read_table(path)["line_number"].to_pylist()
        assert {partition_of[n] for n in lines} == {key}
        got.setdefault(rel.rsplit("/", 1)[0], []).extend(lines)
    assert sorted(n for lines in got.values() for n in lines) == list(range(1, rows + 1))
    for lines in got.values():
        assert lines == sorted(lines)


def test_a_batch_of_many_partitions_holds_few_of_its_parts_at_once(
    stager: FileStager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's rows are split into its partitions' parts one at a time as they are buffered:
    making every part first (20,000 partitions in a batch: 260 MB of slices) bypassed the cap
    on parts held."""
    split = stage.split_by_partition
    alive: list[weakref.ref[pa.Table]] = []
    most = 0

    def tracked(rows: pa.Table) -> Iterator[tuple[tuple[str, dt.date], pa.Table]]:
        nonlocal most
        for key, part in split(rows):
            alive.append(weakref.ref(part))
            most = max(most, sum(r() is not None for r in alive))
            yield key, part
            del part

    monkeypatch.setattr(stage, "split_by_partition", tracked)
    monkeypatch.setattr(stage, "MAX_PENDING_PARTS", 16)
    stager.add(_batch([(p, d) for p in "pq" for d in range(200)], 1))
    staged = stager.finish({})
    assert staged.stored == 400 and len(staged.events) == 400
    # the parts held, those in the writer's queue (2) and its current write, the part made
    assert most <= 16 + 2 + 1 + 1


def test_open_writers_leave_room_under_the_descriptor_limit(
    stager: FileStager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each open writer holds a file descriptor: under ``ulimit -n 256`` a file of 5,000
    partitions failed (exit 2, "Too many open files") with 256 writers open. The cap is a
    quarter of the process's limit when that is lower."""
    import resource

    Counting, counts = _counting_writers()

    monkeypatch.setattr(resource, "getrlimit", lambda which: (64, 4096))
    monkeypatch.setattr(stage.pq, "ParquetWriter", Counting)
    s = FileStager(stager.con, stager.work.with_name("work2"), stager.provenance)
    try:
        s.add(_batch([("p", d) for d in range(100)], 1))
        staged = s.finish({})
    finally:
        s.abort()
    assert staged.stored == 100
    assert counts.most_open <= 64 // 4 + 3  # as above: closes waiting on the writer thread
