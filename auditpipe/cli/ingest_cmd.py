"""``auditpipe ingest``: glue between the command line and auditpipe.ingest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..console import get_console
from ..errors import EXIT_OK, EXIT_QUARANTINE
from ..i18n import _
from . import cli, exit_codes_help, printing_outcome
from .options import config_option, engine_options, given, lake_option, quiet_option


@cli.command(epilog=exit_codes_help("ingest"))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@lake_option
@config_option
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Extra data catalog (JSON) extending or overriding schemas/data_catalog.json.",
)
@click.option(
    "--timezone",
    help="Timezone for times without an offset and for event_date, set when the lake is "
    "created (default Asia/Shanghai).",
)
@click.option(
    "--source",
    "source_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read PATHS as one database audit log source (pgaudit, server_audit, Percona or "
    "MySQL Enterprise JSON audit) described by this settings file; see `auditpipe sources "
    "check`.",
)
@click.option(
    "--accounts",
    is_flag=True,
    help="Read every file in PATHS as an account snapshot (files named *.accounts.<format> "
    "are snapshots without it).",
)
@click.option(
    "--snapshot-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date (YYYY-MM-DD) of account snapshot rows that carry no snapshot_date "
    "(default: a date in the file's name).",
)
@engine_options
@click.option("--json", "as_json", is_flag=True, help="Print the reconciliation as JSON.")
@quiet_option
def ingest(
    paths: tuple[Path, ...],
    lake: Path,
    config_path: Path | None,
    catalog: Path | None,
    timezone: str | None,
    source_path: Path | None,
    accounts: bool,
    snapshot_date: dt.datetime | None,
    engine_name: str | None,
    spark_master: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Ingest access logs into the lake.

    PATHS are files or folders (searched recursively; names starting with '.' or '_' are
    skipped) of .jsonl/.ndjson, .csv (with a header row) or .parquet, each optionally .gz,
    .zst, .bz2 or .xz. Good rows go to LAKE/events/ (Parquet, partitioned by provider_id and event_date),
    bad rows to LAKE/quarantine/ with a reason, and every file is reconciled:
    rows read = stored + quarantined + duplicates. A file already ingested (same content) is
    skipped.

    With --source FILE, PATHS are database audit logs (any file name, optionally .gz,
    .zst, .bz2 or .xz) and each statement becomes one event; literals never reach the lake.

    Account snapshots (a provider's user table at a date: files named
    NAME.accounts.jsonl/.csv/.parquet, or any file with --accounts) go to LAKE/accounts/;
    an ID number in them is checked and replaced by its verdict and a keyed hash, never
    stored.

    \b
    Example:
      auditpipe ingest logs/2026-03-01/ extra/forum-a.csv.gz --lake ./lake
      auditpipe ingest --source pg-forum.toml /var/log/postgresql/ --lake ./lake
      auditpipe ingest /shared/inbox --lake /shared/lake --engine spark
      auditpipe ingest --accounts users-export.csv --snapshot-date 2026-03-01

    Files of other kinds inside folders, and files that cannot be read, are skipped with a
    warning naming them. Exits 0 when every row was stored or was a duplicate, 3 when rows
    were quarantined or a file was rejected whole (a truncated or corrupt archive, a UTF-16
    file, a CSV file without a comma-separated header row or whose header row cannot be read,
    a JSON Lines file whose lines end in a carriage return alone, a Parquet column of a type
    that cannot be read; the reason says what to do), 2 on errors,
    including PATHS that hold no log file to ingest.
    """
    from ..ingest.memory import limit_malloc_arenas

    limit_malloc_arenas()  # first, before libraries start threads (ingest/memory.py)
    from ..config import load_config
    from ..engines import EngineSettings, open_engine
    from ..ingest import IngestSettings, find_inputs, ingest_paths
    from .render_ingest import progress_reporter, render_ingest_result

    config = load_config(config_path)
    settings = IngestSettings.from_config(
        config, **given(click.get_current_context(), "timezone", "catalog")
    )
    source = None
    if accounts and source_path is not None:
        from ..errors import UsageError

        raise UsageError(
            _("--accounts and --source cannot be used together"),
            hint=_("ingest account snapshots and database audit logs in two runs"),
        )
    if source_path is not None:
        from ..sources import load_settings

        source = load_settings(source_path)
    engine_settings = EngineSettings.from_config(config, engine_name, spark_master)
    # Found before the lake is opened: nothing to ingest is a usage error that leaves no new
    # lake behind.
    inputs = find_inputs(list(paths), settings, source, exclude=[lake])
    the_lake = settings.open_lake(lake)
    with open_engine(engine_settings) as engine, progress_reporter(enabled=not quiet) as progress:
        result = ingest_paths(
            the_lake,
            inputs,
            settings,
            progress=progress,
            source=source,
            engine=engine,
            accounts=accounts,
            snapshot_date=snapshot_date.date() if snapshot_date else None,
        )
    code = EXIT_OK if result.clean else EXIT_QUARANTINE
    with printing_outcome(
        "ingest",
        code,
        done=_("the ingest itself completed"),
        see=_("`auditpipe status` shows what the lake holds"),
    ):
        if as_json:
            get_console().json(result_to_dict(result))
        elif not quiet:
            render_ingest_result(result, lake)
    raise click.exceptions.Exit(code)


def result_to_dict(result: object) -> dict[str, object]:
    from ..ingest import IngestResult
    from ..ingest.unclassified import unclassified_json

    assert isinstance(result, IngestResult)
    files = [
        {
            "source_file": f.source_file,
            "sha256": f.sha256,
            "format": f.format,
            "status": f.status,
            "rows_read": f.rows_read,
            "rows_stored": f.rows_stored,
            "rows_quarantined": f.rows_quarantined,
            "rows_duplicate": f.rows_duplicate,
            "reason": f.reason,
            "partitions": sorted(f"{p}/{d.isoformat()}" for p, d in f.partitions),
            **({"source": f.source_counts} if f.source_counts is not None else {}),
            **({"counters": dict(sorted(f.counters.items()))} if f.counters else {}),
            "unclassified_field_names": f.unclassified_field_names,
            "unclassified_fields": unclassified_json(f.unclassified_fields),
        }
        for f in result.files
    ]
    return {
        "run_id": result.run_id,
        "files": files,
        "skipped_files": result.skipped.to_dict(),
        "total": {
            "files": len(result.files),
            "rejected": len(result.rejected),
            "rows_read": result.rows_read,
            "rows_stored": result.rows_stored,
            "rows_quarantined": result.rows_quarantined,
            "rows_duplicate": result.rows_duplicate,
        },
    }
