"""The event keys (provider_id, event_id) seen so far in one file, for exact dedup as batches
stream in.

Asking "which of this batch's keys were seen before?" with a SQL anti-join would build a hash
table of every key seen so far for every batch: memory growing with the file and time growing
with its square. Instead each key's 64-bit hash (DuckDB's ``hash``) is kept in sorted numpy
runs (merged as they grow, like a log-structured tree: 8 bytes per key, O(log n) per lookup),
and the exact keys in a DuckDB table (``file_event_keys``) that only the rare hash hits are
checked against, so a hash collision can never drop an event that is not a duplicate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..db import arrow_table


class SeenKeys:
    def __init__(self, con: Any) -> None:
        self.con = con
        self.runs: list[np.ndarray] = []  # sorted uint64 hashes, sizes roughly halving
        con.execute(
            "CREATE OR REPLACE TEMP TABLE file_event_keys "
            "(key_hash UBIGINT, provider_id VARCHAR, event_id VARCHAR)"
        )

    def __len__(self) -> int:
        return sum(len(r) for r in self.runs)

    def _maybe_seen(self, hashes: np.ndarray) -> np.ndarray:
        hit = np.zeros(len(hashes), dtype=bool)
        for run in self.runs:
            at = np.searchsorted(run, hashes)
            hit |= run[np.minimum(at, len(run) - 1)] == hashes
        return hit

    def _add_hashes(self, hashes: np.ndarray) -> None:
        if not len(hashes):
            return  # an empty run would break the look-ups
        run = np.sort(hashes)
        while self.runs and len(self.runs[-1]) <= 2 * len(run):
            run = np.sort(np.concatenate([self.runs.pop(), run]))
        self.runs.append(run)

    def seen_before(self, keys: pa.Table) -> np.ndarray:
        """Per row of ``keys`` (provider_id, event_id, key_hash): seen before, exactly."""
        hashes = keys["key_hash"].to_numpy()
        seen = np.zeros(len(hashes), dtype=bool)
        if not self.runs or not len(hashes):
            return seen
        where = np.flatnonzero(self._maybe_seen(hashes))
        if not len(where):
            return seen
        hits = keys.take(pa.array(where)).append_column("i", pa.array(where, pa.int64()))
        self.con.register("hash_hits", hits)
        try:
            exact = arrow_table(
                self.con,
                """SELECT h.i FROM hash_hits h WHERE EXISTS (
                    SELECT 1 FROM file_event_keys k
                    WHERE k.key_hash = h.key_hash AND k.provider_id = h.provider_id
                      AND k.event_id = h.event_id)""",
            )
        finally:
            self.con.unregister("hash_hits")
        seen[exact["i"].to_numpy()] = True
        return seen

    def add(self, keys: pa.Table) -> None:
        """Record ``keys`` (provider_id, event_id, key_hash), none of them seen before."""
        self._add_hashes(keys["key_hash"].to_numpy())
        self.con.register("new_keys", keys)
        try:
            self.con.execute(
                "INSERT INTO file_event_keys SELECT key_hash, provider_id, event_id FROM new_keys"
            )
        finally:
            self.con.unregister("new_keys")

    def first_deliveries(self, rows: pa.Table) -> pa.Table:
        """``rows`` without events seen earlier in the file (in an earlier batch or an earlier
        line of this batch); records the new keys."""
        keys = rows.select(["line_number", "provider_id", "event_id"]).append_column(
            "pos", pa.array(np.arange(rows.num_rows, dtype=np.int64))
        )
        self.con.register("batch_event_keys", keys)
        try:
            hashes = arrow_table(
                self.con, "SELECT hash(provider_id, event_id) AS key_hash FROM batch_event_keys"
            )["key_hash"]
            ordered = np.sort(hashes.to_numpy())
            if len(ordered) < 2 or (ordered[1:] != ordered[:-1]).all():
                # Distinct hashes, so distinct keys: no repeat inside the batch (the usual
                # case), and no need to group the keys by text.
                firsts = keys.select(["provider_id", "event_id"]).append_column("key_hash", hashes)
                firsts = firsts.append_column("first_pos", keys["pos"])
            else:
                firsts = arrow_table(
                    self.con,
                    """SELECT provider_id, event_id, hash(provider_id, event_id) AS key_hash,
                        arg_min(pos, line_number) AS first_pos
                    FROM batch_event_keys GROUP BY provider_id, event_id""",
                )
        finally:
            self.con.unregister("batch_event_keys")
        before = self.seen_before(firsts.select(["provider_id", "event_id", "key_hash"]))
        new = firsts.filter(pa.array(~before)) if before.any() else firsts
        self.add(new.select(["provider_id", "event_id", "key_hash"]))
        if new.num_rows == rows.num_rows:
            return rows  # no repeat: the usual case
        keep = np.zeros(rows.num_rows, dtype=bool)
        keep[new["first_pos"].to_numpy()] = True
        return rows.filter(pa.array(keep))

    def in_lake(self, lake_keys: pa.Table) -> pa.Table:
        """Of the lake's keys (provider_id, event_id), those this file also holds."""
        self.con.register("lake_event_keys", lake_keys)
        try:
            hashed = arrow_table(
                self.con,
                "SELECT DISTINCT provider_id, event_id, hash(provider_id, event_id) AS key_hash "
                "FROM lake_event_keys",
            )
        finally:
            self.con.unregister("lake_event_keys")
        return hashed.filter(pa.array(self.seen_before(hashed))).select(["provider_id", "event_id"])
