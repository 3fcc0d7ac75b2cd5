"""Writing a query result as a table, line records, TSV, CSV, JSON, JSON lines, Markdown or
Parquet, streamed in batches.

Values are formatted by DuckDB itself (``CAST(... AS VARCHAR)`` for the text formats,
``to_json`` for JSON), so what ``auditpipe sql`` prints matches the DuckDB CLI, lists and
structs included, and timestamps appear in the connection's timezone. Nothing is collected in
memory beyond one batch, except the first rows a table or line listing shows. How the table
fits a terminal and how TSV escapes values: ``auditpipe.sql.text``.

The format: ``--format`` if given; else the ``--output`` file's suffix (``SUFFIX_FORMATS``);
else a table on a terminal and TSV otherwise (``choose_format``). A suffix that says another
format than ``--format`` is a usage error, so ``x.parquet`` always holds Parquet.

A file given with ``--output`` is written beside its final name and renamed into place when
complete, and never inside the lake: the read-only promise covers auditpipe's own writes too.
CSV can start with a UTF-8 byte order mark (``bom``), which Excel needs to read UTF-8 (on a
Chinese-locale Windows it otherwise guesses GBK and garbles the text).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import SqlError, UsageError
from ..i18n import _
from ..outputs import (
    UTF8_BOM,
    atomic_binary,
    atomic_text,
    bom_not_csv,
    neutralise_csv_cell,
    neutralise_csv_sql,
)
from .query import Placement, sql_error

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from rich.console import Console

# Formats, in the order --help lists them. table and line are for people and show the first
# --max-rows rows; the others hold every row.
OUTPUT_FORMATS = ("table", "line", "tsv", "csv", "json", "jsonl", "markdown", "parquet")
# Formats written as a stream of batches (every row); the others are table, line, parquet.
STREAMED_FORMATS = ("tsv", "csv", "json", "jsonl", "markdown")
# --output suffixes and the format each means.
SUFFIX_FORMATS: dict[str, str] = {
    ".txt": "table",
    ".tsv": "tsv",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".md": "markdown",
    ".markdown": "markdown",
    ".parquet": "parquet",
}
# Suffixes of compressed files: auditpipe sql writes none, so such a name would lie.
COMPRESSED_SUFFIXES = (".gz", ".zst", ".bz2", ".xz", ".zip")
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
    truncated: bool = False  # a table or line listing stopped at max_rows
    elided_columns: int = 0  # columns a terminal table left out to fit


def choose_format(fmt: str | None, output: Path | None, stdout_is_terminal: bool) -> str:
    """The output format: ``fmt`` if given (it must agree with ``output``'s suffix when that
    names a format), else the suffix's, else a table on a terminal and TSV otherwise."""
    from ..i18n import _

    if output is None:
        if fmt is not None:
            return fmt
        return "table" if stdout_is_terminal else "tsv"
    suffix = output.suffix.lower()
    known = ", ".join(SUFFIX_FORMATS)
    if suffix in COMPRESSED_SUFFIXES:
        raise UsageError(
            _("--output {name}: auditpipe sql does not compress its output").format(
                name=output.name
            ),
            hint=_("write an uncompressed file ({suffixes}) and compress it afterwards").format(
                suffixes=known
            ),
        )
    implied = SUFFIX_FORMATS.get(suffix)
    if fmt is None:
        if implied is None:
            raise UsageError(
                _("cannot tell the format from the name {name}").format(name=output.name),
                hint=_("use one of the suffixes {suffixes}, or add --format ({formats})").format(
                    suffixes=known, formats=", ".join(OUTPUT_FORMATS)
                ),
            )
        return implied
    if implied is not None and implied != fmt:
        raise UsageError(
            _("--format {fmt} contradicts the file name {name}, which says {implied}").format(
                fmt=fmt, name=output.name, implied=implied
            ),
            hint=_(
                "drop --format to write {implied}, or name the file with a suffix for {fmt}"
            ).format(implied=implied, fmt=fmt),
        )
    return fmt


