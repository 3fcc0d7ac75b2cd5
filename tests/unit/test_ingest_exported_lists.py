"""A list column written as text by the tools providers export with reads as that list.

pandas writes a list column to CSV as Python's repr (``['phone', 'id_number']``), or, for
the NumPy arrays ``pd.read_parquet`` gives, as NumPy's (``['phone' 'id_number']``: no
commas); DuckDB's ``COPY ... TO 'x.csv'`` writes ``[phone, id_number]``. None of these is a
JSON array, and split as one string on its commas they gave names such as ``['phone'``:
class ``other``, so identity and login data went uncounted with no error."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_catalog, normalize_name
from auditpipe.ingest.normalize import data_field_table
from tests.support.ingest import good, ingest, query, write_jsonl

CATALOG = load_catalog()
NAMES = sorted({e.name for e in CATALOG.entries})


def _sql_fields(texts: list[str]) -> dict[str, list[str]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE read_batch (data_fields VARCHAR)")
    con.executemany("INSERT INTO read_batch VALUES (?)", [[t] for t in texts])
    return {text: names for text, names, *_ in con.sql(data_field_table(CATALOG)).fetchall()}


def _duckdb_list_text(names: list[str]) -> str:
    row = duckdb.connect().execute("SELECT ?::VARCHAR[]::VARCHAR", [names]).fetchone()
    assert row is not None
    return str(row[0])


@settings(max_examples=5, deadline=None)
@given(st.lists(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5), min_size=1, max_size=40))
def test_python_numpy_and_duckdb_list_texts_read_as_the_list(lists: list[list[str]]) -> None:
    cases = {}
    for names in lists:
        want = [normalize_name(n) for n in names]
        cases[json.dumps(names, ensure_ascii=False)] = want
        cases[repr(names)] = want  # pandas' to_csv of a list column
        cases[str(np.array(names, dtype=object))] = want  # of a column of NumPy arrays
        cases[_duckdb_list_text(names)] = want  # DuckDB's COPY of a LIST column
    found = _sql_fields(list(cases))
    assert {t: found[t] for t in cases} == cases


def test_a_pandas_csv_with_a_list_column_is_stored_as_its_json_lines(tmp_path: Path) -> None:
    lists = [["phone", "id_number"], ["身份证号", "email"], ["real_name"]]

    def rows(prefix: str) -> list[dict[str, object]]:
        return [good(event_id=f"{prefix}{i}", data_fields=f) for i, f in enumerate(lists)]

    write_jsonl(tmp_path / "in.jsonl", rows("j"))
    (tmp_path / "lists.csv").write_text(pd.DataFrame(rows("l")).to_csv(index=False))
    frame = pd.DataFrame(rows("n"))
    frame["data_fields"] = [np.array(f, dtype=object) for f in lists]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    (tmp_path / "arrays.csv").write_text(buffer.getvalue())
    ingest(
        tmp_path / "lake", tmp_path / "in.jsonl", tmp_path / "lists.csv", tmp_path / "arrays.csv"
    )
    got = query(
        tmp_path / "lake",
        "SELECT left(event_id, 1), substr(event_id, 2), data_fields, data_classes, "
        "data_categories FROM events ORDER BY 2, 1",
    )
    by_file: dict[str, list[tuple[object, ...]]] = {}
    for prefix, *stored in got:
        by_file.setdefault(prefix, []).append(tuple(stored))
    assert by_file["l"] == by_file["n"] == by_file["j"]
    assert len(by_file["j"]) == 3


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("[phone, 'a b', 'x;y']", ["phone", "a_b", "x;y"]),  # DuckDB quotes what needs it
        ("[ ]", None),  # brackets around nothing name no field
        ("['phone', '']", ["phone"]),
        ("phone|[x]", ["phone", "[x]"]),  # not a bracketed list: split as one string
    ],
)
def test_bracketed_texts_edge_cases(given: str, stored: list[str] | None) -> None:
    assert _sql_fields([given])[given] == (stored or [])
