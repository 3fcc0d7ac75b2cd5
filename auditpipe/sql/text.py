"""Query results as text for people: the terminal table (box), the line format, and the
escaping of values for the tab-separated and Markdown formats.

The table fits the terminal as the DuckDB CLI does: when every column does not fit at its
natural width, long values are cut to ``MAX_VALUE_WIDTH`` display cells (ending in ``…``),
and when that is still too wide, columns are kept from both ends and the middle ones are
replaced by one ``…`` column. The footer says how many columns were elided and whether values
were cut. Outside a terminal (a file, a pipe) the table is drawn at its natural width with
every value whole. Widths are display cells, so Chinese text (two cells a character) lines up.

Values are shown as DuckDB spells them (``CAST(... AS VARCHAR)``: lists, structs, timestamps
in the session's timezone). In the table and line formats, control characters inside a value
(newline, tab, escape...) are shown as ``\\n``, ``\\t``, ``\\x1b``: a value can neither break
the layout nor send commands to the terminal. NULL shows as ``NULL`` (dimmed on a terminal).

The tab-separated format (``tsv``, the default when stdout is not a terminal) follows
PostgreSQL's ``COPY ... TO STDOUT`` text format, so every value is on one line and can be read
back exactly: a header line of column names, then one line per row, fields separated by a tab;
inside a value a backslash is written ``\\\\``, a tab ``\\t``, a newline ``\\n``, a carriage
return ``\\r``, other control characters ``\\xNN``; NULL is ``\\N``. Escaping runs on whole
Arrow columns of a batch (``escape_tsv_column``), never row by row in Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..console import visible

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.text import Text

ELLIPSIS = "…"
MAX_VALUE_WIDTH = 32  # display cells a value keeps when the table must shrink to fit
NULL_TEXT = "NULL"
TSV_NULL = "\\N"

_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED_ESCAPES.get(char) or f"\\x{ord(char):02x}"


def shown(value: str) -> str:
    """A value as the table and line formats show it: control characters escaped, and
    bidirectional formatting characters and line separators too (``console.visible``)."""
    return visible(value)


def escape_tsv(value: str | None) -> str:
    """One value in the tab-separated format (PostgreSQL COPY text format)."""
    if value is None:
        return TSV_NULL
    value = value.replace("\\", "\\\\")
    return _TSV_CONTROL.sub(_escape_control, value)


_TSV_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Control characters with their TSV spelling, for the column-wise escaping.
_TSV_ESCAPES = [("\\", "\\\\")] + [
    (chr(c), _NAMED_ESCAPES.get(chr(c), f"\\x{c:02x}")) for c in (*range(0x20), 0x7F)
]


def escape_tsv_column(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``escape_tsv`` over a whole string column with Arrow compute (no Python row loop):
    one replacement pass per special character actually present in the column."""
    import pyarrow.compute as pc

    if pc.any(pc.match_substring_regex(column, r"[\x00-\x1f\x7f\\]")).as_py():
        for char, escaped in _TSV_ESCAPES:
            if pc.any(pc.match_substring(column, char)).as_py():
                column = pc.replace_substring(column, char, escaped)
    return pc.fill_null(column, TSV_NULL)


# Markdown: ASCII punctuation that could format, link or open raw HTML is backslash-escaped
# (CommonMark), "|" too (a table cell), and line breaks become <br>.
_MD_SPECIAL = r"([\\`*\[<>|&])"


