"""A DuckDB connection over a lake for the nightly job, status and compaction.

Not ``auditpipe.connect``: that one is read-only for users' ad-hoc SQL, while compaction
must COPY into the lake's staging folder. Views are the same (``views.create_views``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lake import Lake
from ..views import create_views

if TYPE_CHECKING:
    import duckdb


def lake_connection(
    lake: Lake, *, memory_limit: str | None = None, spill_to_staging: bool = False
) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with the lake's views. ``spill_to_staging`` (only under the lock, as
    ``recover()`` clears staging) puts DuckDB's spill files on the lake's own disk."""
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory_limit} if memory_limit else {}
    )
    con = duckdb.connect(config=config)
    if spill_to_staging:
        con.execute(f"SET temp_directory = '{_sql_path(lake.staging_dir / 'duckdb-tmp')}'")
    con.execute("SET TimeZone = 'UTC'")
    create_views(con, lake.root)
    return con


def _sql_path(path: object) -> str:
    return str(path).replace("'", "''")
