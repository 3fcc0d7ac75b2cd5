"""Malformed rows: how each kind of damage is done to a row's cells or to its whole line.

Every kind the ingest must quarantine is here (see formats.BAD_KINDS for which file families
can carry which). Damage is applied to whole columns with ``when(kind == ...)``, never row by
row. A damaged row is never a planted breach and never counts toward the labels.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .surface import Draws

# Bytes that are not UTF-8, swapped in after the text is encoded (a Polars string cannot hold
# them). The marker cannot occur in generated values.
INVALID_UTF8_MARKER = "\x01INVALID-UTF8\x01"
INVALID_UTF8_BYTES = b"\xff\xfe"

REQUIRED = ["event_time", "actor_id", "action", "data_fields", "provider_id"]
BAD_TIMES = [
    "2026-13-01",
    "2026-02-30 10:00:00",
    "2026-03-01T25:61:00+08:00",
    "not a time",
    "2026-03-32",
]
UNKNOWN_ENUMS = {  # field -> values no alias maps
    "action": ["teleport", "copy_paste"],
    "actor_type": ["robot", "intern"],
    "outcome": ["maybe", "pending"],
    "destination_type": ["moon", "elsewhere"],
}
NON_NUMERIC_AMOUNTS = ["ten yuan", "1.2.3", "12,50", "¥100"]
NEGATIVE_RECORD_COUNTS = ["-3", "0", "-1"]
NON_NUMERIC_RECORD_COUNTS = ["lots", "12a", "three", "2.5"]
NOT_OBJECTS = ["[1, 2, 3]", '"just a string"', "42", '["event", "list"]', "true"]


def damage_cells(cells: pl.DataFrame, kinds: pl.Series, rng: np.random.Generator) -> pl.DataFrame:
    """Apply the cell-level kinds (``kinds`` is null for good rows) to ``r_``/``bare_`` cells."""
    d = Draws(rng, cells.height)
    kind = pl.lit(kinds)
    c = pl.col
    missing = pl.lit(d.pick(REQUIRED))
    enum_field = pl.lit(d.pick(list(UNKNOWN_ENUMS)))
    out: dict[str, pl.Expr] = {}
    for field in REQUIRED:
        out[f"r_{field}"] = (
            pl.when((kind == "missing_required") & (missing == field))
            .then(pl.lit(None, pl.String))
            .otherwise(c(f"r_{field}"))
        )
    out["r_event_time"] = (
        pl.when(kind == "bad_time").then(pl.lit(d.pick(BAD_TIMES))).otherwise(out["r_event_time"])
    )
    out["bare_event_time"] = pl.when(kind == "bad_time").then(False).otherwise(c("bare_event_time"))
    for field, values in UNKNOWN_ENUMS.items():
        expr = pl.when((kind == "unknown_enum") & (enum_field == field)).then(
            pl.lit(d.pick(values))
        )
        out[f"r_{field}"] = expr.otherwise(out.get(f"r_{field}", c(f"r_{field}")))
    out["r_amount"] = (
        pl.when(kind == "negative_amount")
        .then(
            pl.lit("-") + pl.lit(pl.Series(rng.integers(1, 100_000, cells.height))).cast(pl.String)
        )
        .when(kind == "non_numeric_amount")
        .then(pl.lit(d.pick(NON_NUMERIC_AMOUNTS)))
        .otherwise(c("r_amount"))
    )
    out["bare_amount"] = (
        pl.when(kind == "non_numeric_amount").then(False).otherwise(c("bare_amount"))
    )
    out["r_record_count"] = (
        pl.when(kind == "negative_record_count")
        .then(pl.lit(d.pick(NEGATIVE_RECORD_COUNTS)))
        .when(kind == "non_numeric_record_count")
        .then(pl.lit(d.pick(NON_NUMERIC_RECORD_COUNTS)))
        .otherwise(c("r_record_count"))
    )
    out["bare_record_count"] = (
        pl.when(kind == "non_numeric_record_count").then(False).otherwise(c("bare_record_count"))
    )
    out["r_actor_id"] = (
        pl.when(kind == "invalid_utf8")
        .then(out["r_actor_id"] + pl.lit(INVALID_UTF8_MARKER))
        .otherwise(out["r_actor_id"])
    )
    return cells.with_columns(**out)


def damage_json_lines(lines: pl.Series, kinds: pl.Series, rng: np.random.Generator) -> pl.Series:
    """malformed_json: the object cut short; not_an_object: valid JSON of another type."""
    which = kinds.is_in(["malformed_json", "not_an_object"]).arg_true()
    if which.is_empty():
        return lines
    d = Draws(rng, len(which))
    part = pl.DataFrame({"line": lines.gather(which), "kind": kinds.gather(which)})
    damaged = part.select(
        pl.when(pl.col("kind") == "malformed_json")
        .then(pl.col("line").str.slice(0, pl.col("line").str.len_chars() - pl.lit(d.cut())))
        .otherwise(pl.lit(d.pick(NOT_OBJECTS)))
    ).to_series()
    return lines.scatter(which, damaged)


def damage_csv_lines(
    lines: pl.Series, short_lines: pl.Series, kinds: pl.Series, rng: np.random.Generator
) -> pl.Series:
    """csv_column_count: two surplus cells, or the row cut after a few columns."""
    which = (kinds == "csv_column_count").fill_null(False).arg_true()
    if which.is_empty():
        return lines
    d = Draws(rng, len(which))
    damaged = pl.select(
        pl.when(pl.lit(d.u()) < 0.5)
        .then(pl.lit(lines.gather(which)) + ",surplus,cells")
        .otherwise(pl.lit(short_lines.gather(which)))
    ).to_series()
    return lines.scatter(which, damaged)
