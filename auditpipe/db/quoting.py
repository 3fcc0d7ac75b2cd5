"""Quoting for the few places where DuckDB cannot take a bound parameter.

Values go in as bound parameters wherever DuckDB allows one (``con.execute(sql, params)``).
It does not allow them in DDL (``CREATE VIEW``), in ``COPY ... TO``, or in a table function's
file list inside a view's text; there, and for every identifier, these two helpers are the only
way text becomes SQL.
"""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a single-quoted SQL string literal (embedded quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"
