"""auditpipe: audit how internet service providers treat users' personal information.

Python API (documented in docs/sql.md):

    import auditpipe
    con = auditpipe.connect("lake")          # DuckDB connection with the lake's views
    lf = auditpipe.scan("lake", "events")    # Polars LazyFrame over one table
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

# typing.TYPE_CHECKING without importing typing (about 10 ms): every command imports this
# package before it can answer a Ctrl-C (launch.py), so it imports as little as it can.
# Type checkers take any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from .lake import Lake


def connect(
    lake: Lake | str | os.PathLike[str] | None = None, *, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the views events, quarantine, findings, finding_evidence,
    ingest_log, accounts, accounts_current over ``lake`` (default ``$AUDITPIPE_LAKE`` or ``./lake``); ``memory_limit``
    defaults to 2 GiB (or half of the machine's memory if less)."""
    from .sql import connect as _connect

    return _connect(lake, memory_limit=memory_limit)


def scan(lake: Lake | str | os.PathLike[str] | None, table: str = "events") -> pl.LazyFrame:
    """A Polars LazyFrame over one lake table (events, quarantine, findings, accounts ...)."""
    from .sql import scan as _scan

    return _scan(lake, table)


__all__ = ["__version__", "connect", "scan"]
