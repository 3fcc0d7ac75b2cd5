"""Parquet (``.parquet``): ``line_number`` is the 1-based row number, ``raw`` the row as JSON.

Columns are addressed by position, never by name, so names that differ only in case, repeat,
or are empty cannot confuse the query: each is matched to the contract like a JSON key, a name
of the contract that repeats keeps the first non-empty value, and names outside the contract
go to ``extras`` under their own spelling (one that repeats keeps every column: the later ones
under ``<name>#<column number>``, ``columns.extras_keys``, as in CSV). A compressed Parquet file (``.parquet.gz``) is decompressed into the
file's staging folder first, since Parquet needs random access.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..contract import Contract
from ..db import arrow_table, quote_identifier, quote_literal
from ..errors import InputFileError
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
from .kinds import ReadContext, register_kind
from .lines import StreamError

BATCH_ROWS = 131072


class Parquet:
    name = "parquet"
    suffixes: tuple[str, ...] = (".parquet",)

    def batches(self, ctx: ReadContext) -> Iterator[pa.Table]:
        import pyarrow.parquet as pq

        path = _random_access_copy(ctx)
        try:
            pf = pq.ParquetFile(path)
            ctx.note_columns(pf.schema_arrow.names)
            schema, converted = duckdb_schema(pf.schema_arrow)
            unreadable(ctx.con, schema, ctx.source.path)
            imprecise_times(pf.schema_arrow, ctx.contract, ctx.source.path)
            index = pandas_index_columns(
                pf.schema_arrow.names, (pf.schema_arrow.metadata or {}).get(b"pandas")
            )
            if index:
                ctx.count(PANDAS_INDEX, len(index))
            select = row_query(schema, ctx.contract, int96_columns(pf), index)
            start = 1
            for rb in pf.iter_batches(batch_size=BATCH_ROWS):
                n = rb.num_rows
                ctx.on_progress(min(start / max(pf.metadata.num_rows, 1), 1.0))
                cells = pa.Table.from_batches([rb])
                if converted:
                    cells = to_schema(cells, schema, ctx.source.path)
                cells = cells.rename_columns([f"c{i}" for i in range(rb.num_columns)])
                cells = cells.append_column(
                    "line_number", pa.array(np.arange(start, start + n, dtype=np.int64))
                )
                start += n
                yield _run(ctx.con, cells, select)
        except (pa.ArrowInvalid, OSError) as exc:
            if isinstance(exc, PermissionError):
                raise
            raise InputFileError(
                f"{ctx.source.path} is not a readable Parquet file: {exc}",
                hint="check that the file is complete; ask the provider to send it again",
            ) from exc


register_kind(Parquet())


def _random_access_copy(ctx: ReadContext) -> Path:
    if ctx.source.compression is None:
        return ctx.source.path
    path = ctx.work / "input.parquet"
    stream = ctx.open_bytes()
    try:
        with open(path, "wb") as out:
            while block := stream.read(8 * 1024 * 1024):
                out.write(block)
    except StreamError as exc:
        raise InputFileError(
            f"{ctx.source.path} cannot be read to the end: {exc}",
            hint="the archive is truncated or corrupt; ask the provider to send it again",
        ) from exc
    finally:
        stream.close()
    return path


def duckdb_type(kind: pa.DataType) -> pa.DataType:
    """``kind``, or the type its values convert to without loss where DuckDB cannot read it
    from Arrow: float16 (half float, e.g. from PyTorch or NumPy) as float32, which holds every
    float16 exactly; decimal256 as decimal128 when its precision fits (38 digits), else as
    text, digit for digit; inside lists, structs, maps and dictionaries too. An extension type
    (a tensor, say) whose storage holds one of these is read as its storage."""
    if pa.types.is_float16(kind):
        return pa.float32()
    if pa.types.is_decimal256(kind):
        return pa.decimal128(kind.precision, kind.scale) if kind.precision <= 38 else pa.string()
    if isinstance(kind, pa.BaseExtensionType):
        storage = duckdb_type(kind.storage_type)
        return kind if storage == kind.storage_type else storage
    if pa.types.is_dictionary(kind):
        values = duckdb_type(kind.value_type)
        return kind if values == kind.value_type else values
    if pa.types.is_map(kind):
        key, item = duckdb_type(kind.key_type), duckdb_type(kind.item_type)
        if (key, item) == (kind.key_type, kind.item_type):
            return kind
        return pa.map_(key, item, keys_sorted=kind.keys_sorted)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        field = kind.value_field
        value = duckdb_type(field.type)
        if value == field.type:
            return kind
        field = field.with_type(value)
        if pa.types.is_fixed_size_list(kind):
            return pa.list_(field, kind.list_size)
        return pa.large_list(field) if pa.types.is_large_list(kind) else pa.list_(field)
    if pa.types.is_struct(kind):
        fields = [kind.field(i) for i in range(kind.num_fields)]
        types = [duckdb_type(f.type) for f in fields]
        if all(t == f.type for t, f in zip(types, fields, strict=True)):
            return kind
        return pa.struct([f.with_type(t) for t, f in zip(types, fields, strict=True)])
    return kind


def duckdb_schema(schema: pa.Schema) -> tuple[pa.Schema, bool]:
    """The file's schema with each column's type as ``duckdb_type``, and whether any changed."""
    fields = [f.with_type(duckdb_type(f.type)) for f in schema]
    return pa.schema(fields), any(f.type != g.type for f, g in zip(fields, schema, strict=True))


def to_schema(cells: pa.Table, schema: pa.Schema, path: Path) -> pa.Table:
    """``cells`` cast to ``duckdb_schema``'s types, an extension column through its storage."""
    columns = []
    for column, field in zip(cells.columns, schema, strict=True):
        if column.type == field.type:
            columns.append(column)
            continue
        try:
            if isinstance(column.type, pa.BaseExtensionType):
                column = pa.chunked_array(
                    [c.storage for c in column.chunks], column.type.storage_type
                )
            columns.append(column.cast(field.type))
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
            raise InputFileError(
                f"{path} has a column of a type auditpipe cannot read: "
                f"{quote_literal(field.name)} ({column.type})",
                hint="export the file with this column as float, decimal (up to 38 digits), "
                "text or a list or struct of these, or without it, and ingest it again",
            ) from exc
    return pa.Table.from_arrays(columns, schema=schema)


