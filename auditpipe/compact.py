"""``auditpipe compact``: merge the small files of past days, and apply a retention period.

Every nightly ingest adds one file per (provider, day) it touched, so a day that received late
events holds several small files. Compaction rewrites each such partition of a past day into
one file, through a lake transaction: the merged file is staged, its footer and row count
verified, and a content checksum (the sum of a hash of every row, so independent of order)
compared with that of the files it replaces, before one commit swaps them. auditpipe's readers
(``lake_files``) never see a partition with rows missing or doubled; a tool globbing the folders
sees both for the instant between the rename and the deletes (until the next writer rolls the
commit forward, when killed there).

Retention (``retain_days``) deletes the events of days before ``today - retain_days``, except
the events that findings cite as evidence (``evidence_event_ids``), which are kept (rewritten
into one file) unless ``include_evidence`` is set. Findings themselves are never deleted.
Quarantine is not touched (its rows are not by day). Everything runs under the lake lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .db import Database, quote_identifier, quote_literal, read_parquet_sql
from .errors import DiskFullError, LakeError, UsageError
from .i18n import _
from .lake import Lake, Partition, Transaction, layout, today_in, verify_parquet
from .lake.folder import RETENTION_FILE
from .lake.layout import META_DIR
from .lake.views import connect_views


def list_partitions(lake: Lake) -> list[Partition]:
    """The events partitions on disk, from the hive folder names, sorted."""
    return layout.list_partitions(lake.root, layout.EVENTS)


@dataclass(frozen=True)
class CompactSettings:
    # Compact partitions whose event_date is before this day; None = today (lake timezone).
    before: dt.date | None = None
    # Delete events of days before today - retain_days; None = keep everything.
    retain_days: int | None = None
    # With retain_days, delete events cited as findings' evidence too.
    include_evidence: bool = False
    # "Today" for both defaults (lake timezone); None = the real today.
    today: dt.date | None = None
    # Count what would change, change nothing.
    dry_run: bool = False
    # DuckDB's memory ceiling while rewriting; beyond it DuckDB spills to the lake's staging.
    memory_limit: str = "2GB"

    def __post_init__(self) -> None:
        if self.retain_days is not None and self.retain_days < 0:
            raise UsageError(
                _("--retain-days {retain_days} is negative").format(retain_days=self.retain_days),
                hint=_("give the number of past days of events to keep, e.g. --retain-days 365"),
            )


@dataclass
class PartitionChange:
    provider_id: str
    event_date: dt.date
    files_before: int
    rows_before: int
    rows_after: int
    action: str  # compacted | deleted | rewritten (evidence kept)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "event_date": self.event_date.isoformat()}


@dataclass
class CompactResult:
    before: dt.date
    dry_run: bool
    retention_cutoff: dt.date | None = None
    include_evidence: bool = False
    events_deleted: int = 0
    evidence_kept: int = 0
    partitions_deleted: int = 0
    partitions_rewritten: int = 0
    partitions_compacted: int = 0
    files_before: int = 0
    files_after: int = 0
    rows_compacted: int = 0
    changes: list[PartitionChange] = field(default_factory=list)
    # False when an error stopped the run: the fields above then say what was committed
    # before it (retention is one commit, each compacted partition one), nothing more.
    completed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.isoformat(),
            "dry_run": self.dry_run,
            "retention_cutoff": self.retention_cutoff.isoformat()
            if self.retention_cutoff
            else None,
            "include_evidence": self.include_evidence,
            "events_deleted": self.events_deleted,
            "evidence_kept": self.evidence_kept,
            "partitions_deleted": self.partitions_deleted,
            "partitions_rewritten": self.partitions_rewritten,
            "partitions_compacted": self.partitions_compacted,
            "files_before": self.files_before,
            "files_after": self.files_after,
            "rows_compacted": self.rows_compacted,
            "changes": [c.to_dict() for c in self.changes],
            "completed": self.completed,
        }


# The attribute ``compact_lake`` sets on an error that stopped it after a commit.
DONE_BEFORE_ERROR = "compact_done_before_error"


def done_before_error(exc: BaseException) -> CompactResult | None:
    """What a compaction stopped by ``exc`` had committed (retention is one commit, each
    compacted partition one); None when it changed nothing."""
    done = getattr(exc, DONE_BEFORE_ERROR, None)
    return done if isinstance(done, CompactResult) else None


def compact_lake(lake: Lake, settings: CompactSettings) -> CompactResult:
    """Apply retention (when asked), then compact the partitions of past days."""
    today = settings.today or today_in(lake.timezone)
    result = CompactResult(
        before=settings.before or today,
        dry_run=settings.dry_run,
        include_evidence=settings.include_evidence,
    )
    with lake.locked("compact"):
        # Retention is the remedy for a full disk, and its commit writes a journal: the room
        # for it is the reserve an earlier compact kept, released first.
        released = (
            _release_reserve(lake)
            if settings.retain_days is not None and not settings.dry_run
            else 0
        )
        try:
            _compact_locked(lake, settings, result, today)
        except BaseException as exc:
            if settings.retain_days is not None and not settings.dry_run and not result.changes:
                full = _no_room_for_retention(exc, lake, released)
                if full is not None:
                    raise full from exc
            raise
        finally:
            if not settings.dry_run:
                _keep_reserve(lake)
    result.completed = True
    return result


def _compact_locked(
    lake: Lake, settings: CompactSettings, result: CompactResult, today: dt.date
) -> None:
    # Under the lock, so DuckDB may spill on the lake's own disk (recover() clears staging).
    con = connect_views(
        lake,
        memory_limit=settings.memory_limit,
        temp_directory=lake.staging_dir / "duckdb-tmp",
        # The rows of a merged file have no order (every reader and the checksum are
        # order-free): kept, DuckDB buffers out-of-order batches of every small file (a
        # partition of 3,000 files: 1.7 GB resident instead of 0.5 GB).
        keep_insertion_order=False,
    )
    try:
        if settings.retain_days is not None:
            result.retention_cutoff = today - dt.timedelta(days=settings.retain_days)
            _apply_retention(lake, con, settings, result)
        _compact(lake, con, settings, result)
    except BaseException as exc:
        if settings.dry_run or not result.changes:
            raise
        # Retention and the partitions compacted so far are committed: the error carries
        # them (``done_before_error``), so the command can say what changed, not only
        # "Error", which an operator reads as "nothing changed".
        setattr(exc, DONE_BEFORE_ERROR, result)
        raise
    finally:
        con.close()


# -- the reserve --------------------------------------------------------------------------
# Room kept in the lake's file system for `compact --retain-days` on a full disk: a file of
# RESERVE_BYTES allocated blocks, ``_auditpipe/reserve``, which every compact that changes the
# lake makes when it is missing and there is room, and which retention deletes before it
# writes anything. It holds no data, so it may go at any moment: killed after its deletion,
# the lake is as the retention's own commit leaves it (journaled, rolled forward or back by
# the next writer), and the next compact makes the reserve again; killed while making it, a
# ``reserve.tmp`` is left, which the next compact deletes first (retention before it counts on
# its room too). It is made under the lake's lock, so no two writers race on it.
RESERVE_FILE = "reserve"
RESERVE_BYTES = 16 * 1024 * 1024


def _release_reserve(lake: Lake) -> int:
    """Delete the reserve (and a half-made one); the bytes it held."""
    freed = 0
    for name in (RESERVE_FILE, RESERVE_FILE + ".tmp"):
        path = lake.meta_dir / name
        try:
            freed += path.stat().st_blocks * 512
            path.unlink()
        except FileNotFoundError:
            continue
    return freed


def _keep_reserve(lake: Lake) -> None:
    """Make the reserve when it is missing or of another size, if there is room; else leave
    it out (the disk is as full as it was)."""
    import os

    path = lake.meta_dir / RESERVE_FILE
    try:
        if path.stat().st_size == RESERVE_BYTES:
            return
    except FileNotFoundError:
        pass
    except OSError:
        return
    tmp = lake.meta_dir / (RESERVE_FILE + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            # allocated blocks, not a sparse file: only those are room another write may take
            os.posix_fallocate(fd, 0, RESERVE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _no_room_for_retention(exc: BaseException, lake: Lake, released: int) -> DiskFullError | None:
    """The error for a retention a full disk stopped before its commit, saying what to free,
    or None when ``exc`` is not a full disk."""
    from .errors import disk_full_path

    if disk_full_path(exc) is False:
        return None
    size = f"{max(RESERVE_BYTES, released) // (1024 * 1024)} MiB"
    return DiskFullError(
        _(
            "the disk is full at {lake}: compact --retain-days has no room to record what it "
            "deletes ({error})"
        ).format(lake=lake.root, error=exc),
        hint=_(
            "free at least {size} on that file system outside the lake (old files of the "
            "inbox's processed/ folder, logs, other data: not the lake's own files, whose "
            "deletion the lake would not know of) and run it again; from then on compact keeps "
            "{size} in {reserve}, which it releases first when the disk is full again"
        ).format(size=size, reserve=lake.meta_dir / RESERVE_FILE),
    )


# -- checks -------------------------------------------------------------------------------
def _files_sql(files: list[Path] | tuple[Path, ...]) -> str:
    # The partition columns are in the folder names, not the files: a rewrite keeps it so.
    return read_parquet_sql(files, hive=False)


def _columns(con: Database, source: str) -> list[str]:
    return sorted(str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall())


def _checksum(
    con: Database,
    source: str,
    columns: list[str],
    where: str = "",
    params: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """(rows, sum of a hash of every row): equal for the same multiset of rows in any order."""
    cols = ", ".join(quote_identifier(c) for c in columns)
    row = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)"
        f" FROM (SELECT {cols} FROM {source} {where}) t",
        params or {},
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _stage_rewrite(
    con: Database,
    txn: Transaction,
    part: Partition,
    where: str = "",
    params: dict[str, Any] | None = None,
) -> tuple[Path, int]:
    """Stage one file holding the partition's rows (those matching ``where``), verified
    against the source files by row count and content checksum. Returns (file, rows)."""
    source = _files_sql(part.files)
    columns = _columns(con, source)
    expected = _checksum(con, source, columns, where, params)
    # In folders named like the partition's: until the commit is rolled forward, readers read
    # a staged file in place of the files it replaces, and take its partition from its folders.
    folder = txn.staging / part.folder.relative_to(txn.lake.root)
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f"{uuid.uuid4().hex}.parquet"
    # DuckDB marks a column REQUIRED (non-nullable) in the file it writes when the statistics
    # of what it read say it holds no NULL. The lake's files declare every column nullable
    # (ingest writes them so); a merged file that declared, say, subject_id non-nullable
    # because this partition had none made Arrow datasets over the lake take that schema
    # and fail on the NULLs of other partitions. Without that optimizer, it declares none.
    con.execute("SET disabled_optimizers = 'statistics_propagation'")
    try:
        con.execute(
            f"COPY (SELECT * FROM {source} {where}) TO {quote_literal(str(staged))}"
            " (FORMAT parquet, COMPRESSION zstd)",
            params or {},
        )
    finally:
        con.execute("RESET disabled_optimizers")
    rows = verify_parquet(staged, expected[0])
    written = _files_sql([staged])
    if _columns(con, written) != columns or _checksum(con, written, columns) != expected:
        raise LakeError(
            _(
                "rewriting {folder} changed its content (checksum mismatch); nothing was changed"
            ).format(folder=part.folder),
            hint=_("please report this; the lake is untouched"),
        )
    return staged, rows


def _new_name(part: Partition, lake: Lake) -> str:
    rel = part.folder.relative_to(lake.root).as_posix()
    return f"{rel}/part-compacted-{uuid.uuid4().hex[:16]}.parquet"


# -- retention ----------------------------------------------------------------------------
def _apply_retention(
    lake: Lake, con: Database, settings: CompactSettings, result: CompactResult
) -> None:
    assert result.retention_cutoff is not None
    old = [p for p in list_partitions(lake) if p.event_date < result.retention_cutoff]
    if not old:
        return
    keep_evidence = not settings.include_evidence
    if keep_evidence:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE evidence AS SELECT DISTINCT provider_id,"
            " unnest(evidence_event_ids) AS event_id FROM findings"
        )
    txn = lake.transaction()
    emptied: list[Path] = []
    # Counted apart and added to ``result`` once committed (or in a dry run): an error before
    # the commit leaves the lake, and the result, as they were.
    counted = CompactResult(before=result.before, dry_run=settings.dry_run)
    try:
        for part in old:
            source = _files_sql(part.files)
            params = {"provider": part.provider_id}
            cited = (
                "WHERE event_id IN (SELECT event_id FROM evidence WHERE provider_id = $provider)"
            )
            if keep_evidence:
                row = con.execute(
                    f"SELECT count(*), count(*) FILTER ({cited.removeprefix('WHERE ')})"
                    f" FROM {source}",
                    params,
                ).fetchone()
            else:
                row = con.execute(f"SELECT count(*), 0 FROM {source}").fetchone()
            assert row is not None
            total, kept = int(row[0]), int(row[1])
            action = "deleted" if kept == 0 else "rewritten"
            if kept == total:
                counted.evidence_kept += kept
                continue  # every event is evidence: nothing to delete here
            counted.changes.append(
                PartitionChange(
                    part.provider_id, part.event_date, len(part.files), total, kept, action
                )
            )
            counted.events_deleted += total - kept
            counted.evidence_kept += kept
            if kept == 0:
                counted.partitions_deleted += 1
                emptied.append(part.folder)
            else:
                counted.partitions_rewritten += 1
            if settings.dry_run:
                continue
            if kept:
                staged, _rewritten = _stage_rewrite(con, txn, part, cited, params)
                txn.add_file(staged, _new_name(part, lake))
            for rel in part.relpaths(lake.root):
                txn.delete(rel)
        if settings.dry_run or not (txn.moves or txn.deletes):
            txn.abort()
        else:
            # In the same commit: the days before the cutoff lost events, so detect must
            # leave their findings alone from now on (Lake.retention_cutoff). A later
            # retention with a longer period never moves it back.
            recorded = lake.retention_cutoff
            cutoff = max(result.retention_cutoff, recorded or result.retention_cutoff)
            txn.add_json(f"{META_DIR}/{RETENTION_FILE}", {"cutoff": cutoff.isoformat()})
            txn.commit()
    except BaseException:
        if _committed(txn):  # stopped while applying: the next writer finishes it
            _add_retention(result, counted)
        txn.abort()
        raise
    _add_retention(result, counted)
    if not settings.dry_run:
        _remove_empty_folders(emptied)


def _add_retention(result: CompactResult, counted: CompactResult) -> None:
    result.events_deleted += counted.events_deleted
    result.evidence_kept += counted.evidence_kept
    result.partitions_deleted += counted.partitions_deleted
    result.partitions_rewritten += counted.partitions_rewritten
    result.changes.extend(counted.changes)


def _remove_empty_folders(folders: list[Path]) -> None:
    for folder in folders:
        for candidate in (folder, folder.parent):
            try:
                candidate.rmdir()  # only succeeds when empty (a concurrent ingest may refill it)
            except OSError:
                break


# -- compaction ---------------------------------------------------------------------------
def _compact(lake: Lake, con: Database, settings: CompactSettings, result: CompactResult) -> None:
    # In a dry run retention changed nothing; do not count merging what it would rewrite.
    gone = {(c.provider_id, c.event_date) for c in result.changes}
    for part in list_partitions(lake):
        if part.event_date >= result.before or len(part.files) < 2:
            continue
        if settings.dry_run and (part.provider_id, part.event_date) in gone:
            continue
        txn = lake.transaction()
        rows = 0
        try:
            if settings.dry_run:
                row = con.execute(f"SELECT count(*) FROM {_files_sql(part.files)}").fetchone()
                rows = int(row[0]) if row else 0
            else:
                staged, rows = _stage_rewrite(con, txn, part)
                txn.add_file(staged, _new_name(part, lake))
                for rel in part.relpaths(lake.root):
                    txn.delete(rel)
                txn.commit()  # one partition per commit: a kill loses at most this one's work
        except BaseException:
            if _committed(txn):  # stopped while applying: the next writer finishes it
                _count_compacted(result, part, rows)
            txn.abort()
            raise
        if settings.dry_run:
            txn.abort()
        _count_compacted(result, part, rows)


def _committed(txn: Transaction) -> bool:
    """Whether ``txn`` passed its commit point (its journal is written), though an error or
    Ctrl-C stopped it while it was applied: ``recover()`` then rolls it forward."""
    return (txn.lake.journal_dir / f"{txn.txn_id}.json").exists()


def _count_compacted(result: CompactResult, part: Partition, rows: int) -> None:
    result.partitions_compacted += 1
    result.files_before += len(part.files)
    result.files_after += 1
    result.rows_compacted += rows
    result.changes.append(
        PartitionChange(part.provider_id, part.event_date, len(part.files), rows, rows, "compacted")
    )
