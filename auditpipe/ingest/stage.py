"""Streaming one file's normalised batches into staged Parquet files, exactly once each.

Batches arrive in line order. Each one is split into quarantined rows (written at once to the
file's quarantine Parquet file) and accepted rows. Accepted rows are deduplicated as they come:
an event (provider_id, event_id) already seen earlier in the file is a duplicate, so every
event keeps its first delivery (seen.py keeps the keys seen so far). New rows are buffered per partition and
appended to one pyarrow ``ParquetWriter`` per partition in row groups of ``ROW_GROUP_ROWS``;
the buffer is bounded (``BUFFER_ROWS``), so memory does not grow with the file.

Events the lake already holds are found once, at the end: the file's keys are semi-joined with
the keys of the lake's files for the same providers, read one lake file at a time. Usually
there are none; when a file repeats stored events (a re-delivery), the staged partitions
holding them are rewritten without them. Likewise, when the file has bad rows, those the
lake's quarantine holds from an earlier ingest of the same path (same line, same text: a file
that grew) are dropped from its quarantine file and counted as duplicates. Nothing is visible to readers until the pipeline
commits the staged files as one lake transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..db import arrow_table
from ..lake import verify_parquet
from ..lake.layout import partition_folder_name
from ..lake.parquet_writer import ParquetWriter
from ..lake.schema import EVENT_FILE_COLUMNS, QUARANTINE_COLUMNS
from .seen import SeenKeys

ROW_GROUP_ROWS = 122_880  # DuckDB's default, so row groups look as they did
BUFFER_ROWS = 65_536  # accepted rows held before every partition is flushed
MAX_OPEN_WRITERS = 256  # beyond this, a partition's writer is closed and a new file started
MAX_PENDING_PARTS = 4096  # partitions holding rows not yet written, before all are written
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "store_schema": False}

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "BIGINT": pa.int64(),
    "VARCHAR[]": pa.list_(pa.string()),
    "DECIMAL(18,4)": pa.decimal128(18, 4),
    "JSON": pa.json_(pa.string()),
    "BOOLEAN": pa.bool_(),
}


def arrow_schema(columns: list[tuple[str, str]]) -> pa.Schema:
    return pa.schema([(name, _ARROW_TYPES[typ]) for name, typ in columns])


EVENT_SCHEMA = arrow_schema(EVENT_FILE_COLUMNS)
QUARANTINE_SCHEMA = arrow_schema(QUARANTINE_COLUMNS)
# Columns whose values are nearly all distinct by nature. A dictionary for them is built and
# then abandoned when it outgrows its page, which costs CPU and leaves larger files: on the
# benchmark's batches, dictionaries for the other columns only made writing 9% faster and the
# files 13% smaller. Encodings only: the values and the schema readers see are unchanged.
_UNIQUE_BY_NATURE = {
    "event_id", "event_time", "actor_id", "subject_id", "authorization_ref", "source_ip",
    "extras", "line_number",
}  # fmt: skip
EVENT_PARQUET_OPTIONS: dict[str, Any] = {
    **PARQUET_OPTIONS,
    "use_dictionary": [f.name for f in EVENT_SCHEMA if f.name not in _UNIQUE_BY_NATURE],
}


def open_writer_cap() -> int:
    """``MAX_OPEN_WRITERS``, or a quarter of the process's file descriptor limit when that is
    lower (``ulimit -n 256``: 64): each open writer holds a descriptor, and DuckDB, the reader
    and the commit's fsyncs need theirs."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_OPEN_WRITERS
    return max(1, min(MAX_OPEN_WRITERS, soft // 4))


def partition_folder(provider_id: str, day: dt.date) -> str:
    """``provider_id=<p>/event_date=<d>`` as the lake's layout names partition folders."""
    return (
        f"{partition_folder_name('provider_id', provider_id)}/"
        f"{partition_folder_name('event_date', day.isoformat())}"
    )


def provider_folder_bytes(provider_id: str) -> int:
    return len(partition_folder_name("provider_id", provider_id).encode())


@dataclass(frozen=True)
class Provenance:
    source_file: str
    source_sha256: Future[str]  # the file is hashed while it is staged (hashing.py)
    ingest_run_id: str
    ingested_at: dt.datetime

    def columns(self, n: int) -> dict[str, pa.Array]:
        """The provenance columns of ``n`` rows; waits for the file's hash."""
        return {
            "source_file": pa.repeat(self.source_file, n).cast(pa.string()),
            "source_sha256": pa.repeat(self.source_sha256.result(), n).cast(pa.string()),
            "ingest_run_id": pa.repeat(self.ingest_run_id, n).cast(pa.string()),
            "ingested_at": pa.repeat(pa.scalar(self.ingested_at, pa.timestamp("us", tz="UTC")), n),
        }


def conform(table: pa.Table, schema: pa.Schema, provenance: dict[str, pa.Array]) -> pa.Table:
    """``table``'s columns (plus provenance) in ``schema``'s order and types."""
    arrays = []
    for f in schema:
        col = provenance[f.name] if f.name in provenance else table[f.name]
        if isinstance(f.type, pa.BaseExtensionType):
            storage = col.cast(f.type.storage_type)
            chunks = storage.chunks if isinstance(storage, pa.ChunkedArray) else [storage]
            col = pa.chunked_array(
                [pa.ExtensionArray.from_storage(f.type, c) for c in chunks], f.type
            )
        else:
            col = col.cast(f.type)
        arrays.append(col)
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass
class StagedFiles:
    events: list[tuple[Path, str, tuple[str, dt.date]]]  # (staged file, lake path, partition)
    quarantine: Path | None
    stored: int
    quarantined: int
    duplicates: int
    quarantined_before: int = (
        0  # bad rows an earlier version of the file quarantined (in duplicates)
    )
    # counter name -> how much of it those rows made (ReadContext.count_quarantined)
    counted_before: dict[str, int] = field(default_factory=dict)
    # duplicates whose key the file (earlier) or the lake holds on another day: not the same
    # event (its time differs), its id used again (ids reset daily, per file or per server)
    duplicates_of_another_day: int = 0


class _Writer:
    """One background thread that runs the Parquet writes in order, so compressing and
    writing overlap DuckDB's work on the next batch (pyarrow releases the GIL). At most
    ``depth`` writes wait; an error is raised in the caller at the next call."""

    def __init__(self, depth: int = 2) -> None:
        import queue
        import threading

        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="auditpipe-writer", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.error is None:
                try:
                    job()
                except BaseException as exc:  # handed to the caller
                    self.error = exc

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        self.jobs.put(job)

    def drain(self) -> None:
        """Wait for every write; raise the first error."""
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


@dataclass
class _Partition:
    folder: str
    key: tuple[str, dt.date]
    pending: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0
    writer: ParquetWriter | None = None
    files: list[Path] = field(default_factory=list)
    names: dict[Path, str] = field(default_factory=dict)  # staged file -> its lake name


class FileStager:
    """Takes normalised batches (see normalize.py) of one file, in line order."""

    def __init__(self, con: Any, work: Path, provenance: Provenance) -> None:
        self.con = con
        self.work = work
        self.provenance = provenance
        self.partitions: dict[tuple[str, dt.date], _Partition] = {}
        self.buffered = 0
        self.pending: dict[tuple[str, dt.date], _Partition] = {}  # partitions with rows held
        self.pending_parts = 0  # tables held in all
        self.open_writers: list[_Partition] = []
        self.max_open_writers = open_writer_cap()
        self.quarantine_writer: ParquetWriter | None = None
        self.quarantined = 0
        self.may_hold_numbers = False  # a quarantined text may hold an ID-like token
        self.accepted = 0
        self.writes = _Writer()
        self.seen = SeenKeys(con, work / "seen")

    @property
    def providers(self) -> set[str]:
        return {provider for provider, _ in self.partitions}

    # -- per batch ----------------------------------------------------------------------
    def add(self, batch: pa.Table) -> None:
        if batch["reason"].null_count == batch.num_rows:
            accepted = batch  # nothing quarantined: no copy of the batch
        else:
            failed = pc.is_valid(batch["reason"])
            self._quarantine(batch.filter(failed))
            accepted = batch.filter(pc.invert(failed))
        self.accepted += accepted.num_rows
        if accepted.num_rows:
            self._buffer(self.seen.first_deliveries(accepted))

    def _quarantine(self, rows: pa.Table) -> None:
        if self.quarantine_writer is None:
            self.quarantine_writer = ParquetWriter(
                self.work / "quarantine.parquet", QUARANTINE_SCHEMA, **PARQUET_OPTIONS
            )
        writer, provenance = self.quarantine_writer, self.provenance

        def write() -> None:
            ordered = rows.sort_by("line_number")
            table = conform(ordered, QUARANTINE_SCHEMA, provenance.columns(ordered.num_rows))
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)

        self.writes.submit(write)
        self.quarantined += rows.num_rows
        self.may_hold_numbers = self.may_hold_numbers or may_hold_numbers(rows)

    def _buffer(self, rows: pa.Table) -> None:
        for key, part in split_by_partition(rows):
            p = self.partitions.get(key)
            if p is None:
                p = self.partitions[key] = _Partition(partition_folder(*key), key)
            p.pending.append(part)
            p.pending_rows += part.num_rows
            self.pending[key] = p
            self.pending_parts += 1
            self.buffered += part.num_rows
            if p.pending_rows >= ROW_GROUP_ROWS:
                self._flush(p)
            # Bounded in parts as well as rows: each part is a slice of its batch with an Arrow
            # object per column (about 13 KiB), so a file of many partitions with few rows each
            # (60,000 partitions of one event: 1 GB) filled memory long before the rows filled
            # the buffer.
            if self.pending_parts > MAX_PENDING_PARTS:
                self._flush_all()
        if self.buffered > BUFFER_ROWS:
            self._flush_all()

    def _flush_all(self) -> None:
        for p in list(self.pending.values()):
            self._flush(p)

    def _flush(self, p: _Partition) -> None:
        if not p.pending_rows:
            return
        pending, provenance = p.pending, self.provenance
        if p.writer is None:
            if len(self.open_writers) >= self.max_open_writers:
                self._close(self.open_writers[0])
            # The staged file's folders name its partition, as the lake's will: readers take a
            # file's partition from its path, and while a commit is pending that path is the
            # staged file's (lake_files).
            path = self.work / "events" / p.folder / f"part-{len(p.files)}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            p.writer = ParquetWriter(path, EVENT_SCHEMA, **EVENT_PARQUET_OPTIONS)
            p.names[path] = f"part-{len(p.files)}.parquet"
            p.files.append(path)
            self.open_writers.append(p)
        writer = p.writer

        def write() -> None:
            rows = pa.concat_tables(pending)
            table = conform(rows, EVENT_SCHEMA, provenance.columns(rows.num_rows))
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)

        self.writes.submit(write)
        self.buffered -= p.pending_rows
        self.pending_parts -= len(p.pending)
        del self.pending[p.key]
        p.pending, p.pending_rows = [], 0

    def _close(self, p: _Partition) -> None:
        if p.writer is not None:
            self.writes.submit(p.writer.close)
            p.writer = None
            self.open_writers.remove(p)

    # -- at the end ---------------------------------------------------------------------
    def finish(
        self,
        lake_files: dict[str, list[Path]],
        lake_quarantine: Callable[[], list[Path]] = list,
        counted: dict[str, Path] | None = None,
    ) -> StagedFiles:
        """Flush and close everything, drop events the lake already holds and bad rows it
        quarantined already (``quarantined_before``), verify the files. ``lake_files``:
        provider_id -> the lake's event files of that provider; ``lake_quarantine``: the
        lake's quarantine files, asked only when the file has quarantined rows; ``counted``:
        counter name -> the rows it counted (ReadContext.count_quarantined), of which those
        dropped are summed in ``counted_before``."""
        self._flush_all()
        for p in list(self.open_writers):
            self._close(p)
        if self.quarantine_writer is not None:
            self.writes.submit(self.quarantine_writer.close)
        self.writes.drain()
        before = 0
        counted_before: dict[str, int] = {}
        if self.quarantine_writer is not None:
            path = self.work / "quarantine.parquet"
            verify_parquet(path, self.quarantined)
            if self.may_hold_numbers:
                redact_quarantine(self.con, path)
                verify_parquet(path, self.quarantined)
            before, counted_before = drop_quarantined_before(
                self.con, path, self.provenance.source_file, lake_quarantine(), counted
            )
            self.quarantined -= before  # the file is gone when none is left
        in_lake = keys_in_lake(self.seen, self.providers, lake_files)
        other_day = self.seen.other_day  # repeats within the file, then against the lake
        self.seen.close()
        if in_lake is not None:
            for p in self.partitions.values():
                other_day += sum(stored_on_another_day(f, p.key, in_lake) for f in p.files)
                p.files = [f for f in p.files if drop_keys(f, p.key[0], in_lake)]
        staged = []
        stored = 0
        for p in self.partitions.values():
            for path in p.files:
                stored += verify_parquet(path)
                staged.append((path, f"{p.folder}/{self._lake_name(p.names[path])}", p.key))
        return StagedFiles(
            events=staged,
            quarantine=self.work / "quarantine.parquet" if self.quarantined else None,
            stored=stored,
            quarantined=self.quarantined,
            duplicates=self.accepted - stored + before,
            quarantined_before=before,
            counted_before=counted_before,
            duplicates_of_another_day=other_day,
        )

    def _lake_name(self, name: str) -> str:
        """``part-<n>.parquet`` (the partition's n-th file) as the lake names it:
        ``part-<sha256[:16]>-<n>.parquet``. The staged file's own name cannot say it: the file
        is opened before the hash is known."""
        sha16 = self.provenance.source_sha256.result()[:16]
        return name.replace("part-", f"part-{sha16}-", 1)

    def abort(self) -> None:
        with contextlib.suppress(BaseException):  # the error that made us abort is on its way
            self.writes.drain()
        # Every writer is closed, each whatever the others do: on a full disk closing fails
        # too (the footer cannot be written), and one failure left the rest open.
        writers = [p.writer for p in self.partitions.values()] + [self.quarantine_writer]
        for writer in writers:
            if writer is not None:
                with contextlib.suppress(Exception):  # the error that made us abort goes on
                    writer.close()


