"""Staging one snapshot file's checked batches: quarantine, duplicates, one file per partition.

Batches arrive in line order, already checked (normalize.py). Rejected rows go to the file's
quarantine Parquet file (the lake's quarantine schema; their raw text has no ID number).
Accepted rows are deduplicated on (provider_id, snapshot_date, account_id) as they come, with
the event stager's ``SeenKeys`` (bounded memory, exact), and written at once to one Parquet
file per (provider_id, snapshot_date). At the end, accounts that the lake already holds in the
same partition (another file of the same snapshot date) are dropped: first delivery wins.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..ingest.seen import SeenKeys
from ..ingest.stage import (
    PARQUET_OPTIONS,
    QUARANTINE_SCHEMA,
    ROW_GROUP_ROWS,
    Provenance,
    StagedFiles,
    arrow_schema,
    conform,
    drop_quarantined_before,
    drop_rows,
    split_by_partition,
)
from ..lake import Lake, verify_parquet
from ..lake.layout import (
    ACCOUNTS,
    QUARANTINE,
    list_partitions,
    parquet_files,
    partition_folder_name,
)
from ..lake.parquet_writer import ParquetWriter
from ..lake.schema import ACCOUNT_FILE_COLUMNS

ACCOUNT_SCHEMA = arrow_schema(ACCOUNT_FILE_COLUMNS)


def partition_folder(provider_id: str, day: dt.date) -> str:
    """``provider_id=<p>/snapshot_date=<d>`` as the lake names the folder."""
    return (
        f"{partition_folder_name('provider_id', provider_id)}/"
        f"{partition_folder_name('snapshot_date', day.isoformat())}"
    )


@dataclass
class _Part:
    path: Path
    writer: ParquetWriter
    rows: int = 0


@dataclass
class SnapshotStager:
    con: Any
    work: Path
    sha: str
    provenance: Provenance
    parts: dict[tuple[str, dt.date], _Part] = field(default_factory=dict)
    quarantine_writer: ParquetWriter | None = None
    quarantined: int = 0
    accepted: int = 0

    def __post_init__(self) -> None:
        self.seen = SeenKeys(self.con, self.work / "seen")

    def add(self, batch: pa.Table) -> None:
        failed = pc.is_valid(batch["reason"])
        rejected = batch.filter(failed)
        if rejected.num_rows:
            self._quarantine(rejected)
        accepted = batch.filter(pc.invert(failed))
        self.accepted += accepted.num_rows
        if not accepted.num_rows:
            return
        keys = pa.table(
            {
                "line_number": accepted["line_number"],
                "provider_id": accepted["provider_id"],
                "event_id": pc.binary_join_element_wise(
                    accepted["snapshot_date"].cast(pa.string()), accepted["account_id"], "/"
                ),
            }
        )
        firsts = self.seen.first_deliveries(keys)
        if firsts.num_rows != accepted.num_rows:
            accepted = accepted.filter(pc.is_in(accepted["line_number"], firsts["line_number"]))
        providers = pc.unique(accepted["provider_id"])
        days = pc.unique(accepted["snapshot_date"])
        if len(providers) == 1 and len(days) == 1:  # the usual snapshot: already one partition
            self._write((providers[0].as_py(), days[0].as_py()), accepted)
            return
        dated = accepted.append_column("event_date", accepted["snapshot_date"])
        for key, rows in split_by_partition(dated):
            self._write(key, rows)

    def _quarantine(self, rows: pa.Table) -> None:
        if self.quarantine_writer is None:
            self.quarantine_writer = ParquetWriter(
                self.work / "quarantine.parquet", QUARANTINE_SCHEMA, **PARQUET_OPTIONS
            )
        ordered = rows.sort_by("line_number")
        table = conform(ordered, QUARANTINE_SCHEMA, self.provenance.columns(ordered.num_rows))
        self.quarantine_writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self.quarantined += rows.num_rows

    def _write(self, key: tuple[str, dt.date], rows: pa.Table) -> None:
        part = self.parts.get(key)
        if part is None:
            path = (
                self.work / "accounts" / partition_folder(*key) / f"part-{self.sha[:16]}-0.parquet"
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            part = self.parts[key] = _Part(
                path, ParquetWriter(path, ACCOUNT_SCHEMA, **PARQUET_OPTIONS)
            )
        n = rows.num_rows
        provenance = {
            "snapshot_id": pa.repeat(self.sha, n).cast(pa.string()),
            "source_file": pa.repeat(self.provenance.source_file, n).cast(pa.string()),
            "source_line": rows["line_number"],
            "ingested_at": pa.repeat(
                pa.scalar(self.provenance.ingested_at, pa.timestamp("us", tz="UTC")), n
            ),
        }
        part.writer.write_table(
            conform(rows, ACCOUNT_SCHEMA, provenance), row_group_size=ROW_GROUP_ROWS
        )
        part.rows += n

    def finish(self, lake: Lake, counted: dict[str, Path] | None = None) -> StagedFiles:
        """Close every file, drop accounts the lake already holds in the same partition,
        verify the files. ``counted``: as for FileStager.finish."""
        self.seen.close()
        for part in self.parts.values():
            part.writer.close()
        before = 0
        counted_before: dict[str, int] = {}
        if self.quarantine_writer is not None:
            self.quarantine_writer.close()
            path = self.work / "quarantine.parquet"
            verify_parquet(path, self.quarantined)
            # a snapshot file that grew under its path: its old bad rows are duplicates
            quarantine = parquet_files(lake.root / QUARANTINE)
            before, counted_before = drop_quarantined_before(
                self.con, path, self.provenance.source_file, quarantine, counted
            )
            self.quarantined -= before  # the file is gone when none is left
        in_lake = {
            (p.provider_id, p.event_date): p.files
            for p in list_partitions(lake.root, ACCOUNTS)
            if (p.provider_id, p.event_date) in self.parts
        }
        staged = []
        stored = 0
        for key, part in self.parts.items():
            if key in in_lake and not _drop_stored(part.path, in_lake[key]):
                continue
            stored += verify_parquet(part.path)
            staged.append((part.path, f"{partition_folder(*key)}/{part.path.name}", key))
        return StagedFiles(
            events=staged,  # here: the staged accounts files
            quarantine=self.work / "quarantine.parquet" if self.quarantined else None,
            stored=stored,
            quarantined=self.quarantined,
            duplicates=self.accepted - stored + before,
            quarantined_before=before,
            counted_before=counted_before,
        )

    def abort(self) -> None:
        for part in self.parts.values():
            with contextlib.suppress(Exception):
                part.writer.close()
        if self.quarantine_writer is not None:
            with contextlib.suppress(Exception):
                self.quarantine_writer.close()


def _drop_stored(path: Path, lake_files: tuple[Path, ...]) -> bool:
    """Rewrite a staged file without the accounts ``lake_files`` hold; False when no row is
    left (the file is then removed)."""
    stored = pq.read_table(list(lake_files), columns=["account_id"], partitioning=None)
    return drop_rows(path, ACCOUNT_SCHEMA, "account_id", stored["account_id"])
