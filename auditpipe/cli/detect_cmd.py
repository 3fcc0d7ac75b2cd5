"""``auditpipe detect`` and ``auditpipe rules``: glue between the command line and
auditpipe.detect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..console import get_console
from ..i18n import _
from ..vocabulary import FAIL_ON_CHOICES
from . import cli, exit_codes_help, printing_outcome
from .options import (
    config_option,
    engine_options,
    given,
    lake_option,
    period_options,
    quiet_option,
)

rules_dir_option = click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder of your own rule files (.sql with a header), added to the built-in rules. "
    "Repeatable.",
)


@cli.command(epilog=exit_codes_help("detect"))
@lake_option
@period_options
@rules_dir_option
@config_option
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    default="none",
    show_default=True,
    help="Exit 1 when the evaluated days hold a finding at or above this severity.",
)
@click.option(
    "--bulk-threshold",
    type=click.IntRange(min=1),
    help="Records one actor may access in one day before illegal_use_bulk fires "
    "([detect] bulk_threshold, default 1000).",
)
@click.option(
    "--broker-watchlist",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Text file of data-broker names, one a line ([detect] broker_watchlist; default none).",
)
@engine_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@quiet_option
def detect(
    lake: Path,
    since: dt.date | None,
    until: dt.date | None,
    rule_dirs: tuple[Path, ...],
    config_path: Path | None,
    fail_on: str,
    bulk_threshold: int | None,
    broker_watchlist: Path | None,
    engine_name: str | None,
    spark_master: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Run the detection rules over the lake and write its findings.

    Evaluates every rule (built-in, plus --rules folders) over each event_date with events
    (or only --since..--until) and replaces those days' findings in LAKE/findings/ in one
    atomic commit; days outside the period are left as they are, and so are days before a
    retention cutoff (compact --retain-days deleted their events). Re-running changes nothing
    and keeps every finding_id. Prints the findings by category and severity and the penalty
    exposure per provider on stdout (an estimate for review, not a legal determination).

    \b
    Example:
      auditpipe detect --lake ./lake
      auditpipe detect --lake ./lake --since 2026-03-01 --until 2026-03-07 --fail-on high
      auditpipe detect --lake ./lake --rules ./our_rules --broker-watchlist brokers.txt
      auditpipe detect --lake /shared/lake --engine spark --spark-master spark://head:7077

    Exits 0 on success, 1 when --fail-on is met, 2 on errors (bad rule file, no lake, busy).
    """
    from ..config import load_config
    from ..detect import DetectSettings, run_detect
    from ..detect.render import render_result, status_line
    from ..engines import EngineSettings, open_engine
    from ..lake import Lake

    config = load_config(config_path)
    settings = DetectSettings.from_config(
        config, **given(click.get_current_context(), "bulk_threshold", "broker_watchlist")
    )
    engine_settings = EngineSettings.from_config(config, engine_name, spark_master)
    the_lake = Lake.open(lake)
    with open_engine(engine_settings) as engine:
        result = run_detect(
            the_lake, settings, since=since, until=until, rule_dirs=rule_dirs, engine=engine
        )
    if not quiet:
        status_line(result)
    code = result.exit_code(fail_on)
    with printing_outcome(
        "detect",
        code,
        done=_("detection itself completed"),
        see=_("`auditpipe findings list` shows the findings"),
    ):
        if as_json:
            get_console().json(result.to_dict())
        elif not quiet:
            render_result(result)
    raise click.exceptions.Exit(code)


@cli.group(epilog=exit_codes_help("rules"))
def rules() -> None:
    """List, show and check the detection rules.

    Each rule is one DuckDB SQL file with a header (id, title, category, severity,
    description, clause, false positives). Built-in rules live in the package; add your own
    folder with --rules.

    \b
    Example:
      auditpipe rules list
      auditpipe rules show illegal_use_bulk
      auditpipe rules check --rules ./our_rules
    """


@rules.command("list", epilog=exit_codes_help("rules list"))
@rules_dir_option
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
def rules_list(rule_dirs: tuple[Path, ...], config_path: Path | None, as_json: bool) -> None:
    """List the rules: id, category, default severity, title, where they come from.

    \b
    Example:
      auditpipe rules list
      auditpipe rules list --rules ./our_rules
    """
    from ..config import load_config
    from ..detect import DetectSettings, load_rules
    from ..detect.render import render_rule_list

    settings = DetectSettings.from_config(load_config(config_path))
    found = load_rules([*settings.rule_dirs, *rule_dirs])
    if as_json:
        docs = [r.summary_dict(settings.disabled_rules) for r in found]
        get_console().json(docs)
        return
    render_rule_list(found, settings.disabled_rules)


@rules.command("check", epilog=exit_codes_help("rules check"))
@rules_dir_option
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print each rule's problems as JSON.")
def rules_check(rule_dirs: tuple[Path, ...], config_path: Path | None, as_json: bool) -> None:
    """Check every rule: its SQL binds, and it keeps to the locality contract.

    The contract: a rule's findings for one provider and one day depend only on that
    provider's events of that day (every built-in rule does). The spark engine runs each
    (provider_id, event_date) partition alone and refuses a rule this check can see breaking
    it: reading other tables or files, grouping, windowing or joining event rows without
    provider_id and event_date, a subquery over other partitions' events, a LIMIT.

    \b
    Example:
      auditpipe rules check
      auditpipe rules check --rules ./our_rules
    """
    from ..config import load_config
    from ..detect import DetectSettings, load_rules
    from ..detect.locality import locality_problems
    from ..detect.render import render_rule_check
    from ..errors import EXIT_FINDINGS

    settings = DetectSettings.from_config(load_config(config_path))
    found = load_rules([*settings.rule_dirs, *rule_dirs], disabled=settings.disabled_rules)
    problems = {rule.id: locality_problems(rule.sql) for rule in found}
    if as_json:
        get_console().json(
            [{"id": r.id, "source": r.source, "problems": problems[r.id]} for r in found]
        )
    else:
        render_rule_check(found, problems)
    if any(problems.values()):
        raise click.exceptions.Exit(EXIT_FINDINGS)


@rules.command("show", epilog=exit_codes_help("rules show"))
@click.argument("rule_id")
@rules_dir_option
@config_option
def rules_show(rule_id: str, rule_dirs: tuple[Path, ...], config_path: Path | None) -> None:
    """Show one rule: its metadata, the clause it enforces, and its SQL.

    \b
    Example:
      auditpipe rules show selling
    """
    from ..config import load_config
    from ..detect import DetectSettings, find_rule, load_rules
    from ..detect.render import render_rule

    settings = DetectSettings.from_config(load_config(config_path))
    render_rule(find_rule(load_rules([*settings.rule_dirs, *rule_dirs]), rule_id))
