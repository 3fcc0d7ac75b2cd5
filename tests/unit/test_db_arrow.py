"""auditpipe.db.arrow_table: the per-batch query path gives what the relation API gives."""

from __future__ import annotations

import importlib
import warnings

import duckdb
import pyarrow as pa

import auditpipe.db.arrow
from auditpipe.db import arrow_table


def test_arrow_table_matches_the_relation_api_with_named_parameters() -> None:
    con = duckdb.connect()
    con.register("t", pa.table({"x": [1, 2, 3], "s": ["a", None, "c"]}))
    sql = "SELECT x * 2 AS y, s, list_contains($keep, s) AS kept FROM t ORDER BY x"
    params = {"keep": ["a"]}
    expected = con.sql(sql, params=params).to_arrow_table()
    got = arrow_table(con, sql, params)
    assert got.equals(expected)
    assert got.column("kept").to_pylist() == [True, None, False]


def test_arrow_table_on_a_cursor_shows_no_copy_warning_and_silences_nothing_else() -> None:
    cursor = duckdb.connect().cursor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # pytest resets the filters for each test: install the module's again, in front.
        importlib.reload(auditpipe.db.arrow)
        table = arrow_table(cursor, "SELECT 42 AS answer")
        warnings.warn("something else", UserWarning, stacklevel=1)
    assert table.to_pylist() == [{"answer": 42}]
    assert [str(w.message) for w in caught] == ["something else"]
