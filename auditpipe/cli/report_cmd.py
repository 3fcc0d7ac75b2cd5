"""``auditpipe report``: glue between the command line and auditpipe.report."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..vocabulary import REPORT_FORMATS
from . import cli
from .options import config_option, lake_option, period_options


@cli.command("report")
@lake_option
@period_options
@click.option("--provider", metavar="ID", help="Report on one provider only.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    help="terminal (default on a terminal), markdown (default otherwise), html, json or csv "
    "(one row per finding). With --output, the file's suffix picks it when not given.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--unmask",
    is_flag=True,
    help="Show personal identifiers unmasked (only for those allowed to see them).",
)
@config_option
def report_command(
    lake: Path,
    since: dt.date | None,
    until: dt.date | None,
    provider: str | None,
    fmt: str | None,
    output: Path | None,
    unmask: bool,
    config_path: Path | None,
) -> None:
    """Report a period's findings for compliance review.

    The report says what data the period covers (events, providers, days, quarantined
    rows), the findings by category, severity and provider, the top actors and destination
    parties, the penalty exposure per provider, and every finding with its numbers, a few
    evidence event ids and the SQL that lists them all.

    Personal identifiers (subject ids, users' own actor ids, and anything that looks like an
    ID card or mobile number) are masked in every format unless --unmask is given. The period
    defaults to every day with events; dates are event_dates in the lake's timezone.

    \b
    Example:
      auditpipe report --lake ./lake
      auditpipe report --lake ./lake --since 2026-03-01 --until 2026-03-31 --output march.html
      auditpipe report --lake ./lake --provider forum-a --format json > forum-a.json

    Exits 0 on success; 2 on errors (no lake, no events in the period, unknown provider).
    """
    from ..config import load_config
    from ..console import message, out_console
    from ..lake import Lake
    from ..report import SUFFIX_FORMATS, build_report, render_report

    fmt = fmt or _default_format(output, SUFFIX_FORMATS)
    the_lake = Lake.open(lake)
    if output is not None:
        _check_output(output, the_lake.root)
    report = build_report(
        the_lake,
        config=load_config(config_path),
        since=since,
        until=until,
        provider=provider,
        unmask=unmask,
    )
    if output is not None:
        text = render_report(report, fmt, width=100, color=False)
        _write_atomic(output, text)
        message(f"Report written to {output} ({fmt}, {len(report.findings)} finding(s)).")
        return
    console = out_console()
    color = (
        fmt == "terminal"
        and console.is_terminal
        and not console.no_color  # NO_COLOR
        and console.color_system is not None
    )
    width = min(console.width, 100) if console.is_terminal else 100
    sys.stdout.write(render_report(report, fmt, width=width, color=color))
    sys.stdout.flush()


def _default_format(output: Path | None, suffixes: dict[str, str]) -> str:
    if output is not None:
        fmt = suffixes.get(output.suffix.lower())
        if fmt is None:
            raise UsageError(
                f"cannot tell the format from the name {output.name}",
                hint="add --format (terminal, markdown, html, json or csv) or use a .md, .html, "
                ".json, .csv or .txt file name",
            )
        return fmt
    return "terminal" if sys.stdout.isatty() else "markdown"


def _check_output(output: Path, lake_root: Path) -> None:
    target, lake = output.expanduser().resolve(), lake_root.resolve()
    if target == lake or lake in target.parents:
        raise UsageError(
            f"--output {output} is inside the lake {lake_root}",
            hint="write reports outside the lake folder",
        )


def _write_atomic(path: Path, text: str) -> None:
    path = path.expanduser()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
