"""A DuckDB connection over a lake that can read it and cannot change it.

Why not ``read_parquet`` views behind ``enable_external_access = false`` with the lake in
``allowed_directories``: DuckDB's allow-lists grant reading *and* writing. With the lake
allowed, ``COPY (...) TO '<lake>/events/.../part.parquet' (USE_TMP_FILE false)`` overwrites a
lake file and ``ATTACH '<lake>/x.duckdb'`` creates one (both tried on DuckDB 2.0). So this
connection gets no file access at all: external access is off with nothing allowed, and the
configuration is locked so no statement can turn it back on. The lake's Parquet files reach
DuckDB as Arrow datasets (pyarrow opens them read-only; DuckDB pushes projections and filters
into the scan, hive partitions included), and the manifest as an Arrow table read at connect
time. The views on top have the same names, columns and types as the ``read_parquet`` views
that ``auditpipe sql --print-views`` prints (``auditpipe.lake.views``).

What the connection sees is the lake's files at the moment it was made (or last refreshed with
``refresh_views``): files committed later are not in it until then.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..db import connect as connect_db
from ..db import quote_identifier
from ..db.database import memory_limit_bytes
from ..errors import LakeError, UsageError
from ..i18n import _
from ..lake import Lake, default_lake_path
from ..lake.commit import MANIFEST, lake_files
from ..lake.layout import file_partition
from ..lake.schema import empty_select
from ..lake.views import (
    ACCOUNTS_CURRENT_BODY,
    FINDING_EVIDENCE_BODY,
    INGEST_LOG_COLUMNS,
    PARQUET_TABLES,
    ParquetTable,
    ingest_log_body,
)

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from ..db.database import SqlConnection

# Settings a user may still change on a locked connection: none of them touches files.
USER_SETTINGS = (
    "threads",
    "memory_limit",
    "TimeZone",
    "Calendar",
    "enable_progress_bar",
    "preserve_insertion_order",
    "default_order",
    "default_null_order",
    "max_execution_time",
)

# Name under which each table's Arrow source is registered; the views select from it.
_SOURCE_PREFIX = "_lake_"


def open_lake(lake: Lake | str | os.PathLike[str] | None) -> Lake:
    """The Lake for a path (default ``$AUDITPIPE_LAKE`` or ``./lake``); never creates one."""
    if isinstance(lake, Lake):
        return lake
    return Lake.open(default_lake_path() if lake is None else Path(lake))


def connect(
    lake: Lake | str | os.PathLike[str] | None = None, *, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection with the views events, quarantine, findings,
    finding_evidence and ingest_log over ``lake``, plus the macros mask_id, mask_text and
    mask_actor. Timestamps show in the lake's timezone (``SET TimeZone`` changes that).

    ``memory_limit`` is DuckDB's ceiling for the session (default: 2 GiB, or half of the
    machine's memory if less; ``SET memory_limit`` changes it); past it, DuckDB spills to a
    private temporary folder."""
    from ..report.masking import create_mask_macros

    lake_obj = open_lake(lake)
    if memory_limit is not None:
        check_memory_limit(memory_limit)
    # Spilling stays outside the lake whatever the working directory is (a private folder).
    db = connect_db(timezone=lake_obj.timezone, memory_limit=memory_limit)
    db.execute("SET python_enable_replacements = false")
    db.execute("SET autoinstall_known_extensions = false")
    db.execute("SET autoload_known_extensions = false")
    create_mask_macros(db)
    refresh_views(db, lake_obj, reader=db)  # still allowed to read files here
    db.execute("SET allowed_configs = ?", [list(USER_SETTINGS)])
    db.execute("SET enable_external_access = false")
    db.execute("SET lock_configuration = true")
    return db.connection


# The least memory limit a session works with: DuckDB's JSON reader takes a 32 MiB buffer to
# read the manifest (one thread: ``_ingest_log_table``), and a query needs room beside it.
# Measured: connecting needs 34 MiB whatever the lake or the machine's cores.
MIN_MEMORY_LIMIT = "64MB"


def check_memory_limit(memory_limit: str) -> None:
    """A UsageError naming ``MIN_MEMORY_LIMIT`` when ``memory_limit`` is below it (a limit
    DuckDB cannot read is left for DuckDB to name)."""
    limit = memory_limit_bytes(memory_limit)
    minimum = memory_limit_bytes(MIN_MEMORY_LIMIT)
    assert minimum is not None
    if limit is not None and limit < minimum:
        raise UsageError(
            _(
                "the memory limit {limit} is too small: a session over the lake needs at "
                "least {minimum}"
            ).format(limit=memory_limit.strip(), minimum=MIN_MEMORY_LIMIT),
            hint=_(
                "give --memory-limit {minimum} or more (or AUDITPIPE_SQL_MEMORY_LIMIT); "
                "DuckDB's JSON reader alone takes 32 MiB to read the lake's manifest"
            ).format(minimum=MIN_MEMORY_LIMIT),
        )


