"""Writing a query result as a table, CSV, JSON or Parquet, streamed in batches.

Values are formatted by DuckDB itself (``CAST(... AS VARCHAR)`` for tables and CSV, ``to_json``
for JSON), so what ``auditpipe sql`` prints matches the DuckDB CLI, lists and structs included,
and timestamps appear in the connection's timezone. Nothing is collected in memory beyond one
batch, except the first rows a terminal table shows.

A file given with ``--output`` is written beside its final name and renamed into place when
complete, and never inside the lake: the read-only promise covers auditpipe's own writes too.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import SqlError, UsageError
from ..outputs import atomic_binary, atomic_text, neutralise_csv_sql
from .query import sql_error

if TYPE_CHECKING:
    import duckdb
    from rich.console import Console

OUTPUT_FORMATS = ("table", "csv", "json", "parquet")
BATCH_ROWS = 65_536
DEFAULT_MAX_ROWS = 200
# Alias of the result inside the formatting queries: a name no user column is likely to have.
_ROW = "__auditpipe_result"

_NUMERIC_PREFIXES: tuple[str, ...] = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)


@dataclass
class WriteSummary:
    rows: int
    truncated: bool = False  # a terminal table stopped at max_rows


def write_result(
    relation: duckdb.DuckDBPyRelation,
    fmt: str,
    *,
    output: Path | None,
    console: Console | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    stream: IO[bytes] | None = None,
) -> WriteSummary:
    """Write ``relation`` in ``fmt`` to ``output``, else ``stream`` (csv, json) or ``console``
    (table), else stdout. Errors become SqlError."""
    import duckdb

    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="use one of " + ", ".join(OUTPUT_FORMATS))
    if fmt == "parquet" and output is None:
        raise UsageError(
            "--format parquet needs --output FILE",
            hint="Parquet is binary: write it to a file, e.g. --output result.parquet",
        )
    try:
        if fmt == "table":
            if output is not None:
                with atomic_text(output) as fh:
                    from rich.console import Console

                    return _write_table(relation, Console(file=fh, width=200), max_rows)
            return _write_table(relation, console or _stdout_console(), max_rows)
        if fmt == "parquet":
            assert output is not None
            return _write_parquet(relation, output)
        writer = _write_csv if fmt == "csv" else _write_json
        if output is None:
            if stream is None and hasattr(sys.stdout, "buffer"):
                stream = sys.stdout.buffer
            return writer(relation, stream)
        with atomic_binary(output) as fh:
            return writer(relation, fh)
    except duckdb.Error as exc:
        raise sql_error(exc) from None


def _stdout_console() -> Console:
    from ..console import get_console

    return get_console().out


def _derive(relation: duckdb.DuckDBPyRelation, select: str) -> duckdb.DuckDBPyRelation:
    """``SELECT ... FROM`` the result, which is named ``_ROW`` inside ``select``."""
    derived = relation.query(_ROW, select)
    assert derived is not None  # a SELECT always gives a relation
    return derived


def _as_text(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    return _derive(relation, f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM {_ROW}")


def _for_csv(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """Numbers and booleans as they are; everything else in DuckDB's text form (lists, structs,
    timestamps in the session timezone), with cells that start like a formula neutralised.
    Positional references survive duplicate names."""
    from ..db import quote_identifier

    keep = _NUMERIC_PREFIXES + ("BOOLEAN",)
    select = []
    for position, (name, typ) in enumerate(zip(relation.columns, relation.types, strict=True), 1):
        if str(typ).startswith(keep) and not str(typ).endswith("]"):
            select.append(f"#{position}")
        else:  # text: neutralised against formula injection (outputs.py)
            text = neutralise_csv_sql(f"CAST(#{position} AS VARCHAR)")
            select.append(f"{text} AS {quote_identifier(name)}")
    return _derive(relation, f"SELECT {', '.join(select)} FROM {_ROW}")


def _write_table(
    relation: duckdb.DuckDBPyRelation, console: Console, max_rows: int
) -> WriteSummary:
    from rich.table import Table
    from rich.text import Text

    types = [str(t) for t in relation.types]
    columns = relation.columns
    rows = _as_text(relation).limit(max_rows + 1).fetchall()
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    table = Table(show_lines=False, header_style="bold")
    for name, typ in zip(columns, types, strict=True):
        numeric = typ.startswith(_NUMERIC_PREFIXES)
        table.add_column(
            f"{name}\n{typ.lower()}", justify="right" if numeric else "left", overflow="fold"
        )
    null = Text("NULL", style="dim")
    for row in rows:
        table.add_row(*(null if value is None else Text(value) for value in row))
    console.print(table)
    shown = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if truncated:
        shown = f"first {len(rows)} rows shown (more not shown; use --max-rows, or --format csv)"
    console.print(Text(shown, style="dim"))
    return WriteSummary(rows=len(rows), truncated=truncated)


def _write_csv(relation: duckdb.DuckDBPyRelation, fh: IO[bytes] | None) -> WriteSummary:
    import pyarrow.csv as pacsv

    if fh is None:
        raise SqlError("stdout cannot take binary output here", hint="use --output FILE")
    reader = _for_csv(relation).to_arrow_reader(BATCH_ROWS)
    rows = 0
    options = pacsv.WriteOptions(quoting_style="needed")  # type: ignore[call-arg]
    with pacsv.CSVWriter(fh, reader.schema, write_options=options) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    fh.flush()
    return WriteSummary(rows=rows)


def _write_json(relation: duckdb.DuckDBPyRelation, fh: IO[bytes] | None) -> WriteSummary:
    """A JSON array of row objects; each object is DuckDB's ``to_json`` of the row."""
    if fh is None:
        raise SqlError("stdout cannot take binary output here", hint="use --output FILE")
    lines = _derive(relation, f"SELECT CAST(to_json({_ROW}) AS VARCHAR) AS row FROM {_ROW}")
    rows = 0
    fh.write(b"[")
    for batch in lines.to_arrow_reader(BATCH_ROWS):
        values = batch.column(0).to_pylist()  # type: ignore[attr-defined]
        if not values:
            continue
        prefix = b"\n" if rows == 0 else b",\n"
        fh.write(prefix + ",\n".join(values).encode())
        rows += len(values)
    fh.write(b"\n]\n" if rows else b"]\n")
    fh.flush()
    return WriteSummary(rows=rows)


def _write_parquet(relation: duckdb.DuckDBPyRelation, output: Path) -> WriteSummary:
    import pyarrow.parquet as pq

    rows = 0
    with atomic_binary(output) as fh:
        reader = relation.to_arrow_reader(BATCH_ROWS)
        with pq.ParquetWriter(fh, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    return WriteSummary(rows=rows)
