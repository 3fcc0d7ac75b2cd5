"""The lake: a folder of Parquet tables that auditpipe writes atomically and anyone may read.

- ``layout``: folders, partition folder names, and file listings (the only module that knows
  where files live);
- ``commit``: ``Transaction``, the journal, roll-forward, crash points, and the listing a
  reader should use while a writer may be committing (``table_files``);
- ``folder``: ``Lake``, one opened lake (marker, timezone, lock);
- ``schema``: the columns and types of every stored table;
- ``views``: the SQL views over a lake that ``auditpipe sql`` and every command read through.

``from auditpipe.lake import Lake, Transaction, ...`` keeps working for the names that lived in
the former single module.
"""

from .commit import (
    CRASH_ENV,
    Transaction,
    crash_point,
    discard_staging,
    fsync_dir,
    fsync_file,
    new_id,
    pending_commit,
    table_files,
    utc_now,
    verify_parquet,
    write_atomic,
    write_json_atomic,
)
from .folder import DEFAULT_TIMEZONE, LAKE_FORMAT, LAKE_VERSION, Lake, today_in
from .layout import (
    DEFAULT_LAKE,
    FOLDER_NAME_MAX_BYTES,
    LAKE_ENV,
    Partition,
    default_lake_path,
    is_default_lake,
    lake_arg,
    list_partitions,
    partition_dir,
    partition_folder_name,
    provider_folder_fits,
)

__all__ = [
    "CRASH_ENV",
    "DEFAULT_LAKE",
    "DEFAULT_TIMEZONE",
    "FOLDER_NAME_MAX_BYTES",
    "LAKE_ENV",
    "LAKE_FORMAT",
    "LAKE_VERSION",
    "Lake",
    "Partition",
    "Transaction",
    "crash_point",
    "default_lake_path",
    "discard_staging",
    "fsync_dir",
    "fsync_file",
    "is_default_lake",
    "lake_arg",
    "list_partitions",
    "new_id",
    "partition_dir",
    "partition_folder_name",
    "pending_commit",
    "provider_folder_fits",
    "table_files",
    "today_in",
    "utc_now",
    "verify_parquet",
    "write_atomic",
    "write_json_atomic",
]
