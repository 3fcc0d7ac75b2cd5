"""normalize.trimmed_texts (Arrow, ahead of the normalising query) trims exactly as the SQL it
replaced: values that start or end with a space lose DuckDB trim()'s characters at both ends;
the others, whatever space-like characters they hold, stay as they are."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.ingest.normalize import SPACES, _trimmed, trimmed_texts

# Spaces DuckDB trims, characters it does not (tab, newline, zero-width space, NBSP's cousins),
# and ordinary letters, in any mix.
ALPHABET = st.sampled_from(list(SPACES) + ["\t", "\n", "\r", "\u200b", "\ufeff", "a", "中", "é"])
TEXTS = st.lists(st.none() | st.text(ALPHABET, max_size=6), max_size=40)


def _duckdb_trimmed(values: list[str | None]) -> list[str | None]:
    con = duckdb.connect()
    con.register("t", pa.table({"v": pa.array(values, pa.string())}))
    return [r[0] for r in con.sql(f"SELECT {_trimmed('v')} FROM t").fetchall()]


@given(TEXTS, st.sampled_from([pa.string(), pa.large_string()]))
@settings(max_examples=200, deadline=None)
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
