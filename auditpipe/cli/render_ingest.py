"""Rendering ingest results and progress for people (tables on stdout, progress on stderr)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..console import err_console, message, out_console, stderr_is_terminal

if TYPE_CHECKING:
    from ..ingest import IngestResult


@contextlib.contextmanager
def progress_reporter(enabled: bool = True) -> Iterator[Any]:
    """A progress callback: a rich bar on a terminal, one plain line per file otherwise."""
    if not enabled:
        yield None
        return
    if not stderr_is_terminal():
        started: set[str] = set()

        def plain(source: Any, done: float) -> None:
            if source.name not in started:
                started.add(source.name)
                message(f"ingesting {source.name}")

        yield plain
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=err_console(),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def rich_progress(source: Any, done: float) -> None:
            if source.name not in tasks:
                tasks[source.name] = bar.add_task(source.path.name, total=1.0)
            bar.update(tasks[source.name], completed=done)

        yield rich_progress


def render_ingest_result(result: IngestResult) -> None:
    """A table on a terminal; tab-separated lines (one per file, then the total) otherwise,
    so logs keep whole file names and scripts can cut columns."""
    import sys

    if not sys.stdout.isatty():
        print("status\tread\tstored\tquarantined\tduplicate\tfile")
        for f in result.files:
            print(
                f"{f.status}\t{f.rows_read}\t{f.rows_stored}\t{f.rows_quarantined}"
                f"\t{f.rows_duplicate}\t{f.source_file}"
            )
        print(
            f"total\t{result.rows_read}\t{result.rows_stored}\t{result.rows_quarantined}"
            f"\t{result.rows_duplicate}\t{len(result.files)} files"
        )
        _notes(result)
        return
    from rich.table import Table

    table = Table(title=f"Ingest {result.run_id}", title_justify="left")
    for col in ("file", "status", "read", "stored", "quarantined", "duplicate"):
        table.add_column(
            col,
            justify="left" if col in ("file", "status") else "right",
            overflow="fold" if col == "file" else "ellipsis",
        )
    for f in result.files:
        table.add_row(
            f.source_file,
            f.status,
            f"{f.rows_read:,}",
            f"{f.rows_stored:,}",
            f"{f.rows_quarantined:,}",
            f"{f.rows_duplicate:,}",
        )
    table.add_row(
        f"total ({len(result.files)} files)",
        "",
        f"{result.rows_read:,}",
        f"{result.rows_stored:,}",
        f"{result.rows_quarantined:,}",
        f"{result.rows_duplicate:,}",
        style="bold",
    )
    out_console().print(table)
    _notes(result)


def _notes(result: IngestResult) -> None:
    for f in result.files:
        if f.reason:
            message(f"{f.status}: {f.source_file}: {f.reason}")
        if f.source_counts:  # a database audit log: rows are statements; lines reconcile too
            c = f.source_counts
            message(
                f"{f.source_file}: {c['lines_read']:,} log lines = {c['lines_in_events']:,} in "
                f"{c['events']:,} statements + {c['non_data_lines']:,} not data access + "
                f"{c['lines_quarantined']:,} quarantined; {c['resolved_from_tables_only']:,} "
                f"resolved from tables only, {c['unbounded_reads']:,} unbounded reads, "
                f"{c['truncated_statements']:,} cut short"
            )
    if result.rows_quarantined:
        message(
            f"{result.rows_quarantined:,} rows quarantined; see them with: auditpipe sql "
            '"SELECT source_file, line_number, reason FROM quarantine ORDER BY 1, 2"'
        )
