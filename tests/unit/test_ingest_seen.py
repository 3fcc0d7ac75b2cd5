"""The seen-keys dedup (ingest/seen.py) stays exact when key hashes collide: its hashes only
say where to look, the spilled exact keys decide. Collisions are forced by making the hash
take a few values (or one), spilled chunks tiny, and chunk numbers wrap after two chunks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.ingest import seen as seen_module
from auditpipe.ingest.seen import SeenKeys

HASHES = [
    "42::UBIGINT",  # every key collides with every other
    "(hash(provider_id, event_id) & 3)::UBIGINT",  # four hash values
    "(hash(provider_id, event_id) | 1048575)::UBIGINT",  # equal in the bits that name chunks
    "hash(provider_id, event_id)",  # the real one
]


@contextmanager
def colliding(key_hash: str | None, chunk_keys: int = 3, chunk_bits: int = 1) -> Iterator[None]:
    """The hash, chunk size and chunk bits patched; ``None``: SeenKeys as it ships."""
    if key_hash is None:
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(seen_module, "KEY_HASH", key_hash)
        mp.setattr(seen_module, "CHUNK_KEYS", chunk_keys)
        mp.setattr(seen_module, "CHUNK_BITS", chunk_bits)
        yield


def keys_table(rows: list[tuple[int, str, str]]) -> pa.Table:
    return pa.table(
        {
            "line_number": pa.array([r[0] for r in rows], pa.int64()),
            "provider_id": pa.array([r[1] for r in rows], pa.string()),
            "event_id": pa.array([r[2] for r in rows], pa.string()),
        }
    )


@given(
    st.sampled_from([*HASHES, None]),
    st.lists(
        st.lists(st.tuples(st.sampled_from(["p", "q"]), st.integers(0, 40)), max_size=25),
        min_size=1,
        max_size=8,
    ),
    st.randoms(use_true_random=False),
)
@settings(max_examples=80, deadline=None)
def test_colliding_hashes_keep_each_events_first_delivery(
    key_hash: str | None, batches: list, rnd: random.Random
) -> None:
    """Batches in line order, rows inside a batch in any order. Whatever the hash (or as it
    ships), every (provider, event) is kept once, at its lowest line number, whether it repeats
    inside a batch or across batches; and the lake look-up finds exactly the keys the file
    holds."""
    with colliding(key_hash):
        seen = SeenKeys(duckdb.connect())
        line = 0
        kept: list[int] = []
        expected: dict[tuple[str, str], int] = {}
        for batch in batches:
            rows = []
            for provider, n in batch:
                line += 1
                rows.append((line, provider, f"e{n}"))
                expected.setdefault((provider, f"e{n}"), line)
            rnd.shuffle(rows)
            kept += seen.first_deliveries(keys_table(rows))["line_number"].to_pylist()
        assert sorted(kept) == sorted(expected.values())
        lake = [(p, f"e{n}") for p in ("p", "q", "r") for n in range(0, 45, 2)]
        found = seen.in_lake(
            pa.table({"provider_id": [k[0] for k in lake], "event_id": [k[1] for k in lake]})
        )
        pairs = zip(found["provider_id"].to_pylist(), found["event_id"].to_pylist(), strict=True)
        assert sorted(pairs) == sorted(k for k in lake if k in expected)
        seen.close()


def test_distinct_keys_of_one_hash_are_all_kept_across_spilled_chunks(tmp_path: Path) -> None:
    """One hash for every key, three keys per chunk, chunk numbers wrapping after two: ten
    batches of new keys are all kept, and their repeats all dropped."""
    with colliding("42::UBIGINT"):
        seen = SeenKeys(duckdb.connect(), tmp_path / "seen")
        fresh = [
            len(
                seen.first_deliveries(keys_table([(b * 4 + i, "p", f"e{b}-{i}") for i in range(4)]))
            )
            for b in range(10)
        ]
        assert fresh == [4] * 10
        assert len(list((tmp_path / "seen").glob("keys-*.arrow"))) >= 10  # spilled, not held
        again = keys_table([(100 + i, "p", f"e{i % 10}-{i % 4}") for i in range(40)])
        assert seen.first_deliveries(again).num_rows == 0
        seen.close()
        assert not (tmp_path / "seen").exists()


def test_a_missing_key_part_never_matches_a_stored_one() -> None:
    """As the SQL join it replaced: a NULL event_id is no repeat of an earlier NULL one (ingest
    never hands dedup such a row: a missing event_id is derived; this pins the behaviour)."""
    with colliding("42::UBIGINT"):
        seen = SeenKeys(duckdb.connect())
        first = seen.first_deliveries(keys_table([(1, "p", "e1")]))
        nulls = pa.table(
            {
                "line_number": pa.array([2], pa.int64()),
                "provider_id": pa.array(["p"], pa.string()),
                "event_id": pa.array([None], pa.string()),
            }
        )
        assert first.num_rows == 1
        assert seen.first_deliveries(nulls).num_rows == 1
        assert seen.first_deliveries(nulls).num_rows == 1
        seen.close()
