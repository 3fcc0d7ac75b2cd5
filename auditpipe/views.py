"""DuckDB views over a lake: ``events``, ``quarantine``, ``findings``, ``finding_evidence``,
``ingest_log``. The same ``CREATE VIEW`` text is printed by ``auditpipe sql --print-views`` so
the DuckDB CLI, DBeaver or a notebook see exactly what auditpipe sees.

The Parquet tables are described once in ``PARQUET_TABLES`` so that the read-only connection of
``auditpipe.sql`` (which scans the same files through Arrow datasets) and these ``read_parquet``
views agree on files, columns and types.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .lake import pending_commit
from .lake_schema import (
    EVENT_COLUMNS,
    FINDING_COLUMNS,
    QUARANTINE_COLUMNS,
    empty_select,
)

if TYPE_CHECKING:
    import duckdb

VIEW_NAMES = ("events", "quarantine", "findings", "finding_evidence", "ingest_log")

_HIVE = "hive_partitioning = true, hive_types = {'provider_id': 'VARCHAR', 'event_date': 'DATE'}"


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

    def glob(self, root: Path) -> Path:
        return root.joinpath(self.folder, *(["*"] * self.depth), "*.parquet")


PARQUET_TABLES: dict[str, ParquetTable] = {
    "events": ParquetTable("events", "events", 2, EVENT_COLUMNS),
    "quarantine": ParquetTable("quarantine", "quarantine", 0, QUARANTINE_COLUMNS),
    "findings": ParquetTable("findings", "findings", 2, FINDING_COLUMNS),
}

# The manifest (one JSON document per input file, written by ingest). The view over a lake
# without a manifest has these columns, so queries written against ingest_log bind either way.
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
]

# One row per finding and evidence event, joined back to the event (references the views
# findings and events by name, so it works over any source of those two).
FINDING_EVIDENCE_BODY = (
    "SELECT f.finding_id, f.rule_id, f.category, f.severity, e.*\n"
    "FROM (SELECT finding_id, rule_id, category, severity, provider_id,\n"
    "             unnest(evidence_event_ids) AS evidence_event_id FROM findings) f\n"
    "JOIN events e ON e.provider_id = f.provider_id AND e.event_id = f.evidence_event_id"
)


def sql_string(value: str) -> str:
    """A SQL string literal (for paths in view text, where parameters cannot be bound)."""
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def manifest_glob(lake_root: str | Path) -> Path:
    return Path(lake_root).resolve() / "_auditpipe" / "manifest" / "*.json"


def ingest_log_body(lake_root: str | Path) -> str:
    glob = manifest_glob(lake_root)
    if not _glob(glob):
        return empty_select(INGEST_LOG_COLUMNS)
    return (
        f"SELECT * FROM read_json({sql_string(str(glob))}, format = 'auto', union_by_name = true)"
    )


def view_statements(lake_root: str | Path, *, snapshot: bool = False) -> dict[str, str]:
    """``CREATE OR REPLACE VIEW`` text for each view; views over absent data are empty.

    By default the Parquet views read a glob, so they see files committed later. With
    ``snapshot`` they read the files that exist now, listed one by one: every query through
    them sees the same lake (a report's sections then always add up), and a file a writer
    removed meanwhile is an error rather than a silently different answer.
    """
    root = Path(lake_root).resolve()

    def parquet_or_empty(table: ParquetTable) -> str:
        glob = table.glob(root)
        files = table_files(root, table.name) if snapshot else sorted(_glob(glob))
        if not files:
            return empty_select(table.columns)
        opts = f", {_HIVE}" if table.hive else ""
        names = ", ".join(quote_identifier(n) for n, _ in table.columns)
        if snapshot:
            source = "[" + ", ".join(sql_string(str(f)) for f in files) + "]"
        else:
            source = sql_string(str(glob))
        return f"SELECT {names} FROM read_parquet({source}, union_by_name = true{opts})"

    stmts = {name: parquet_or_empty(table) for name, table in PARQUET_TABLES.items()}
    stmts["finding_evidence"] = FINDING_EVIDENCE_BODY
    stmts["ingest_log"] = ingest_log_body(root)
    return {name: f"CREATE OR REPLACE VIEW {name} AS\n{body};" for name, body in stmts.items()}


def _glob(pattern: Path) -> list[Path]:
    parts = pattern.parts
    # find the first part with a wildcard and glob from its parent
    for i, part in enumerate(parts):
        if any(c in part for c in "*?["):
            base = Path(*parts[:i])
            return list(base.glob(str(Path(*parts[i:])))) if base.is_dir() else []
    return [pattern] if pattern.exists() else []


def table_files(lake_root: str | Path, table: str) -> list[Path]:
    """The Parquet files of one lake table, sorted (empty when none are written yet).

    If a writer died in the middle of a commit (journal written, renames not all done), the
    list is the lake as that commit leaves it: staged files not yet moved are listed in their
    place and files it deletes are left out, so a reader never sees half a commit.
    """
    root = Path(lake_root).resolve()
    found = {p.resolve() for p in _glob(PARQUET_TABLES[table].glob(root))}
    to_move, to_delete = pending_commit(root)
    if to_move or to_delete:
        folder = (root / PARQUET_TABLES[table].folder).resolve()
        found -= to_delete
        found |= {dst for dst in to_move if folder in dst.parents}
    return sorted(to_move.get(p, p) for p in found)


def create_views(
    con: duckdb.DuckDBPyConnection, lake_root: str | Path, *, snapshot: bool = False
) -> None:
    for stmt in view_statements(lake_root, snapshot=snapshot).values():
        con.execute(stmt)
