"""``auditpipe nightly``, ``auditpipe status`` and ``auditpipe compact``: glue between the
command line and auditpipe.nightly, auditpipe.status and auditpipe.compact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ..console import get_console
from ..errors import UsageError
from ..i18n import _
from ..vocabulary import FAIL_ON_CHOICES
from . import cli, exit_codes_help, explain_error, printing_outcome
from .options import _parse_day, config_option, engine_options, given, lake_option, quiet_option


@cli.command(epilog=exit_codes_help("nightly"))
@click.option(
    "--inbox",
    required=True,
    envvar="AUDITPIPE_INBOX",
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the providers drop their logs into (searched recursively).",
)
@lake_option
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the night's reports  [default: LAKE/reports]",
)
@click.option(
    "--date",
    "night",
    callback=_parse_day,
    metavar="YYYY-MM-DD",
    help="The night this run is for; names the reports  [default: today, lake timezone]",
)
@click.option(
    "--move-processed/--keep-processed",
    default=None,
    help="Move files whose ingest committed to INBOX/processed/<date>/, or leave them "
    "[default: keep]",
)
@click.option(
    "--settle-seconds",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Skip files modified less than this many seconds ago (still being written) [default: 60]",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    help="Exit 1 when new findings at or above this severity were found [default: high]",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append structured logs (JSON lines) to this file.",
)
@engine_options
@config_option
@quiet_option
@click.pass_context
def nightly(
    ctx: click.Context,
    inbox: Path,
    lake: Path,
    reports_dir: Path | None,
    night: dt.date | None,
    move_processed: bool | None,
    settle_seconds: float | None,
    fail_on: str | None,
    as_json: bool,
    log_file: Path | None,
    engine_name: str | None,
    spark_master: str | None,
    config_path: Path | None,
    quiet: bool,
) -> None:
    """Run the whole job once: ingest new inbox files, detect, write the night's reports.

    Ingests every file in INBOX whose content is not in the lake yet (files still being
    written are left for the next run), runs detection for every day that received new
    events (late events re-evaluate their old days), writes the night's reports (html,
    markdown, json) to REPORTS/<date>/, and prints a summary. The whole run holds the
    lake's lock: a second nightly exits at once with code 2. A run that was killed is
    completed by the next one, with the outcome of one clean run.

    \b
    Example:
      auditpipe nightly --inbox /srv/inbox --lake /srv/lake --move-processed \\
          --log-file /var/log/auditpipe/nightly.jsonl

    Exit code precedence when several apply: 2 (error), then 1 (new findings at or above
    --fail-on), then 3 (quarantined rows, rejected or unreadable files), else 0.
    """
    from ..ingest.memory import limit_malloc_arenas

    limit_malloc_arenas()  # first, before libraries start threads (ingest/memory.py)
    from ..config import load_config
    from ..engines import EngineSettings, open_engine
    from ..ingest import IngestSettings
    from ..nightly import JobLog, NightlySettings, run_nightly
    from ..nightly.inbox import check_inbox
    from ..nightly.render import render_summary
    from .render_ingest import progress_reporter

    log = JobLog(log_file)
    started = False
    try:
        config = load_config(config_path)
        settings = NightlySettings.from_config(
            config, **given(ctx, "settle_seconds", "move_processed", "fail_on", "reports_dir")
        )
        check_inbox(inbox)  # before the lake is made: a wrong --inbox leaves nothing behind
        engine_settings = EngineSettings.from_config(config, engine_name, spark_master)
        the_lake = IngestSettings.from_config(config).open_lake(lake)
        started = True
        with (
            open_engine(engine_settings) as engine,
            progress_reporter(enabled=not (quiet or as_json)) as progress,
        ):
            result = run_nightly(
                the_lake,
                inbox,
                settings,
                config=config,
                night=night,
                log=log,
                progress=progress,
                engine=engine,
            )
    except (Exception, KeyboardInterrupt) as exc:
        # Every failure of a scheduled job exits with its documented code and a message,
        # never 1 with a traceback (1 means "findings" to a scheduler).
        error = explain_error(exc, where=lake)
        if not started:
            log("run_failed", level="error", phase="setup", error=error.message, hint=error.hint)
        if as_json:
            doc = {"status": "failed", "error": error.message, "hint": error.hint}
            get_console().json({**doc, "exit_code": error.exit_code})
        if error is exc:
            raise
        raise error from exc
    finally:
        log.close()
    with printing_outcome(
        "nightly",
        result.exit_code,
        done=_("the run itself completed"),
        see=_("see it with `auditpipe status`"),
        reason=result.exit_reason,
    ):
        if as_json:
            get_console().json(result.to_dict())
        elif not quiet:
            render_summary(result)
    raise click.exceptions.Exit(result.exit_code)


@cli.command(epilog=exit_codes_help("status"))
@lake_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
def status(lake: Path, as_json: bool) -> None:
    """Show what the lake holds and how its last run went.

    Days, providers, events, quarantined rows, findings by severity, ingested and rejected
    files, partitions that compaction would merge, the last run and its outcome, and whether
    a run holds the lake's lock right now. Reads only; never waits for a running job.

    \b
    Example:
      auditpipe status --lake /srv/lake
      auditpipe status --lake /srv/lake --json | jq .last_run
    """
    from ..lake import Lake
    from ..status import lake_status, render_status

    result = lake_status(Lake.open(lake))
    if as_json:
        get_console().json(result.to_dict())
    else:
        render_status(result)


@cli.command(epilog=exit_codes_help("compact"))
@lake_option
@click.option(
    "--before",
    callback=_parse_day,
    metavar="YYYY-MM-DD",
    help="Compact partitions of event_dates before this day  [default: today, lake timezone]",
)
@click.option(
    "--retain-days",
    type=click.IntRange(min=0),
    metavar="N",
    help="Delete events whose event_date is before today minus this many days.",
)
@click.option(
    "--include-evidence",
    is_flag=True,
    help="With --retain-days, also delete events that findings cite as evidence.",
)
@click.option(
    "--as-of",
    callback=_parse_day,
    metavar="YYYY-MM-DD",
    help="The day taken as today for --before and --retain-days  [default: today]",
)
@click.option("--dry-run", is_flag=True, help="Count what would change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@quiet_option
def compact(
    lake: Path,
    before: dt.date | None,
    retain_days: int | None,
    include_evidence: bool,
    as_of: dt.date | None,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Merge the small files of past days, and optionally delete old events.

    Each events partition (provider, day) of a day before --before that holds several files
    is rewritten as one file; the row count and a checksum of every row are compared before
    the swap, which is one atomic lake commit per partition. --retain-days N deletes the
    events of days before today - N and says how many, keeping those that findings cite as
    evidence unless --include-evidence. Findings and quarantine are never deleted, and detect
    leaves the findings of days before the cutoff as they are. Runs under
    the lake's lock (exits 2 if a nightly or ingest holds it).

    \b
    Example:
      auditpipe compact --lake /srv/lake
      auditpipe compact --lake /srv/lake --retain-days 365 --dry-run
    """
    from ..compact import CompactSettings, compact_lake, done_before_error
    from ..lake import Lake

    if include_evidence and retain_days is None:
        raise UsageError(
            _("--include-evidence only applies with --retain-days"),
            hint=_("add --retain-days N, or drop --include-evidence"),
        )
    settings = CompactSettings(
        before=before,
        retain_days=retain_days,
        include_evidence=include_evidence,
        today=as_of,
        dry_run=dry_run,
    )
    try:
        result = compact_lake(Lake.open(lake), settings)
    except BaseException as exc:
        # Stopped after a commit (a damaged file in a later partition, a full disk, Ctrl-C):
        # what was committed is said before the error, even with --quiet, since the lake
        # changed; --json prints it with "completed": false.
        done = done_before_error(exc)
        if done is not None and as_json:
            get_console().json(done.to_dict())
        elif done is not None:
            err = get_console().err
            err.print(_("Before the error below, compact committed:"), markup=False)
            _render_compact(done, err)
        raise
    with printing_outcome(
        "compact",
        0,
        done=_("compaction itself completed") if not dry_run else _("the dry run completed"),
        see=_("`auditpipe status` shows what the lake holds"),
    ):
        if as_json:
            get_console().json(result.to_dict())
        elif not quiet:
            _render_compact(result, get_console().out)


