"""``auditpipe findings list`` and ``auditpipe findings show``: glue between the command line
and auditpipe.findings_view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import click

from ..i18n import N_
from ..vocabulary import CATEGORIES, SEVERITIES
from . import cli, exit_codes_help
from .detect_cmd import rules_dir_option
from .options import F, _parse_day, config_option, lake_option, period_options

FORMATS = ("text", "json", "csv")

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people; json or csv for programs and spreadsheets.",
)


def _count_option(name: str, default: int, text: str) -> Callable[[F], F]:
    # ``text`` is marked with N_() where it is written: only help="..." literals are extracted
    # for the catalog, and --help translates the text when it prints it.
    return click.option(
        name, type=click.IntRange(min=0), default=default, show_default=True, help=text
    )


unmask_option = click.option(
    "--unmask",
    is_flag=True,
    help="Show personal identifiers unmasked (only for those allowed to see them).",
)


@cli.group(epilog=exit_codes_help("findings"))
def findings() -> None:
    """List stored findings and show the evidence behind one.

    Findings are what `auditpipe detect` stored in the lake. Personal identifiers are masked
    as in the report unless --unmask is given.

    \b
    Example:
      auditpipe findings list --lake ./lake --severity high
      auditpipe findings show f-3c1a9e0b --lake ./lake
    """


@findings.command("list", epilog=exit_codes_help("findings list"))
@lake_option
@click.option("--provider", metavar="ID", help="Only this provider's findings.")
@click.option(
    "--day", callback=_parse_day, metavar="YYYY-MM-DD", help="Only this event_date (lake timezone)."
)
@period_options
@click.option("--category", type=click.Choice(CATEGORIES), help="Only this category.")
@click.option(
    "--severity", type=click.Choice(SEVERITIES), help="Only findings at or above this severity."
)
@click.option("--rule", "rule_id", metavar="RULE_ID", help="Only findings of this rule.")
@_count_option(
    "--limit",
    100,
    N_("List at most this many (0: all of them); the count of all that match goes to stderr."),
)
@format_option
@unmask_option
@config_option
def findings_list(
    lake: Path,
    provider: str | None,
    day: dt.date | None,
    since: dt.date | None,
    until: dt.date | None,
    category: str | None,
    severity: str | None,
    rule_id: str | None,
    limit: int,
    fmt: str,
    unmask: bool,
    config_path: Path | None,
) -> None:
    """List findings, most serious first, filtered by provider, day, category, severity
    (at or above) and rule.

    \b
    Example:
      auditpipe findings list --lake ./lake
      auditpipe findings list --lake ./lake --provider forum-a --day 2026-03-01
      auditpipe findings list --lake ./lake --since 2026-03-01 --category selling --format csv

    Exits 0 on success (also when nothing matches); 2 on errors (no lake, bad option,
    a provider the lake does not have).
    """
    from ..config import load_config
    from ..console import get_console
    from ..detect import DetectSettings
    from ..detect.rules import read_rules
    from ..errors import AuditpipeError, UsageError
    from ..findings_view import FindingFilter, list_findings
    from ..findings_view.output import list_table, write_list
    from ..i18n import _
    from ..lake import Lake

    if day is not None and (since or until):
        raise UsageError(
            _("--day cannot be combined with --since or --until"),
            hint=_("give --day for one day, or --since/--until for a period"),
        )
    if day is not None:
        since = until = day
    where = FindingFilter(provider, since, until, category, severity, rule_id)
    the_lake = Lake.open(lake)
    settings = DetectSettings.from_config(load_config(config_path))
    try:  # the rules give each summary's template in the current language
        known = read_rules(settings.rule_dirs, disabled=settings.disabled_rules)
    except AuditpipeError:  # a broken rule file elsewhere: the stored (English) summaries
        known = []
    found = list_findings(
        the_lake, where, limit=limit or None, unmask=unmask, rules=known, settings=settings
    )
    console = get_console()
    if fmt == "text":
        columns, rows = list_table(found)
        if rows:
            console.records(columns, rows)
    else:
        write_list(found, fmt, console.data)
    if found.matched > len(found.rows):
        console.message(
            _("{shown} of {matched} matching findings listed; --limit 0 lists all of them.").format(
                shown=f"{len(found.rows):,}", matched=f"{found.matched:,}"
            )
        )
    elif not found.rows:
        console.message(_("No findings match."))
    if found.rows and fmt == "text":
        console.message(
            _("Show one with its evidence: {command}").format(
                command="auditpipe findings show FINDING_ID --lake " + _quoted(the_lake.root)
            )
        )


@findings.command("show", epilog=exit_codes_help("findings show"))
@click.argument("finding_id")
@lake_option
@_count_option(
    "--limit", 0, N_("Show at most this many evidence events (0: all, written in batches).")
)
@_count_option(
    "--offset", 0, N_("Skip this many evidence events first (with --limit, to page through them).")
)
@format_option
@unmask_option
@rules_dir_option
@config_option
def findings_show(
    finding_id: str,
    lake: Path,
    limit: int,
    offset: int,
    fmt: str,
    unmask: bool,
    rule_dirs: tuple[Path, ...],
    config_path: Path | None,
) -> None:
    """Show one finding: what it says, the rule and the clause it enforces, and every
    evidence event as a readable record (time in the lake's timezone, actor, action, data
    fields, destination and party, ticket, purpose, amount, and the source file and line
    where the event was read, found through its sha256 even after nightly moved the file).

    FINDING_ID may be shortened to a prefix that only one finding has. Evidence is written
    as it is read, so a finding with 100,000 events prints with flat memory; --limit and
    --offset page through it.

    \b
    Example:
      auditpipe findings show f-3c1a9e0b7d2f4a6b8c0d1e2f --lake ./lake
      auditpipe findings show f-3c1a --lake ./lake --limit 20 --offset 40
      auditpipe findings show f-3c1a --lake ./lake --format csv > evidence.csv

    Exits 0 on success; 2 on errors (no lake, no such finding: the nearest ids are named).
    """
    from ..config import load_config
    from ..console import get_console
    from ..detect import DetectSettings
    from ..detect.rules import read_rules
    from ..errors import AuditpipeError
    from ..findings_view import open_finding
    from ..findings_view.output import write_show
    from ..i18n import _
    from ..lake import Lake

    the_lake = Lake.open(lake)
    settings = DetectSettings.from_config(load_config(config_path))
    try:
        known, problem = read_rules([*settings.rule_dirs, *rule_dirs]), None
    except AuditpipeError as exc:  # a broken rule file elsewhere does not hide the finding
        known, problem = [], _("the rules could not be read: {error}").format(error=exc.message)
    console = get_console()
    with open_finding(
        the_lake,
        finding_id,
        unmask=unmask,
        rules=known,
        rule_problem=problem,
        limit=limit or None,
        offset=offset,
        settings=settings,
    ) as found:
        write_show(found, fmt, console.data, the_lake.timezone)
        if found.shown < found.total:
            console.message(
                _(
                    "{shown} of {total} evidence events shown; --limit 0 --offset 0 shows them all."
                ).format(shown=f"{found.shown:,}", total=f"{found.total:,}")
            )
        if found.file_problems:
            console.warn(
                _(
                    "{n} source file(s) of this evidence are not where the lake recorded them "
                    "(marked MISSING or CHANGED above)."
                ).format(n=len(found.file_problems))
            )


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(str(path.resolve()))
