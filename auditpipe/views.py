"""DuckDB views over a lake: ``events``, ``quarantine``, ``findings``, ``finding_evidence``,
``ingest_log``. The same ``CREATE VIEW`` text is printed by ``auditpipe sql --print-views`` so
the DuckDB CLI, DBeaver or a notebook see exactly what auditpipe sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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


def sql_string(value: str) -> str:
    """A SQL string literal (for paths in view text, where parameters cannot be bound)."""
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def view_statements(lake_root: str | Path) -> dict[str, str]:
    """``CREATE OR REPLACE VIEW`` text for each view; views over absent data are empty."""
    root = Path(lake_root).resolve()
    events_glob = root / "events" / "*" / "*" / "*.parquet"
    findings_glob = root / "findings" / "*" / "*" / "*.parquet"
    quarantine_glob = root / "quarantine" / "*.parquet"
    manifest_glob = root / "_auditpipe" / "manifest" / "*.json"

    def parquet_or_empty(glob: Path, columns: list[tuple[str, str]], hive: bool) -> str:
        if not _glob(glob):
            return empty_select(columns)
        opts = f", {_HIVE}" if hive else ""
        names = ", ".join(quote_identifier(n) for n, _ in columns)
        return f"SELECT {names} FROM read_parquet({sql_string(str(glob))}, union_by_name = true{opts})"

    stmts = {
        "events": parquet_or_empty(events_glob, EVENT_COLUMNS, hive=True),
        "quarantine": parquet_or_empty(quarantine_glob, QUARANTINE_COLUMNS, hive=False),
        "findings": parquet_or_empty(findings_glob, FINDING_COLUMNS, hive=True),
        "finding_evidence": (
            "SELECT f.finding_id, f.rule_id, f.category, f.severity, e.*\n"
            "FROM (SELECT finding_id, rule_id, category, severity, provider_id,\n"
            "             unnest(evidence_event_ids) AS evidence_event_id FROM findings) f\n"
            "JOIN events e ON e.provider_id = f.provider_id AND e.event_id = f.evidence_event_id"
        ),
    }
    if _glob(manifest_glob):
        stmts["ingest_log"] = (
            f"SELECT * FROM read_json({sql_string(str(manifest_glob))}, "
            "format = 'auto', union_by_name = true)"
        )
    else:
        stmts["ingest_log"] = (
            "SELECT CAST(NULL AS VARCHAR) AS sha256, CAST(NULL AS VARCHAR) AS source_file, "
            "CAST(NULL AS VARCHAR) AS status WHERE false"
        )
    return {
        name: f"CREATE OR REPLACE VIEW {name} AS\n{body};" for name, body in stmts.items()
    }


def _glob(pattern: Path) -> list[Path]:
    parts = pattern.parts
    # find the first part with a wildcard and glob from its parent
    for i, part in enumerate(parts):
        if any(c in part for c in "*?["):
            base = Path(*parts[:i])
            return list(base.glob(str(Path(*parts[i:])))) if base.is_dir() else []
    return [pattern] if pattern.exists() else []


def create_views(con: duckdb.DuckDBPyConnection, lake_root: str | Path) -> None:
    for stmt in view_statements(lake_root).values():
        con.execute(stmt)
