"""``auditpipe generate``: glue between the command line and auditpipe.generate."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..console import get_console
from ..generate.formats import DEFAULT_FORMATS
from ..i18n import _
from . import cli, exit_codes_help, printing_outcome
from .options import quiet_option

if TYPE_CHECKING:
    from ..generate import GenerateResult


def _parse_start(ctx: click.Context, param: click.Parameter, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("{value!r} is not a date; use YYYY-MM-DD").format(value=value)
        ) from None


@cli.command(epilog=exit_codes_help("generate"))
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    required=True,
    help="Data rows to write in all: events, planted events, malformed and re-sent rows.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed; the same seed and options give the same bytes.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write; it must be new or empty (see --overwrite).",
)
@click.option(
    "--bad-share",
    type=click.FloatRange(0, 0.5),
    default=0.01,
    show_default=True,
    help="Share of rows that are malformed (every kind the ingest quarantines).",
)
@click.option(
    "--duplicate-share",
    type=click.FloatRange(0, 0.1),
    default=0.005,
    show_default=True,
    help="Share of rows that re-send an event already written.",
)
@click.option(
    "--formats",
    default=",".join(DEFAULT_FORMATS),
    show_default=True,
    # A literal, not built from FORMATS: only a literal reaches the catalog to be translated
    # (a test checks it names every format).
    help="Comma-separated output formats: jsonl, jsonl.gz, jsonl.zst, csv, csv.gz, csv.zst, "
    "parquet.",
)
@click.option(
    "--providers",
    type=click.IntRange(1, 26),
    default=4,
    show_default=True,
    help="Number of providers (forum-a, blog-b, isp-c, micro-d, ...).",
)
@click.option(
    "--start",
    default="2026-03-01",
    show_default=True,
    metavar="YYYY-MM-DD",
    callback=_parse_start,
    help="First day of the period (Asia/Shanghai).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=3,
    show_default=True,
    help="Days the period covers.",
)
@click.option(
    "--plant/--no-plant",
    default=True,
    show_default=True,
    help="Plant breaches and near-misses and write their labels.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an earlier generated set in --out (only the files it lists).",
)
@click.option(
    "--db-log",
    type=click.Choice(["pgaudit-stderr", "pgaudit-csvlog", "pgaudit-jsonlog", "server_audit"]),
    help="Write a database audit log instead (OUT/<log>, source.toml, schema.sql, labels.json): "
    "--rows statements plus planted cases and near-misses.",
)
@click.option("--json", "as_json", is_flag=True, help="Print _expected/summary.json to stdout.")
@quiet_option
def generate(
    rows: int,
    seed: int,
    out: Path,
    bad_share: float,
    duplicate_share: float,
    formats: str,
    providers: int,
    start: dt.date,
    days: int,
    plant: bool,
    overwrite: bool,
    db_log: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Write realistic provider access logs with known contents.

    One file per provider per format (OUT/<provider_id>.<format>), mixing every form the
    contract accepts line by line, with malformed rows of every kind, re-sent duplicates, and
    planted breaches and near-misses. OUT/_expected/ (never ingested: its name starts with
    '_') holds summary.json (rows, malformed and duplicate rows per file: what an ingest must
    reconcile to), labels.parquet (the findings detect must produce) and brokers.txt (the
    broker watchlist the labels assume). Each iisp provider also gets two account snapshots
    (OUT/<provider_id>-<date>.accounts.<format>) and real-name cases, whose findings are in
    real_name_labels.parquet.

    \b
    Example:
      auditpipe generate --rows 3000 --seed 7 --out sample_data
      auditpipe generate --rows 2000000 --seed 1 --formats jsonl --out /tmp/big --no-plant
      auditpipe generate --db-log pgaudit-stderr --rows 100000 --out /tmp/pg

    Exits 0 on success, 2 on errors (bad options, a non-empty --out).
    """
    if db_log is not None:
        from ..generate.dblogs import write_db_log

        log = write_db_log(out, db_log, rows, seed, plant=plant, overwrite=overwrite)
        if not quiet:
            from ..console import message

            message(
                _("wrote {log} with source.toml, schema.sql and labels.json beside it").format(
                    log=log
                )
            )
        return
    from ..generate import generate as run

    with _progress(enabled=not quiet) as progress:
        result = run(
            out,
            rows=rows,
            seed=seed,
            bad_share=bad_share,
            duplicate_share=duplicate_share,
            formats=formats.split(","),
            providers=providers,
            start=start,
            days=days,
            plant=plant,
            overwrite=overwrite,
            progress=progress,
        )
    with printing_outcome(
        "generate",
        0,
        done=_("the files were written"),
        see=_("{summary} lists them").format(summary=result.summary_path),
    ):
        if as_json:
            get_console().data(result.summary_path.read_text(encoding="utf-8"))
        elif not quiet:
            _render(result)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """The generator's ``(rows done, rows in total)`` callback on the console's progress."""
    with get_console().progress("generating", enabled) as tick:
        if tick is None:
            yield None
            return

        def rows_done(done: int, total: int) -> None:
            tick("rows", done, total)

        yield rows_done


def _render(result: GenerateResult) -> None:
    """A table on a terminal; tab-separated lines otherwise (one per file, then the total)."""
    console = get_console()
    columns = [("file", "left"), ("format", "left")]
    columns += [(c, "right") for c in ("rows", "malformed", "duplicates", "expected_stored")]
    lines: list[list[object]] = [
        [f.name, f.format, f.rows, f.bad_rows, f.duplicate_rows, f.expected_stored]
        for f in result.files
    ]
    total = ["total", f"{len(result.files)} files", result.rows, result.bad_rows,
             result.duplicate_rows, result.expected_stored]  # fmt: skip
    console.records(columns, [*lines, total], title=_("Generated {out}").format(out=result.out))
    by_category = ", ".join(f"{k} {v}" for k, v in result.labels_by_category.items()) or _("none")
    console.message(
        _(
            "{labels} expected findings ({by_category}) from {planted_events} planted events in {labels_path}; they assume the broker watchlist {value}."
        ).format(
            labels=result.labels,
            by_category=by_category,
            planted_events=result.planted_events,
            labels_path=result.labels_path,
            value=result.expected_dir / "brokers.txt",
        )
    )
    # The summary reconciles the logs and the snapshots: said once, after both.
    if result.account_snapshots:
        console.message(
            _(
                "{files} account snapshots ({rows} rows, *.accounts.*) beside the logs; "
                "{labels} expected real-name findings in {path}."
            ).format(
                files=len(result.account_snapshots),
                rows=sum(f.rows for f in result.account_snapshots),
                labels=result.real_name_labels,
                path=result.expected_dir / "real_name_labels.parquet",
            )
        )
    console.message(
        _("Reconcile an ingest against {summary_path}.").format(summary_path=result.summary_path)
    )
