"""Click's help and messages in the current language, translated when they are printed.

Help texts are English literals in the decorators (the message ids), read at import time,
before ``--lang`` is known; ``TranslatedCommand``/``TranslatedGroup`` translate a command's
help, epilog and its options' help at the moment ``--help`` is formatted, so no lazy string
objects are needed and no decorator changes. An epilog object with a ``render()`` method (the
exit-code lists) is rendered then, in the language in force.

Click's own words ("Usage:", "Options", "Show this message and exit.", its usage errors)
come from ``gettext.gettext`` in click's modules; ``install_click_gettext`` points those at
our catalog, whose entries for them are in ``click_messages``.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import click

from . import _, current_language, ngettext

_CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
)


def install_click_gettext() -> None:
    """Make click's own messages go through our catalog (once per process is enough)."""
    import sys

    for name in _CLICK_MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def translate_help(text: str | None) -> str | None:
    """``text`` (a help string or docstring, as click cleans it) in the current language."""
    if not text:
        return text
    return _(inspect.cleandoc(text))


def _keep_lines(text: str | None) -> str | None:
    """Chinese help keeps the translator's line breaks: click rewraps a paragraph by joining
    its lines with spaces and breaking at spaces, which Chinese text has none of (and it counts
    a character as one column where it takes two). ``\\b`` before a paragraph stops that."""
    if not text or current_language() == "en":
        return text
    paragraphs = text.split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else "\b\n" + p for p in paragraphs)


def _epilog(epilog: Any) -> Any:
    render = getattr(epilog, "render", None)
    return render() if callable(render) else translate_help(epilog)


@contextlib.contextmanager
def _translated(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """The command's help, epilog and parameter help translated for the block."""
    saved: list[tuple[Any, str, Any]] = [
        (command, "help", command.help),
        (command, "short_help", command.short_help),
        (command, "epilog", command.epilog),
    ]
    saved += [(p, "help", getattr(p, "help", None)) for p in command.get_params(ctx)]
    try:
        for owner, attr, value in saved:
            if attr == "epilog":
                setattr(owner, attr, _epilog(value))
            elif owner is command and attr == "help":
                setattr(owner, attr, _keep_lines(translate_help(value)))
            else:
                setattr(owner, attr, translate_help(value))
        yield
    finally:
        for owner, attr, value in saved:
            setattr(owner, attr, value)


def short_help(command: click.Command, limit: int) -> str:
    """The one-line help a group lists for ``command``, in the current language."""
    if command.short_help:
        return translate_help(command.short_help) or ""
    text = translate_help(command.help) or ""
    if current_language() == "en":
        from click.utils import _make_default_short_help

        return _make_default_short_help(text, limit)
    # Chinese has no spaces to break at: the first sentence, cut to the width it may take
    # (each character takes two columns).
    first = text.split("\n\n")[0].replace("\n", "")
    first = first.split("。")[0]
    room = max(limit // 2, 8)
    return first if len(first) <= room else first[: room - 1] + "…"


_WIDE_OR_WORD = re.compile(
    r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|\s+"
)
_NO_LINE_START = set("，。、；：）」』》！？…")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_wide(text: str, width: int) -> str:
    """``text`` wrapped to ``width`` columns, breaking between Chinese characters as well as
    at spaces, never putting closing punctuation at the start of a line."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        line, used = "", 0
        for token in _WIDE_OR_WORD.findall(paragraph):
            if token.isspace():
                if line:
                    line, used = line + " ", used + 1
                continue
            size = display_width(token)
            if line.strip() and used + size > width and token not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
            line, used = line + token, used + size
        lines.append(line.rstrip())
    return "\n".join(lines)


class WideTextFormatter(click.HelpFormatter):
    """Click's help formatter, with the option and command descriptions wrapped by display
    width when they hold Chinese (click counts a character as one column)."""

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if current_language() == "en" or not any(
            display_width(second) != len(second) for _, second in rows
        ):
            super().write_dl(rows, col_max, col_spacing)
            return
        # Measured in display columns: a translated metavar (--lake 目录) is wider than long.
        widest = max((display_width(first) for first, _ in rows), default=0)
        first_col = min(widest, col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_wide(second, max(self.width - first_col - 2, 10)).splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class TranslatedContext(click.Context):
    formatter_class = WideTextFormatter


class TranslatedCommand(click.Command):
    context_class = TranslatedContext

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self, limit)


class TranslatedGroup(click.Group):
    command_class = TranslatedCommand
    group_class = type  # subgroups are TranslatedGroups too
    context_class = TranslatedContext

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self, limit)
