"""auditpipe.sql.text: the terminal table fits its width, the line format, TSV escaping."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from auditpipe.sql.text import (
    ELLIPSIS,
    box_table,
    escape_markdown_column,
    escape_tsv,
    escape_tsv_column,
    line_records,
    plan_layout,
    shown,
)

# Values as a query result holds them: ASCII, Chinese (two cells a character), control
# characters, backslashes, very long text, NULL.
VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(alphabet="身份证号码姓名手机abc -_", max_size=40),
    st.text(alphabet="\t\n\r\x1b\\ab", max_size=10),
    st.text(alphabet="x", min_size=100, max_size=300),
)


def unescape_tsv(field: str) -> str | None:
    """The reader's side of PostgreSQL's COPY text format."""
    if field == "\\N":
        return None
    out, i = [], 0
    named = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
    while i < len(field):
        if field[i] == "\\":
            nxt = field[i + 1]
            if nxt == "x":
                out.append(chr(int(field[i + 2 : i + 4], 16)))
                i += 4
                continue
            out.append(named[nxt])
            i += 2
            continue
        out.append(field[i])
        i += 1
    return "".join(out)


@settings(max_examples=100, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=20))
def test_tsv_escaping_keeps_each_value_on_one_field_and_reads_back_exactly(
    values: list[str | None],
) -> None:
    column = escape_tsv_column(pa.array(values, pa.string())).to_pylist()
    for original, escaped in zip(values, column, strict=True):
        assert "\t" not in escaped and "\n" not in escaped and "\r" not in escaped
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in escaped)
        assert unescape_tsv(escaped) == original
        assert escaped == escape_tsv(original)  # column-wise and one-by-one agree


def test_tsv_null_and_the_text_backslash_n_differ() -> None:
    assert escape_tsv_column(pa.array([None, "\\N"])).to_pylist() == ["\\N", "\\\\N"]


@st.composite
def results(draw: st.DrawFn) -> tuple[list[str], list[str], list[list[str | None]]]:
    n = draw(st.integers(1, 40))
    names = draw(st.lists(st.text(min_size=1, max_size=20), min_size=n, max_size=n))
    types = draw(st.lists(st.sampled_from(["varchar", "bigint", "timestamp with time zone"]), min_size=n, max_size=n))  # fmt: skip
    rows = draw(st.lists(st.lists(VALUES, min_size=n, max_size=n), max_size=5))
    return names, types, rows


@settings(max_examples=80, deadline=None)
@given(results(), st.integers(min_value=10, max_value=220))
def test_terminal_table_never_exceeds_the_width_and_counts_what_it_left_out(
    result: tuple[list[str], list[str], list[list[str | None]]], width: int
) -> None:
    names, types, rows = result
    lines, layout = box_table(names, types, rows, [t == "bigint" for t in types], width)
    assert all(cell_len(line.plain) <= width for line in lines)
    shown_columns = [i for i in layout.shown if i is not None]
    assert layout.elided == len(names) - len(shown_columns)
    assert (None in layout.shown) == (layout.elided > 0)
    assert shown_columns == sorted(shown_columns) and shown_columns[0] == 0
    for line in lines:  # no control character reaches the terminal
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line.plain)


@settings(max_examples=100, deadline=None)
@given(results())
def test_table_outside_a_terminal_shows_every_value_whole(
    result: tuple[list[str], list[str], list[list[str | None]]],
) -> None:
    names, types, rows = result
    lines, layout = box_table(names, types, rows, [False] * len(names), None)
    assert layout.elided == 0 and not layout.cut_values
    body = "\n".join(line.plain for line in lines)
    for row in rows:
        for value in row:
            assert shown(value if value is not None else "NULL") in body


def test_wide_result_keeps_both_ends_and_elides_the_middle() -> None:
    layout = plan_layout([10] * 30, 80)
    kept = [i for i in layout.shown if i is not None]
    assert kept[0] == 0 and kept[-1] == 29
    assert layout.shown[len(kept) // 2 + len(kept) % 2] is None
    assert layout.elided == 30 - len(kept) > 0


def test_long_values_are_shortened_before_columns_are_elided() -> None:
    layout = plan_layout([200, 8, 8], 80)
    assert layout.elided == 0 and layout.cut_values
    lines, _ = box_table(["a", "b", "c"], ["varchar"] * 3, [["x" * 200, "1", "2"]], [False] * 3, 80)
    assert ELLIPSIS in lines[4].plain and "x" * 200 not in lines[4].plain


def test_chinese_values_line_up_by_display_width() -> None:
    lines, _ = box_table(["姓名", "n"], ["varchar", "bigint"], [["张三", "1"], ["x", "22"]], [False, True], None)  # fmt: skip
    widths = {cell_len(line.plain) for line in lines}
    assert len(widths) == 1


def test_line_format_shows_every_column_name_aligned_and_values_whole() -> None:
    long = "y" * 500
    lines = [t.plain for t in line_records(["id", "data_fields"], [["a", long], [None, "x\ny"]])]
    assert lines == [
        "         id = a",
        f"data_fields = {long}",
        "",
        "         id = NULL",
        "data_fields = x\\ny",
    ]


def test_markdown_cells_cannot_break_the_table_or_open_html() -> None:
    cells = escape_markdown_column(pa.array(["a|b", "<script>", "two\nlines", None])).to_pylist()
    assert cells == ["a\\|b", "\\<script\\>", "two<br>lines", "NULL"]
