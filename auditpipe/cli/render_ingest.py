"""Rendering ingest results and progress for people (tables on stdout, progress on stderr)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..console import get_console, printable
from ..i18n import N_, _, ngettext
from ..ingest.columns import PANDAS_INDEX
from ..ingest.messages import DUPLICATES_OF_ANOTHER_DAY, event_ids_reused
from ..ingest.text import GB18030_ROWS
from ..lake.layout import lake_arg

if TYPE_CHECKING:
    from ..ingest import IngestResult

# Column names: English in the tab-separated lines scripts read, translated on a terminal.
_COLUMNS = [
    (N_("file"), "left"),
    (N_("status"), "left"),
    (N_("read"), "right"),
    (N_("stored"), "right"),
    (N_("quarantined"), "right"),
    (N_("duplicate"), "right"),
]
# A file's status as messages say it (the status column itself keeps the lake's words).
_STATUS_WORDS = (N_("ingested"), N_("skipped"), N_("rejected"))
# Tab-separated lines put the file last: whole names in logs, columns that scripts can cut.
_PLAIN_ORDER = [1, 2, 3, 4, 5, 0]


@contextlib.contextmanager
def progress_reporter(enabled: bool = True) -> Iterator[Any]:
    """Ingest's progress callback ``(source, share done)`` on the console's progress."""
    with get_console().progress(_("ingesting"), enabled) as tick:
        if tick is None:
            yield None
            return

        def per_file(source: Any, done: float) -> None:
            tick(printable(source.name), done, 1.0)

        yield per_file


def render_ingest_result(result: IngestResult, lake: Path) -> None:
    """The reconciliation per file and in total, then notes on rejected files and
    quarantined rows (the command that lists them names ``lake``)."""
    console = get_console()
    rows: list[list[object]] = [
        [printable(f.source_file), f.status, f.rows_read, f.rows_stored]
        + [f.rows_quarantined, f.rows_duplicate]
        for f in result.files
    ]
    total: list[object] = ["total", "", result.rows_read, result.rows_stored]
    total += [result.rows_quarantined, result.rows_duplicate]
    columns = _COLUMNS
    if console.stdout_is_terminal:
        total[0] = _("total ({n} files)").format(n=len(result.files))
        columns = [(_(name), justify) for name, justify in _COLUMNS]
    else:
        total[1], total[0] = "total", f"{len(result.files)} files"  # "total <counts> <n> files"
    console.records(
        columns,
        [*rows, total],
        title=_("Ingest {run_id}").format(run_id=result.run_id),
        plain_order=_PLAIN_ORDER,
        bold_last=True,
    )
    for f in result.files:
        if f.reason:
            console.message(
                _("{status}: {file}: {reason}").format(
                    status=_(f.status), file=printable(f.source_file), reason=f.reason
                )
            )
        if f.counters.get(DUPLICATES_OF_ANOTHER_DAY):
            n = f.counters[DUPLICATES_OF_ANOTHER_DAY]
            console.message(f"{printable(f.source_file)}: {event_ids_reused(n)}")
        others = {
            k: n
            for k, n in f.counters.items()
            if k not in (GB18030_ROWS, DUPLICATES_OF_ANOTHER_DAY, PANDAS_INDEX)
        }
        if f.counters.get(PANDAS_INDEX):
            console.message(
                ngettext(
                    "{file}: left out {n} column pandas wrote for its DataFrame's index (an "
                    "unnamed first CSV column, Unnamed: 0, or __index_level_0__): row labels, "
                    "not an event field; write the file with index=False to leave it out",
                    "{file}: left out {n} columns pandas wrote for its DataFrame's index (an "
                    "unnamed first CSV column, Unnamed: 0, or __index_level_0__): row labels, "
                    "not event fields; write the file with index=False to leave them out",
                    f.counters[PANDAS_INDEX],
                ).format(file=printable(f.source_file), n=f.counters[PANDAS_INDEX])
            )
        if others:
            counts = ", ".join(f"{name} {n:,}" for name, n in sorted(others.items()))
            console.message(f"{f.source_file}: {counts}")
        if f.counters.get(GB18030_ROWS):
            console.message(
                _(
                    "{file}: {n:,} rows are not UTF-8 and read as GB18030 (GBK), so they were "
                    "quarantined; convert the file and ingest the converted one: {command}"
                ).format(
                    file=f.source_file, n=f.counters[GB18030_ROWS], command=_iconv(f.source_file)
                )
            )
        if f.source_counts:  # a database audit log: rows are statements; lines reconcile too
            c = f.source_counts
            console.message(
                _(
                    "{source_file}: {c:,} log lines = {c2:,} in {c3:,} statements + {c4:,} not data access + {c5:,} quarantined; {c6:,} resolved from tables only, {c7:,} unbounded reads, {c8:,} cut short"
                ).format(
                    source_file=f.source_file,
                    c=c["lines_read"],
                    c2=c["lines_in_events"],
                    c3=c["events"],
                    c4=c["non_data_lines"],
                    c5=c["lines_quarantined"],
                    c6=c["resolved_from_tables_only"],
                    c7=c["unbounded_reads"],
                    c8=c["truncated_statements"],
                )
            )
            if c.get("lines_quarantined_before"):  # a grown log read again: the rest of its lines
                console.message(
                    _(
                        "{source_file}: + {n:,} log lines quarantined by an earlier ingest of this file, duplicates now"
                    ).format(source_file=f.source_file, n=c["lines_quarantined_before"])
                )
        if f.unmatched_actors:
            listed = ", ".join(f"{user} ({n:,})" for user, n in f.unmatched_actors[:10])
            if len(f.unmatched_actors) > 10:
                listed += _(", and {n} more").format(n=f"{len(f.unmatched_actors) - 10:,}")
            unmatched = sum(n for _u, n in f.unmatched_actors)
            console.message(
                ngettext(
                    "{file}: {n} statement by database users no [actors] pattern of {settings} "
                    "matches (actor_type unknown): {listed}",
                    "{file}: {n} statements by database users no [actors] pattern of {settings} "
                    "matches (actor_type unknown): {listed}",
                    unmatched,
                ).format(
                    file=f.source_file,
                    n=f"{unmatched:,}",
                    settings=f.source_settings,
                    listed=listed,
                )
            )
        if f.unmatched_actors and f.unused_actor_patterns:
            console.message(
                _(
                    "{file}: [actors] patterns that matched no user: {patterns} (a pattern is a "
                    "glob of the whole user name: * any text, ? one character)"
                ).format(file=f.source_file, patterns=", ".join(f.unused_actor_patterns))
            )
        if f.unclassified_field_names:
            console.message(
                _unclassified_line(f.source_file, f.unclassified_fields, f.unclassified_field_names)
            )
            if f.source_settings and any("." in name for name, _n in f.unclassified_fields):
                # a database log's unknown "table.column" is a column its [columns] leaves out
                console.message(
                    _(
                        "{file}: a table.column above is a column the log touched that [columns] "
                        "of {settings} does not map: map each holding personal data to its "
                        'catalog field there (e.g. "accounts.mobile" = "mobile"), then run '
                        "auditpipe sources check {settings}"
                    ).format(file=f.source_file, settings=f.source_settings)
                )
    if any(f.unclassified_field_names for f in result.files):
        console.message(
            _(
                "Unknown data field names are stored as class 'other' and never count as login "
                "or identity data: add those that are to a catalog file (--catalog, or catalog "
                "under [ingest] in auditpipe.toml); it applies to files ingested after it."
            )
        )
    if result.rows_quarantined:
        console.message(
            _("{n} rows quarantined; see them with: {command}").format(
                n=f"{result.rows_quarantined:,}",
                command=f"auditpipe sql {lake_arg(lake)} "
                '"SELECT source_file, line_number, reason FROM quarantine ORDER BY 1, 2"',
            )
        )


def _unclassified_line(source_file: str, top: list[tuple[str, int]], names: int) -> str:
    """``FILE: N unknown data field names (events): a (12), b (3), and 4 more``"""
    listed = ", ".join(f"{name} ({events:,})" for name, events in top)
    if names > len(top):
        listed += _(", and {n} more").format(n=f"{names - len(top):,}")
    return ngettext(
        "{file}: {n} unknown data field name (events): {listed}",
        "{file}: {n} unknown data field names (events): {listed}",
        names,
    ).format(file=source_file, n=f"{names:,}", listed=listed)


def _iconv(source_file: str) -> str:
    """The command that converts a GB18030 file to UTF-8 beside it, keeping its kind's suffix
    (a compressed file is decompressed on the way)."""
    import shlex

    path = Path(source_file)
    stem, _dot, suffixes = path.name.partition(".")
    readers = {"gz": "zcat", "zst": "zstdcat", "zstd": "zstdcat", "bz2": "bzcat", "xz": "xzcat"}
    read = readers.get(suffixes.rsplit(".", 1)[-1].lower())
    kind = suffixes.rsplit(".", 1)[0] if read else suffixes
    out = shlex.quote(str(path.with_name(f"{stem}.utf8.{kind}")))
    if read:
        return f"{read} {shlex.quote(source_file)} | iconv -f GB18030 -t UTF-8 > {out}"
    return f"iconv -f GB18030 -t UTF-8 {shlex.quote(source_file)} > {out}"
