"""One call for the command line: run a query over a lake and write its result."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..lake import Lake
from ..outputs import check_output_path
from ..report.masking import masking_sql_text
from ..views import view_statements
from .connection import connect, open_lake
from .output import DEFAULT_MAX_ROWS, WriteSummary, write_result
from .query import run_sql

if TYPE_CHECKING:
    from rich.console import Console


def query_lake(
    lake: Lake | str | os.PathLike[str] | None,
    sql: str,
    *,
    fmt: str = "table",
    output: Path | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    console: Console | None = None,
) -> WriteSummary | None:
    """Run ``sql`` (one or more statements) read-only over ``lake``; write the last result.

    Returns None when the last statement returns no rows to show (e.g. CREATE TEMP VIEW).
    """
    lake_obj = open_lake(lake)
    if output is not None:
        check_output_path(output, lake_obj.root)
    con = connect(lake_obj)
    try:
        result = run_sql(con, sql)
        if result.relation is None:
            return None
        return write_result(result.relation, fmt, output=output, console=console, max_rows=max_rows)
    finally:
        con.close()


def printable_views(lake: Lake | str | os.PathLike[str] | None) -> str:
    """The CREATE VIEW statements (and masking macros) to paste into another DuckDB client."""
    lake_obj = open_lake(lake)
    header = (
        f"-- auditpipe views over the lake {lake_obj.root.resolve()}\n"
        "-- A view over a table with no files yet is empty: print these again after ingest/detect.\n"
        f"SET TimeZone = '{lake_obj.timezone}';\n\n"
    )
    views = "\n\n".join(view_statements(lake_obj.root).values())
    return (
        header
        + views
        + "\n\n-- masking macros (mask_id, mask_text, mask_actor)\n"
        + masking_sql_text()
    )
