"""Reading the lake's Parquet files with DuckDB's ``read_parquet``: the options, once.

Every path goes in as an explicit, literal file (``literal_path``): never a pattern built from
a path a user chose. Partitioned tables (events, findings) keep ``provider_id`` and ``event_date`` in their folder
names; the hive options below make DuckDB turn them back into typed columns. Written once here
so every reader (views, detect, compact, the nightly baseline) types them the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .quoting import quote_literal

HIVE_OPTIONS = (
    "hive_partitioning = true, hive_types = {'provider_id': 'VARCHAR', 'event_date': 'DATE'}"
)
NO_HIVE_OPTIONS = "hive_partitioning = false"


# DuckDB's file readers expand ``*``, ``?`` and ``[...]`` in every path they are given, even in
# a list of files; a lake at ``lake[1]`` would read ``lake1``. Each such character is written
# as a one-character class (``[[]``, ``[*]``, ``[?]``), which matches only itself. ``]`` alone,
# ``{`` and ``}`` are not special to DuckDB.
_GLOB_CHARACTERS = {"[": "[[]", "*": "[*]", "?": "[?]"}


def literal_path(path: str | os.PathLike[str]) -> str:
    """``path`` written so that DuckDB's readers open exactly that file, never a pattern."""
    return "".join(_GLOB_CHARACTERS.get(c, c) for c in os.fspath(path))


def file_list(files: Sequence[str | os.PathLike[str]]) -> str:
    """A SQL list literal of exactly these files: ``['/lake/a.parquet', ...]``."""
    return "[" + ", ".join(quote_literal(literal_path(f)) for f in files) + "]"


def read_parquet_sql(
    files: Sequence[str | os.PathLike[str]],
    *,
    hive: bool,
    union_by_name: bool = True,
    filename: bool = False,
) -> str:
    """``read_parquet([...])`` over exactly ``files``; ``hive`` adds the partition columns.

    ``union_by_name`` lets files written before a column existed read it as NULL.
    """
    return parquet_scan(file_list(files), hive=hive, union_by_name=union_by_name, filename=filename)


def parquet_scan(
    source: str,
    *,
    hive: bool,
    union_by_name: bool = True,
    filename: bool = False,
    date_key: str = "event_date",
) -> str:
    """``read_parquet(<source>, <options>)`` for a source already written as SQL.
    ``date_key``: the second partition folder's key (``snapshot_date`` for accounts)."""
    options = ["union_by_name = true"] if union_by_name else []
    if filename:
        options.append("filename = true")
    if hive and date_key != "event_date":
        options.append(HIVE_OPTIONS.replace("'event_date'", quote_literal(date_key)))
    else:
        options.append(HIVE_OPTIONS if hive else NO_HIVE_OPTIONS)
    return f"read_parquet({source}, {', '.join(options)})"