def write_result(
    relation: duckdb.DuckDBPyRelation,
    fmt: str,
    *,
    output: Path | None,
    console: Console | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    stream: IO[bytes] | None = None,
    bom: bool = False,
    prompt: bool = False,
    placement: Placement | None = None,
) -> WriteSummary:
    """Write ``relation`` in ``fmt`` to ``output``, else ``stream`` (the streamed formats) or
    ``console`` (table, line), else stdout. ``bom`` starts CSV with a UTF-8 byte order mark.
    ``prompt``: written at the interactive prompt, whose footer names its dot commands rather
    than the command line's options. Errors become SqlError; ``placement`` (where the query
    is in the user's input) makes the line an error names the input's."""
    import duckdb

    if fmt not in OUTPUT_FORMATS:
        raise UsageError(
            _("unknown format {fmt!r}").format(fmt=fmt),
            hint=_("use one of ") + ", ".join(OUTPUT_FORMATS),
        )
    if fmt == "parquet" and output is None:
        raise UsageError(
            _("--format parquet needs --output FILE"),
            hint=_("Parquet is binary: write it to a file, e.g. --output result.parquet"),
        )
    if bom and fmt != "csv":
        raise bom_not_csv(fmt)
    try:
        if fmt in ("table", "line"):
            if output is not None:
                with atomic_text(output) as fh:
                    from rich.console import Console

                    plain = Console(file=fh, width=10_000, color_system=None, soft_wrap=True)
                    return _write_listing(relation, fmt, plain, max_rows)
            return _write_listing(
                relation, fmt, console or _stdout_console(), max_rows, prompt=prompt
            )
        if fmt == "parquet":
            assert output is not None
            return _write_parquet(relation, output)
        writer = _STREAM_WRITERS[fmt]
        if output is None:
            if stream is None and hasattr(sys.stdout, "buffer"):
                stream = sys.stdout.buffer
            if stream is None:
                raise SqlError(
                    _("stdout cannot take binary output here"), hint=_("use --output FILE")
                )
            if bom:
                stream.write(UTF8_BOM)
            return writer(relation, stream)
        with atomic_binary(output) as fh:
            if bom:
                fh.write(UTF8_BOM)
            return writer(relation, fh)
    except duckdb.Error as exc:
        raise sql_error(exc, placement, _wrapped_lines(relation)) from None
    except OSError as exc:
        # Reading the result batch by batch, Arrow hands a DuckDB error met in a later batch
        # (a value that does not cast, error()) over as an OSError without an errno; a failed
        # write of the output has one (a full disk, a closed pipe) and is not the query's.
        if exc.errno is not None:
            raise
        raise sql_error(exc, placement, _wrapped_lines(relation)) from None


def _wrapped_lines(relation: duckdb.DuckDBPyRelation) -> int:
    """Lines before the result's own SQL in the formatting queries wrapped around it
    (``_derive``), which DuckDB counts in the line of an error raised while they run."""
    try:
        base = relation.sql_query()
        derived = _derive(relation, f"SELECT * FROM {_ROW}").sql_query()
    except Exception:  # noqa: BLE001 - only for the line of a message: never hide the error
        return 0
    start = derived.find(base)
    return derived.count("\n", 0, start) if start > 0 else 0


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
    Column names are header cells and neutralised too: a PIVOT makes data values (an actor
    id from a provider's log) column names. Positional references survive duplicate names."""
    from ..db import quote_identifier

    select = []
    for position, (name, typ) in enumerate(zip(relation.columns, relation.types, strict=True), 1):
        header = quote_identifier(neutralise_csv_cell(name))
        if _is_numeric(str(typ)) or str(typ) == "BOOLEAN":
            select.append(f"#{position} AS {header}")
        else:  # text: neutralised against formula injection (outputs.py)
            text = neutralise_csv_sql(f"CAST(#{position} AS VARCHAR)")
            select.append(f"{text} AS {header}")
    return _derive(relation, f"SELECT {', '.join(select)} FROM {_ROW}")


def _is_numeric(typ: str) -> bool:
    return typ.startswith(_NUMERIC_PREFIXES) and not typ.endswith("]")


def _write_listing(
    relation: duckdb.DuckDBPyRelation,
    fmt: str,
    console: Console,
    max_rows: int,
    prompt: bool = False,
) -> WriteSummary:
    """A table or line records of the first ``max_rows`` rows, then a footer line. On a
    terminal the table fits its width; elsewhere it is drawn whole."""
    from rich.text import Text

    from .text import box_table, line_records

    types = [str(t) for t in relation.types]
    columns = list(relation.columns)
    rows = _as_text(relation).limit(max_rows + 1).fetchall()
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    elided = 0
    cut = False
    if fmt == "table":
        width = console.width if console.is_terminal else None
        right = [_is_numeric(t) for t in types]
        lines, layout = box_table(columns, types, rows, right, width)
        elided, cut = layout.elided, layout.cut_values
    else:
        lines = line_records(columns, rows)
        if lines:
            lines.append(Text(""))
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)
    console.print(
        Text(_footer(len(rows), truncated, len(columns), elided, cut, prompt), style="dim"),
        soft_wrap=True,
        highlight=False,
    )
    return WriteSummary(rows=len(rows), truncated=truncated, elided_columns=elided)