def unreadable(con: Any, schema: pa.Schema, path: Path) -> None:
    """Rejects the file, naming its columns, when DuckDB cannot read a column's Arrow type even
    after ``duckdb_schema``; checked once per file, on no rows, before any batch is read."""
    import duckdb

    def fails(fields: list[pa.Field]) -> str | None:
        empty = pa.table(
            [_empty(f.type) for f in fields], names=[f"c{i}" for i in range(len(fields))]
        )
        try:
            con.register("parquet_types", empty)  # raises here, or when read
            con.execute("SELECT * FROM parquet_types LIMIT 0").fetchall()
        except duckdb.NotImplementedException as exc:
            return str(exc)
        finally:
            con.unregister("parquet_types")
        return None

    if not len(schema) or fails(list(schema)) is None:
        return
    bad = [f for f in schema if fails([f]) is not None]
    named = ", ".join(f"{quote_literal(f.name)} ({f.type})" for f in bad) or "?"
    raise InputFileError(
        f"{path} has columns of a type auditpipe cannot read: {named}",
        hint="export the file with these columns as float, decimal (up to 38 digits), text "
        "or a list or struct of these, or without them, and ingest it again",
    )


def imprecise_times(schema: pa.Schema, contract: Contract, path: Path) -> None:
    """Rejects the file when a time field's column is a 16- or 32-bit float: a float32 keeps
    24 bits, so near 1.7e9 epoch seconds its steps are 128 s (milliseconds fare no better),
    and every time in it is already wrong by up to a minute. Read, they would be stored off
    without a word; a float64 holds an epoch time to the microsecond."""
    times = {spec.name for spec in contract.fields if spec.storage.startswith("TIMESTAMP")}
    bad = [
        f
        for f in schema
        if contract.canonical_key(f.name) in times
        and (pa.types.is_float16(f.type) or pa.types.is_float32(f.type))
    ]
    if bad:
        named = ", ".join(f"{quote_literal(f.name)} ({f.type})" for f in bad)
        raise InputFileError(
            _(
                "{path} has time columns of short floats, which cannot hold an epoch time "
                "to the minute: {columns}"
            ).format(path=path, columns=named),
            hint=_(
                "export the times as timestamps, int64 epoch seconds or milliseconds, "
                "float64 or text, and ingest the file again"
            ),
        )


def _empty(kind: pa.DataType) -> pa.Array:
    if isinstance(kind, pa.BaseExtensionType):  # some (a tensor) cannot be built empty directly
        return pa.ExtensionArray.from_storage(kind, _empty(kind.storage_type))
    return pa.array([], kind)


