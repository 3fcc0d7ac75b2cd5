"""Account snapshots into the lake's ``accounts`` table, through the ingest core.

A snapshot file is read by the same input kinds as access logs (JSON Lines, CSV, Parquet,
each optionally .gz/.zst: ``auditpipe.ingest.kinds``), against the account snapshot contract
instead of the event contract; one query (normalize.py) checks each batch and replaces the ID
number by its verdict and keyed hash; the stager below writes quarantined rows to the file's
quarantine file and accepted rows to one Parquet file per (provider_id, snapshot_date); the
file is committed with its manifest entry as one lake transaction (``commit_file``), exactly
as an event file is. So the guarantees are the same: every row read is stored, quarantined
with a reason or counted as a duplicate (checked per file), a file's content is ingested once
(its sha256 in the manifest), and a crash leaves the lake as it was or rolls forward.

Which files are snapshots: a name with ``.accounts`` before the format suffix
(``forum-a-2026-03-01.accounts.jsonl.gz``), in any folder, or every file given with
``auditpipe ingest --accounts``. The same rule holds in a nightly inbox.

Duplicates: one account appears once per snapshot. A second row for the same (provider_id,
snapshot_date, account_id), in the same file or in another file of the same date already in
the lake, is a duplicate: the first delivery wins, as for events. A snapshot of a later date
is not a duplicate of an earlier one: it is new history (the ``accounts`` view keeps every
snapshot, ``accounts_current`` the latest per provider).

Snapshots are always staged in this process (DuckDB), whatever ``--engine`` says: an export of
a user table is one modest file, and the HMAC key should not travel to executors.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from ..contract import Contract, load_account_contract
from ..errors import InputFileError
from ..ingest.hashing import check_unchanged, check_utf8_name, file_stamp
from ..ingest.kinds import ReadContext, kind_for
from ..ingest.lines import prefetch
from ..ingest.pipeline import (
    STATUS_INGESTED,
    STATUS_REJECTED,
    FileResult,
    Progress,
    _read_all,
    check_reconciles,
    commit_file,
    normalize_batch,
    record_rejection,
    skipped_result,
)
from ..ingest.settings import IngestSettings
from ..ingest.sources import COMPRESSION_SUFFIXES, SourceFile, sha256_of
from ..lake import Lake, discard_staging, utc_now
from ..lake.layout import ACCOUNTS, list_partitions
from .normalize import accounts_sql
from .secret import identity_key, padded_keys

SNAPSHOT_MARK = ".accounts"
_COMPRESSIONS = tuple(COMPRESSION_SUFFIXES)  # .gz, .zst, .zstd, .bz2, .xz
_NAME_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})-?([01][0-9])-?([0-3][0-9])(?![0-9])")


def is_snapshot_name(path: Path) -> bool:
    """``<name>.accounts.<jsonl|ndjson|csv|parquet>[.gz|.zst|.bz2|.xz]``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes.pop()
    return len(suffixes) >= 2 and suffixes[-2] == SNAPSHOT_MARK


def snapshot_name(path: Path) -> str:
    """``path``'s file name as a snapshot's (``is_snapshot_name``): ``SNAPSHOT_MARK`` put
    before its format suffix (and its compression suffix), e.g. ``users.csv.gz`` ->
    ``users.accounts.csv.gz``; a name without a suffix gets one."""
    name = path.name
    tail = ""
    if path.suffix.lower() in _COMPRESSIONS:
        name, tail = name[: -len(path.suffix)], path.suffix
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, "csv"
    suggested = f"{stem}{SNAPSHOT_MARK}.{suffix}{tail}"
    if is_snapshot_name(Path(suggested)):
        return suggested
    # Dots at either end of a name hide its suffixes from Path ("..csv", "a."): drop them.
    return f"{stem.strip('.') or 'users'}{SNAPSHOT_MARK}.{suffix.strip('.') or 'csv'}{tail}"


def date_in_name(path: Path) -> dt.date | None:
    """The last real date ``YYYY-MM-DD`` or ``YYYYMMDD`` in the file's name, if any."""
    found = None
    for m in _NAME_DATE.finditer(path.name):
        try:
            found = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
    return found


def split_snapshots(
    sources: Sequence[SourceFile], all_snapshots: bool = False
) -> tuple[list[SourceFile], list[SourceFile]]:
    """(account snapshots, access logs) among ``sources``, each in input order."""
    snaps = [s for s in sources if all_snapshots or is_snapshot_name(s.path)]
    chosen = {id(s) for s in snaps}
    return snaps, [s for s in sources if id(s) not in chosen]


def ingest_snapshots(
    lake: Lake,
    sources: Sequence[SourceFile],
    settings: IngestSettings,
    run_id: str,
    progress: Progress | None = None,
    snapshot_date: dt.date | None = None,
) -> list[FileResult]:
    """Ingest each snapshot file and commit it; the caller holds the lake's lock.
    ``snapshot_date``: the date of rows that carry none (else the date in the file's name)."""
    if not sources:
        return []
    had_accounts = bool(list_partitions(lake.root, ACCOUNTS))
    key = identity_key(lake.root, may_create=not had_accounts)
    contract = load_account_contract()
    return [
        _ingest_one(lake, source, settings, contract, key, run_id, progress, snapshot_date)
        for source in sources
    ]


