"""``auditpipe.scan(lake, table)``: a lake table as a Polars LazyFrame.

events and findings are hive-partitioned: ``provider_id`` (String) and ``event_date`` (Date)
come from the folder names and are the last two columns; filtering on them skips whole
folders. Column types follow ``auditpipe.lake.schema`` (``extras`` JSON is a String here), and
files written before a column existed read it as null. finding_evidence is the same join as
the SQL view (event and account evidence), built lazily; ingest_log (the manifest, small) is read eagerly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..db import connect
from ..errors import UsageError
from ..i18n import _
from ..lake import Lake, table_files
from ..lake.layout import HIVE_NULL, file_partition
from ..lake.schema import ACCOUNT_COLUMNS, EVENT_COLUMNS, empty_select
from ..lake.views import PARQUET_TABLES, VIEW_NAMES, ParquetTable, ingest_log_body
from .connection import open_lake

if TYPE_CHECKING:
    import polars as pl

SCAN_TABLES = VIEW_NAMES


def scan(lake: Lake | str | os.PathLike[str] | None, table: str = "events") -> pl.LazyFrame:
    """A Polars LazyFrame over one lake table: events, quarantine, findings,
    finding_evidence, ingest_log, accounts or accounts_current."""
    lake_obj = open_lake(lake)
    if table in PARQUET_TABLES:
        return _scan_parquet(lake_obj, PARQUET_TABLES[table])
    if table == "finding_evidence":
        return _scan_finding_evidence(lake_obj)
    if table == "accounts_current":
        return _scan_accounts_current(lake_obj)
    if table == "ingest_log":
        return _scan_ingest_log(lake_obj)
    raise UsageError(
        _("no table {table!r} in the lake").format(table=table),
        hint=_("scan one of: ") + ", ".join(SCAN_TABLES),
    )


def _polars_schema(columns: list[tuple[str, str]]) -> pl.Schema:
    import polars as pl

    with connect(timezone="UTC") as probe:
        plain = [(n, "VARCHAR" if t == "JSON" else t) for n, t in columns]
        return pl.from_arrow(probe.sql(empty_select(plain)).to_arrow_table()).schema  # type: ignore[union-attr]


def _scan_parquet(lake: Lake, table: ParquetTable) -> pl.LazyFrame:
    import polars as pl

    schema = _polars_schema(table.columns)
    files = table_files(lake.root, table.name)
    if not files:
        return pl.LazyFrame(schema=schema)
    partition_names = set(table.partition_names)
    # DuckDB stores JSON columns as bytes tagged JSON, which Polars reads as Binary.
    json_columns = [n for n, t in table.columns if t == "JSON"]
    file_schema = {
        n: (pl.Binary if n in json_columns else t)
        for n, t in schema.items()
        if n not in partition_names
    }

    def read(
        paths: list[Path], hive_schema: dict[str, Any] | None = None, **kw: Any
    ) -> pl.LazyFrame:
        # The files listed one by one and not expanded as patterns: the lake's folder name
        # may hold ``[``, ``*`` or ``?``.
        return pl.scan_parquet(
            [str(f) for f in paths],
            glob=False,
            hive_partitioning=hive_schema is not None,
            hive_schema=hive_schema,
            schema=file_schema,
            missing_columns="insert",
            extra_columns="ignore",
            **kw,
        )

    if not table.hive:
        frame = read(files)
    else:
        # Polars reads each key=value folder of a path as a partition, the lake's parents too
        # (/data/env=prod/lake): those are declared as text, and left out below. A key the
        # path holds twice (/backups/day=1/day=2/lake, or a parent named provider_id=...)
        # Polars cannot read at all: then each partition is read on its own and given its
        # values from its folders, as auditpipe's listing decodes them.
        above = [p.split("=", 1)[0] for p in files[0].parents[table.depth].parts if "=" in p]
        keys = [*above, *table.partition_names]
        if len(set(keys)) == len(keys):
            frame = _read_hive(
                read,
                files,
                {k: pl.String() for k in above}
                | {n: schema[n] for n in schema if n in partition_names},
            )
        else:
            frame = _read_by_partition(read, files, table, schema)
    return frame.select(
        [pl.col(n).cast(pl.String) if n in json_columns else pl.col(n) for n in schema]
    )


_FILE_COLUMN = "__auditpipe_file"


def _read_hive(
    read: Callable[..., pl.LazyFrame], files: list[Path], hive_schema: dict[str, Any]
) -> pl.LazyFrame:
    """The files with their partition columns from Polars' hive parsing (filters on them skip
    whole folders)."""
    import polars as pl

    # Polars, like Arrow, reads the escaped folder of a provider named __HIVE_DEFAULT_PARTITION__
    # as NULL; such files get their name back from their path (only they pay for it).
    null_named = [f for f in files if _null_named_provider(f)]
    frame = read(files, hive_schema, include_file_paths=_FILE_COLUMN if null_named else None)
    if null_named:
        frame = frame.with_columns(
            provider_id=pl.when(pl.col(_FILE_COLUMN).is_in([str(f) for f in null_named]))
            .then(pl.lit(HIVE_NULL))
            .otherwise(pl.col("provider_id"))
        )
    return frame


def _read_by_partition(
    read: Callable[..., pl.LazyFrame], files: list[Path], table: ParquetTable, schema: pl.Schema
) -> pl.LazyFrame:
    """Each partition folder's files, given the folder's provider_id and date as literals."""
    import polars as pl

    folders: dict[Path, list[Path]] = {}
    for f in files:
        folders.setdefault(f.parent, []).append(f)
    provider_key, date_key = table.partition_names
    frames = []
    for folder_files in folders.values():
        provider, day = file_partition(folder_files[0])
        frames.append(
            read(folder_files).with_columns(
                pl.lit(provider, dtype=schema[provider_key]).alias(provider_key),
                pl.lit(day, dtype=schema[date_key]).alias(date_key),
            )
        )
    return pl.concat(frames, how="vertical")


def _null_named_provider(path: Path) -> bool:
    return file_partition(path)[0] == HIVE_NULL


def _scan_finding_evidence(lake: Lake) -> pl.LazyFrame:
    import polars as pl

    findings = _scan_parquet(lake, PARQUET_TABLES["findings"])
    events = _scan_parquet(lake, PARQUET_TABLES["events"])
    accounts = _scan_parquet(lake, PARQUET_TABLES["accounts"])
    evidence = (
        findings.select(
            "finding_id",
            "rule_id",
            "category",
            "severity",
            "provider_id",
            "event_date",
            "evidence_event_ids",
        )
        .explode("evidence_event_ids")
        .rename({"evidence_event_ids": "event_id", "event_date": "finding_date"})
        .filter(pl.col("event_id").is_not_null())
    )
    # the same columns as the SQL view: finding, event columns, account-only columns, kind
    event_names = [n for n, _ in EVENT_COLUMNS]
    account_only = [(n, t) for n, t in ACCOUNT_COLUMNS if n not in event_names]
    schema = _polars_schema(EVENT_COLUMNS + account_only)
    names = ["finding_id", "rule_id", "category", "severity", *schema.names(), "evidence_kind"]

    def shaped(frame: pl.LazyFrame, kind: str) -> pl.LazyFrame:
        missing = [
            pl.lit(None, dtype=t).alias(n)
            for n, t in schema.items()
            if n not in frame.collect_schema()
        ]
        return frame.with_columns(*missing, evidence_kind=pl.lit(kind)).select(names)

    from_events = evidence.join(events, on=["provider_id", "event_id"], how="inner")
    snapshot_rows = accounts.with_columns(
        event_id=pl.concat_str(
            pl.lit("s-"),
            pl.col("snapshot_id").str.slice(0, 16),
            pl.lit("-"),
            pl.col("source_line").cast(pl.String),
        )
    )
    from_accounts = evidence.join(
        snapshot_rows,
        left_on=["provider_id", "finding_date", "event_id"],
        right_on=["provider_id", "snapshot_date", "event_id"],
        how="inner",
    ).with_columns(snapshot_date=pl.col("finding_date"))
    return pl.concat([shaped(from_events, "event"), shaped(from_accounts, "account")])


def _scan_accounts_current(lake: Lake) -> pl.LazyFrame:
    """Each provider's rows of its latest snapshot_date (as the SQL view)."""
    import polars as pl

    accounts = _scan_parquet(lake, PARQUET_TABLES["accounts"])
    latest = pl.col("snapshot_date").max().over("provider_id")
    return accounts.filter(pl.col("snapshot_date") == latest)


def _scan_ingest_log(lake: Lake) -> pl.LazyFrame:
    import polars as pl

    with connect(timezone="UTC") as reader:
        frame = pl.from_arrow(reader.sql(ingest_log_body(lake.root)).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.lazy()