def _footer(
    rows: int, truncated: bool, columns: int, elided: int, cut: bool, prompt: bool = False
) -> str:
    from ..i18n import _, ngettext

    if truncated and prompt:
        text = _("first {n} rows shown (more not shown; use .maxrows N, or .mode csv)").format(
            n=rows
        )
    elif truncated:
        text = _("first {n} rows shown (more not shown; use --max-rows, or --format csv)").format(
            n=rows
        )
    else:
        text = ngettext("{n} row", "{n} rows", rows).format(n=rows)
    if elided:
        text += _(", {columns} columns ({shown} shown, {elided} elided)").format(
            columns=columns, shown=columns - elided, elided=elided
        )
    if cut:
        text += _("; long values shortened with …")
    if elided or cut:
        text += _("; the line format shows every column in full")
    return text


def _write_csv(relation: duckdb.DuckDBPyRelation, fh: IO[bytes]) -> WriteSummary:
    import pyarrow.csv as pacsv

    reader = _for_csv(relation).to_arrow_reader(BATCH_ROWS)
    rows = 0
    options = pacsv.WriteOptions(quoting_style="needed")  # type: ignore[call-arg]
    with pacsv.CSVWriter(fh, reader.schema, write_options=options) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    fh.flush()
    return WriteSummary(rows=rows)


def _text_batches(
    relation: duckdb.DuckDBPyRelation, escape: Callable[[Any], Any]
) -> Iterator[tuple[int, bytes]]:
    """(rows, bytes) per batch: each row's values in DuckDB's text form, escaped column by
    column with ``escape``, joined with a tab (the caller adds Markdown's pipes)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for batch in _as_text(relation).to_arrow_reader(BATCH_ROWS):
        if not batch.num_rows:
            continue
        cells = [escape(batch.column(i)) for i in range(batch.num_columns)]
        lines = pc.binary_join_element_wise(*cells, "\t")
        whole = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
        yield batch.num_rows, pc.binary_join(whole, "\n")[0].as_py().encode() + b"\n"


def _write_tsv(relation: duckdb.DuckDBPyRelation, fh: IO[bytes]) -> WriteSummary:
    """PostgreSQL's COPY text format with a header line (see auditpipe.sql.text)."""
    from .text import escape_tsv, escape_tsv_column

    fh.write(("\t".join(escape_tsv(n) for n in relation.columns) + "\n").encode())
    rows = 0
    for count, data in _text_batches(relation, escape_tsv_column):
        fh.write(data)
        rows += count
    fh.flush()
    return WriteSummary(rows=rows)


def _write_markdown(relation: duckdb.DuckDBPyRelation, fh: IO[bytes]) -> WriteSummary:
    """A Markdown (GitHub) table of every row; numbers right-aligned."""
    from .text import escape_markdown_column, markdown_header

    right = [_is_numeric(str(t)) for t in relation.types]
    fh.write(markdown_header(relation.columns, right).encode())
    rows = 0
    for count, data in _text_batches(relation, escape_markdown_column):
        # a tab never survives escaping, so it marks the cell borders
        body = data.replace(b"\t", b" | ").replace(b"\n", b" |\n| ")
        fh.write(b"| " + body[: -len(b"| ")])
        rows += count
    fh.flush()
    return WriteSummary(rows=rows)


def _json_rows(relation: duckdb.DuckDBPyRelation) -> Iterator[list[str]]:
    """Each row as DuckDB's ``to_json`` of the row, a batch at a time.

    ``to_json`` writes a NaN or infinite FLOAT/DOUBLE as the bare tokens ``NaN``,
    ``Infinity`` and ``-Infinity``, which JSON does not have (strict parsers, jq, JavaScript,
    Go refuse the document): they are written as the strings ``"NaN"``, ``"Infinity"`` and
    ``"-Infinity"``, as PostgreSQL's ``to_json`` does, wherever they are in the row. Only
    batches of results with such a column that hold such a token pay for it."""
    import pyarrow.compute as pc

    floats = any(_FLOAT_TYPE.search(str(t)) for t in relation.types)
    lines = _derive(relation, f"SELECT CAST(to_json({_ROW}) AS VARCHAR) AS row FROM {_ROW}")
    for batch in lines.to_arrow_reader(BATCH_ROWS):
        column = batch.column(0)
        values = column.to_pylist()  # type: ignore[attr-defined]
        if floats and pc.any(pc.match_substring_regex(column, "NaN|Infinity")).as_py():
            values = [_JSON_NON_FINITE.sub(_quote_non_finite, v) for v in values]
        if values:
            yield values


