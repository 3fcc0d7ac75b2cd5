"""Rows of bytes to text, shared by the text kinds (JSON Lines, CSV and database audit logs).

``decode_rows`` gives each row's text without its line ending, NULL for a row that is not
UTF-8, and the text to keep if the row is quarantined (non-UTF-8 bytes escaped as ``\\xNN``).
Valid UTF-8 (the normal case) is checked and decoded by Arrow in one call. In a batch that
holds a bad row, Arrow finds the bad rows by bisection (slices that fail to decode are cut in
``SPLIT`` parts until single rows are left: work grows with the bad rows, not the batch), and
only those rows go through DuckDB for their escaped text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .lines import Oversize

MiB = 1024 * 1024
LINE_ENDING = "\r\n"
BLANK = " \t\r\n\f\v"

# A row that is not UTF-8 is kept as text with its non-ASCII bytes written \xNN (DuckDB's
# BLOB-to-VARCHAR form), quotes shown plainly and the line ending dropped.
_ESCAPED_BYTES = (
    "regexp_replace(regexp_replace(regexp_replace(CAST(b AS VARCHAR), "
    "'(\\\\x0D)?\\\\x0A$', ''), '\\\\x22', '\"', 'g'), '\\\\x27', '''', 'g')"
)


@dataclass
class DecodedRows:
    txt: pa.Array  # large_string, NULL where the row is not UTF-8
    raw: pa.Array  # large_string, never NULL
    all_utf8: bool


def decode_rows(con: Any, rows: pa.Array) -> DecodedRows:
    try:
        text = pc.utf8_rtrim(rows.cast(pa.large_string()), characters=LINE_ENDING)
    except pa.ArrowInvalid:
        pass
    else:
        return DecodedRows(text, text, True)
    import numpy as np

    bad = np.zeros(len(rows), dtype=bool)
    bad[not_utf8_rows(rows)] = True
    where = pa.array(bad)
    good = pc.if_else(where, pa.scalar(None, rows.type), rows)
    text = pc.utf8_rtrim(good.cast(pa.large_string()), characters=LINE_ENDING)
    faulty = rows.filter(where)
    table = pa.table({"i": pa.array(range(len(faulty)), pa.int64()), "b": faulty})
    escaped = _decode_in_duckdb(con, table)["raw"].cast(pa.large_string())
    at = np.full(len(rows), -1, dtype=np.int64)
    at[bad] = np.arange(len(faulty))
    raw = pc.coalesce(text, pc.take(escaped, pa.array(at, mask=~bad)))
    return DecodedRows(text, raw, False)


SPLIT = 8


def not_utf8_rows(rows: pa.Array) -> list[int]:
    """Positions of the rows that are not UTF-8, found by bisecting slices that fail to
    decode (Arrow's check, the same one that passes a clean batch)."""
    found: list[int] = []
    pending = [(0, len(rows))]
    while pending:
        start, size = pending.pop()
        try:
            rows.slice(start, size).cast(pa.large_string())
        except pa.ArrowInvalid:
            if size == 1:
                found.append(start)
                continue
            step = -(-size // SPLIT)
            pending.extend(
                (s, min(step, start + size - s)) for s in range(start, start + size, step)
            )
    return sorted(found)


def _decode_in_duckdb(con: Any, table: pa.Table) -> pa.Table:
    rel = con.from_arrow(table)
    return rel.query(
        "undecoded",
        "SELECT txt, coalesce(txt, "
        + _ESCAPED_BYTES
        + ") AS raw FROM (SELECT i, b, rtrim(TRY(decode(b)), E'\\r\\n') AS txt FROM undecoded) "
        "ORDER BY i",
    ).to_arrow_table()


def blank(txt: pa.Array) -> pa.Array:
    """True where a (UTF-8) row holds only white space; NULL rows are not blank."""
    return pc.equal(pc.utf8_length(pc.utf8_trim(txt, characters=BLANK)), 0)


def oversize_rows(items: list[Oversize], limit: int) -> pa.Table:
    """Rows longer than the limit, as quarantine rows of the kinds' batch shape."""
    return pa.table(
        {
            "line_number": pa.array([o.line_number for o in items], pa.int64()),
            "raw": pa.array(
                [o.sample.decode("utf-8", "backslashreplace") + " ..." for o in items],
                pa.large_string(),
            ),
            "reason": pa.array(
                [
                    f"line is longer than the {limit // MiB} MiB limit ({o.size_seen:,} bytes "
                    "or more); only its first KiB is kept here"
                    for o in items
                ],
                pa.large_string(),
            ),
        }
    )


def in_line_order(*tables: pa.Table | None) -> pa.Table | None:
    """Tables of one batch (e.g. parsed rows, faulty rows, oversize rows) as one, sorted by
    line number; None when there is no row."""
    present = [t for t in tables if t is not None and t.num_rows]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    merged = pa.concat_tables(present, promote_options="permissive")
    return merged.sort_by("line_number")