def _render_compact(result: object, out: Any) -> None:
    from ..compact import CompactResult

    assert isinstance(result, CompactResult)
    if result.retention_cutoff is not None:
        kept = (
            _("evidence was not protected (--include-evidence)")
            if result.include_evidence
            else _("{n} events cited as evidence by findings kept").format(
                n=f"{result.evidence_kept:,}"
            )
        )
        retention = (
            _(
                "Retention: {events} events before {cutoff} would be deleted "
                "({removed} partition(s) removed, {rewritten} rewritten); {kept}"
            )
            if result.dry_run
            else _(
                "Retention: {events} events before {cutoff} deleted "
                "({removed} partition(s) removed, {rewritten} rewritten); {kept}"
            )
        )
        out.print(
            retention.format(
                events=f"{result.events_deleted:,}",
                cutoff=result.retention_cutoff,
                removed=result.partitions_deleted,
                rewritten=result.partitions_rewritten,
                kept=kept,
            ),
            markup=False,
        )
    if result.partitions_compacted:
        compaction = (
            _(
                "Compaction: {n} partition(s) before {before} would be merged, "
                "{files_before} files into {files_after}, {rows} rows"
            )
            if result.dry_run
            else _(
                "Compaction: {n} partition(s) before {before} merged, "
                "{files_before} files into {files_after}, {rows} rows, "
                "each verified by row count and checksum"
            )
        )
        out.print(
            compaction.format(
                n=result.partitions_compacted,
                before=result.before,
                files_before=f"{result.files_before:,}",
                files_after=f"{result.files_after:,}",
                rows=f"{result.rows_compacted:,}",
            ),
            markup=False,
        )
    elif result.completed:
        out.print(
            _("Compaction: no partition before {before} holds more than one file").format(
                before=result.before
            ),
            markup=False,
        )
