"""One renderer module per format; ``render_report`` picks one."""

from __future__ import annotations

from ...errors import UsageError
from ...vocabulary import REPORT_FORMATS
from ...vocabulary import SUFFIX_FORMATS as SUFFIX_FORMATS
from ..model import Report


def render_report(
    report: Report, fmt: str, *, width: int | None = None, color: bool = False
) -> str:
    """The report as text in ``fmt``; ``width``/``color`` apply to the terminal format."""
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
    if fmt == "csv":
        from .csv_rows import render_csv

        return render_csv(report)
    raise UsageError(
        f"unknown report format {fmt!r}", hint="use one of " + ", ".join(REPORT_FORMATS)
    )
