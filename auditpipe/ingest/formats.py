"""Per-format readers: each turns a file into batches of ``src`` relations for normalize_sql.

A batch is registered in the DuckDB connection as Arrow tables and described by a
``BatchSource``: the FROM-clause text, one SQL expression per contract field found, and the
expression for ``extras`` (fields outside the contract, kept as one JSON object).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import Contract
from ..views import quote_identifier, sql_string
from .lines import LineBatch, Oversize, iter_line_batches, prefetch

MiB = 1024 * 1024


@dataclass
class BatchSource:
    src: str
    field_exprs: dict[str, str]
    extras_expr: str
    rows_read: int


def _oversize_table(items: list[Oversize], limit: int) -> pa.Table:
    return pa.table(
        {
            "line_number": pa.array([o.line_number for o in items], pa.int64()),
            "raw": pa.array(
                [o.sample.decode("utf-8", "backslashreplace") + " ..." for o in items], pa.string()
            ),
            "pre_error": pa.array(
                [
                    f"line is longer than the {limit // MiB} MiB limit ({o.size_seen:,} bytes "
                    "or more); only its first KiB is kept here"
                    for o in items
                ],
                pa.string(),
            ),
        }
    )


# A line that is not UTF-8 is kept as text with its non-ASCII bytes written \\xNN (DuckDB's
# BLOB-to-VARCHAR form), quotes shown plainly and the line ending dropped.
_ESCAPED_BYTES = "regexp_replace(regexp_replace(regexp_replace(CAST(b AS VARCHAR), '(\\\\x0D)?\\\\x0A$', ''), '\\\\x22', '\"', 'g'), '\\\\x27', '''', 'g')"


def _decode_lines(con: Any, batch: LineBatch, name: str) -> tuple[int, int]:
    """Register ``name``: line_number, txt (NULL if not UTF-8), raw, bad_utf8, without blank
    lines. Returns (rows kept, blank lines dropped)."""
    con.register(f"{name}_bytes", pa.table({"line_number": batch.line_numbers, "b": batch.rows}))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT line_number, txt, coalesce(txt, {_ESCAPED_BYTES}) AS raw, txt IS NULL AS bad_utf8
        FROM (SELECT line_number, b, rtrim(TRY(decode(b)), E'\\r\\n') AS txt FROM {name}_bytes)
        WHERE txt IS NULL OR trim(txt, E' \\t\\r\\n\\f\\v') <> ''"""
    )
    con.unregister(f"{name}_bytes")
    kept = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return kept, len(batch.rows) - kept


