"""DuckDB views over a lake: ``events``, ``quarantine``, ``findings``, ``finding_evidence``,
``ingest_log``, ``accounts`` (every account snapshot) and ``accounts_current`` (each
provider's latest snapshot). The same ``CREATE VIEW`` text is printed by ``auditpipe sql --print-views`` so
the DuckDB CLI, DBeaver or a notebook see exactly what auditpipe sees.

The Parquet tables are described once in ``PARQUET_TABLES`` so that the read-only connection of
``auditpipe.sql`` (which scans the same files through Arrow datasets) and these ``read_parquet``
views agree on files, columns and types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..db import Database, connect, file_list, parquet_scan, quote_identifier, quote_literal
from . import layout
from .commit import MANIFEST, lake_files
from .schema import (
    ACCOUNT_COLUMNS,
    EVENT_COLUMNS,
    FINDING_COLUMNS,
    QUARANTINE_COLUMNS,
    empty_select,
)

if TYPE_CHECKING:
    from ..db.database import SqlConnection
    from .folder import Lake

VIEW_NAMES = (
    "events",
    "quarantine",
    "findings",
    "finding_evidence",
    "ingest_log",
    "accounts",
    "accounts_current",
)

# Former names, still imported by code that predates ``auditpipe.db``.


@dataclass(frozen=True)
class ParquetTable:
    """A lake table stored as Parquet files: where its files are and what columns it has."""

    name: str
    folder: str  # relative to the lake root
    depth: int  # folder levels between ``folder`` and the files (hive partitions)
    columns: list[tuple[str, str]]  # file columns, then partition columns, as the view shows

    @property
    def hive(self) -> bool:
        return self.depth > 0

    @property
    def partition_names(self) -> tuple[str, ...]:
        """The hive partition columns (the last ``depth`` columns), outermost first."""
        return tuple(n for n, _ in self.columns[len(self.columns) - self.depth :])


PARQUET_TABLES: dict[str, ParquetTable] = {
    layout.EVENTS: ParquetTable(layout.EVENTS, layout.EVENTS, 2, EVENT_COLUMNS),
    layout.QUARANTINE: ParquetTable(layout.QUARANTINE, layout.QUARANTINE, 0, QUARANTINE_COLUMNS),
    layout.FINDINGS: ParquetTable(layout.FINDINGS, layout.FINDINGS, 2, FINDING_COLUMNS),
    layout.ACCOUNTS: ParquetTable(layout.ACCOUNTS, layout.ACCOUNTS, 2, ACCOUNT_COLUMNS),
}

# The manifest (one JSON document per input file, written by ingest), as the ingest_log view
# shows it in every lake: these columns, in this order, with these types, whatever the entries
# hold (read_json would otherwise infer them from the entries: columns in alphabetical order,
# ``reason`` typed NULL while no file was rejected, ``partitions`` JSON[] while every list is
# empty, ``lake_table`` only once an account snapshot was ingested, ``counters`` a STRUCT of
# whichever counters occurred). Entries written before a field existed read it as NULL.
INGEST_LOG_COLUMNS: list[tuple[str, str]] = [
    ("sha256", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("format", "VARCHAR"),
    ("compression", "VARCHAR"),
    ("bytes", "BIGINT"),
    ("status", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_stored", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("rows_duplicate", "BIGINT"),
    ("partitions", "VARCHAR[]"),
    ("run_id", "VARCHAR"),
    ("started_at", "TIMESTAMP WITH TIME ZONE"),
    ("finished_at", "TIMESTAMP WITH TIME ZONE"),
    ("files", "VARCHAR[]"),
    ("unclassified_field_names", "BIGINT"),
    ("unclassified_fields", "STRUCT(name VARCHAR, events BIGINT)[]"),
    ("lake_table", "VARCHAR"),  # NULL for events; "accounts" for an account snapshot
    ("counters", "JSON"),  # the file's counters ({"blank_lines": 2, ...}), NULL when none
    ("source", "JSON"),  # a database audit log's line counts, NULL for other inputs
]


# The evidence id of an account snapshot row (real-name findings, auditpipe.detect.real_name):
# "s-" + 16 hex digits of its snapshot_id + "-" + its source_line; plain SQL DuckDB and Spark run.
def snapshot_evidence_id_sql(alias: str) -> str:
    return f"concat('s-', left({alias}.snapshot_id, 16), '-', CAST({alias}.source_line AS STRING))"


def finding_evidence_body(null: Callable[[str], str], unnest: str = "unnest") -> str:
    """One row per finding and evidence item, joined back to what it names (references the
    views findings, events and accounts by name, so it works over any source of them).

    ``evidence_kind`` says which: ``event`` rows are the event's columns; ``account`` rows (the
    snapshot rows behind real-name findings) carry the snapshot's columns, their evidence id in
    ``event_id``, and NULL in the event-only columns. ``null(type)`` writes a typed NULL in the
    dialect (DuckDB or Spark), ``unnest`` its list-explode function.
    """
    event_names = [n for n, _ in EVENT_COLUMNS]
    account_names = {n for n, _ in ACCOUNT_COLUMNS}
    account_only = [(n, t) for n, t in ACCOUNT_COLUMNS if n not in event_names]
    head = "f.finding_id, f.rule_id, f.category, f.severity"
    from_events = ", ".join(
        [f"e.{n}" for n in event_names] + [f"{null(t)} AS {n}" for n, t in account_only]
    )
    from_accounts = ", ".join(
        [
            "f.evidence_event_id AS event_id"
            if n == "event_id"
            else (f"a.{n}" if n in account_names else f"{null(t)} AS {n}")
            for n, t in EVENT_COLUMNS
        ]
        + [f"a.{n}" for n, _ in account_only]
    )
    findings = (
        "(SELECT finding_id, rule_id, category, severity, provider_id, event_date,\n"
        f"             {unnest}(evidence_event_ids) AS evidence_event_id FROM findings) f"
    )
    return (
        f"SELECT {head}, {from_events}, 'event' AS evidence_kind\n"
        f"FROM {findings}\n"
        "JOIN events e ON e.provider_id = f.provider_id AND e.event_id = f.evidence_event_id\n"
        "UNION ALL\n"
        f"SELECT {head}, {from_accounts}, 'account' AS evidence_kind\n"
        f"FROM {findings}\n"
        "JOIN accounts a ON a.provider_id = f.provider_id AND a.snapshot_date = f.event_date\n"
        f"  AND {snapshot_evidence_id_sql('a')} = f.evidence_event_id"
    )


FINDING_EVIDENCE_BODY = finding_evidence_body(lambda t: f"CAST(NULL AS {t})")


# Each provider's latest snapshot: a later snapshot supersedes earlier ones for the state "as
# of" its date (references the view accounts by name; plain SQL that Spark runs as well).
ACCOUNTS_CURRENT_BODY = (
    "SELECT a.* FROM accounts a\n"
    "JOIN (SELECT provider_id AS latest_provider, max(snapshot_date) AS latest_date\n"
    "      FROM accounts GROUP BY provider_id) l\n"
    "  ON a.provider_id = l.latest_provider AND a.snapshot_date = l.latest_date"
)


def ingest_log_body(lake_root: str | Path, files: list[Path] | None = None) -> str:
    """The manifest entries (``files``, by default those that exist now), read with DuckDB's
    JSON reader as ``INGEST_LOG_COLUMNS`` declares them.

    A damaged entry fails the read instead of vanishing or reading as a row of NULLs: each
    file must hold exactly one JSON object (not an array of them: format 'unstructured'),
    whose sha256 is the file's name and which has a source_file and a status; the reader
    itself refuses malformed JSON and fields that do not cast. Every column is read, whichever
    a query asks for (``_read`` partitions by all of them), so a field that does not cast
    fails ``SELECT count(*) FROM ingest_log`` too. The error names the entry (or, for one
    that holds nothing, the folder) after ``lake.manifest.DAMAGED_MARK``, and ``lake.damage``
    says which and what to do."""
    root = Path(lake_root).resolve()
    if files is None:
        files = layout.manifest_files(root)
    if not files:
        return empty_select(INGEST_LOG_COLUMNS)
    from .manifest import DAMAGED_MARK, REQUIRED_FIELDS

    columns = ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in INGEST_LOG_COLUMNS)
    every = ", ".join(quote_identifier(n) for n, _ in INGEST_LOG_COLUMNS)
    required = " OR ".join(f"{quote_identifier(n)} IS NULL" for n in REQUIRED_FIELDS)
    folder = quote_literal(f'{DAMAGED_MARK} in "{layout.manifest_dir(root)}"')
    named = quote_literal(f'{DAMAGED_MARK} "')
    return (
        "WITH entry AS (\n"
        "    SELECT *, count(*) OVER (PARTITION BY _entry) AS _values,\n"
        f"        count(*) OVER (PARTITION BY _entry, {every}) AS _read\n"
        f"    FROM read_json({file_list(files)}, format = 'unstructured',\n"
        f"        columns = {{{columns}}}, filename = '_entry')\n"
        "), entries AS (SELECT count(DISTINCT _entry) AS _entries FROM entry)\n"
        "SELECT entry.* EXCLUDE (_entry, _values, _read) FROM entries LEFT JOIN entry ON true\n"
        "WHERE CASE\n"
        f"    WHEN _entries <> {len(files)} THEN error({folder})\n"
        "    WHEN _values <> 1 OR _read <> 1\n"
        "        OR sha256 IS DISTINCT FROM parse_filename(_entry, true)\n"
        f"        OR {required}\n"
        f"        THEN error({named} || _entry || '\"')\n"
        "    ELSE true END"
    )


def view_statements(
    lake_root: str | Path, listed: dict[str, list[Path]] | None = None
) -> dict[str, str]:
    """``CREATE OR REPLACE VIEW`` text for each view; views over absent data are empty.

    The views read the files that make up the lake now, listed one by one (``lake_files``:
    a commit a writer is applying counts as done): every query through them sees the same
    lake, so a report's sections always add up, and a file a writer removed meanwhile is an
    error rather than a silently different answer. Files committed later are not in them until
    they are made again. Paths are literal, whatever characters the lake's folder name holds.
    ``listed``: that listing when the caller made it already.
    """
    root = Path(lake_root).resolve()
    if listed is None:
        listed = lake_files(root)

    def parquet_or_empty(table: ParquetTable) -> str:
        files = listed[table.name]
        if not files:
            return empty_select(table.columns)
        names = ", ".join(quote_identifier(n) for n, _ in table.columns)
        scan = parquet_scan(
            file_list(files),
            hive=table.hive,
            date_key=table.partition_names[-1] if table.hive else "event_date",
        )
        return f"SELECT {names} FROM {scan}"

    stmts = {name: parquet_or_empty(table) for name, table in PARQUET_TABLES.items()}
    stmts["finding_evidence"] = FINDING_EVIDENCE_BODY
    stmts["ingest_log"] = ingest_log_body(root, listed[MANIFEST])
    stmts["accounts_current"] = ACCOUNTS_CURRENT_BODY
    return {name: f"CREATE OR REPLACE VIEW {name} AS\n{body};" for name, body in stmts.items()}


def create_views(con: SqlConnection, lake_root: str | Path) -> dict[str, list[Path]]:
    """(Re)make the views over the lake's files as they are now; returns the files they read
    (``lake_files``: absolute paths per table, and the manifest entries)."""
    listed = lake_files(Path(lake_root).resolve())
    for stmt in view_statements(lake_root, listed).values():
        con.execute(stmt)
    return listed


def connect_views(
    lake: Lake,
    *,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
    keep_insertion_order: bool = True,
) -> Database:
    """A connection with the lake's views, timestamps in the lake's timezone.

    ``temp_directory`` inside the lake's staging is for writers only (under the lock, since
    ``recover()`` clears staging); without it DuckDB spills to a private folder outside the lake.
    ``keep_insertion_order``: see ``db.connect``.
    """
    db = connect(
        timezone=lake.timezone,
        memory_limit=memory_limit,
        temp_directory=temp_directory,
        keep_insertion_order=keep_insertion_order,
    )
    create_views(db, lake.root)
    return db
