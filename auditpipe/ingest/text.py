"""Rows of bytes to text, shared by the text kinds (JSON Lines, CSV and database audit logs).

``decode_rows`` gives each row's text without its line ending, NULL for a row that is not
UTF-8, and the text to keep if the row is quarantined (non-UTF-8 bytes escaped as ``\\xNN``).
Valid UTF-8 (the normal case) is checked and decoded by Arrow in one call. In a batch that
holds a bad row, only rows holding a byte above 0x7F can be bad: numpy finds them (a few
passes over the batch's bytes); among those (or among all rows when most hold such bytes)
Arrow finds the bad rows by bisection (slices that fail to decode are cut in ``SPLIT`` parts
until single rows are left: work grows with the bad rows, not the batch), and only those rows
go through DuckDB for their escaped text. The good rows' text is the batch's own bytes, the
bad rows masked as NULL; the kept text is that with the escaped rows put in: one copy of the
batch, not a copy per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from .lines import Oversize, size_text

if TYPE_CHECKING:
    import numpy as np

LINE_ENDING = "\r\n"
# A blank line is not a row and is not counted as one (only as ``BLANK_LINES``): empty, or
# only spaces, tabs, carriage returns (JSON's own white space) and byte order marks (files
# joined with cat). A line of other white space (a form feed, a vertical tab, a no-break or
# ideographic space, U+2028 ...: what Unicode, Python's str.isspace and Arrow call white space)
# is not blank: it is quarantined (``spaces``), in JSON Lines and CSV alike.
BLANK_CHARS = "[ \\t\\r\\x{FEFF}]"
_SPACE_CHARS = (
    "[\\t-\\r \\x{1C}-\\x{1F}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}"
    "\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}]"
)
BLANK_LINES = "blank_lines"  # counter (ReadContext.count): lines read as blank

# A row that is not UTF-8 is kept as text with its non-ASCII bytes written \xNN (DuckDB's
# BLOB-to-VARCHAR form), quotes shown plainly and the line ending dropped.
_ESCAPED_BYTES = (
    "regexp_replace(regexp_replace(regexp_replace(CAST(b AS VARCHAR), "
    "'(\\\\x0D)?\\\\x0A$', ''), '\\\\x22', '\"', 'g'), '\\\\x27', '''', 'g')"
)


# Counter (ReadContext.count) of rows that are not UTF-8 in a batch whose bad rows read as
# GB18030, the superset of GBK that Chinese Windows and Excel export in.
GB18030_ROWS = "rows_not_utf8_gb18030"
_GB18030_SAMPLE = 16


@dataclass
class DecodedRows:
    txt: pa.Array  # large_string, NULL where the row is not UTF-8
    raw: pa.Array  # large_string, never NULL
    all_utf8: bool
    gb18030_rows: int = 0  # bad rows, when a sample of them all reads as GB18030; else 0
    bad_rows: list[int] = field(default_factory=list)  # the rows that are not UTF-8

    def gb18030(self, line_numbers: pa.Array) -> pa.Table:
        """The rows counted in ``gb18030_rows`` as ReadContext.count_quarantined takes them."""
        at = pa.array(self.bad_rows if self.gb18030_rows else [], pa.int64())
        return pa.table(
            {
                "line_number": pc.take(line_numbers, at),
                # one row a line: its line number is enough (an account snapshot's
                # quarantined text is redacted, not this one)
                "raw": pa.nulls(len(at), pa.string()),
                "n": pa.repeat(1, len(at)).cast(pa.int64()),
            }
        )


def decode_rows(con: Any, rows: pa.Array) -> DecodedRows:
    try:
        text = pc.utf8_rtrim(rows.cast(pa.large_string()), characters=LINE_ENDING)
    except pa.ArrowInvalid:
        pass
    else:
        return DecodedRows(text, text, True)
    bad = not_utf8_rows(rows)
    # The bad rows become NULL through a validity bitmap over the same bytes (no copy; Arrow
    # checks and trims valid rows only), and ``raw`` is the trimmed text with each bad row's
    # escaped text put in its place: one concatenation of slices, in place of a whole-batch
    # if_else and coalesce (each a row-by-row copy of the batch).
    text = pc.utf8_rtrim(_text_except(rows, bad), characters=LINE_ENDING)
    faulty = rows.take(pa.array(bad, pa.int64()))
    table = pa.table({"i": pa.array(range(len(faulty)), pa.int64()), "b": faulty})
    escaped = _decode_in_duckdb(con, table)["raw"].cast(pa.large_string()).combine_chunks()
    gb18030 = len(bad) if _reads_as_gb18030(faulty) else 0
    return DecodedRows(text, _put_rows(text, bad, escaped), False, gb18030, bad)


def _reads_as_gb18030(faulty: pa.Array) -> bool:
    """Whether the first rows that are not UTF-8 all decode as GB18030 (strictly). A file in
    GBK fails UTF-8 on every row with Chinese text, and its rows are quarantined one by one;
    this lets ingest say what the encoding most likely is and how to convert it. A sample, so
    the cost stays flat however many rows fail; Latin-1 or binary bytes rarely pass."""
    for row in faulty.slice(0, _GB18030_SAMPLE).to_pylist():
        try:
            row.decode("gb18030")
        except UnicodeDecodeError:
            return False
    return len(faulty) > 0


def _text_except(rows: pa.Array, bad: list[int]) -> pa.Array:
    """``rows`` as large_string over the same buffers, NULL at ``bad`` (which may hold any
    bytes: a NULL slot is never read as text)."""
    import numpy as np

    valid = np.ones(rows.offset + len(rows), dtype=bool)
    valid[np.asarray(bad, dtype=np.int64) + rows.offset] = False
    if rows.null_count:
        valid[rows.offset :] &= rows.is_valid().to_numpy(zero_copy_only=False)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    _, offsets, data = rows.buffers()
    nulls = int(len(rows) - np.count_nonzero(valid[rows.offset :]))
    return pa.Array.from_buffers(
        pa.large_string(), len(rows), [bitmap, offsets, data], nulls, rows.offset
    )


def _put_rows(text: pa.Array, at: list[int], values: pa.Array) -> pa.Array:
    """``text`` with row ``at[i]`` replaced by ``values[i]`` (``at`` sorted). Few rows (the
    usual case): the slices between them concatenated, one copy of the bytes. Many (a file
    in another encoding): one take over both."""
    import numpy as np

    if len(at) > len(text) // 16:
        where = np.arange(len(text), dtype=np.int64)
        where[at] = len(text) + np.arange(len(at), dtype=np.int64)
        return pc.take(pa.concat_arrays([text, values]), pa.array(where))
    pieces = []
    start = 0
    for i, row in enumerate(at):
        pieces += [text.slice(start, row - start), values.slice(i, 1)]
        start = row + 1
    pieces.append(text.slice(start))
    return pa.concat_arrays(pieces)


SPLIT = 8


def not_utf8_rows(rows: pa.Array) -> list[int]:
    """Positions of the rows that are not UTF-8. Only rows holding a byte above 0x7F can be
    (ASCII is UTF-8): numpy finds those, eight bytes at a time; among them (or among all rows
    when most hold such bytes, as Chinese text does) the bad ones are found by bisecting
    slices that fail to decode (Arrow's check, the same one that passes a clean batch)."""
    candidates = non_ascii_rows(rows)
    if candidates is None:
        return _bisect(rows)
    found = _bisect(rows.take(pa.array(candidates)))
    return [int(candidates[i]) for i in found]


BLOCK = 512  # bytes looked at together when searching for bytes above 0x7F


def non_ascii_rows(rows: pa.Array) -> np.ndarray | None:
    """Sorted positions of the rows holding a byte above 0x7F; None when such bytes are
    everywhere (then the search would not narrow anything). Blocks of BLOCK bytes are OR-ed
    together eight bytes at a time; only the blocks with a high bit set are looked at byte
    by byte."""
    import numpy as np

    _, offsets_buf, data_buf = rows.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[rows.offset : rows.offset + len(rows) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    whole = len(data) // BLOCK * BLOCK
    words = data[:whole].view(np.uint64).reshape(-1, BLOCK // 8)
    high = np.uint64(0x8080808080808080)
    hit = np.flatnonzero(np.bitwise_or.reduce(words, axis=1) & high)
    if len(hit) > len(words) // 4:
        return None
    in_hit = np.flatnonzero(words[hit] & high)  # the words with a high byte, in those blocks
    word_at = hit[in_hit // (BLOCK // 8)] * (BLOCK // 8) + in_hit % (BLOCK // 8)
    near = np.concatenate(
        [(word_at[:, None] * 8 + np.arange(8)).ravel(), np.arange(whole, len(data))]
    )
    at = near[data[near] > 0x7F]
    return np.unique(np.searchsorted(offsets, at + offsets[0], side="right") - 1)


def _bisect(rows: pa.Array) -> list[int]:
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
    """True where a (UTF-8) row is blank (``BLANK_CHARS`` only); NULL rows are not blank."""
    return pc.fill_null(pc.match_substring_regex(txt, f"^{BLANK_CHARS}*$"), False)


@dataclass(frozen=True)
class Spaces:
    """A batch's rows that hold nothing but white space: ``blank`` ones (not rows) and those
    with ``no_content`` (quarantined; their reasons in ``reasons``, one per such row)."""

    blank: pa.Array  # boolean, one per row
    no_content: pa.Array  # boolean, one per row
    reasons: list[str]

    @property
    def any(self) -> bool:
        return bool(pc.any(pc.or_(self.blank, self.no_content)).as_py())


def spaces(txt: pa.Array) -> Spaces:
    """Which rows of ``txt`` are blank and which are white space without content (see
    ``BLANK_CHARS``). One anchored RE2 scan, which stops at the first other character of a
    row; only the rows made of white space are looked at again."""
    space = pc.fill_null(pc.match_substring_regex(txt, f"^{_SPACE_CHARS}*$"), False)
    if not pc.any(space).as_py():
        none = pa.repeat(False, len(txt)) if len(txt) else pa.array([], pa.bool_())
        return Spaces(none, none, [])
    is_blank = pc.and_(space, blank(txt))
    no_content = pc.and_(space, pc.invert(is_blank))
    reasons = [
        "line has no content, only white space other than spaces and tabs ("
        + ", ".join(f"U+{ord(c):04X}" for c in sorted(set(t) - set(" \t\r\ufeff")))
        + ")"
        for t in pc.filter(txt, no_content).to_pylist()
    ]
    return Spaces(is_blank, no_content, reasons)


def no_content_rows(
    spaced: Spaces, line_numbers: pa.Array, raw: pa.Array | pa.ChunkedArray
) -> pa.Table | None:
    """The rows with no content as quarantine rows of the kinds' batch shape (None if none)."""
    if not spaced.reasons:
        return None
    return pa.table(
        {
            "line_number": pc.filter(line_numbers, spaced.no_content).cast(pa.int64()),
            "raw": pc.filter(raw, spaced.no_content).cast(pa.large_string()),
            "reason": pa.array(spaced.reasons, pa.large_string()),
        }
    )


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
                    f"line is longer than the {size_text(limit)} limit ({o.size_seen:,} bytes "
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