def refresh_views(con: SqlConnection, lake: Lake, *, reader: SqlConnection | None = None) -> None:
    """(Re)build the views from the lake's files as they are now.

    ``reader`` reads the manifest; by default a short-lived connection of its own, since
    ``con`` itself can no longer read files once it is locked.
    """
    listed = lake_files(lake.root)
    for name, table in PARQUET_TABLES.items():
        source = _SOURCE_PREFIX + name
        files = listed[name]
        if files:
            con.register(source, _dataset(table, files))
            select = ", ".join(_column(n, t) for n, t in table.columns)
            body = f"SELECT {select} FROM {quote_identifier(source)}"
        else:
            body = empty_select(table.columns)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS\n{body}")
    con.register(_SOURCE_PREFIX + "ingest_log", _ingest_log_table(lake, listed[MANIFEST], reader))
    select = ", ".join(_column(n, t) for n, t in INGEST_LOG_COLUMNS)
    con.execute(
        f"CREATE OR REPLACE VIEW ingest_log AS SELECT {select} FROM "
        f"{quote_identifier(_SOURCE_PREFIX + 'ingest_log')}"
    )
    con.execute(f"CREATE OR REPLACE VIEW finding_evidence AS\n{FINDING_EVIDENCE_BODY}")
    con.execute(f"CREATE OR REPLACE VIEW accounts_current AS\n{ACCOUNTS_CURRENT_BODY}")


def _column(name: str, duck_type: str) -> str:
    # Arrow has no JSON type: the column arrives as text and gets its DuckDB type back here.
    if duck_type == "JSON":
        return f"CAST({quote_identifier(name)} AS JSON) AS {quote_identifier(name)}"
    return quote_identifier(name)


@functools.cache
def _arrow_schema(columns: tuple[tuple[str, str], ...]) -> pa.Schema:
    """The Arrow schema DuckDB itself uses for these columns (JSON read as text)."""
    with connect_db(timezone="UTC") as probe:
        plain = [(n, "VARCHAR" if t == "JSON" else t) for n, t in columns]
        return probe.sql(empty_select(plain)).to_arrow_table().schema


def _dataset(table: ParquetTable, files: list[Path]) -> Any:
    """An Arrow dataset over exactly these files; absent columns read as NULL.

    The partition columns come from ``lake.layout`` (one equality per file, which Arrow also
    uses to skip files), not from Arrow's hive parser: that one reads a provider named
    ``__HIVE_DEFAULT_PARTITION__`` as NULL even where DuckDB escaped it.
    """
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    schema = _arrow_schema(tuple(table.columns))
    partitions = (
        [_partition_expression(f, table.partition_names) for f in files] if table.hive else None
    )
    try:
        return ds.FileSystemDataset.from_paths(
            [str(f) for f in files],
            schema=schema,
            format=ds.ParquetFileFormat(),
            filesystem=pafs.LocalFileSystem(),
            partitions=partitions,
        )
    except OSError as exc:
        raise LakeError(
            _("cannot read the {name} files of the lake: {exc}").format(name=table.name, exc=exc),
            hint=_(
                "check the lake folder's permissions, or run an auditpipe command that writes to the lake so it can recover an interrupted commit"
            ),
        ) from exc


def _partition_expression(path: Path, names: tuple[str, ...]) -> Any:
    import pyarrow as pa
    import pyarrow.dataset as ds

    provider, day = file_partition(path)
    provider_key, date_key = names
    return _equals(ds.field(provider_key), pa.scalar(provider, pa.string())) & _equals(
        ds.field(date_key), pa.scalar(day, pa.date32())
    )


def _equals(field: Any, value: Any) -> Any:
    return field.is_null() if not value.is_valid else field == value


def _ingest_log_table(lake: Lake, files: list[Path], reader: SqlConnection | None) -> pa.Table:
    """The manifest, read once with DuckDB's JSON reader (the same text as the printed view).

    On one thread: DuckDB's JSON reader takes a 32 MiB buffer per thread, so on a machine
    with many cores reading a few small entries outgrew a modest ``--memory-limit`` (100MB
    failed on 2 cores, 150MB on 8); one thread reads them faster too (20,000 entries: 7.7 s
    on one thread, 17.5 s on two)."""
    import duckdb

    own = reader is None
    con: SqlConnection = connect_db(timezone="UTC", threads=1) if reader is None else reader
    threads = None if own else con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    try:
        if threads is not None:
            con.execute("SET threads = 1")
        return con.sql(ingest_log_body(lake.root, files)).to_arrow_table()
    except duckdb.Error as exc:
        from ..lake.damage import damaged_file_error

        damaged = damaged_file_error(exc)
        if damaged is not None:
            raise damaged from exc
        raise LakeError(
            _("cannot read the lake's manifest ({manifest_dir}): {exc}").format(
                manifest_dir=lake.manifest_dir, exc=exc
            ),
            hint=_("a manifest entry may be damaged: check the JSON files in that folder"),
        ) from exc
    finally:
        if own:
            con.close()
        elif threads is not None:
            con.execute(f"SET threads = {int(threads)}")
