"""The one owner of DuckDB: connecting, quoting, running and logging SQL, reading Parquet.

- ``connect`` / ``Database``: every connection auditpipe makes, its settings set one way, and
  the one ``execute`` method every statement passes through (``--debug`` logs SQL and time);
- ``quote_identifier`` / ``quote_literal``: the only way text becomes SQL where a value cannot
  be a bound parameter;
- ``read_parquet_sql``: the lake's Parquet files as a relation, hive options written once;
- ``arrow_table``: one query's rows as Arrow, planned once (the hot per-batch path);
- ``check_timezone``: the timezone names both Python and DuckDB know;
- ``usable_cpus``: the cores this process may use (its affinity, within a cgroup CPU quota),
  for sizing threads.

Nothing here knows the lake's folders; ``auditpipe.lake`` does, and hands this module file lists.
"""

from .arrow import arrow_table
from .database import Database, connect, log_statements, usable_cpus
from .parquet import HIVE_OPTIONS, file_list, literal_path, parquet_scan, read_parquet_sql
from .quoting import quote_identifier, quote_literal
from .timezones import check_timezone

__all__ = [
    "arrow_table",
    "HIVE_OPTIONS",
    "Database",
    "check_timezone",
    "connect",
    "file_list",
    "literal_path",
    "log_statements",
    "parquet_scan",
    "quote_identifier",
    "quote_literal",
    "read_parquet_sql",
    "usable_cpus",
]
