"""A CSV header or Parquet schema naming two columns outside the contract alike keeps every
column's value in extras: the first under the name, each later one under
``<name>#<column number>``. No value is lost for another's sake."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.ingest import ingest, query

CONTRACT = ["event_time", "provider_id", "actor_id", "action", "data_fields"]
GOOD = ["2026-03-01 10:00:00", "forum-a", "emp-1", "view", "phone"]
EXTRA_NAMES = st.sampled_from(["note", "Note", "", "note#7", "note#8", "备注"])


def _write(tmp: Path, names: list[str], values: list[str]) -> tuple[Path, Path]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONTRACT + names)
    writer.writerow([*GOOD[:1], "csv", *GOOD[2:], *values])
    a = tmp / "a.csv"
    a.write_text(out.getvalue(), encoding="utf-8")
    columns = [pa.array([v]) for v in [*GOOD[:1], "parquet", *GOOD[2:], *values]]
    b = tmp / "b.parquet"
    pq.write_table(pa.Table.from_arrays(columns, names=CONTRACT + names), b)
    return a, b


def _check(tmp: Path, names: list[str], values: list[str]) -> None:
    result = ingest(tmp / "lake", *_write(tmp, names, values))
    assert result.rows_stored == 2, result.files
    for provider, extras in query(tmp / "lake", "SELECT provider_id, extras FROM events"):
        kept = json.loads(extras) if extras else {}
        # every non-empty cell once, whatever the names
        assert sorted(kept.values()) == sorted(v for v in values if v), provider
        for n, (name, value) in enumerate(zip(names, values, strict=True)):
            if value and names.index(name) == n:  # the first column of its name
                assert kept[name] == value


def test_a_repeated_column_name_keeps_both_values(tmp_path: Path) -> None:
    _check(tmp_path, ["note", "note", "Note"], ["one", "two", "three"])
    got = query(tmp_path / "lake", "SELECT extras FROM events WHERE provider_id = 'csv'")
    assert json.loads(got[0][0]) == {"note": "one", "note#7": "two", "Note": "three"}


@settings(max_examples=5, deadline=None)
@given(
    st.lists(st.tuples(EXTRA_NAMES, st.sampled_from(["", "x", "y", "z"])), min_size=1, max_size=6)
)
def test_repeated_extra_names_lose_no_value(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str]]
) -> None:
    names = [n for n, _ in cells]
    values = [v for _, v in cells]
    _check(tmp_path_factory.mktemp("extras"), names, values)