def _register_json_lines(con: Any, batch: LineBatch) -> int:
    """Register view ``jb`` (line_number, raw, txt, pre_error) of the batch's non-blank lines;
    returns their number. Valid UTF-8 (the normal case) is checked and decoded by Arrow in one
    call; a batch with a bad line takes DuckDB's row-by-row TRY(decode()) path instead."""
    try:
        text = pc.utf8_rtrim(batch.rows.cast(pa.large_string()), characters="\r\n")
    except pa.ArrowInvalid:
        _decode_lines(con, batch, "jl")
    else:
        table = pa.table({"line_number": batch.line_numbers, "txt": text})
        # Several record batches let DuckDB spread the work over its threads.
        con.register("jl_arrow", pa.Table.from_batches(table.to_batches(max_chunksize=32768)))
        con.execute(
            "CREATE OR REPLACE TEMP VIEW jl AS SELECT line_number, txt, txt AS raw, "
            "false AS bad_utf8 FROM jl_arrow "
            "WHERE CASE WHEN starts_with(txt, '{') THEN true "
            "ELSE trim(txt, E' \\t\\r\\n\\f\\v') <> '' END"
        )
    strict_failures = _lenient_json_lines(con)
    con.register("strict_bad", pa.table({"line_number": pa.array(strict_failures, pa.int64())}))
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW jb AS
        SELECT line_number, raw, txt,
          CASE WHEN bad_utf8 THEN 'line is not valid UTF-8'
               WHEN starts_with(txt, '{{') AND json_valid(txt) THEN
                    CASE WHEN line_number IN (SELECT line_number FROM strict_bad)
                         THEN 'line is not valid JSON' END
               WHEN NOT json_valid(txt) THEN 'line is not valid JSON'
               WHEN json_type(txt) <> 'OBJECT'
               THEN 'line is valid JSON but not an object (it is ' || {_JSON_KIND} || ')'
          END AS pre_error
        FROM jl"""
    )
    return int(con.execute("SELECT count(*) FROM jl").fetchall()[0][0])


# DuckDB's json_valid is lenient: it accepts trailing commas and NaN/Infinity, which are not
# JSON. Lines that may use them (a cheap pattern, rarely matched by real logs) get a strict
# check by Python's parser; only those few lines pay for it.
_LENIENT_PATTERN = r",\s*[\]}]|[:\[,]\s*[-+]?(NaN|Infinity|inf)\s*[,\]}]"
_JSON_KIND = (
    "CASE json_type(txt) WHEN 'ARRAY' THEN 'an array' WHEN 'VARCHAR' THEN 'a string' "
    "WHEN 'BOOLEAN' THEN 'true or false' WHEN 'NULL' THEN 'null' ELSE 'a number' END"
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _lenient_json_lines(con: Any) -> list[int]:
    """Line numbers of lines DuckDB calls valid JSON that a strict parser rejects."""
    candidates = con.execute(
        "SELECT line_number, txt FROM jl WHERE NOT bad_utf8 AND regexp_matches(txt, "
        f"{sql_string(_LENIENT_PATTERN)}) AND json_valid(txt)"
    ).fetchall()
    failures = []
    for line_number, txt in candidates:
        try:
            json.loads(txt, parse_constant=_reject_constant)
        except ValueError:
            failures.append(line_number)
    return failures


def _canonical_groups(
    keys: list[str], contract: Contract
) -> tuple[dict[str, list[str]], list[str]]:
    groups: dict[str, list[str]] = {}
    extras: list[str] = []
    for key in keys:
        canon = contract.canonical_key(key)
        if canon is None:
            extras.append(key)
        else:
            groups.setdefault(canon, []).append(key)
    return groups, extras


def _first_present(exprs: list[str]) -> str:
    """When several input names map to one field ("Action" and "action"), the first one
    that is not empty wins."""
    if len(exprs) == 1:
        return exprs[0]
    return "coalesce(" + ", ".join(f"nullif(trim({e}), '')" for e in exprs) + ")"


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def json_batches(
    con: Any,
    stream: IO[bytes],
    *,
    contract: Contract,
    batch_bytes: int,
    max_line_bytes: int,
    on_progress: Callable[[], None] | None = None,
) -> Iterator[BatchSource]:
    for batch in prefetch(
        iter_line_batches(
            stream,
            quoted_newlines=False,
            batch_bytes=batch_bytes,
            max_line_bytes=max_line_bytes,
            on_progress=on_progress,
        )
    ):
        kept = _register_json_lines(con, batch)
        keys = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT unnest(json_keys(txt)) FROM jb WHERE pre_error IS NULL"
            ).fetchall()
        ]
        groups, extra_keys = _canonical_groups(sorted(keys), contract)
        known_keys = [k for ks in groups.values() for k in ks]
        paths = [_json_path(k) for k in known_keys]
        field_exprs: dict[str, str] = {}
        index = {k: i + 1 for i, k in enumerate(known_keys)}
        for canon, ks in groups.items():
            field_exprs[canon] = _first_present([f"vals[{index[k]}]" for k in ks])
        vals = (
            f"CASE WHEN pre_error IS NULL THEN json_extract_string(txt, [{', '.join(sql_string(p) for p in paths)}]) END"
            if paths
            else "CAST(NULL AS VARCHAR[])"
        )
        extra_values, extras = _extras_json(extra_keys)
        src = f"(SELECT line_number, raw, pre_error, {vals} AS vals, {extra_values} AS ev FROM jb"
        if batch.oversize:
            con.register("jover", _oversize_table(batch.oversize, max_line_bytes))
            src += (
                " UNION ALL BY NAME SELECT line_number, raw, pre_error, "
                "CAST(NULL AS VARCHAR[]) AS vals, CAST(NULL AS JSON[]) AS ev FROM jover"
            )
        yield BatchSource(src + ") src", field_exprs, extras, kept + len(batch.oversize))


def _extras_json(extra_keys: list[str]) -> tuple[str, str]:
    """SQL for the ``extras`` JSON object of one line: the keys outside the contract found in
    this batch, with their JSON values, leaving out absent, null and empty ones (as for
    contract fields, empty means absent). Returns (the ``ev`` column for the source query,
    which parses the line once for all those keys; the extras expression over ``ev``)."""
    if not extra_keys:
        return "CAST(NULL AS JSON[])", "CAST(NULL AS VARCHAR)"
    paths = ", ".join(sql_string(_json_path(k)) for k in extra_keys)
    # Plain string building: each value is already JSON text, each key JSON-escaped here.
    members = ", ".join(
        f"CASE WHEN ev[{i}] IS NOT NULL AND ev[{i}]::VARCHAR NOT IN ('null', '\"\"') "
        f"THEN {sql_string(json.dumps(k, ensure_ascii=False) + ':')} || ev[{i}]::VARCHAR END"
        for i, k in enumerate(extra_keys, 1)
    )
    return (
        f"CASE WHEN pre_error IS NULL THEN json_extract(txt, [{paths}]) END",
        f"nullif('{{' || concat_ws(',', {members}) || '}}', '{{}}')",
    )


def _csv_header(txt: str) -> list[str]:
    return next(csv.reader([txt.lstrip("\ufeff")]))


def csv_batches(
    con: Any,
    stream: IO[bytes],
    *,
    contract: Contract,
    batch_bytes: int,
    max_line_bytes: int,
    on_progress: Callable[[], None] | None = None,
) -> Iterator[BatchSource]:
    """CSV with a header row. Rows are cut by the quote-aware line splitter, so a row's line
    number and original text are exact even when a quoted value spans lines; pyarrow parses the
    cells, and rows with the wrong number of columns come back through its invalid-row hook."""
    import pyarrow.csv as pcsv

    header: list[str] | None = None
    header_line = 0
    for batch in prefetch(
        iter_line_batches(
            stream,
            quoted_newlines=True,
            batch_bytes=batch_bytes,
            max_line_bytes=max_line_bytes,
            on_progress=on_progress,
        )
    ):
        _decode_lines(con, batch, "cl")
        tbl = con.sql(
            "SELECT line_number, raw, bad_utf8, txt FROM cl ORDER BY line_number"
        ).to_arrow_table()
        if header is None and tbl.num_rows:
            first = tbl.slice(0, 1).to_pylist()[0]
            if first["bad_utf8"]:
                from ..errors import InputFileError

                raise InputFileError(
                    f"the CSV header (line {first['line_number']}) is not valid UTF-8",
                    hint="save the file as UTF-8 and ingest it again",
                )
            header = [h.strip() for h in _csv_header(first["txt"])]
            header_line = first["line_number"]
            tbl = tbl.slice(1)
        if header is None:
            continue
        ncol = len(header)
        names = [f"c{i}" for i in range(ncol)]
        good_utf8 = tbl.filter(pc.invert(tbl["bad_utf8"]))
        bad_rows: dict[int, str] = {}
        parsed = None
        if good_utf8.num_rows:
            texts = good_utf8["txt"].combine_chunks()
            data = _join_lines(texts)
            newlines_per_row = pc.count_substring(texts, "\n").to_numpy(zero_copy_only=False) + 1
            first_line = np.concatenate(([1], 1 + np.cumsum(newlines_per_row)[:-1]))

            on_invalid = _invalid_row_collector(first_line, bad_rows, header_line)

            parsed = pcsv.read_csv(
                io.BytesIO(data),
                read_options=pcsv.ReadOptions(column_names=names, use_threads=False),
                parse_options=pcsv.ParseOptions(
                    newlines_in_values=True, invalid_row_handler=on_invalid
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            keep = np.ones(good_utf8.num_rows, dtype=bool)
            keep[list(bad_rows)] = False
            good = good_utf8.filter(pa.array(keep))
            if good.num_rows != parsed.num_rows:
                raise RuntimeError(
                    f"CSV row mapping lost track: {good.num_rows} rows vs {parsed.num_rows} parsed"
                )
            good_tbl = pa.Table.from_arrays(
                [good["line_number"], good["raw"], *parsed.columns],
                names=["line_number", "raw", *names],
            )
            bad_idx = sorted(bad_rows)
            wrong_cols = pa.table(
                {
                    "line_number": good_utf8["line_number"].take(pa.array(bad_idx, pa.int64())),
                    "raw": good_utf8["raw"].take(pa.array(bad_idx, pa.int64())),
                    "pre_error": pa.array([bad_rows[i] for i in bad_idx], pa.string()),
                }
            )
        else:
            good_tbl = pa.table(
                {"line_number": pa.array([], pa.int64()), "raw": pa.array([], pa.string())}
                | {n: pa.array([], pa.string()) for n in names}
            )
            wrong_cols = None
        pre_err_tables = []
        if wrong_cols is not None and wrong_cols.num_rows:
            pre_err_tables.append(wrong_cols)
        bad_utf8 = tbl.filter(tbl["bad_utf8"])
        if bad_utf8.num_rows:
            pre_err_tables.append(
                pa.table(
                    {
                        "line_number": bad_utf8["line_number"],
                        "raw": bad_utf8["raw"],
                        "pre_error": pa.array(
                            ["row is not valid UTF-8"] * bad_utf8.num_rows, pa.string()
                        ),
                    }
                )
            )
        if batch.oversize:
            pre_err_tables.append(_oversize_table(batch.oversize, max_line_bytes))
        con.register("cgood", good_tbl)
        groups, extra_cols = _canonical_groups(header, contract)
        col_of = {h: f"c{i}" for i, h in enumerate(header)}
        field_exprs = {}
        for canon, hs in groups.items():
            field_exprs[canon] = _first_present([col_of[h] for h in hs])
        if extra_cols:
            entries = ", ".join(
                f"struct_pack(k := {sql_string(h)}, v := {col_of[h]})" for h in extra_cols
            )
            extras = (
                f"nullif(to_json(map_from_entries(list_filter([{entries}], "
                "lambda e: e.v IS NOT NULL AND e.v <> '')))::VARCHAR, '{}')"
            )
        else:
            extras = "CAST(NULL AS VARCHAR)"
        cols = ", ".join(names)
        src = f"(SELECT line_number, raw, CAST(NULL AS VARCHAR) AS pre_error, {cols}, {extras} AS extras_json FROM cgood"
        if pre_err_tables:
            con.register("cbad", pa.concat_tables(pre_err_tables))
            nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {n}" for n in names)
            src += f" UNION ALL SELECT line_number, raw, pre_error, {nulls}, CAST(NULL AS VARCHAR) FROM cbad"
        rows = tbl.num_rows + len(batch.oversize)
        yield BatchSource(src + ") src", field_exprs, "extras_json", rows)


def _invalid_row_collector(
    first_line: np.ndarray, bad_rows: dict[int, str], header_line: int
) -> Callable[[Any], str]:
    """pyarrow's invalid-row hook: map the row's line in the parsed text back to our row."""

    def on_invalid(row: Any) -> str:
        idx = int(np.searchsorted(first_line, row.number, side="right")) - 1
        plural = "s" if row.actual_columns != 1 else ""
        bad_rows[idx] = (
            f"CSV row has {row.actual_columns} column{plural}, "
            f"the header (line {header_line}) has {row.expected_columns}"
        )
        return "skip"

    return on_invalid


def _join_lines(texts: pa.Array) -> bytes:
    """The rows joined by newlines, as one bytes object, without a Python loop per row."""
    joined = pc.binary_join(pa.array([texts], pa.list_(texts.type)), "\n")
    return joined[0].as_buffer().to_pybytes() + b"\n"


def parquet_batches(
    con: Any,
    path: Path,
    *,
    contract: Contract,
    batch_rows: int = 131072,
    on_progress: Callable[[], None] | None = None,
) -> Iterator[BatchSource]:
    """Parquet input: line_number is the 1-based row number, raw the row as JSON."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    groups, extra_cols = _canonical_groups(names, contract)
    schema = pf.schema_arrow
    q = quote_identifier

    def as_text(col: str) -> str:
        if pa.types.is_nested(schema.field(col).type):
            return f"to_json({q(col)})::VARCHAR"
        return f"CAST({q(col)} AS VARCHAR)"

    start = 1
    for rb in pf.iter_batches(batch_size=batch_rows):
        if on_progress:
            on_progress()
        n = rb.num_rows
        tbl = pa.Table.from_batches([rb]).append_column(
            "__line_number", pa.array(np.arange(start, start + n, dtype=np.int64))
        )
        start += n
        con.register("pq_batch", tbl)
        selected = []
        for canon, cols in groups.items():
            expr = _first_present([as_text(c) for c in cols])
            selected.append(f"{expr} AS {q('f_' + canon)}")
        field_exprs = {canon: q("f_" + canon) for canon in groups}
        if extra_cols:
            entries = ", ".join(
                f"struct_pack(k := {sql_string(c)}, v := to_json({q(c)}))" for c in extra_cols
            )
            extras = (
                f"nullif(to_json(map_from_entries(list_filter([{entries}], "
                "lambda e: e.v IS NOT NULL AND e.v::VARCHAR NOT IN ('null', '\"\"'))))::VARCHAR, '{}')"
            )
        else:
            extras = "CAST(NULL AS VARCHAR)"
        row_json = (
            "to_json(struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in names) + "))::VARCHAR"
        )
        src = (
            f"(SELECT __line_number AS line_number, {row_json} AS raw, "
            f"CAST(NULL AS VARCHAR) AS pre_error, {', '.join(selected + [extras + ' AS extras_json'])} "
            "FROM pq_batch) src"
        )
        yield BatchSource(src, field_exprs, "extras_json", n)
