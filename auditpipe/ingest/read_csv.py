"""CSV with a header row (``.csv``).

Rows are cut by the quote-aware splitter (csv_quotes.py), so a row's line number and original
text are exact even when a quoted value spans lines. Each row's number of fields and quoting
faults are counted from the same quote positions, so a row with the wrong number of columns,
a stray quote or a bare carriage return is quarantined with its own text; pyarrow then parses
only the well-formed rows, one record per row, and the pipeline checks that it got as many.

Header names are matched to the contract like JSON keys. A name repeated in the header (or
two names for one contract field) keeps the first non-empty value, left to right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import Contract, normalize_name
from ..db import arrow_table, quote_identifier
from ..errors import AuditpipeError, InputFileError
from ..i18n import _
from .columns import (
    PANDAS_INDEX,
    extras_keys,
    first_present,
    json_member,
    json_object,
    own_spelling_first,
    pandas_index_columns,
)
from .csv_quotes import row_ends, row_shapes
from .kinds import ReadContext, register_kind
from .lines import LineBatch, iter_line_batches, prefetch
from .text import (
    BLANK_LINES,
    GB18030_ROWS,
    decode_rows,
    in_line_order,
    no_content_rows,
    oversize_rows,
    spaces,
)

STRAY_QUOTE = (
    'CSV row has a " inside a value that is not quoted, or text after a closing quote '
    "(RFC 4180: quote the whole value and double each quote inside it)"
)
# What exporters write for a missing value, CSV having no null: pandas (na_rep; astype(str)
# before to_csv gives nan, None, <NA>, NaT), R (NA), Polars (null_value), MySQL's INTO OUTFILE
# and Hive (\N), SQL Server's tools (NULL), Excel (#N/A). Unquoted, such a cell is no value;
# quoted ("NULL"), it is that text, as PostgreSQL's COPY tells the two apart.
NULL_MARKERS = frozenset(
    ["NULL", "null", "Null", "\\N", "NaN", "nan", "None", "<NA>", "NaT", "NA", "N/A", "n/a", "#N/A"]
)
# Spark's CSV writer (and others with an escape character) writes a quote inside a value as
# \" by default, where RFC 4180 doubles it: read as RFC 4180, the backslash's quote closes the
# value and the row has a stray quote.
BACKSLASH_QUOTE = (
    "CSV row has a quote inside a value escaped with a backslash (\\\"), as Spark's CSV writer "
    'writes it by default; RFC 4180 doubles it instead (""): write the file with '
    '.option("escape", "\\"") in Spark (doublequote=True in pandas and Python\'s csv) and '
    "send it again"
)
UNCLOSED = "CSV row has a quoted value that is never closed"
BARE_CR = "CSV row has a carriage return outside quotes that does not end the line"


@dataclass(frozen=True)
class CsvHeader:
    names: list[str]
    line_number: int
    text: str = ""  # the header row as written


class Csv:
    name = "csv"
    suffixes: tuple[str, ...] = (".csv",)

    def batches(self, ctx: ReadContext) -> Iterator[pa.Table]:
        stream = ctx.open_bytes()
        header: CsvHeader | None = None
        try:
            for batch in prefetch(
                iter_line_batches(
                    stream,
                    batch_bytes=ctx.batch_bytes,
                    max_line_bytes=ctx.max_line_bytes,
                    row_ends=row_ends,
                )
            ):
                table, header = read_batch(ctx.con, batch, header, ctx.contract, ctx)
                oversize = oversize_rows(batch.oversize, ctx.max_line_bytes)
                merged = in_line_order(table, oversize)
                del batch, table  # its bytes are text now: not kept while the batch waits
                if merged is not None:
                    yield merged
        finally:
            stream.close()


register_kind(Csv())


def read_batch(
    con: Any,
    batch: LineBatch,
    header: CsvHeader | None,
    contract: Contract,
    ctx: ReadContext | None = None,
) -> tuple[pa.Table | None, CsvHeader | None]:
    """One batch of rows as the kinds' batch shape; the header is read from the first row.
    ``ctx`` counts the blank lines and the rows that are not UTF-8 but read as GB18030."""
    decoded = decode_rows(con, batch.rows)
    if decoded.gb18030_rows and ctx is not None:
        ctx.count_quarantined(GB18030_ROWS, decoded.gb18030(batch.line_numbers))
    table = pa.table({"line_number": batch.line_numbers, "txt": decoded.txt, "raw": decoded.raw})
    rows = batch.rows
    # Blank rows are not rows (counted as blank lines); rows of other white space only are
    # quarantined, before the header too (text.spaces, the same rule as JSON Lines).
    spaced = spaces(decoded.txt)
    empty = None
    if spaced.any:
        blanks = len(pc.indices_nonzero(spaced.blank))
        if blanks and ctx is not None:
            ctx.count(BLANK_LINES, blanks)
        empty = no_content_rows(spaced, batch.line_numbers, decoded.raw)
        keep = _array(pc.invert(pc.or_(spaced.blank, spaced.no_content)))
        rows, table = _array(rows.filter(keep)), table.filter(keep)
    if header is None:
        long_header(batch, table)
        if table.num_rows and _excel_separator_line(table["txt"][0].as_py(), table):
            # Excel's "sep=," first line says the delimiter to Excel: neither header nor data
            rows, table = rows.slice(1), table.slice(1)
        if not table.num_rows:
            return empty, None
        header = read_header(table["txt"][0].as_py(), table["line_number"][0].as_py(), contract)
        if ctx is not None:
            ctx.note_columns(header.names)
            if index := pandas_index_columns(header.names):
                ctx.count(PANDAS_INDEX, len(index))
        rows, table = rows.slice(1), table.slice(1)
    if not table.num_rows:
        return empty, header
    reason = row_faults(rows, table["txt"], header)
    good = _array(pc.is_null(reason))
    parsed = parse_rows(_array(rows.filter(good)), len(header.names))
    parsed = parsed.append_column("line_number", table["line_number"].filter(good))
    again = header_in_another_order(parsed, header)
    parsed = parsed.append_column("raw", table["raw"].filter(good))
    if len(again):  # the header spelled otherwise: quarantined as a repeated header
        repeats = pc.is_in(table["line_number"], value_set=again)
        reason = pc.if_else(repeats, repeated_header(header), reason)
        good = _array(pc.and_(good, pc.invert(repeats)))
        parsed = parsed.filter(pc.invert(pc.is_in(parsed["line_number"], value_set=again)))
    fields = to_contract(con, parsed, header, contract)
    bad = pc.invert(good)
    faulty = pa.table(
        {
            "line_number": table["line_number"].filter(bad),
            "raw": table["raw"].filter(bad),
            "reason": reason.filter(bad),
        }
    )
    return in_line_order(fields, faulty, empty), header


def _excel_separator_line(txt: str | None, table: pa.Table) -> bool:
    """Whether the first row is the line Excel writes (and reads) before the header to name
    the delimiter, ``sep=,``; with another delimiter (``sep=;``) the file is rejected naming
    it, as a header split by it would be."""
    text = (txt or "").strip(" \r\n")
    if len(text) != 5 or text[:4].lower() != "sep=":
        return False
    if text[4] == ",":
        return True
    called = {";": "semicolons", "\t": "tabs", "|": "'|'"}.get(text[4], repr(text[4]))
    line = table["line_number"][0].as_py()
    raise InputFileError(
        f"the CSV file's columns are separated by {called}, not commas (its line {line} is "
        f"Excel's separator line, {text!r})",
        hint="auditpipe reads comma-separated CSV (RFC 4180): export the file with "
        "commas, or as JSON Lines, and ingest it again",
    )


def long_header(batch: LineBatch, table: pa.Table) -> None:
    """Rejects the file when its first row with content is over the line size limit: that
    row is the header, which the line reader kept out of the batch's rows (only its first KiB
    is kept, for the quarantine), so the next row would be taken for it and named as the
    header in the reason."""
    first = table["line_number"][0].as_py() if table.num_rows else None
    long = [o for o in batch.oversize if first is None or o.line_number < first]
    if long:
        o = min(long, key=lambda o: o.line_number)
        raise InputFileError(
            f"the CSV header (line {o.line_number}) is longer than the line size limit "
            f"({o.size_seen:,} bytes or more)",
            hint="check that the file is CSV with a header row of column names (a header this "
            "long is most often not one), or raise max_line_bytes under [ingest] in "
            "auditpipe.toml, and ingest it again",
        )


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def read_header(txt: str | None, line_number: int, contract: Contract) -> CsvHeader:
    """The first row's names. A first row that names none of the contract's fields is not a
    header: the file is rejected rather than its first row of data taken for one (a row that
    would be neither stored, quarantined nor counted) and every other row quarantined."""
    if txt is None:
        raise InputFileError(
            f"the CSV header (line {line_number}) is not valid UTF-8",
            hint="save the file as UTF-8 and ingest it again",
        )
    header_faults(txt, line_number)
    names = [h.strip() for h in _split(txt, line_number)]
    if not any(contract.canonical_key(name) for name in names):
        for delimiter, called in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            other = _split(txt, line_number, delimiter)
            if any(contract.canonical_key(name.strip()) for name in other):
                raise InputFileError(
                    f"the CSV file's columns are separated by {called}, not commas "
                    f"(its header, line {line_number}, reads as {len(other)} names that way)",
                    hint="auditpipe reads comma-separated CSV (RFC 4180): export the file with "
                    "commas, or as JSON Lines, and ingest it again",
                )
        # Not quoted in the message: a row of data may hold the identifiers the tool audits.
        raise InputFileError(
            f"the first row of the CSV file (line {line_number}) names none of the contract's "
            "fields, so it is not a header row",
            hint="a CSV file must start with a header row naming its columns ("
            + ", ".join(contract.required)
            + ", ...); add one and ingest the file again",
        )
    return CsvHeader(names, line_number, txt)


CR_ONLY_HINT = (
    "convert the file's line endings to LF or CRLF (for example tr '\\r' '\\n' < in.csv > "
    "out.csv, or dos2unix -c mac in.csv) and ingest it again"
)


def header_faults(txt: str, line_number: int) -> None:
    """Rejects the file when its header row has a fault that, in a row of data, would
    quarantine the row: the header names every column, so no row could be read against it.
    A carriage return outside quotes that does not end the row is most often a file whose
    lines end in a carriage return alone (classic Mac OS): the file is one row, header first."""
    data = np.frombuffer(txt.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    shape = row_shapes(data, np.array([0, len(data)], dtype=np.int64))
    if shape.bare_cr[0]:
        raise InputFileError(
            f"the CSV header (line {line_number}) has a carriage return outside quotes that "
            "does not end the line: the file's lines end in a carriage return alone (CR-only, "
            "classic Mac OS line endings), or the header row holds a stray one",
            hint=CR_ONLY_HINT,
        )
    if shape.unclosed[0]:
        raise InputFileError(
            f"the CSV header (line {line_number}) has a quoted name that is never closed, so "
            "the rest of the file would be read as part of the header",
            hint='close the quote in the header row (RFC 4180: "name") and ingest the file again',
        )
    if shape.stray_quote[0]:
        raise InputFileError(
            f'the CSV header (line {line_number}) has a " inside a name that is not quoted, '
            "or text after a closing quote",
            hint="quote the whole name and double each quote inside it (RFC 4180), or remove "
            "the quote, and ingest the file again",
        )


def _split(txt: str, line_number: int, delimiter: str = ",") -> list[str]:
    try:
        return next(csv.reader([txt], delimiter=delimiter), [])
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise InputFileError(
                f"the CSV header (line {line_number}) has a name longer than "
                f"{csv.field_size_limit()} characters",
                hint="check that the file is CSV with a header row of column names, "
                "and ingest it again",
            ) from exc
        raise InputFileError(
            f"the CSV header (line {line_number}) cannot be read as CSV: {exc}",
            hint="check that the file starts with a header row of column names, "
            "and ingest it again",
        ) from exc


def row_faults(rows: pa.Array, txt: pa.Array, header: CsvHeader) -> pa.Array:
    """Per row: why it cannot be parsed (not UTF-8, quoting, column count), or NULL."""
    buffers = rows.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[rows.offset : rows.offset + len(rows) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    shape = row_shapes(data, offsets - offsets[0])
    expected = len(header.names)
    counts = pa.array(shape.columns.astype(np.int64))
    plural = pc.if_else(pc.equal(counts, 1), " column", " columns")
    wrong_count = pc.binary_join_element_wise(
        "CSV row has ",
        counts.cast(pa.string()),
        plural,
        f", the header (line {header.line_number}) has {expected}",
        "",
    )
    # The header again (another file's, after `cat a.csv b.csv`; with its BOM, if saved by a
    # Windows tool): named as such, not as a row whose values are field names.
    repeated = pc.fill_null(
        pc.or_(pc.equal(txt, header.text), pc.equal(txt, "\ufeff" + header.text)), False
    )
    reason = pa.nulls(len(rows), pa.string())
    for mask, why in (
        (pa.array(shape.columns != expected), wrong_count),
        (pa.array(shape.bare_cr), BARE_CR),
        (pa.array(shape.unclosed), UNCLOSED),
        (pa.array(shape.stray_quote), STRAY_QUOTE),
        (
            pc.fill_null(
                pc.and_(pa.array(shape.stray_quote), pc.match_substring(txt, '\\"')), False
            ),
            BACKSLASH_QUOTE,
        ),
        (repeated, repeated_header(header)),
        (pc.is_null(txt), "row is not valid UTF-8"),
    ):
        reason = pc.if_else(mask, why, reason)
    return reason.cast(pa.large_string())


def repeated_header(header: CsvHeader) -> str:
    return (
        f"row repeats the header row (line {header.line_number}), as where CSV files "
        "were joined: it is not data"
    )


def header_in_another_order(parsed: pa.Table, header: CsvHeader) -> pa.Array:
    """Rejects the file when a row of it is the header row with its columns in another order,
    as where CSV files whose columns are ordered differently were joined (``cat a.csv b.csv``):
    each row after it would be read against the first header, its values stored under other
    columns' names (an actor as the subject) without any error. Only rows whose first cell is
    one of the header's names (as written, trimmed, lower-case or normalised) are compared in
    full, so a batch costs one lookup of its first column. Returns the line numbers of rows
    that are the header in the same order but spelled otherwise (``EVENT_ID,Event_Time,...``,
    another export's capitals): the header repeated all the same, not data."""
    ncol = len(header.names)
    none = pa.array([], pa.int64())
    if ncol < 2 or not parsed.num_rows:
        return none
    names = [normalize_name(n) for n in header.names]
    written = _split(header.text, header.line_number) if header.text else []
    spellings = {f(n) for n in header.names for f in (str.strip, str.lower)} | set(names)
    spellings |= set(written)
    # the first cell lower-cased too: another export's header may be in capitals
    first = pc.or_(
        pc.is_in(parsed["c0"], value_set=pa.array(sorted(spellings), pa.string())),
        pc.is_in(pc.utf8_lower(parsed["c0"]), value_set=pa.array(sorted(names), pa.string())),
    )
    at = pc.indices_nonzero(first)
    if not len(at):
        return none
    rows = parsed.take(at)
    every_name = pa.array(np.ones(len(rows), dtype=bool))
    same_order = every_name
    for i, name in enumerate(names):
        cell = pc.utf8_lower(pc.utf8_trim_whitespace(pc.utf8_normalize(rows[f"c{i}"], "NFKC")))
        cell = pc.replace_substring_regex(cell, r"[\s\-]+", "_")
        every_name = pc.and_(every_name, pc.is_in(cell, value_set=pa.array(sorted(set(names)))))
        same_order = pc.and_(same_order, pc.equal(cell, name))
    moved = pc.indices_nonzero(pc.fill_null(pc.and_not(every_name, same_order), False))
    if len(moved):
        line = rows["line_number"][moved[0].as_py()].as_py()
        raise InputFileError(
            f"the CSV header row is repeated at line {line} with its columns in another order "
            f"than the header's (line {header.line_number}), as where CSV files were joined: "
            "the rows after it would be stored under other columns' names",
            hint=f"split the file at line {line} and ingest each part as a file of its own",
        )
    return rows["line_number"].filter(pc.fill_null(same_order, False))


def csv_block_size(longest_row: int) -> int:
    """pyarrow's CSV block size for rows of at most ``longest_row`` bytes. pyarrow parses in
    blocks (1 MiB by default) and refuses a row that straddles two block boundaries, so a row
    of a few megabytes (up to ``max_line_bytes``) stopped the run: a block holds the longest
    row twice over, so no row crosses more than one boundary."""
    return max(1 << 20, 2 * longest_row + 2)


def parse_rows(rows: pa.Array, ncol: int) -> pa.Table:
    """Well-formed rows to ``ncol`` string columns c0, c1, ...; one record per row. An
    unquoted cell that is one of ``NULL_MARKERS`` is NULL: no value, as an empty cell."""
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(ncol)]
    if not len(rows):
        return pa.table({n: pa.array([], pa.string()) for n in names})
    buffers = rows.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[rows.offset : rows.offset + len(rows) + 1]
    data = buffers[2].to_pybytes()[offsets[0] : offsets[-1]]
    if not data.endswith(b"\n"):
        data += b"\n"
    invalid: list[Any] = []

    def on_invalid(row: Any) -> str:
        invalid.append(row)
        return "skip"

    longest = int(np.diff(offsets).max())
    parsed = pcsv.read_csv(
        io.BytesIO(data),
        read_options=pcsv.ReadOptions(
            column_names=names, use_threads=False, block_size=csv_block_size(longest)
        ),
        parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=sorted(NULL_MARKERS),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    if invalid or parsed.num_rows != len(rows):
        raise AuditpipeError(
            _("internal error: {rows_count} well-formed CSV rows parsed as {num_rows}").format(
                rows_count=len(rows), num_rows=parsed.num_rows
            ),
            hint=_("nothing was published; please report this with the file"),
        )
    return parsed


def to_contract(con: Any, parsed: pa.Table, header: CsvHeader, contract: Contract) -> pa.Table:
    """Contract-named columns and ``extras`` from the positional columns."""
    groups: dict[str, list[str]] = {}
    extras: dict[str, list[int]] = {}
    index = pandas_index_columns(header.names)
    for i, name in enumerate(header.names):
        canon = contract.canonical_key(name)
        if canon:
            groups.setdefault(canon, []).append(f"c{i}")
        elif i not in index:  # pandas' index: row labels, not an event field
            extras.setdefault(name, []).append(i)
    names = {f"c{i}": name for i, name in enumerate(header.names)}
    for canon, cols in groups.items():
        groups[canon] = [cols[i] for i in own_spelling_first(canon, [names[c] for c in cols])]
    selected = [
        f"{first_present(cols)} AS {quote_identifier(canon)}" for canon, cols in groups.items()
    ]
    members = []
    for key, i in extras_keys(header.names, extras):  # a repeated name keeps every column
        value = f"nullif(c{i}, '')"
        members.append(
            f"CASE WHEN {value} IS NOT NULL THEN {json_member(key, f'to_json({value})')} END"
        )
    extras_sql = json_object(members)
    con.register("csv_cells", parsed)
    try:
        return arrow_table(
            con,
            "SELECT "
            + ", ".join(["line_number", "raw", *selected, extras_sql + " AS extras"])
            + " FROM csv_cells",
        )
    finally:
        con.unregister("csv_cells")


def _present(col: str, repeated: bool) -> str:
    return f"nullif({col}, '')" if not repeated else first_present([col])
