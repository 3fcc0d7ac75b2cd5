"""The one Console: data on stdout, everything for people on stderr; tables become
tab-separated lines off a terminal; progress is plain lines off a terminal; quiet silences
all but errors and data."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.console import Console, get_console, printable, set_console

COLUMNS = [("file", "left"), ("rows", "right")]


def test_records_off_a_terminal_are_tab_separated_in_the_order_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Console().records(COLUMNS, [["a b.jsonl", 1234], ["c", 5]], plain_order=[1, 0])
    out, err = capsys.readouterr()
    assert out == "rows\tfile\n1234\ta b.jsonl\n5\tc\n" and err == ""


def test_plain_progress_says_when_an_item_starts_and_each_tenth_of_a_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Console().progress("generating") as tick:
        assert tick is not None
        for done in range(0, 1001, 50):
            tick("rows", done, 1000)
        tick("a.jsonl", 0.5, 1.0)
        tick("a.jsonl", 1.0, 1.0)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == ""
    assert lines[0] == "generating rows"
    assert lines[1:11] == [f"generating rows: {n:,} of 1,000" for n in range(100, 1001, 100)]
    assert lines[11:] == ["generating a.jsonl"]


def test_quiet_keeps_errors_and_data_and_drops_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(quiet=True)
    console.message("hello")
    console.warn("careful")
    with console.progress("working") as tick:
        assert tick is None
    console.error("it broke", hint="fix it")
    console.json({"a": 1})
    out, err = capsys.readouterr()
    assert err == "Error: it broke\nHint: fix it\n"
    assert out == '{\n  "a": 1\n}\n'


def test_messages_and_warnings_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    console = Console()
    console.message("[bold]not markup[/bold]")
    console.warn("low disk")
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "[bold]not markup[/bold]\nWarning: low disk\n"


def test_a_console_can_be_installed_for_the_process() -> None:
    mine = Console(quiet=True)
    set_console(mine)
    try:
        assert get_console() is mine
    finally:
        set_console(None)
    assert get_console() is not mine


def test_records_on_a_terminal_print_names_as_they_are_not_as_markup(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cells were read as rich markup: "a[/].jsonl" stopped ingest (MarkupError) and
    # "[red]b.jsonl" was shown as "b.jsonl".
    monkeypatch.setattr(Console, "stdout_is_terminal", property(lambda self: True))
    Console().records(COLUMNS, [["a[/].jsonl", 1], ["[red]b.jsonl", 2]])
    out, _ = capsys.readouterr()
    assert "a[/].jsonl" in out and "[red]b.jsonl" in out


# Any name a file system holds: bytes that are not UTF-8 and every control character.
names = st.binary(max_size=24).map(os.fsdecode) | st.text(
    st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=24
)


@settings(max_examples=200, deadline=None)
@given(names)
def test_a_printable_name_holds_no_control_character_and_encodes(name: str) -> None:
    # A provider names its files: an escape sequence in a name recoloured or rewrote the
    # operator's terminal, and a carriage return hid what came before it.
    shown = printable(name)
    shown.encode("utf-8")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in shown), shown
    if all(0x20 <= ord(c) < 0x7F and c != "\\" for c in name):
        assert shown == name  # plain names are shown as they are


# rich's emoji codes (``:cat:``, ``:smile:``): a path or value holding one is shown as it is.
_CODES = ["cat", "smile", "warning", "red_circle", "+1", "x", "ok"]


@settings(max_examples=25, deadline=None)
@given(
    st.tuples(
        st.text(alphabet="ab/ .:", max_size=4),
        st.sampled_from(_CODES).map(lambda name: f":{name}:"),
        st.text(alphabet="ab/ .:", max_size=4),
    ).map("".join),
    st.booleans(),
)
def test_messages_show_emoji_codes_as_written(text: str, to_stdout: bool) -> None:
    """ "Report written to /srv/:cat:/r.json" named a path that does not exist
    (/srv/🐱/r.json): rich replaced emoji codes in every text it printed."""
    import contextlib
    import io

    console = Console()
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        console.message(text)
        console.warn(text)
        console.error(text, hint=text)
        if to_stdout:
            console.print(text, markup=False)
    assert err.getvalue() == (f"{text}\nWarning: {text}\nError: {text}\nHint: {text}\n"), (
        err.getvalue()
    )
    assert out.getvalue() == (f"{text}\n" if to_stdout else "")
