"""One renderer module per format; ``render_report`` picks one."""

from __future__ import annotations

from pathlib import Path

from ...errors import UsageError
from ...i18n import _
from ...vocabulary import REPORT_FORMATS
from ...vocabulary import SUFFIX_FORMATS as SUFFIX_FORMATS
from ..model import Report

# Starts a text that Excel must read as UTF-8 (U+FEFF, written as the bytes EF BB BF).
BOM = "\ufeff"


def render_report(
    report: Report, fmt: str, *, width: int | None = None, color: bool = False, bom: bool = False
) -> str:
    """The report as text in ``fmt``; ``width``/``color`` apply to the terminal format, ``bom``
    (a byte order mark first, for Excel) to csv only."""
    if bom and fmt != "csv":
        from ...outputs import bom_not_csv

        raise bom_not_csv(fmt)
    if fmt == "csv":
        from .csv_rows import render_csv

        return (BOM if bom else "") + render_csv(report)
    if fmt == "terminal":
        from .terminal import render_terminal

        return render_terminal(report, width=width, color=color)
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from .html_page import render_html

        return render_html(report)
    if fmt == "json":
        from .json_doc import render_json

        return render_json(report)
    raise UsageError(
        _("unknown report format {fmt!r}").format(fmt=fmt),
        hint=_("use one of ") + ", ".join(REPORT_FORMATS),
    )


def choose_format(output: Path | None, stdout_is_terminal: bool) -> str:
    """The format when --format is not given: from --output's suffix, else terminal on a
    terminal and markdown otherwise."""
    if output is not None:
        fmt = SUFFIX_FORMATS.get(output.suffix.lower())
        if fmt is None:
            raise UsageError(
                _("cannot tell the format from the name {name}").format(name=output.name),
                hint=_("add --format ({formats}) or use a {suffixes} file name").format(
                    formats=", ".join(REPORT_FORMATS), suffixes=", ".join(sorted(SUFFIX_FORMATS))
                ),
            )
        return fmt
    return "terminal" if stdout_is_terminal else "markdown"


def write_report(report: Report, fmt: str, output: Path, *, bom: bool = False) -> None:
    """The report in ``fmt`` written to ``output`` whole or not at all (terminal format at
    100 columns without colour, as a file has no terminal)."""
    from ...outputs import atomic_binary, write_text_atomic

    if fmt == "json":  # bytes as they are: most of the document is text DuckDB wrote as UTF-8
        from .json_doc import render_json_parts

        with atomic_binary(output) as fh:
            fh.writelines(render_json_parts(report))
        return
    write_text_atomic(output, render_report(report, fmt, width=100, color=False, bom=bom))