def _ingest_one(
    lake: Lake,
    source: SourceFile,
    settings: IngestSettings,
    contract: Contract,
    key: bytes,
    run_id: str,
    progress: Progress | None,
    snapshot_date: dt.date | None,
) -> FileResult:
    stamp = file_stamp(source.path)  # before the hash: the file must hold still until read
    name = str(source.path.resolve())
    started = utc_now()
    try:
        check_utf8_name(source.path)
        sha = sha256_of(source.path, limit=stamp[1] if stamp else None)
    except InputFileError as exc:  # gone or unreadable since it was found: the run goes on
        reason = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return FileResult(name, "", source.format, STATUS_REJECTED, reason=reason)
    previous = lake.manifest_entry(sha)
    if previous and previous.get("status") == STATUS_INGESTED:
        return skipped_result(name, sha, source, previous)
    work = lake.staging_dir / f"{run_id}-{sha[:16]}-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        job = _SnapshotJob(lake, work, source, sha, name, run_id, key)
        file_date = snapshot_date or date_in_name(source.path)
        staged, quarantine, result = job.run(settings, contract, file_date, progress)
        check_unchanged(source.path, stamp, sha)
        commit_file(lake, source, staged, quarantine, result, run_id, started, table=ACCOUNTS)
        return result
    except InputFileError as exc:
        return record_rejection(lake, source, sha, name, run_id, started, exc)
    except OSError as exc:
        if file_stamp(source.path) == stamp:
            raise  # the file held still: not its doing (the lake's own disk, say)
        why = InputFileError(
            f"{source.path} changed while it was read ({exc.strerror or exc}); "
            "nothing of it was published",
            hint="ingest it again once it is complete",
        )
        return record_rejection(lake, source, sha, name, run_id, started, why)
    finally:  # kept if the error came after the commit point (recover() needs it)
        discard_staging(lake.root, work)


class _SnapshotJob:
    """Reading, checking and staging one snapshot file, before its commit."""

    def __init__(
        self,
        lake: Lake,
        work: Path,
        source: SourceFile,
        sha: str,
        name: str,
        run_id: str,
        key: bytes,
    ) -> None:
        self.lake, self.work, self.source, self.sha = lake, work, source, sha
        self.name, self.run_id, self.key = name, run_id, key

    def run(
        self,
        settings: IngestSettings,
        contract: Contract,
        file_date: dt.date | None,
        progress: Progress | None,
    ) -> tuple[list[tuple[Path, str]], Path | None, FileResult]:
        from ..db import connect
        from ..ingest.hashing import known_sha256
        from ..ingest.stage import Provenance
        from .stage import SnapshotStager

        # The raw DuckDB connection, not auditpipe.db's logged ``execute``: the HMAC keys are
        # query parameters, and --debug prints the parameters of logged statements.
        db = connect(
            timezone=self.lake.timezone,
            temp_directory=self.work / "spill",
            memory_limit=settings.memory_limit,
        )
        con = db.connection
        con.execute("SET enable_progress_bar = false")
        source = self.source
        ctx = ReadContext(
            source=source,
            contract=contract,
            batch_bytes=settings.batch_bytes,
            max_line_bytes=settings.max_line_bytes,
            work=self.work,
            con=con,
            on_progress=(lambda share: progress(source, share)) if progress else _quiet,
        )
        provenance = Provenance(self.name, known_sha256(self.sha), self.run_id, utc_now())
        cursor = con.cursor()  # a cursor does not inherit its connection's settings
        cursor.execute("SET TimeZone = $tz", {"tz": self.lake.timezone})
        cursor.execute("SET enable_progress_bar = false")
        stager = SnapshotStager(cursor, self.work, self.sha, provenance)
        sql = accounts_sql(contract, self.lake.timezone)
        params = {"file_date": file_date, **padded_keys(self.key)}
        rows_read = 0
        batches = None
        try:
            batches = prefetch(_read_all(kind_for(source.format), ctx), depth=1)
            for batch in batches:
                rows_read += batch.num_rows
                stager.add(normalize_batch(stager.con, sql, batch, contract, params))
            if progress:
                progress(source, 1.0)
            staged = stager.finish(self.lake, ctx.close_counted())
        except BaseException:
            stager.abort()
            raise
        finally:
            if batches is not None:
                batches.close()
            ctx.close_counted()
            con.close()
        counters = dict(ctx.counters)  # less what a grown file's old bad rows made
        for name, n in staged.counted_before.items():
            counters[name] -= n
        result = FileResult(
            self.name,
            self.sha,
            source.format,
            STATUS_INGESTED,
            rows_read=rows_read,
            rows_stored=staged.stored,
            rows_quarantined=staged.quarantined,
            rows_duplicate=staged.duplicates,
            partitions={key for _, _, key in staged.events},
            counters=counters
            | (
                {"rows_quarantined_before": staged.quarantined_before}
                if staged.quarantined_before
                else {}
            ),
        )
        check_reconciles(result, source.path)
        return [(p, rel) for p, rel, _ in staged.events], staged.quarantine, result


def _quiet(share: float) -> None:
    pass
