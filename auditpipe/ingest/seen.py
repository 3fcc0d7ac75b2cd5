"""The event keys (provider_id, event_id) seen so far in one file, for exact dedup as batches
stream in, in memory that does not grow with the keys' text.

Asking "which of this batch's keys were seen before?" with a SQL anti-join would build a hash
table of every key seen so far for every batch: memory growing with the file and time growing
with its square. Instead each key's 64-bit hash (DuckDB's ``hash``) is kept in sorted runs
(sorted_runs.py: merged in place as they grow, like a log-structured tree: 8 bytes per key and
no more, O(log n) per lookup).

The exact keys, about 45 bytes each, were kept in memory too (a DuckDB table): 180 MiB of a
4,000,000-row file's peak, growing with the file. They now go to disk, in chunks of
``CHUNK_KEYS`` keys, each an Arrow IPC file in the file's staging folder, written as the keys
arrive and read back (memory-mapped) only for the rare hash hits: a repeated event, or two
keys whose hashes agree. The low ``CHUNK_BITS`` bits of each hash kept in the runs are
replaced by the number of the chunk holding its key, so a hit names the chunks to read; the
high 44 bits left still make a false hit rare (about 6 keys in a 10,000,000-row file), and a
false hit only costs reading one chunk. A key is called seen only when its exact text is found
in a chunk: a hash collision can never drop an event that is not a duplicate.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..db import arrow_table
from .sorted_runs import SortedRuns

KEY_HASH = "hash(provider_id, event_id)"  # DuckDB SQL; the tests make it collide on purpose
CHUNK_BITS = 20  # chunk numbers wrap past 2**20 chunks; a hit then names every chunk it may be
CHUNK_KEYS = 1 << 17  # keys per spilled chunk: about 6 MiB held before it is written
# event_date: the day of the key's first delivery in the file, read back on a repeat to tell
# an id used again on another day (SeenKeys.other_day), never held in memory beyond a chunk
KEY_SCHEMA = pa.schema(
    [
        ("key_hash", pa.uint64()),
        ("provider_id", pa.string()),
        ("event_id", pa.string()),
        ("event_date", pa.date32()),
    ]
)
NO_DAY = np.iinfo(np.int32).min  # a key whose first delivery's day is not known


class SeenKeys:
    def __init__(self, con: Any, folder: Path | None = None) -> None:
        """``con``: a DuckDB connection for hashing; ``folder``: where the exact keys are
        spilled (created; removed by ``close``), by default a private temporary folder."""
        self.con = con
        self.runs = SortedRuns()  # uint64 (hash, chunk)
        self.bits = CHUNK_BITS
        self.low = np.uint64((1 << self.bits) - 1)  # the chunk number's bits
        self.high = ~self.low  # the hash's bits
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="auditpipe-seen-"))
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._cleanup = weakref.finalize(self, _cleanup, folder, self.runs)
        self.chunks = 0  # chunks written; the keys in ``pending`` are chunk number ``chunks``
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        # repeats in the file whose day differs from their key's first delivery's: not the
        # same event, an id used again (ids reset daily, per file...)
        self.other_day = 0
        # provider_id -> the least and the greatest event_id recorded (text order, as Parquet
        # statistics compare): the lake check reads only the lake's row groups in that range
        self.id_ranges: dict[str, tuple[str, str]] = {}

    def __len__(self) -> int:
        return len(self.runs)

    def close(self) -> None:
        """Remove the spilled keys and free the hashes; no look-up may follow."""
        self._cleanup()

    # -- hashes in memory ---------------------------------------------------------------
    def _maybe_seen(self, hashes: np.ndarray) -> np.ndarray:
        # Searched in sorted order, each search starts near the one before and finds the run's
        # pages still cached: five times faster than in line order on a 2,000,000-key run.
        order = np.argsort(hashes)
        high = hashes[order] & self.high
        found = np.zeros(len(hashes), dtype=bool)
        for run in self.runs.runs():
            at = np.searchsorted(run, high)
            found |= (run[np.minimum(at, len(run) - 1)] & self.high) == high
        hit = np.empty_like(found)
        hit[order] = found
        return hit

    def _add_hashes(self, hashes: np.ndarray, chunk: int) -> None:
        self.runs.add((hashes & self.high) | np.uint64(chunk & int(self.low)))

    def _candidates(self, hashes: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row of ``where``, chunk number modulo 2**CHUNK_BITS) for every kept hash whose high
        bits match that row's."""
        high = hashes[where] & self.high
        rows, chunks = [], []
        for run in self.runs.runs():
            lo = np.searchsorted(run, high, "left")
            hi = np.searchsorted(run, high | self.low, "right")
            rows.append(np.repeat(where, hi - lo))
            chunks.append(run[_ranges(lo, hi)] & self.low)
        return np.concatenate(rows), np.concatenate(chunks).astype(np.int64)

    # -- exact keys on disk -------------------------------------------------------------
    def _chunk_path(self, number: int) -> Path:
        return self.folder / f"keys-{number}.arrow"

    def _pending_sorted(self) -> pa.Table:
        keys = pa.concat_tables(self.pending)
        # numpy's argsort and a take: a fifth of Table.sort_by's time on a chunk (3 ms, 14 ms).
        return keys.take(pa.array(np.argsort(keys["key_hash"].to_numpy())))

    def _spill(self) -> None:
        # Sorted by hash once here, so that every look-up in the chunk is a binary search:
        # sorting the chunk at each look-up (each hit names a chunk, and a batch's hits name
        # more chunks as the file grows) cost time growing with the square of the file,
        # 10 s of a 4,000,000-key file.
        path = self._chunk_path(self.chunks)
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, KEY_SCHEMA) as writer:
            writer.write_table(self._pending_sorted())
        self.chunks += 1
        self.pending, self.pending_rows = [], 0

    def _exact_in_chunk(
        self, keys: pa.Table, rows: np.ndarray, number: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Of ``rows`` of ``keys``, those whose exact key is in chunk ``number``, and the day
        stored with each (``NO_DAY`` where none is)."""
        if number == self.chunks:
            return _exact_in(keys, rows, self._pending_sorted())
        with pa.memory_map(str(self._chunk_path(number))) as source:
            # Memory-mapped: only the pages the search touches are read.
            return _exact_in(keys, rows, pa.ipc.open_file(source).read_all())

    # -- the interface ------------------------------------------------------------------
    def seen_before(self, keys: pa.Table) -> np.ndarray:
        """Per row of ``keys`` (key_hash, provider_id, event_id): seen before, exactly."""
        return self.seen_before_on(keys)[0]

    def seen_before_on(self, keys: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        """Per row of ``keys``: seen before, exactly; and the day of that first delivery
        (days since 1970, ``NO_DAY`` for a row not seen or a day not known)."""
        hashes = keys["key_hash"].to_numpy()
        seen = np.zeros(len(hashes), dtype=bool)
        days = np.full(len(hashes), NO_DAY, dtype=np.int32)
        if not len(self.runs) or not len(hashes):
            return seen, days
        where = np.flatnonzero(self._maybe_seen(hashes))
        if not len(where):
            return seen, days
        rows, chunks = self._candidates(hashes, where)
        wrap, end = 1 << self.bits, self.chunks + (1 if self.pending else 0)
        for low in np.unique(chunks):  # one pass per chunk named, not per row
            asked = np.unique(rows[chunks == low])
            for number in range(int(low), end, wrap):
                asked = asked[~seen[asked]]
                if len(asked):
                    found, found_days = self._exact_in_chunk(keys, asked, number)
                    seen[found] = True
                    days[found] = found_days
        return seen, days

    def add(self, keys: pa.Table) -> None:
        """Record ``keys`` (key_hash, provider_id, event_id, and event_date if known), none
        of them seen before."""
        if not keys.num_rows:
            return
        if "event_date" not in keys.column_names:
            keys = keys.append_column("event_date", pa.nulls(keys.num_rows, pa.date32()))
        self._add_hashes(keys["key_hash"].to_numpy(), self.chunks)
        self._widen_ranges(keys)
        self.pending.append(keys.cast(KEY_SCHEMA))
        self.pending_rows += keys.num_rows
        if self.pending_rows >= CHUNK_KEYS:
            self._spill()

    def _widen_ranges(self, keys: pa.Table) -> None:
        bounds = (
            keys.select(["provider_id", "event_id"])
            .group_by("provider_id")
            .aggregate([("event_id", "min"), ("event_id", "max")])
            .to_pylist()
        )
        for b in bounds:
            provider, lo, hi = b["provider_id"], b["event_id_min"], b["event_id_max"]
            if provider is None or lo is None:
                continue  # a key without a provider or an id matches no key of the lake
            held = self.id_ranges.get(provider)
            self.id_ranges[provider] = (min(held[0], lo), max(held[1], hi)) if held else (lo, hi)

    def id_range(self, provider: str) -> tuple[str, str] | None:
        """The least and the greatest event_id recorded for ``provider`` (None: none)."""
        return self.id_ranges.get(provider)

    def first_deliveries(self, rows: pa.Table) -> pa.Table:
        """``rows`` without events seen earlier in the file (in an earlier batch or an earlier
        line of this batch); records the new keys, and counts in ``other_day`` the repeats
        whose event_date differs from their key's first delivery's."""
        keys = rows.select(["line_number", "provider_id", "event_id"]).append_column(
            "pos", pa.array(np.arange(rows.num_rows, dtype=np.int64))
        )
        self.con.register("batch_event_keys", keys)
        try:
            hashes = arrow_table(self.con, f"SELECT {KEY_HASH} AS key_hash FROM batch_event_keys")[
                "key_hash"
            ]
            ordered = np.sort(hashes.to_numpy())
            if len(ordered) < 2 or (ordered[1:] != ordered[:-1]).all():
                # Distinct hashes, so distinct keys: no repeat inside the batch (the usual
                # case), and no need to group the keys by text.
                first_of_row = np.arange(rows.num_rows, dtype=np.int64)
            else:
                # each row's key's first row in the batch (by line, as before: arg_min)
                first_of_row = (
                    arrow_table(
                        self.con,
                        """SELECT b.pos, f.first_pos FROM batch_event_keys AS b JOIN (
                            SELECT provider_id, event_id, arg_min(pos, line_number) AS first_pos
                            FROM batch_event_keys GROUP BY provider_id, event_id
                        ) AS f USING (provider_id, event_id) ORDER BY b.pos""",
                    )["first_pos"]
                    .to_numpy()
                    .astype(np.int64)
                )
        finally:
            self.con.unregister("batch_event_keys")
        positions = np.flatnonzero(first_of_row == np.arange(rows.num_rows))
        days = _days(rows)
        firsts = pa.table(
            {
                "key_hash": hashes,
                "provider_id": keys["provider_id"],
                "event_id": keys["event_id"],
                "event_date": pa.array(days, pa.int32()).cast(pa.date32())
                if "event_date" in rows.column_names
                else pa.nulls(rows.num_rows, pa.date32()),
            }
        )
        if len(positions) < rows.num_rows:  # repeats in the batch: their keys' first rows
            firsts = firsts.take(pa.array(positions))
        before, before_day = self.seen_before_on(firsts)
        self.add(firsts.filter(pa.array(~before)) if before.any() else firsts)
        if not before.any() and len(positions) == rows.num_rows:
            return rows  # no repeat: the usual case
        # Each repeat against the day of the delivery it repeats: an earlier batch's (on disk
        # with its key) or its key's first row here.
        which = np.searchsorted(positions, first_of_row)
        repeated = before[which] | (first_of_row != np.arange(rows.num_rows))
        reference = np.where(before, before_day, days[positions])[which]
        known = (reference != NO_DAY) & (days != NO_DAY)
        self.other_day += int((repeated & known & (days != reference)).sum())
        return rows.filter(pa.array(~repeated))

    def in_lake(self, lake_keys: pa.Table) -> pa.Table:
        """Of the lake's keys (provider_id, event_id, and any other columns, kept), those this
        file also holds."""
        self.con.register("lake_event_keys", lake_keys)
        try:
            hashed = arrow_table(
                self.con, f"SELECT DISTINCT {KEY_HASH} AS key_hash, * FROM lake_event_keys"
            )
        finally:
            self.con.unregister("lake_event_keys")
        return hashed.filter(pa.array(self.seen_before(hashed))).drop_columns(["key_hash"])


def _days(rows: pa.Table) -> np.ndarray:
    """``rows``' event_date as days since 1970 (``NO_DAY`` where there is none)."""
    if "event_date" not in rows.column_names:
        return np.full(rows.num_rows, NO_DAY, dtype=np.int32)
    days = rows["event_date"].combine_chunks().cast(pa.int32())
    return pc.fill_null(days, NO_DAY).to_numpy(zero_copy_only=False).astype(np.int32)


def _cleanup(folder: Path, runs: SortedRuns) -> None:
    runs.close()
    shutil.rmtree(folder, True)


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The indices lo[0]..hi[0]-1, lo[1]..hi[1]-1, ... as one array."""
    counts = hi - lo
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    return starts + np.arange(int(counts.sum()))


def _exact_in(keys: pa.Table, rows: np.ndarray, chunk: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Of ``rows`` of ``keys``, those whose (key_hash, provider_id, event_id) is in ``chunk``
    (sorted by key_hash), and the event_date the chunk holds with each (``NO_DAY`` where it
    holds none): every chunk key of an equal hash is compared as text."""
    held = chunk["key_hash"].to_numpy()
    wanted = keys["key_hash"].to_numpy()[rows]
    lo = np.searchsorted(held, wanted, "left")
    hi = np.searchsorted(held, wanted, "right")
    asked = np.repeat(rows, hi - lo)
    if not len(asked):
        return asked, np.empty(0, dtype=np.int32)
    found = _ranges(lo, hi)
    ask, take = pa.array(asked), pa.array(found)
    same = pc.and_(
        pc.equal(keys["provider_id"].take(ask), chunk["provider_id"].take(take)),
        pc.equal(keys["event_id"].take(ask), chunk["event_id"].take(take)),
    )
    # A missing part equals nothing, as in SQL (such rows are quarantined before dedup).
    matched = pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    # an exact key is recorded once in a file, so a row matches at most one chunk key
    rows_found, at = np.unique(asked[matched], return_index=True)
    if "event_date" in chunk.column_names:
        stored = chunk["event_date"].take(pa.array(found[matched][at])).cast(pa.int32())
        days = pc.fill_null(stored, NO_DAY).to_numpy(zero_copy_only=False).astype(np.int32)
    else:
        days = np.full(len(rows_found), NO_DAY, dtype=np.int32)
    return rows_found, days
