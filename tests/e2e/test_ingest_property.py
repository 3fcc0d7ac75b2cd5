"""Property: on any mix of good, bad and repeated rows, every row is accounted for."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.ingest import good, ingest, query

BAD_ROWS = [
    "{ not json",
    "[1, 2]",
    json.dumps(good(event_time="2026-13-01")),
    json.dumps(good(action="fly")),
    json.dumps(good(amount=-1)),
    json.dumps(good(record_count="x")),
    json.dumps(good(actor_id=None)),
    b'{"actor_id": "\xff"}',
]

row = st.one_of(
    st.tuples(st.just("good"), st.integers(0, 30)),  # event id: small range -> repeats
    st.tuples(st.just("bad"), st.integers(0, len(BAD_ROWS) - 1)),
    st.tuples(st.just("blank"), st.just(0)),
)


@pytest.mark.slow  # 25 ingests into lakes on disk
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(st.lists(row, max_size=40), min_size=1, max_size=3))
def test_rows_read_equal_stored_plus_quarantined_plus_duplicates(
    files: list[list[tuple[str, int]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        paths = []
        for n, rows in enumerate(files):
            lines = []
            for kind, value in rows:
                if kind == "good":
                    lines.append(
                        json.dumps(good(event_id=f"e{value}", actor_id=f"file{n}")).encode()
                    )
                elif kind == "bad":
                    bad = BAD_ROWS[value]
                    lines.append(bad if isinstance(bad, bytes) else bad.encode())
                else:
                    lines.append(b"")
            path = base / f"f{n}.jsonl"
            # a unique header line keeps files distinct even when their rows are equal
            path.write_bytes(
                b"\n".join([json.dumps(good(event_id=f"head{n}")).encode(), *lines]) + b"\n"
            )
            paths.append(path)
        result = ingest(base / "lake", *paths)
        expected_good = {f"head{n}" for n in range(len(files))} | {
            f"e{v}" for rows in files for k, v in rows if k == "good"
        }
        n_bad = sum(1 for rows in files for k, _ in rows if k == "bad")
        n_rows = sum(1 + sum(1 for k, _ in rows if k != "blank") for rows in files)
        for f in result.files:
            assert f.reconciles, f
        assert result.rows_read == n_rows
        assert result.rows_quarantined == n_bad
        assert result.rows_stored == len(expected_good)
        assert result.rows_duplicate == n_rows - n_bad - len(expected_good)
        stored = {r[0] for r in query(base / "lake", "SELECT event_id FROM events")}
        assert stored == expected_good