# A FLOAT or DOUBLE anywhere in a column's type (REAL is FLOAT; lists, structs, maps).
_FLOAT_TYPE = re.compile(r"\b(FLOAT|DOUBLE)\b")
# A JSON string (kept as it is), or a bare non-finite number token outside strings.
_JSON_NON_FINITE = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')


def _quote_non_finite(match: re.Match[str]) -> str:
    token = match.group()
    return token if token.startswith('"') else f'"{token}"'


def _write_json(relation: duckdb.DuckDBPyRelation, fh: IO[bytes]) -> WriteSummary:
    """A JSON array of row objects."""
    rows = 0
    fh.write(b"[")
    for values in _json_rows(relation):
        prefix = b"\n" if rows == 0 else b",\n"
        fh.write(prefix + ",\n".join(values).encode())
        rows += len(values)
    fh.write(b"\n]\n" if rows else b"]\n")
    fh.flush()
    return WriteSummary(rows=rows)


def _write_jsonl(relation: duckdb.DuckDBPyRelation, fh: IO[bytes]) -> WriteSummary:
    """One JSON object per line (JSON lines)."""
    rows = 0
    for values in _json_rows(relation):
        fh.write(("\n".join(values) + "\n").encode())
        rows += len(values)
    fh.flush()
    return WriteSummary(rows=rows)


_STREAM_WRITERS: dict[str, Callable[[duckdb.DuckDBPyRelation, IO[bytes]], WriteSummary]] = {
    "tsv": _write_tsv,
    "csv": _write_csv,
    "json": _write_json,
    "jsonl": _write_jsonl,
    "markdown": _write_markdown,
}


def _write_parquet(relation: duckdb.DuckDBPyRelation, output: Path) -> WriteSummary:
    import pyarrow as pa

    from ..lake.parquet_writer import ParquetWriter

    reader = relation.to_arrow_reader(BATCH_ROWS)
    schema = _parquet_schema(reader.schema, [str(t) for t in relation.types])
    rows = 0
    with atomic_binary(output) as fh, ParquetWriter(fh, schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
            rows += batch.num_rows
    return WriteSummary(rows=rows)


def _parquet_schema(schema: pa.Schema, types: list[str]) -> pa.Schema:
    """``schema`` as a Parquet file can hold it, readable by every Parquet reader.

    A name the result repeats (``SELECT e.*, f.*``) gets a suffix, ``provider_id_1``, as
    DuckDB's own ``COPY ... TO`` names it (compared ignoring case): pyarrow and Polars cannot
    read a file whose columns share a name. A column of a type Parquet has no Arrow mapping for
    (INTERVAL, UNION, BIGNUM, a map without entries, or a list, struct or map of one) is a
    SqlError naming it, before any byte is written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = []
    taken: set[str] = set()
    for field in schema:
        name = field.name
        number = 0
        while name.lower() in taken:
            number += 1
            name = f"{field.name}_{number}"
        taken.add(name.lower())
        fields.append(field.with_name(name))
    unwritable = []
    for field, typ in zip(fields, types, strict=True):
        # DuckDB hands a type Arrow has no name for (BIGNUM) over as opaque bytes, which a
        # Parquet file would keep but no reader takes for what they were
        if "arrow.opaque" in str(field.type):
            unwritable.append(f"{field.name} ({typ})")
            continue
        try:
            pq.ParquetWriter(pa.BufferOutputStream(), pa.schema([field])).close()
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # Invalid: a map of NULL keys
            unwritable.append(f"{field.name} ({typ})")
    if unwritable:
        raise SqlError(
            _("Parquet cannot hold the column(s) {columns}").format(columns=", ".join(unwritable)),
            hint=_(
                "cast them in the query, e.g. CAST(x AS VARCHAR), or write another format "
                "(--format csv, json, jsonl)"
            ),
        )
    return pa.schema(fields, metadata=schema.metadata)
