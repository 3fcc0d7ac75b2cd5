"""``auditpipe report``: glue between the command line and auditpipe.report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..i18n import ngettext
from ..vocabulary import REPORT_FORMATS
from . import cli, exit_codes_help
from .options import config_option, lake_option, period_options


@cli.command("report", epilog=exit_codes_help("report"))
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
@click.option(
    "--bom/--no-bom",
    default=None,
    help="Start the csv format with a UTF-8 byte order mark, so Excel (e.g. on a "
    "Chinese-locale Windows) reads it as UTF-8  [default: csv_bom under [report], else off]",
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
    bom: bool | None,
    config_path: Path | None,
) -> None:
    """Report a period's findings for compliance review.

    The report says what data the period covers (events, providers, days, quarantined
    rows), the findings by category, severity and provider, the top actors and destination
    parties, the penalty exposure per provider and in total, every finding with its numbers,
    a few evidence event ids and the SQL that lists them all, and what it was computed from
    (auditpipe version, rules and settings, watchlist, rates, input files with their sha256).

    Personal identifiers (subject ids, users' own actor ids, and anything that looks like an
    ID card or mobile number) are masked in every format unless --unmask is given. The period
    defaults to every day with events; dates are event_dates in the lake's timezone.

    \b
    Example:
      auditpipe report --lake ./lake
      auditpipe report --lake ./lake --since 2026-03-01 --until 2026-03-31 --output march.html
      auditpipe report --lake ./lake --provider forum-a --format json > forum-a.json
      auditpipe report --lake ./lake --output findings.csv --bom

    Exits 0 on success; 2 on errors (no lake, no events in the period, unknown provider).
    """
    from ..config import load_config
    from ..console import get_console
    from ..lake import Lake
    from ..outputs import bom_not_csv, check_output_path
    from ..report import (
        ReportSettings,
        build_report,
        choose_format,
        render_report,
        write_report,
    )
    from ..report.settings import report_language

    console = get_console()
    fmt = fmt or choose_format(output, console.stdout_is_terminal)
    config = load_config(config_path)
    if bom and fmt != "csv":  # the setting is for CSV; the flag with another format, a mistake
        raise bom_not_csv(fmt)
    # Only the HTML page shows evidence records: other formats skip their query.
    evidence_rows = None if fmt == "html" else 0
    settings = ReportSettings.from_config(config, csv_bom=bom, evidence_rows=evidence_rows)
    with_bom = settings.csv_bom and fmt == "csv"
    the_lake = Lake.open(lake)
    if output is not None:
        check_output_path(output, the_lake.root)
    with report_language(config):
        report = build_report(
            the_lake,
            config=config,
            settings=settings,
            since=since,
            until=until,
            provider=provider,
            unmask=unmask,
        )
        if output is None:
            width, color = console.report_style(fmt)
            text = render_report(report, fmt, width=width, color=color, bom=with_bom)
            if fmt == "csv":  # UTF-8 whatever the locale's encoding: the bytes a BOM announces
                console.data_bytes(text.encode("utf-8"))
            else:
                console.data(text)
            return
        write_report(report, fmt, output, bom=with_bom)
    n = len(report.findings)
    console.message(
        ngettext(
            "Report written to {path} ({fmt}, {n} finding).",
            "Report written to {path} ({fmt}, {n} findings).",
            n,
        ).format(path=output, fmt=fmt, n=n)
    )