def split_by_partition(rows: pa.Table) -> Iterator[tuple[tuple[str, dt.date], pa.Table]]:
    """The rows of each (provider_id, event_date), each part in line order; none for no rows
    (a batch whose rows were all delivered earlier in the file). Made one at a time: a slice
    holds an Arrow object per column (about 13 KiB), so a batch of 20,000 partitions made at
    once held 260 MB of them."""
    if not rows.num_rows:
        return
    providers = pc.dictionary_encode(rows["provider_id"].combine_chunks())
    days = rows["event_date"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    first_day = int(days.min()) if len(days) else 0
    key = providers.indices.to_numpy(zero_copy_only=False).astype(np.int64) * 1_000_000 + (
        days.astype(np.int64) - first_day
    )
    lines = rows["line_number"].combine_chunks().to_numpy(zero_copy_only=False)
    order = np.lexsort((lines, key))
    ordered_keys = key[order]
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(ordered_keys)) + 1, [len(key)]))
    # A file of one provider's day, in line order, needs no reordering (the usual case).
    in_order = bool((order == np.arange(len(order))).all())
    ordered = rows if in_order else rows.take(pa.array(order))
    epoch = dt.date(1970, 1, 1)
    names = providers.dictionary.to_pylist()
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        k = int(ordered_keys[start])
        day = epoch + dt.timedelta(days=first_day + k % 1_000_000)
        yield (names[k // 1_000_000], day), ordered.slice(start, end - start)


# Lake keys hashed and looked up at a time: about 20 MiB of keys held, in place of one DuckDB
# query per lake file (about 10 ms each whatever the file's size, which made a night of many
# small files cost the square of their number).
LAKE_KEYS_CHUNK = 1 << 19


def keys_in_lake(
    seen: SeenKeys, providers: set[str], lake_files: dict[str, list[Path]]
) -> pa.Table | None:
    """The file's event keys the lake already holds (None when there are none). Reads the
    lake's files of the same providers one at a time, key column only, and looks their keys up
    ``LAKE_KEYS_CHUNK`` at a time (a larger file at once). Only the row groups whose event_id
    statistics overlap the file's own ids (``SeenKeys.id_range``) are read: ids that grow with
    time (sequences, time-ordered UUIDs, snowflakes) put a day's file above every earlier row
    group, so the check costs the file, not the lake's history."""
    found = []
    for provider in sorted(providers):
        wanted = seen.id_range(provider)
        if wanted is None:
            continue  # nothing of this provider to look for
        for ids, days in _event_id_chunks(lake_files.get(provider, []), wanted):
            stored = pa.table(
                {
                    "provider_id": pa.repeat(provider, len(ids)).cast(pa.string()),
                    "event_id": ids,
                    "event_date": days,
                }
            )
            hit = seen.in_lake(stored)
            if hit.num_rows:
                found.append(hit)
    return pa.concat_tables(found) if found else None


# The event_id columns of small lake files, kept from one ingested file to the next. Each file
# of a night reads the keys of every lake file of its providers, and opening a Parquet file
# costs about 1 ms whatever its size: an inbox of 1,000 small files of one provider opened
# 500,000 files (0.4 s a file, 11 minutes for 3,000 events), the square of their number
# again. A lake file is never rewritten in place (new files get new names), and a key names
# the file by path, size, mtime and inode, so a file compacted, replaced or restored is read
# again. Only small files are kept (a large one's reading is its size, not its opening), up to
# SMALL_FILE_IDS_BUDGET bytes, the least recently used dropped first.
SMALL_FILE_IDS_MAX = 1 << 20  # bytes of one file's keys
SMALL_FILE_IDS_BUDGET = 64 << 20  # bytes of keys kept in all
_small_file_ids: OrderedDict[tuple[str, int, int, int], pa.ChunkedArray] = OrderedDict()
_small_file_ids_bytes = 0
_small_file_ids_lock = threading.Lock()  # engines may stage several files at once


# Each lake file's row groups' event_id ranges, read from its footer once per process (by
# the same key as above); None for a row group whose statistics do not give both bounds.
ID_RANGES_MAX = 1 << 16  # files whose ranges are kept
_id_ranges: OrderedDict[tuple[str, int, int, int], list[tuple[str, str] | None]] = OrderedDict()


def lake_file_ids(path: Path, wanted: tuple[str, str] | None = None) -> pa.ChunkedArray:
    """The ``event_id`` column of the lake file ``path`` (as text), kept when it is small.
    ``wanted``: the least and the greatest id looked for; the row groups whose ids all lie
    outside it are not read (their ids are left out)."""
    global _small_file_ids_bytes
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    with _small_file_ids_lock:
        ids = _small_file_ids.get(key)
        if ids is not None:
            _small_file_ids.move_to_end(key)
            return ids
    if wanted is not None:
        groups = _row_groups_in_range(path, key, wanted)
        if groups is not None:
            if not groups:
                return pa.chunked_array([], pa.string())
            read = pq.ParquetFile(path).read_row_groups(groups, columns=["event_id"])
            return read["event_id"].cast(pa.string())
    ids = pq.read_table(path, columns=["event_id"])["event_id"].cast(pa.string())
    size = ids.nbytes
    if size <= SMALL_FILE_IDS_MAX:
        with _small_file_ids_lock:
            if key not in _small_file_ids:
                _small_file_ids[key] = ids
                _small_file_ids_bytes += size
            while _small_file_ids_bytes > SMALL_FILE_IDS_BUDGET:
                _, dropped = _small_file_ids.popitem(last=False)
                _small_file_ids_bytes -= dropped.nbytes
    return ids


def _row_groups_in_range(
    path: Path, key: tuple[str, int, int, int], wanted: tuple[str, str]
) -> list[int] | None:
    """The row groups of ``path`` that may hold an event_id in ``wanted`` (least, greatest);
    None when that is every row group (read the file whole). A row group is passed over only
    when its statistics give both bounds as text and the range lies wholly outside them:
    Parquet compares text bytewise, as Python compares str (UTF-8 keeps code point order),
    and a writer that shortens a long bound keeps it a bound (the minimum cut, the maximum
    raised), so a group passed over holds no id looked for."""
    with _small_file_ids_lock:
        ranges = _id_ranges.get(key)
        if ranges is not None:
            _id_ranges.move_to_end(key)
    if ranges is None:
        ranges = _event_id_ranges(path)
        with _small_file_ids_lock:
            _id_ranges[key] = ranges
            while len(_id_ranges) > ID_RANGES_MAX:
                _id_ranges.popitem(last=False)
    lo, hi = wanted
    groups = [g for g, r in enumerate(ranges) if r is None or not (r[1] < lo or r[0] > hi)]
    return None if len(groups) == len(ranges) else groups


def _event_id_ranges(path: Path) -> list[tuple[str, str] | None]:
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    if "event_id" not in names:
        return [None] * meta.num_row_groups
    column = names.index("event_id")
    ranges: list[tuple[str, str] | None] = []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(column).statistics
        bounds = (stats.min, stats.max) if stats is not None and stats.has_min_max else None
        ranges.append(
            bounds if bounds and all(isinstance(b, str) for b in bounds) else None  # type: ignore[misc]
        )
    return ranges


def _event_id_chunks(
    paths: list[Path], wanted: tuple[str, str] | None = None
) -> Iterator[tuple[pa.ChunkedArray, pa.ChunkedArray]]:
    """The ``event_id`` column of ``paths`` and each row's event_date (its file's partition),
    in chunks of at least ``LAKE_KEYS_CHUNK`` keys (the last one smaller), each holding whole
    files; only the row groups that may hold an id in ``wanted`` (``lake_file_ids``)."""
    held: list[pa.Array] = []
    days: list[pa.Array] = []
    rows = 0
    for path in paths:
        ids = lake_file_ids(path, wanted)
        if not len(ids):
            continue
        held.extend(ids.chunks)
        days.append(pa.repeat(pa.scalar(_partition_day(path), pa.date32()), len(ids)))
        rows += len(ids)
        if rows >= LAKE_KEYS_CHUNK:
            yield pa.chunked_array(held, pa.string()), pa.chunked_array(days, pa.date32())
            held, days, rows = [], [], 0
    if rows:
        yield pa.chunked_array(held, pa.string()), pa.chunked_array(days, pa.date32())


# What any text holding an ID-like token (realname.idcard) or a number cut by the kept KiB of a
# long line also matches, in a pattern cheap to compile: a run of an ASCII digit and 13 or more
# ASCII digits and separators; any character that is not ASCII (another script's digits,
# Unicode separators); any backslash (escapes); a cut line's " ..." end. Most quarantined rows
# (short ASCII lines with a time or an id) match none of these, and their file then skips the
# redaction's query (a plan of about 50 ms, a fifth of a small file's ingest). A test holds
# it to the redaction: whatever the redaction changes, this matches.
MAY_HOLD_NUMBERS = r"[0-9][0-9\x00-\x20\x7f\-/._]{13,}|[^\x00-\x7f]|\\| \.\.\.$"


def may_hold_numbers(rows: pa.Table) -> bool:
    """Whether a quarantined row's ``raw`` or ``reason`` may hold an ID-like token."""
    return any(
        pc.any(pc.match_substring_regex(rows[name], MAY_HOLD_NUMBERS)).as_py()
        for name in ("raw", "reason")
    )


def redact_quarantine(con: Any, path: Path) -> None:
    """Rewrite the staged quarantine file ``path`` with the ID-like tokens of each row's text
    and reason removed, as an account snapshot's quarantined rows have them (realname.idcard;
    issue 11: auditpipe is not one more copy of the identity data it audits). A user export
    not named as a snapshot is read as an access log and rejected row by row, each row with its
    ID number in its text; any log line may hold one.

    Once per file, at its end, in one query streamed a row group at a time: the patterns take
    DuckDB about 50 ms to compile each time a query holding them is planned, which in the
    normalising query (planned once per batch) cost more than twice its planning. Until then
    the rows wait in the file's staging folder, which is removed with the run, whatever ends
    it (the next run removes a killed one's). A reason's quoted value is cut so that it never
    ends inside a number (normalize._shown): the cut piece would be too short to find."""
    from ..db import quote_literal
    from ..realname.idcard import redact_sql

    partial = path.with_name(path.name + ".redacted")
    query = con.execute(
        f"""SELECT * REPLACE ({redact_sql("raw")} AS raw, {redact_sql("reason")} AS reason)
        FROM read_parquet({quote_literal(str(path))})"""
    )
    with ParquetWriter(partial, QUARANTINE_SCHEMA, **PARQUET_OPTIONS) as writer:
        for batch in query.to_arrow_reader(ROW_GROUP_ROWS):
            writer.write_batch(batch.cast(QUARANTINE_SCHEMA), row_group_size=ROW_GROUP_ROWS)
    partial.replace(path)


# source_file's values in each of the lake's quarantine files, as the statistics in its footer
# give them (None where they do not), read once per process and file version (its inode, size
# and time of change: a lake deleted and made again at the same path can hold a file of the
# same name from another source file). Without it, every file with a bad row opened the footer
# of every quarantine file in the lake (0.9 s of CPU per file at 5,000 of them, growing with
# the lake's history).
_QUARANTINE_SOURCES: dict[tuple[Path, int, int, int], frozenset[str] | None] = {}


def quarantine_files_of(files: list[Path], source_file: str) -> list[Path]:
    """Those of the lake's quarantine ``files`` that may hold rows of ``source_file``: one
    ingest's rows each (one source file), told by its footer's statistics; a file whose
    statistics do not say (another writer, a damaged footer) is kept, to be read."""
    kept = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            kept.append(path)  # read by the query, which says what is wrong
            continue
        version = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        if version not in _QUARANTINE_SOURCES:
            _QUARANTINE_SOURCES[version] = _source_files(path)
        sources = _QUARANTINE_SOURCES[version]
        if sources is None or source_file in sources:
            kept.append(path)
    return kept


def _source_files(path: Path) -> frozenset[str] | None:
    """Every ``source_file`` of a quarantine file, if each row group's statistics give one."""
    try:
        meta = pq.read_metadata(path)
        column = meta.schema.names.index("source_file")
        found = set()
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(column).statistics
            if stats is None or not stats.has_min_max or stats.min != stats.max:
                return None
            found.add(stats.min)
        return frozenset(found)
    except (OSError, ValueError, pa.ArrowException):
        return None  # read by the query, which says what is wrong with it


def drop_quarantined_before(
    con: Any,
    path: Path,
    source_file: str,
    lake_quarantine: list[Path],
    counted: dict[str, Path] | None = None,
) -> tuple[int, dict[str, int]]:
    """Rewrite the staged quarantine file ``path`` without the rows an earlier ingest of the
    same ``source_file`` quarantined already; return how many it dropped, and how much of each
    counter in ``counted`` (ReadContext.count_quarantined) the dropped rows made.

    A bad row is identified by (source_file, line_number, raw): a file that grew between two
    runs (new lines appended, any format or compression) is a new content, read again whole;
    its good rows come back as duplicate events, and its old bad rows, without this, came back
    as new quarantined rows, counted twice. They count as duplicates instead, and the counters
    of quarantined rows (GB18030 rows, a database log's quarantined lines) lose what they
    made, so that every count says what this run quarantined. The lake's
    quarantine files are one per ingested file and carry source_file in their statistics, so
    the scan skips the other files' row groups; this runs only for a file with bad rows. The
    match is a DuckDB join (``con``: it spills), and only the positions to drop are held: a
    file of millions of bad lines is not read into memory. Only the lake's files that may
    hold ``source_file``'s rows are read (``quarantine_files_of``)."""
    lake_quarantine = quarantine_files_of(lake_quarantine, source_file)
    if not lake_quarantine:
        return 0, {}
    from ..db import quote_literal
    from ..realname.idcard import redact_sql

    # A quarantined text has its ID-like tokens removed (redact_quarantine); a lake written
    # before that holds them: the lake's text is compared as it is and redacted (the
    # redaction of a redacted text is itself). A counter's rows need not be: their text is
    # NULL, or a database log's, whose literals are scrubbed (digits included) when read.
    files = ", ".join(quote_literal(str(p)) for p in lake_quarantine)
    dropped = f"""SELECT s.file_row_number AS position, s.line_number, s.raw
        FROM read_parquet({quote_literal(str(path))}, file_row_number = true) AS s
        SEMI JOIN (
            SELECT line_number, raw FROM read_parquet([{files}], union_by_name = true)
            WHERE source_file = $source
        ) AS e ON s.line_number = e.line_number
            AND (s.raw = e.raw OR s.raw = {redact_sql("e.raw")})"""
    params = {"source": source_file}
    positions = arrow_table(con, f"SELECT position FROM ({dropped})", params)["position"].to_numpy()
    if not len(positions):
        return 0, {}
    # A counted row is known by its line number, and by its text too where one line number
    # may be several rows (a database log's statements); the kind's text is NULL where the
    # quarantine's text is not the kind's own (an account snapshot's, redacted).
    counted_before = {}
    for name, rows in (counted or {}).items():
        n = arrow_table(
            con,
            f"""SELECT coalesce(sum(c.n), 0) AS n FROM read_parquet({quote_literal(str(rows))}) AS c
            SEMI JOIN ({dropped}) AS d
            ON c.line_number = d.line_number AND (c.raw IS NULL OR c.raw = d.raw)""",
            params,
        )["n"][0].as_py()
        if n:
            counted_before[name] = int(n)
    drop = np.zeros(pq.ParquetFile(path).metadata.num_rows, dtype=bool)
    drop[positions] = True
    kept = rewrite_without(
        path,
        QUARANTINE_SCHEMA,
        PARQUET_OPTIONS,
        lambda batch, offset: pa.array(drop[offset : offset + batch.num_rows]),
    )
    if kept:
        verify_parquet(path, kept)
    return len(positions), counted_before


def _partition_day(path: Path) -> dt.date | None:
    """The event_date of a lake file's partition folder (None outside one)."""
    from ..lake.layout import file_partition

    try:
        return file_partition(path)[1]
    except (IndexError, ValueError):
        return None


def stored_on_another_day(path: Path, partition: tuple[str, dt.date], keys: pa.Table) -> int:
    """How many rows of a staged file of ``partition`` have a key the lake holds on another
    day (``keys``: the lake's keys this file holds, with their event_date)."""
    provider_id, day = partition
    other = keys.filter(
        pc.and_(
            pc.equal(keys["provider_id"], provider_id),
            pc.not_equal(keys["event_date"], pa.scalar(day, pa.date32())),
        )
    )["event_id"]
    if not len(other):
        return 0
    ids = pq.read_table(path, columns=["event_id"])["event_id"]
    return int(pc.sum(pc.is_in(ids, other)).as_py() or 0)


def drop_keys(path: Path, provider_id: str, keys: pa.Table) -> bool:
    """Rewrite a staged file of ``provider_id`` without the rows whose key is in ``keys``;
    False when no row is left (the file is then removed)."""
    ids = keys.filter(pc.equal(keys["provider_id"], provider_id))["event_id"]
    return drop_rows(path, EVENT_SCHEMA, "event_id", ids, EVENT_PARQUET_OPTIONS)


def drop_rows(
    path: Path,
    schema: pa.Schema,
    column: str,
    values: pa.ChunkedArray,
    options: dict[str, Any] = PARQUET_OPTIONS,
) -> bool:
    """Rewrite a staged file without the rows whose ``column`` is in ``values``; False when
    no row is left (the file is then removed). Read a row group at a time, as the file may be
    a large one's whole day: first the one column, then, only if some row goes, everything."""
    source = pq.ParquetFile(path)
    batches = source.iter_batches(batch_size=ROW_GROUP_ROWS, columns=[column])
    if not any(pc.any(pc.is_in(b.column(0), values)).as_py() for b in batches):
        return True
    return (
        rewrite_without(
            path, schema, options, lambda batch, _offset: pc.is_in(batch[column], values)
        )
        > 0
    )


def rewrite_without(
    path: Path,
    schema: pa.Schema,
    options: dict[str, Any],
    drops: Callable[[pa.RecordBatch, int], pa.Array],
) -> int:
    """Replace ``path`` by a copy without the rows ``drops(batch, offset of its first row)``
    marks, streamed a row group at a time; returns the rows kept (none: the file is removed)."""
    partial = path.with_name(path.name + ".rewrite")
    writer: ParquetWriter | None = None
    kept = offset = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=ROW_GROUP_ROWS):
            mask = drops(batch, offset)
            offset += batch.num_rows
            batch = batch.filter(pc.invert(mask)).cast(schema)
            if batch.num_rows:
                if writer is None:
                    writer = ParquetWriter(partial, schema, **options)
                writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)
                kept += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    path.unlink()
    if kept:
        partial.rename(path)
    return kept
