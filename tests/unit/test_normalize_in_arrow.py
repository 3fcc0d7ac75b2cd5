"""The parts of normalising done in Arrow give what the SQL they replaced gave:
normalize.trimmed_texts (ahead of the query) trims values that start or end with a space of
DuckDB trim()'s characters at both ends and leaves the others as they are, whatever
space-like characters they hold; normalize.passed_columns (beside the query's result) are the
query's nullif and coalesce of the batch's columns."""

from __future__ import annotations

import functools
from typing import Any

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.ingest.normalize import PASSED, SPACES, _trimmed, passed_columns, trimmed_texts

# Spaces DuckDB trims, characters it does not (tab, newline, zero-width space, NBSP's cousins),
# and ordinary letters, in any mix.
ALPHABET = st.sampled_from(list(SPACES) + ["\t", "\n", "\r", "\u200b", "\ufeff", "a", "中", "é"])
TEXTS = st.lists(st.none() | st.text(ALPHABET, max_size=6), max_size=40)


def _duckdb_trimmed(values: list[str | None]) -> list[str | None]:
    con = duckdb.connect()
    con.register("t", pa.table({"v": pa.array(values, pa.string())}))
    return [r[0] for r in con.sql(f"SELECT {_trimmed('v')} FROM t").fetchall()]


@given(TEXTS, st.sampled_from([pa.string(), pa.large_string()]))
@settings(max_examples=100, deadline=None)
def test_arrow_trim_equals_the_sql_trim(values: list[str | None], typ: pa.DataType) -> None:
    got = trimmed_texts(pa.chunked_array([pa.array(values, typ)], typ))
    assert got.to_pylist() == _duckdb_trimmed(values)


def test_spaces_are_what_duckdb_trims() -> None:
    con = duckdb.connect()
    candidates = [chr(c) for c in range(0x3001) if not 0xD800 <= c <= 0xDFFF]
    con.register("t", pa.table({"c": candidates}))
    trimmed = con.sql("SELECT c FROM t WHERE trim('x' || c) = 'x' ORDER BY c").fetchall()
    assert "".join(r[0] for r in trimmed) == SPACES


def test_only_values_touching_a_space_are_trimmed() -> None:
    column = pa.array([" a\u3000", "\u3000a", "a\u00a0", "\u00a0 a ", None, ""], pa.string())
    assert trimmed_texts(column).to_pylist() == ["a", "\u3000a", "a\u00a0", "a", None, ""]


@functools.cache
def _con() -> Any:
    """One connection for every example of the test below (each registers ``b`` again)."""
    return duckdb.connect()


@given(st.lists(st.none() | st.text(ALPHABET, max_size=3) | st.just(""), min_size=1, max_size=30))
@settings(max_examples=100, deadline=None)
def test_passed_columns_are_what_the_query_would_have_given(values: list[str | None]) -> None:
    """Each PASSED column as the query's nullif(<text>, '') or coalesce(<looked up>,
    <default>) over the same batch."""
    n = len(values)
    texts = pa.array(values, pa.string())
    lists = pa.array([None if v is None else [v] for v in values], pa.list_(pa.string()))
    columns = {
        source: lists if source in ("t_fields", "d_classes", "d_categories") else texts
        for source, _, _ in PASSED.values()
    }
    got = passed_columns(columns)
    con = _con()
    con.register(
        "b", pa.table({f"c{i}": columns[s] for i, (s, _, _) in enumerate(PASSED.values())})
    )
    exprs = []
    for i, (_, empty_is_null, default) in enumerate(PASSED.values()):
        expr = f"nullif(c{i}, '')" if empty_is_null else f"c{i}"
        exprs.append(f"coalesce({expr}, '{default}')" if default is not None else expr)
    expected = con.execute(f"SELECT {', '.join(exprs)} FROM b").fetchall()
    for i, name in enumerate(PASSED):
        assert got[name].to_pylist() == [row[i] for row in expected], name
    assert all(len(c) == n for c in got.values())