def _run(con: Any, cells: pa.Table, select: str) -> pa.Table:
    con.register("parquet_rows", cells)
    try:
        return arrow_table(con, select)
    finally:
        con.unregister("parquet_rows")


def int96_columns(parquet: Any) -> set[int]:
    """Positions of the top-level columns stored as INT96 timestamps without a time zone.

    INT96 is Spark's default timestamp type (``spark.sql.parquet.outputTimestampType``), and
    Hive's and Impala's: its values are UTC instants, though it carries no time zone and
    pyarrow reads it as a timestamp without one. Read as a local time in the lake's timezone,
    like a text without an offset, every Spark export would shift by the lake's UTC offset.
    A timestamp type *with* isAdjustedToUTC already reads as an instant; without it, as local
    time, which is what the Parquet format says it is."""
    found: set[int] = set()
    leaf = 0
    for i, field in enumerate(parquet.schema_arrow):
        leaves = _leaf_count(field.type)
        if (
            leaves == 1
            and parquet.schema.column(leaf).physical_type == "INT96"
            and pa.types.is_timestamp(field.type)
            and field.type.tz is None
        ):
            found.add(i)
        leaf += leaves
    return found


def _leaf_count(kind: pa.DataType) -> int:
    """How many Parquet leaf columns an Arrow type is stored as."""
    if pa.types.is_struct(kind):
        return sum(_leaf_count(kind.field(k).type) for k in range(kind.num_fields))
    if pa.types.is_map(kind):
        return _leaf_count(kind.key_type) + _leaf_count(kind.item_type)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _leaf_count(kind.value_type)
    if pa.types.is_dictionary(kind):
        return _leaf_count(kind.value_type)
    return 1


def row_query(
    schema: pa.Schema,
    contract: Contract,
    utc_columns: Collection[int] = (),
    index: Collection[int] = (),
) -> str:
    """The SELECT over ``parquet_rows`` (columns c0, c1, ... and line_number); the columns
    in ``utc_columns`` (INT96 timestamps) are UTC instants and read as such; those in
    ``index`` (pandas' index, ``columns.pandas_index_columns``) are left out of extras."""

    def cell(i: int) -> str:
        # A float NaN is no value, as null is: Polars, DuckDB and Spark keep it in Parquet
        # (pandas writes null); as text it was "nan", and in extras JSON's missing NaN.
        if pa.types.is_floating(schema.field(i).type):
            return f"(CASE WHEN NOT isnan(c{i}) THEN c{i} END)"
        return f"c{i}"

    def as_text(i: int) -> str:
        if pa.types.is_nested(schema.field(i).type):
            return f"to_json(c{i})::VARCHAR"
        if i in utc_columns:
            return f"(CAST(c{i} AS VARCHAR) || 'Z')"
        return f"CAST({cell(i)} AS VARCHAR)"

    groups: dict[str, list[int]] = {}
    extras: dict[str, list[int]] = {}
    for i, name in enumerate(schema.names):
        canon = contract.canonical_key(name)
        if canon:
            groups.setdefault(canon, []).append(i)
        elif i not in index:
            extras.setdefault(name, []).append(i)
    for canon, cols in groups.items():
        groups[canon] = [
            cols[i] for i in own_spelling_first(canon, [schema.names[c] for c in cols])
        ]
    selected = [
        f"{first_present([as_text(i) for i in cols])} AS {quote_identifier(canon)}"
        for canon, cols in groups.items()
    ]
    members = []
    for key, i in extras_keys(list(schema.names), extras):  # a repeated name keeps every column
        value = f"to_json({cell(i)})"
        members.append(
            f"CASE WHEN {_present_json(value)} IS NOT NULL THEN "
            f"{json_member(key, value + '::VARCHAR')} END"
        )
    extras_sql = json_object(members)
    raw = (
        "json_object("
        + ", ".join(f"{quote_literal(name)}, c{i}" for i, name in enumerate(schema.names))
        + ")::VARCHAR"
        if len(schema.names)
        else "'{}'"
    )
    output = ["line_number", f"{raw} AS raw", *selected, f"{extras_sql} AS extras"]
    return f"SELECT {', '.join(output)} FROM parquet_rows"


def _present_json(expr: str) -> str:
    return f"CASE WHEN {expr}::VARCHAR NOT IN ('null', '\"\"') THEN {expr} END"
