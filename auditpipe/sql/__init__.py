"""Ad-hoc SQL over the lake: a read-only DuckDB connection, Polars scans, running queries.

    import auditpipe
    con = auditpipe.connect("lake")          # read-only DuckDB connection with the views
    lf = auditpipe.scan("lake", "events")    # Polars LazyFrame

``auditpipe sql`` (auditpipe/cli/sql_cmd.py) is the command line over the same functions.
"""

from __future__ import annotations

from .connection import USER_SETTINGS, connect, open_lake, refresh_views
from .scan import SCAN_TABLES, scan

__all__ = ["SCAN_TABLES", "USER_SETTINGS", "connect", "open_lake", "refresh_views", "scan"]
