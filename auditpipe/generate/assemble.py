"""Cells to text lines (JSON objects, CSV rows) in one DuckDB query per chunk.

Random choices are drawn in numpy and passed in as columns, so the query itself is
deterministic; DuckDB only pastes strings together, which it does several times faster than
element-wise concatenation in Polars. The SQL is built from the fixed field list; no
generated value is ever part of the query text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..db import quote_identifier as q
from ..db import quote_literal
from .damage import damage_csv_lines, damage_json_lines
from .surface import BARE_FIELDS, FIELDS, Draws, key_spellings

if TYPE_CHECKING:
    import duckdb

KEY_VARIANT_FIELDS = (
    "event_time",
    "actor_type",
    "action",
    "data_fields",
    "record_count",
    "destination_type",
    "outcome",
)
KEY_VARIANT_SHARE = 0.05  # share of JSON lines spelling one of those keys oddly
# How a line writes its absent optional fields (one style per line, as one logging system
# would): left out, as "", or as null.
ABSENT_STYLES = (0.80, 0.15, 0.05)
CSV_SHORT_COLUMNS = 8  # a damaged CSV row cut short keeps this many cells


def _json_sql() -> str:
    fragments = []
    for field in FIELDS:
        r, bare = q(f"r_{field}"), q(f"bare_{field}")
        key = quote_literal(field)
        if field in KEY_VARIANT_FIELDS:
            i = KEY_VARIANT_FIELDS.index(field)
            spellings = "[" + ", ".join(quote_literal(k) for k in key_spellings(field)) + "]"
            key = f"CASE WHEN odd_key = {i} THEN {spellings}[odd_spelling] ELSE {key} END"
        present = (
            f"""CASE WHEN {bare} THEN {r} ELSE '"' || {r} || '"' END"""
            if field in BARE_FIELDS
            else f"""'"' || {r} || '"'"""
        )
        value = f"""CASE WHEN {r} IS NOT NULL THEN {present}
            WHEN absent_style = 1 THEN '""' WHEN absent_style = 2 THEN 'null' END"""
        fragments.append(f"""'"' || ({key}) || '": ' || ({value})""")
    return f"SELECT '{{' || concat_ws(', ', {', '.join(fragments)}) || '}}' AS line FROM cells"


def _csv_cell(field: str) -> str:
    r = q(f"r_{field}")
    return (
        f"""CASE WHEN {r} IS NULL THEN '' WHEN contains({r}, ',') OR contains({r}, '"') """
        f"""OR contains({r}, chr(10)) OR contains({r}, chr(13)) """
        f"""THEN '"' || replace({r}, '"', '""') || '"' ELSE {r} END"""
    )


def _csv_sql() -> str:
    cells = [_csv_cell(f) for f in FIELDS]
    return (
        f"SELECT concat_ws(',', {', '.join(cells)}) AS line, "
        f"concat_ws(',', {', '.join(cells[:CSV_SHORT_COLUMNS])}) AS short FROM cells"
    )


class LineAssembler:
    """One DuckDB connection reused for every chunk of a run."""

    def __init__(self) -> None:
        import duckdb

        self._con: duckdb.DuckDBPyConnection = duckdb.connect()
        self._con.execute("SET enable_progress_bar = false")  # stderr belongs to the CLI
        self._json_sql, self._csv_sql = _json_sql(), _csv_sql()

    def json_lines(
        self, cells: pl.DataFrame, kinds: pl.Series, rng: np.random.Generator
    ) -> pl.Series:
        """One JSON object per row; absent fields left out, or written as "" or null."""
        n = cells.height
        odd = rng.random(n) < KEY_VARIANT_SHARE
        extra = {
            "absent_style": pl.Series(Draws(rng, n).code(ABSENT_STYLES), dtype=pl.Int8),
            # At most one key per line is spelled oddly: which one, and how (1-based).
            "odd_key": pl.Series(np.where(odd, rng.integers(0, len(KEY_VARIANT_FIELDS), n), -1)),
            "odd_spelling": pl.Series(rng.integers(1, 6, n)),
        }
        lines = self._run(self._json_sql, cells.with_columns(**extra))["line"]
        return damage_json_lines(lines, kinds, rng)

    def csv_lines(
        self, cells: pl.DataFrame, kinds: pl.Series, rng: np.random.Generator
    ) -> pl.Series:
        """One CSV row per event, columns in FIELDS order; absent fields are empty cells."""
        out = self._run(self._csv_sql, cells)
        return damage_csv_lines(out["line"], out["short"], kinds, rng)

    def _run(self, sql: str, cells: pl.DataFrame) -> pl.DataFrame:
        self._con.register("cells", cells.to_arrow())
        try:
            return pl.from_arrow(self._con.sql(sql).to_arrow_table())  # type: ignore[return-value]
        finally:
            self._con.unregister("cells")

    def close(self) -> None:
        self._con.close()
