"""Parquet (``.parquet``): ``line_number`` is the 1-based row number, ``raw`` the row as JSON.

Columns are addressed by position, never by name, so names that differ only in case, repeat,
or are empty cannot confuse the query: each is matched to the contract like a JSON key, a name
that repeats keeps the first non-empty value, and names outside the contract go to ``extras``
under their own spelling. A compressed Parquet file (``.parquet.gz``) is decompressed into the
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
from .columns import first_present, json_member, json_object
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
            schema = pf.schema_arrow
            select = row_query(schema, ctx.contract, int96_columns(pf))
            start = 1
            for rb in pf.iter_batches(batch_size=BATCH_ROWS):
                n = rb.num_rows
                ctx.on_progress(min(start / max(pf.metadata.num_rows, 1), 1.0))
                cells = pa.Table.from_batches([rb]).rename_columns(
                    [f"c{i}" for i in range(rb.num_columns)]
                )
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


def row_query(schema: pa.Schema, contract: Contract, utc_columns: Collection[int] = ()) -> str:
    """The SELECT over ``parquet_rows`` (columns c0, c1, ... and line_number); the columns
    in ``utc_columns`` (INT96 timestamps) are UTC instants and read as such."""

    def as_text(i: int) -> str:
        if pa.types.is_nested(schema.field(i).type):
            return f"to_json(c{i})::VARCHAR"
        if i in utc_columns:
            return f"(CAST(c{i} AS VARCHAR) || 'Z')"
        return f"CAST(c{i} AS VARCHAR)"

    groups: dict[str, list[int]] = {}
    extras: dict[str, list[int]] = {}
    for i, name in enumerate(schema.names):
        canon = contract.canonical_key(name)
        (groups.setdefault(canon, []) if canon else extras.setdefault(name, [])).append(i)
    selected = [
        f"{first_present([as_text(i) for i in cols])} AS {quote_identifier(canon)}"
        for canon, cols in groups.items()
    ]
    members = []
    for name, cols in extras.items():
        value = (
            f"to_json(c{cols[0]})"
            if len(cols) == 1
            else "coalesce(" + ", ".join(f"{_present_json(f'to_json(c{i})')}" for i in cols) + ")"
        )
        members.append(
            f"CASE WHEN {_present_json(value)} IS NOT NULL THEN "
            f"{json_member(name, value + '::VARCHAR')} END"
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