def escape_markdown_column(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Table cells for Markdown: specials escaped, newlines as <br>, other controls as
    spaces, NULL as ``NULL``."""
    import pyarrow.compute as pc

    column = pc.replace_substring_regex(column, _MD_SPECIAL, r"\\\1")
    column = pc.replace_substring_regex(column, r"\r\n|\r|\n", "<br>")
    column = pc.replace_substring_regex(column, r"[\x00-\x1f\x7f]", " ")
    # Bidirectional formatting characters, C1 controls and line separators spelled out as the
    # table format spells them ("a\u202egnp.exe" would read "aexe.png" on the rendered page):
    # one pass over the column to find any, then one per character present.
    if pc.any(pc.match_substring_regex(column, _MD_HIDDEN)).as_py():
        for char in _MD_HIDDEN_CHARS:
            if pc.any(pc.match_substring(column, char)).as_py():
                column = pc.replace_substring(column, char, "\\" + visible(char))
    return pc.fill_null(column, NULL_TEXT)


_MD_HIDDEN = "[\u0080-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
_MD_HIDDEN_CHARS = [chr(c) for c in range(0x2070) if re.fullmatch(_MD_HIDDEN, chr(c))]


def markdown_header(names: Sequence[str], right: Sequence[bool]) -> str:
    """The header line and the alignment line of a Markdown table."""
    import pyarrow as pa

    cells = escape_markdown_column(pa.array(list(names), pa.string())).to_pylist()
    rule = ["---:" if r else "---" for r in right]
    return "| " + " | ".join(cells) + " |\n|" + "|".join(rule) + "|\n"


# -- the terminal table ----------------------------------------------------------------------


@dataclass
class Layout:
    """Which columns a table shows, how wide, and what it had to leave out."""

    shown: list[int | None]  # column indexes in display order; None is the elision column
    widths: list[int]  # display cells of each shown column
    cut_values: bool  # some values were shortened
    columns: int  # columns of the result

    @property
    def elided(self) -> int:
        """Columns left out."""
        return self.columns - sum(1 for index in self.shown if index is not None)


def _width(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` display cells, ending in ``…`` when cut."""
    if _width(text) <= width:
        return text
    from rich.cells import set_cell_size

    return set_cell_size(text, max(width - 1, 0)).rstrip(" ") + ELLIPSIS if width else ""


def _table_width(widths: Sequence[int]) -> int:
    return sum(w + 3 for w in widths) + 1  # "│ " + value + " " per column, closing "│"


def plan_layout(natural: Sequence[int], max_width: int | None) -> Layout:
    """The layout of columns whose natural widths are ``natural`` in ``max_width`` cells
    (None: no limit)."""
    n = len(natural)
    everything = list(range(n))
    if max_width is None or _table_width(natural) <= max_width:
        return Layout(list(everything), list(natural), False, n)
    capped = [min(w, MAX_VALUE_WIDTH) for w in natural]
    cut = capped != list(natural)
    if _table_width(capped) <= max_width:
        return Layout(list(everything), capped, cut, n)
    # Keep columns from both ends, alternately, while they fit beside the "…" column.
    room = max_width - _table_width([len(ELLIPSIS)])
    left: list[int] = []
    right: list[int] = []
    used = 0
    lo, hi = 0, n - 1
    take_left = True
    while lo <= hi:
        index = lo if take_left else hi
        need = capped[index] + 3
        if used + need > room:
            break
        used += need
        if take_left:
            left.append(index)
            lo += 1
        else:
            right.insert(0, index)
            hi -= 1
        take_left = not take_left
    if n == 1 or not left:  # not even the first column fits: shrink it
        if n == 1:
            return Layout([0], [max(max_width - 4, 1)], True, n)
        return Layout([0, None], [max(room - 3, 1), len(ELLIPSIS)], True, n)
    shown_columns: list[int | None] = [*left, None, *right]
    widths = [len(ELLIPSIS) if i is None else capped[i] for i in shown_columns]
    cut = any(capped[i] < natural[i] for i in left + right)
    return Layout(shown_columns, widths, cut, n)


def box_table(
    names: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    right: Sequence[bool],
    max_width: int | None,
) -> tuple[list[Text], Layout]:
    """The table's lines (rich Text: NULL dimmed, header bold) and its layout."""
    from rich.text import Text

    heads = [shown(n) for n in names]
    kinds = [t.lower() for t in types]
    cells = [[None if v is None else shown(v) for v in row] for row in rows]
    natural = [max(_width(heads[i]), _width(kinds[i]), 1) for i in range(len(names))]
    for row in cells:
        for i, value in enumerate(row):
            natural[i] = max(natural[i], _width(NULL_TEXT if value is None else value))
    layout = plan_layout(natural, max_width)

    def rule(left: str, middle: str, end: str) -> Text:
        return Text(left + middle.join("─" * (w + 2) for w in layout.widths) + end)

    def line(values: list[tuple[str, str | None, bool]]) -> Text:
        text = Text("│")
        for (value, style, to_right), width in zip(values, layout.widths, strict=True):
            value = _fit(value, width)
            pad = " " * (width - _width(value))
            text.append(" ")
            text.append(pad if to_right else "")
            text.append(value, style=style)
            text.append("" if to_right else pad)
            text.append(" │")
        return text

    def pick(values: Sequence[str | None], style: str | None) -> list[tuple[str, str | None, bool]]:
        out: list[tuple[str, str | None, bool]] = []
        for index in layout.shown:
            if index is None:
                out.append((ELLIPSIS, "dim", False))
            elif values[index] is None:
                out.append((NULL_TEXT, "dim", right[index]))
            else:
                out.append((values[index] or "", style, right[index]))
        return out

    lines = [rule("┌", "┬", "┐"), line(pick(heads, "bold")), line(pick(kinds, "dim"))]
    lines.append(rule("├", "┼", "┤"))
    lines += [line(pick(row, None)) for row in cells]
    lines.append(rule("└", "┴", "┘"))
    return lines, layout


def line_records(names: Sequence[str], rows: Sequence[Sequence[str | None]]) -> list[Text]:
    """The line format: one ``name = value`` line per column, names right-aligned, a blank
    line between rows; values whole (control characters escaped)."""
    from rich.text import Text

    heads = [shown(n) for n in names]
    width = max((_width(h) for h in heads), default=0)
    out: list[Text] = []
    for number, row in enumerate(rows):
        if number:
            out.append(Text(""))
        for head, value in zip(heads, row, strict=True):
            text = Text(" " * (width - _width(head)) + head + " = ")
            if value is None:
                text.append(NULL_TEXT, style="dim")
            else:
                text.append(shown(value))
            out.append(text)
    return out
