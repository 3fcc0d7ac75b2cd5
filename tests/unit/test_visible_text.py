"""``visible``: a value from a provider's log shows what it holds and nothing more. Characters
that act instead of being seen (ESC sequences, carriage return, backspace, bidirectional
overrides, line separators) are spelled out, in Python and in DuckDB alike, and a console
table never reads a value as rich markup."""

from __future__ import annotations

import functools
import io
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.console import Console, visible, visible_sql

HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Text a hostile log could hold: the characters above among ordinary and markup ones.
HOSTILE_CHARS = st.sampled_from(
    [*"\x1b\r\n\t\x08\x00\x7f\x85\u202e\u2066\u200f\u2028", *"ab中[]/|`*<>&\\'\" "]
)
HOSTILE = st.text(HOSTILE_CHARS, max_size=12) | st.text(max_size=12)


@given(HOSTILE)
@settings(max_examples=200, deadline=None)
def test_visible_leaves_nothing_that_acts_and_loses_nothing(text: str) -> None:
    shown = visible(text)
    assert not HIDDEN.search(shown)
    if not HIDDEN.search(text):
        assert shown == text
    # each character alone: a hidden one becomes an escape, any other stays itself
    assert shown == "".join(visible(c) for c in text)
    for c in set(text):
        assert visible(c) == c if not HIDDEN.match(c) else visible(c).startswith("\\")
    kept = visible(text, newlines=True)
    assert kept.count("\n") == text.count("\n")
    assert not HIDDEN.search(kept.replace("\n", ""))


@functools.cache
def _duckdb() -> Any:
    import duckdb

    return duckdb.connect()


@given(st.lists(HOSTILE, max_size=5))
@settings(max_examples=15, deadline=None)
def test_visible_in_duckdb_is_visible_in_python(texts: list[str]) -> None:
    texts = [t.replace("\x00", "") for t in texts]  # DuckDB's text holds no NUL from Python
    con = _duckdb()
    got = con.execute(
        f"SELECT {visible_sql('t')} FROM unnest($texts::VARCHAR[]) AS u(t)", {"texts": texts}
    ).fetchall()
    assert [r[0] for r in got] == [visible(t) for t in texts]


@pytest.mark.parametrize("value", ["[/]", "[bold red]FORGED[/bold red]", "a\x1b[2Jb", "x\u202ey"])
def test_a_console_table_shows_a_value_as_it_is(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal: no markup error, no markup applied, no escape sequence sent."""
    from rich.console import Console as RichConsole

    buffer = io.StringIO()
    console = Console()
    monkeypatch.setattr(Console, "stdout_is_terminal", property(lambda self: True))
    console.__dict__["out"] = RichConsole(file=buffer, width=200, force_terminal=False)
    console.records([("actor_id", "left")], [[value]], title=f"from {value}")
    text = buffer.getvalue()
    assert visible(value) in text
    assert not HIDDEN.search(text.replace("\n", ""))


def test_records_off_a_terminal_keep_one_row_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    Console().records([("a", "left"), ("b", "left")], [["x\ty", "n\nm"], ["p\rq", "\x1b[31m"]])
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["a\tb", "x\\ty\tn\\nm", "p\\rq\t\\x1b[31m"]


def test_messages_warnings_errors_and_progress_spell_out_what_a_name_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file's name is the provider's choice: "x\\x1b[31m.jsonl" must not colour the terminal,
    "[bold]" must stay text."""
    name = "in/[bold]x\x1b[31m\u202e.jsonl"
    console = Console()
    console.message(f"ingesting {name}\nnext")
    console.warn(name)
    console.error(name, hint=name)
    with console.progress("ingesting") as tick:
        assert tick is not None
        tick(name, 0.0, 1.0)
    err = capsys.readouterr().err
    assert not HIDDEN.search(err.replace("\n", ""))
    assert err.count("[bold]x\\x1b[31m\\u202e.jsonl") == 5
    assert "ingesting in/[bold]x\\x1b[31m\\u202e.jsonl\nnext\n" in err  # a message's own lines


def test_a_rich_progress_bar_shows_a_name_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console as RichConsole

    buffer = io.StringIO()
    console = Console()
    monkeypatch.setattr(Console, "stderr_is_terminal", property(lambda self: True))
    console.__dict__["err"] = RichConsole(file=buffer, width=200, force_terminal=True)
    with console.progress("ingesting") as tick:
        assert tick is not None
        tick("[/]x\x1b[2J.jsonl", 0.5, 1.0)
    assert "\x1b[2J" not in buffer.getvalue()


def test_the_command_consoles_read_no_markup_and_spell_out_what_acts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every command prints through ``Console.out``/``err``: a provider "[/]x" in status's
    table failed it with an internal error, and ESC reached the terminal through detect's
    lines. Style is still given as ``style=``."""
    from rich.table import Table

    console = Console()
    for stream in ("out", "err"):
        rich = getattr(console, stream)
        rich.file = io.StringIO()
        table = Table()
        table.add_column("provider")
        table.add_row("[/]x\x1b[31m")
        rich.print(table)
        rich.print("[bold]p\x1b[2J: 1 findings", style="bold")
        text = rich.file.getvalue()
        assert "[/]x\\x1b[31m" in text and "[bold]p\\x1b[2J: 1 findings" in text
        assert not HIDDEN.search(text.replace("\n", ""))


@given(st.text(st.sampled_from([*"`a |[]()*_<>&\\", "\x1b", "\n"]), min_size=1, max_size=16))
@settings(max_examples=150, deadline=None)
def test_a_markdown_code_span_holds_the_whole_value_and_nothing_else(text: str) -> None:
    """The report's Markdown puts ids in code spans inside table cells. A run of backticks in
    an id as long as the span's fence closed it early, and what followed ("`` [x](http://..)
    ``") was read as Markdown: a live link in the officer's report."""
    import html

    from markdown_it import MarkdownIt

    from auditpipe.report.render.markdown import code

    text = text.strip(" ")  # ingest trims ids; Markdown drops a span's outer spaces
    if not text:
        return
    page = MarkdownIt("commonmark").enable("table").render(f"| h |\n|---|\n| {code(text)} |\n")
    cell = re.search(r"<td>(.*)</td>", page, re.DOTALL)
    assert cell is not None, page
    expected = visible(text)
    assert cell.group(1) == f"<code>{html.escape(expected, quote=False)}</code>", page


def test_sql_markdown_cells_spell_out_bidirectional_characters() -> None:
    """``auditpipe sql --format markdown`` for a ticket or a wiki: U+202E in a cell would
    show the rest of it reversed on the rendered page ("a\\u202egnp.exe" as "aexe.png")."""
    import pyarrow as pa
    from markdown_it import MarkdownIt

    from auditpipe.sql.text import escape_markdown_column

    cells = escape_markdown_column(pa.array(["a\u202egnp.exe", "p\x85q\u2066", "x|y"]))
    page = (
        MarkdownIt("commonmark")
        .enable("table")
        .render("| v |\n|---|\n" + "".join(f"| {c} |\n" for c in cells.to_pylist()))
    )
    assert re.findall(r"<td>(.*?)</td>", page) == ["a\\u202egnp.exe", "p\\x85q\\u2066", "x|y"]
