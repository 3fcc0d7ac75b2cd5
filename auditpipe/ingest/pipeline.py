"""Ingest: files in, events and quarantine out, one atomic commit per file.

For each file: hash it, on a thread of its own while the rest starts (content identifies a
file, so a second ingest of the same bytes is a no-op: staging stops between two batches once
the hash shows the lake holds it; hashing.py); ask its input kind (kinds.py) for batches;
normalise each batch with one query (normalize.py); stream the rows into staged Parquet files,
quarantined rows to the file's quarantine file and new events, deduplicated in line order, to
one file per partition (stage.py); then drop events the lake already holds, verify each footer
and row count, and commit the files, the quarantine file and the manifest entry as one lake
transaction. No file is ever held whole in memory.

Threads, for one file: one hashes it, the kind reads and extracts the next batch, a second
thread normalises the one before (the enum and data_fields lookups come from the file's cache,
lookups.py), the caller stages the one before that, and the stager's writer thread writes
Parquet (waiting for the hash at its first write: every row carries it); each thread that
queries DuckDB has its own cursor, and DuckDB itself gets only the cores beyond these
(``duckdb_threads``). At most one batch waits between two threads (``lines.prefetch``).

Every row read ends up stored, quarantined with a reason, or counted as a duplicate; the
pipeline checks that these add up for every batch and every file. A problem with one row
quarantines that row; a problem with the file (truncated archive, UTF-16 text, unreadable
header) rejects that file with its reason, and the run goes on with the next file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contract import Catalog, Contract, load_catalog, load_contract
from ..db import arrow_table, usable_cpus
from ..errors import AuditpipeError, ConfigError, InputFileError
from ..i18n import _
from ..lake import Lake, new_id, utc_now
from .kinds import Kind, ReadContext, kind_for
from .lines import Cancelled, StreamError, prefetch
from .lookups import ValueLookups
from .memory import use_ingest_memory_pool
from .messages import DUPLICATES_OF_ANOTHER_DAY
from .normalize import FOLDER_NAME_LIMIT, normalize_sql, passed_columns, trimmed_texts
from .settings import IngestSettings
from .sources import Skipped, SourceFile, discover
from .stage import FileStager, Provenance, provider_folder_bytes
from .unclassified import UnclassifiedTally, unclassified_json

if TYPE_CHECKING:
    import pyarrow as pa

    from ..engines import Engine

STATUS_INGESTED, STATUS_SKIPPED, STATUS_REJECTED = "ingested", "skipped", "rejected"
Progress = Callable[[SourceFile, float], None]  # (file, share of it done: 0.0 to 1.0)


@dataclass
class FileResult:
    source_file: str
    sha256: str
    format: str
    status: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    reason: str | None = None
    partitions: set[tuple[str, dt.date]] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)  # the input kind's own counts
    # Database audit logs (ingest --source): log-line counts; rows are then statements.
    source_counts: dict[str, int] | None = None
    # ... and the source settings file it was read with (its [columns] names what is mapped)
    source_settings: str | None = None
    # events per database user no [actors] pattern matched; the [actors] patterns matching none
    unmatched_actors: list[tuple[str, int]] = field(default_factory=list)
    unused_actor_patterns: list[str] = field(default_factory=list)
    # The most frequent data field names the catalog does not know, with the events naming
    # each (unclassified.py), and how many different unknown names the file had.
    unclassified_fields: list[tuple[str, int]] = field(default_factory=list)
    unclassified_field_names: int = 0

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_stored + self.rows_quarantined + self.rows_duplicate


# The account snapshot contract's required fields besides provider_id (which events share).
SNAPSHOT_SIGNS = frozenset({"account_id", "verification_status"})


def check_not_a_snapshot(path: Path, columns: set[str], stored: int) -> None:
    """Reject a file read as an access log that is an account snapshot: its columns
    (ReadContext.snapshot_columns) hold SNAPSHOT_SIGNS and not one of its rows is an event.
    It is a user export not named ``*.accounts.*``. Ingested, each row would be quarantined
    (no event time, actor or action), with its ID number in the quarantine (its ID-like
    tokens are removed, not another document's numbers), and the lake would then hold the
    content: the same file named as a snapshot would be skipped as ingested. Rejected, nothing
    of it is kept, and named as the hint says it is ingested as the snapshot it is. A log
    with such columns and events is ingested as a log."""
    if stored or not SNAPSHOT_SIGNS.issubset(columns):
        return
    from ..realname.ingest import snapshot_name

    raise InputFileError(
        _(
            "its columns ({columns}) are an account snapshot's and none of its rows is an "
            "access event, so it was not ingested as an access log"
        ).format(columns=", ".join(sorted(columns))),
        hint=_(
            "to ingest it as an account snapshot, name it {name} (or give it to auditpipe "
            "ingest with --accounts)"
        ).format(name=snapshot_name(path)),
    )


@dataclass
class IngestResult:
    run_id: str
    files: list[FileResult]
    skipped: Skipped = field(default_factory=Skipped)  # files in input folders left out

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_stored(self) -> int:
        return self._sum("rows_stored")

    @property
    def rows_quarantined(self) -> int:
        return self._sum("rows_quarantined")

    @property
    def rows_duplicate(self) -> int:
        return self._sum("rows_duplicate")

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == STATUS_REJECTED]

    @property
    def partitions(self) -> set[tuple[str, dt.date]]:
        out: set[tuple[str, dt.date]] = set()
        for f in self.files:
            out |= f.partitions
        return out

    @property
    def clean(self) -> bool:
        return not self.rejected and self.rows_quarantined == 0


@dataclass(frozen=True)
class Inputs:
    """The files an ingest reads, found before the lake is opened (or created)."""

    files: list[SourceFile]
    router: Any = None  # a SourceRouter when [ingest] sources lists database audit log sources
    skipped: Skipped = field(default_factory=Skipped)  # files inside folders left out


def find_inputs(
    paths: Sequence[Path],
    settings: IngestSettings,
    source: Any = None,
    exclude: Sequence[Path] = (),
) -> Inputs:
    """The files under ``paths`` that ingest reads (``discover``: skipped files are named in a
    warning, and nothing to ingest at all is a UsageError); ``exclude`` is the lake."""
    skipped = Skipped()
    if source is not None:
        from ..sources import classify_as

        found = discover(paths, classify_as(source.kind), exclude=exclude, skipped=skipped)
        return Inputs(found, skipped=skipped)
    router = None
    if settings.sources:
        from ..sources.router import SourceRouter

        router = SourceRouter.load(settings.sources)
    classifier = router.classify if router else None
    return Inputs(discover(paths, classifier, exclude=exclude, skipped=skipped), router, skipped)


def ingest_paths(
    lake: Lake,
    paths: Sequence[Path] | Inputs,
    settings: IngestSettings,
    progress: Progress | None = None,
    source: Any = None,
    engine: Engine | None = None,
    accounts: bool = False,
    snapshot_date: dt.date | None = None,
) -> IngestResult:
    """Ingest every log under ``paths`` (or the ``Inputs`` found already) into ``lake``; see
    the module docstring. ``source`` (auditpipe.sources.SourceSettings) reads every file as
    that database audit log.

    Account snapshots (files named ``*.accounts.<format>``, or every file with ``accounts``)
    go to the ``accounts`` table through auditpipe.realname, in this process, before the
    logs; ``snapshot_date`` dates their rows that carry no date.

    ``engine`` stages the files (default: DuckDB in this process, one file after the other;
    on Spark one task per file); each file is committed here, in input order, either way.
    """
    from ..engines.duckdb import DuckDBEngine
    from .tasks import RunCommits, RunCommitter, StageFilesTask, decode

    catalog = load_catalog(settings.catalog)
    sizes: dict[str, Any] = {
        "batch_bytes": settings.batch_bytes,
        "max_line_bytes": settings.max_line_bytes,
    }
    inputs = (
        paths
        if isinstance(paths, Inputs)
        else find_inputs(paths, settings, source, exclude=[lake.root])
    )
    sources, router = inputs.files, inputs.router
    only: Any = None
    if source is not None:
        from ..sources import SourceReader

        only = SourceReader(source, catalog, **sizes)
    from ..realname.ingest import ingest_snapshots, split_snapshots

    snapshots, sources = split_snapshots(sources, accounts) if source is None else ([], sources)
    engine = engine or DuckDBEngine()
    if not engine.in_process:  # a task elsewhere has another working folder
        sources = [replace(s, path=s.path.resolve()) for s in sources]
    items = [
        (found, router.reader_for(found.path, catalog, **sizes) if router is not None else only)
        for found in sources
    ]
    run_id = new_id("ingest")
    results: list[FileResult] = []
    commits = RunCommits()
    with lake.locked("ingest"):
        results.extend(ingest_snapshots(lake, snapshots, settings, run_id, progress, snapshot_date))
        task = StageFilesTask(
            str(lake.root.resolve()),
            dict(lake.meta),
            settings,
            catalog,
            run_id,
            commits,
            progress if engine.in_process else None,
        )
        committer = RunCommitter(lake, run_id, commits)
        for payload in engine.run_tasks(task, items, together=False):
            results.extend(committer.commit(staged) for staged in decode(payload))
    return IngestResult(run_id, results, inputs.skipped)


def check_timezone(name: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _("unknown timezone {name!r}").format(name=name),
            hint=_("use an IANA name such as Asia/Shanghai"),
        ) from None
    return name


def skipped_result(
    name: str,
    sha: str,
    source: SourceFile,
    previous: dict[str, Any],
    contract: Contract | None = None,
) -> FileResult:
    """A file whose content the lake already holds; or, when the folders of the file that
    delivered it named another value for a field this file's folders name too
    (``provider_id=a``, here ``provider_id=b``: ``folder_values``), a rejected file, recorded
    nowhere: the same bytes are other rows. (Where only one of them names it, the rows may
    hold the field themselves: skipped, as before.)"""
    contract = contract or load_contract()
    earlier = previous.get("source_file")
    mine = folder_values(source.path, contract)
    theirs = folder_values(Path(earlier), contract) if earlier else {}
    if any(theirs.get(k, v) != v for k, v in mine.items()):
        named = ", ".join(f"{k}={v}" for k, v in sorted(mine.items()))
        before = ", ".join(f"{k}={v}" for k, v in sorted(theirs.items()))
        return FileResult(
            name,
            sha,
            source.format,
            STATUS_REJECTED,
            reason=f"the same bytes were ingested from {earlier}, whose folders name {before}; "
            f"this file's folders name {named}, so its rows are other events that the lake "
            "does not hold (write these fields into the files as columns and send them again)",
        )
    return FileResult(
        name,
        sha,
        source.format,
        STATUS_SKIPPED,
        reason=f"same content already ingested from {previous.get('source_file')} "
        f"at {previous.get('finished_at')}",
    )


def stage_file(
    lake: Lake,
    work: Path,
    source: SourceFile,
    sha: Future[str],
    name: str,
    settings: IngestSettings,
    contract: Contract,
    catalog: Catalog,
    run_id: str,
    progress: Progress | None,
    reader: Any = None,
    cancel: Callable[[], bool] = lambda: False,
) -> tuple[list[tuple[Path, str]], Path | None, FileResult]:
    """One file read, normalised, deduplicated and staged in ``work`` (see ``_FileJob``), with
    its (staged file, path under events/) pairs, its quarantine file and its counts; no commit.
    ``sha``: the file's sha256, which may still be being computed (hashing.py). ``reader``: a
    database audit log reader, else the file's own input kind reads it. ``cancel`` is asked
    between batches; when it says True, staging stops and raises ``Cancelled``."""
    use_ingest_memory_pool()  # see memory.py: less system CPU and a lower peak
    kind = kind_for(source.format) if reader is None else SourceReaderKind(reader)
    job = _FileJob(lake, work, source, sha, name, run_id, kind, cancel)
    return job.run(settings, contract, catalog, progress)


def commit_file(
    lake: Lake,
    source: SourceFile,
    staged_files: list[tuple[Path, str]],
    quarantine_file: Path | None,
    result: FileResult,
    run_id: str,
    started: dt.datetime,
    table: str = "events",
) -> None:
    """One file's staged rows (``table``: events, or accounts for a snapshot), quarantine and
    manifest entry, as one lake transaction."""
    txn = lake.transaction()
    sha16 = result.sha256[:16]
    for staged, rel in staged_files:
        txn.add_file(staged, f"{table}/{rel}")
    if quarantine_file is not None:
        txn.add_file(quarantine_file, f"quarantine/part-{sha16}.parquet")
    entry = _manifest_entry(result, run_id, started, source)
    if table != "events":
        entry["lake_table"] = table
    entry["files"] = [f"{table}/{rel}" for _, rel in staged_files] + (
        [f"quarantine/part-{sha16}.parquet"] if quarantine_file is not None else []
    )
    txn.add_json(f"_auditpipe/manifest/{result.sha256}.json", entry)
    txn.commit()


def _manifest_entry(
    result: FileResult, run_id: str, started: dt.datetime, source: SourceFile
) -> dict[str, Any]:
    return {
        "sha256": result.sha256,
        "source_file": result.source_file,
        "format": source.format,
        "compression": source.compression,
        "bytes": _size(source.path),
        "status": result.status,
        "reason": result.reason,
        "rows_read": result.rows_read,
        "rows_stored": result.rows_stored,
        "rows_quarantined": result.rows_quarantined,
        "rows_duplicate": result.rows_duplicate,
        "partitions": sorted(f"{p}/{d.isoformat()}" for p, d in result.partitions),
        **({"counters": dict(sorted(result.counters.items()))} if result.counters else {}),
        **({"source": result.source_counts} if result.source_counts is not None else {}),
        "unclassified_field_names": result.unclassified_field_names,
        "unclassified_fields": unclassified_json(result.unclassified_fields),
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": utc_now().isoformat(),
    }


def _size(path: Path) -> int | None:
    """The file's size; None for a file that is gone (one rejected because it vanished)."""
    try:
        return path.stat().st_size
    except OSError:
        return None


def check_reconciles(result: FileResult, path: Path) -> None:
    """Refuse to publish a file whose rows do not add up (a bug, never the input's fault)."""
    if not result.reconciles:
        raise AuditpipeError(
            _(
                "internal error: {path}: {rows_read} rows read but {rows_stored} stored, {rows_quarantined} quarantined and {rows_duplicate} duplicates; nothing was published"
            ).format(
                path=path,
                rows_read=result.rows_read,
                rows_stored=result.rows_stored,
                rows_quarantined=result.rows_quarantined,
                rows_duplicate=result.rows_duplicate,
            ),
            hint=_("please report this with the file"),
        )


def record_rejection(
    lake: Lake,
    source: SourceFile,
    sha: str,
    name: str,
    run_id: str,
    started: dt.datetime,
    exc: AuditpipeError,
) -> FileResult:
    # The reason is all the operator sees of a rejection (ingest's output, the manifest, status,
    # the nightly summary), so it carries the error's hint: what to do about the file.
    reason = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    result = FileResult(name, sha, source.format, STATUS_REJECTED, reason=reason)
    txn = lake.transaction()
    entry = _manifest_entry(result, run_id, started, source)
    entry["files"] = []
    txn.add_json(f"_auditpipe/manifest/{sha}.json", entry)
    txn.commit()
    return result


@dataclass
class _FileJob:
    """Reading, normalising and staging one file, before its commit."""

    lake: Lake
    work: Path
    source: SourceFile
    sha: Future[str]
    name: str
    run_id: str
    kind: Kind
    cancel: Callable[[], bool]

    def run(
        self,
        settings: IngestSettings,
        contract: Contract,
        catalog: Catalog,
        progress: Progress | None,
    ) -> tuple[list[tuple[Path, str]], Path | None, FileResult]:
        con = self._connect(settings)
        sessions = [con]
        stager: FileStager | None = None
        read: Generator[pa.Table, None, None] | None = None
        batches: Generator[pa.Table, None, None] | None = None
        ctx = ReadContext(
            source=self.source,
            contract=contract,
            batch_bytes=settings.batch_bytes,
            max_line_bytes=settings.max_line_bytes,
            work=self.work,
            con=con,
            on_progress=(lambda share: progress(self.source, share)) if progress else _quiet,
        )
        try:
            provenance = Provenance(self.name, self.sha, self.run_id, utc_now())
            # Three threads, each on its own cursor: the kind reads batch n+2 while batch n+1
            # is normalised and batch n is staged (DuckDB plans each query on one thread).
            norm_con = self._session(con.cursor())
            work_con = self._session(con.cursor())
            sessions += [norm_con, work_con]
            stager = FileStager(work_con, self.work, provenance)
            sql = normalize_sql(contract, self.lake.timezone)
            lookups = ValueLookups.for_contract(contract, catalog)
            unclassified = UnclassifiedTally.for_catalog(catalog)
            rows_read = 0
            # Each thread asks ``cancel`` before it starts on a batch, and this one while it
            # waits for the next.
            cancel = _interrupting(self.cancel, sessions)
            read = prefetch(_read_all(self.kind, ctx, cancel), depth=1)
            batches = prefetch(
                _normalised(
                    read,
                    lambda b: normalize_batch(
                        norm_con, sql, b, contract, lookups=lookups, passed=passed_columns
                    ),
                    cancel,
                ),
                depth=1,
                cancel=cancel,
            )
            for normalised in batches:
                rows_read += normalised.num_rows  # every row read comes back, checked there
                unclassified.add(normalised)
                stager.add(normalised)
                del normalised
            if self.cancel():  # before the lake is read for events it holds
                raise Cancelled
            if progress:
                progress(self.source, 1.0)
            check_not_a_snapshot(self.source.path, ctx.snapshot_columns, stager.accepted)
            staged = stager.finish(
                _lake_files(self.lake, stager.providers),
                lambda: _lake_quarantine(self.lake),
                counted=ctx.close_counted(),
            )
        except BaseException as exc:
            if stager is not None:
                stager.abort()
            if isinstance(exc, Exception) and self.cancel():
                raise Cancelled from exc  # e.g. a query the cancel interrupted
            raise
        finally:
            # Stop the threads (normalising, then reading) before their connection closes.
            for stage in (batches, read):
                if stage is not None:
                    stage.close()
            ctx.close_counted()
            con.close()
        # A grown file's old bad rows are duplicates, not quarantined again: the counters of
        # quarantined rows (or lines) lose what those rows made, and a database log's lines
        # still reconcile, the old bad ones as lines_quarantined_before.
        counters = dict(ctx.counters)
        for name, n in staged.counted_before.items():
            if name in counters:
                counters[name] -= n
        source_counts = getattr(self.kind, "source_counts", None)
        lines_before = staged.counted_before.get(LINES_QUARANTINED, 0)
        if source_counts is not None and lines_before:
            source_counts = source_counts | {
                LINES_QUARANTINED: source_counts[LINES_QUARANTINED] - lines_before,
                LINES_QUARANTINED_BEFORE: lines_before,
            }
        result = FileResult(
            self.name,
            self.sha.result(),
            self.source.format,
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
            )
            | (
                {DUPLICATES_OF_ANOTHER_DAY: staged.duplicates_of_another_day}
                if staged.duplicates_of_another_day
                else {}
            ),
            source_counts=source_counts,
            source_settings=getattr(self.kind, "settings_file", None),
            unmatched_actors=getattr(self.kind, "unmatched_actors", []),
            unused_actor_patterns=getattr(self.kind, "unused_actor_patterns", []),
            unclassified_fields=unclassified.top(settings.unclassified_top),
            unclassified_field_names=len(unclassified.counts),
        )
        check_reconciles(result, self.source.path)
        return [(path, rel) for path, rel, _ in staged.events], staged.quarantine, result

    def _connect(self, settings: IngestSettings) -> Any:
        """The file's DuckDB session, made by auditpipe.db (the lake's TimeZone, the memory
        ceiling, spilling into this file's staging folder). The kinds and the stager use the
        DuckDB connection itself: they register Arrow batches and read results as Arrow."""
        from ..db import connect

        db = connect(
            timezone=self.lake.timezone,
            temp_directory=self.work / "spill",
            memory_limit=settings.memory_limit,
            threads=duckdb_threads(),
        )
        return db.connection

    def _session(self, con: Any) -> Any:
        """A cursor's settings: a cursor does not inherit its connection's."""
        con.execute("SET TimeZone = $tz", {"tz": self.lake.timezone})
        con.execute("SET enable_progress_bar = false")  # our own progress goes to stderr
        return con


# A database log's line counters (sources.events.Counters) that a grown log's old bad rows
# change: lines_read = lines_in_events + non_data_lines + lines_quarantined (+ the lines of the
# bad rows an earlier ingest of the same path quarantined, when there are any).
LINES_QUARANTINED = "lines_quarantined"
LINES_QUARANTINED_BEFORE = "lines_quarantined_before"


class SourceReaderKind:
    """A database audit log reader (auditpipe.sources.SourceReader, configured per source)
    as an input kind: its batches name the reader's reason ``pre_error``, and its log-line
    counts must reconcile."""

    name = "source"
    suffixes: tuple[str, ...] = ()

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.source_counts: dict[str, int] | None = None
        self.settings_file: str = reader.settings.where()
        self.unmatched_actors: list[tuple[str, int]] = []
        self.unused_actor_patterns: list[str] = []

    def batches(self, ctx: ReadContext) -> Iterator[pa.Table]:
        stream = ctx.open_bytes()
        try:
            for table in self.reader.batches(stream, str(ctx.source.path)):
                # The log lines of its bad rows: a grown log's old ones are not counted again.
                ctx.record_quarantined(LINES_QUARANTINED, self.reader.counters.take_quarantined())
                names = ["reason" if c == "pre_error" else c for c in table.column_names]
                yield table.rename_columns(names)
        finally:
            stream.close()
        counters = self.reader.counters
        self.source_counts = counters.as_dict()
        self.unmatched_actors = sorted(
            counters.unmatched_users.items(), key=lambda u: (-u[1], u[0])
        )
        self.unused_actor_patterns = sorted(
            {p for p, _t in self.reader.settings.actors} - counters.matched_patterns
        )
        if not counters.reconciles:
            raise AuditpipeError(
                _(
                    "internal error: {path}: log lines do not reconcile ({as_dict}); nothing was published"
                ).format(path=ctx.source.path, as_dict=counters.as_dict()),
                hint=_("please report this with the file"),
            )


def _interrupting(cancel: Callable[[], bool], sessions: list[Any]) -> Callable[[], bool]:
    """``cancel``, which also interrupts the file's DuckDB queries once it says True: their
    results would be thrown away, and the threads stop sooner."""

    def asked() -> bool:
        if not cancel():
            return False
        for session in sessions:
            session.interrupt()
        return True

    return asked


def _normalised(
    batches: Iterator[pa.Table],
    normalise: Callable[[pa.Table], pa.Table],
    cancel: Callable[[], bool],
) -> Iterator[pa.Table]:
    """Each batch normalised; the batch as read is let go before its result is handed on."""
    for batch in batches:
        if cancel():
            raise Cancelled
        out = normalise(batch)
        del batch  # not held while the consumer works on ``out``
        yield out


def duckdb_threads() -> int:
    """DuckDB's threads for one file's session. The pipeline runs its own threads (reading
    and extracting, normalising, staging, writing), about three of them busy at once; DuckDB's
    workers on top of those only contend with them for the cores. On the 2-core development
    machine one DuckDB thread gave 5% less CPU and 10% less wall time than two (the benchmark
    sample, paired runs); larger machines give DuckDB the cores beyond those three. The cores
    are those the process may run on (``usable_cpus``), not the host's."""
    return max(1, usable_cpus() - 3)


def _quiet(share: float) -> None:
    pass


def _read_all(
    kind: Kind, ctx: ReadContext, cancel: Callable[[], bool] = lambda: False
) -> Iterator[pa.Table]:
    """The kind's batches as tables; a stream that breaks off rejects the file. ``cancel`` is
    asked before each batch after the first is read."""
    import pyarrow as pa

    batches = kind.batches(ctx)
    named = folder_values(ctx.source.path, ctx.contract)
    try:
        for batch in batches:
            table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            yield with_folder_values(table, named) if named else table
            if cancel():
                raise Cancelled
    except StreamError as exc:
        raise InputFileError(
            f"{ctx.source.path} cannot be read to the end: {exc}",
            hint="the archive is truncated or corrupt; ask the provider to send it again",
        ) from exc
    finally:
        if isinstance(batches, Generator):
            batches.close()  # its file and thread now, not when the error holding it is freed


HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # a partition folder of rows whose value was null


def folder_values(path: Path, contract: Contract) -> dict[str, str]:
    """The contract fields named by ``field=value`` folders above ``path`` (the innermost
    folder of a field wins), as Spark's ``partitionBy``, DuckDB's ``PARTITION_BY`` and
    pyarrow's hive partitioning write them: the field's column is left out of the files and
    its value, percent-encoded, is in the folder name. Hive's null folder names no value."""
    from urllib.parse import unquote

    found: dict[str, str] = {}
    for part in Path(os.path.abspath(path)).parent.parts:
        name, equals, value = part.partition("=")
        canon = contract.canonical_key(unquote(name)) if equals else None
        if canon is not None and value and value != HIVE_NULL:
            found[canon] = unquote(value)
    return found


def with_folder_values(batch: pa.Table, values: dict[str, str]) -> pa.Table:
    """``batch`` with each field of ``values`` filled in where the row has no value of its
    own (the column absent, NULL or empty): a row's own value wins over its folder's."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, value in values.items():
        if name not in batch.column_names:
            batch = batch.append_column(name, pa.array([value] * batch.num_rows, pa.string()))
            continue
        column = batch[name]
        empty = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), True)
        filled = pc.if_else(empty, pa.scalar(value, column.type), column)
        batch = batch.set_column(batch.column_names.index(name), name, filled)
    return batch


def _lake_files(lake: Lake, providers: set[str]) -> dict[str, list[Path]]:
    """provider_id -> the lake's event files of that provider (the layout's listing)."""
    from ..lake.layout import EVENTS, list_partitions

    found: dict[str, list[Path]] = {}
    for part in list_partitions(lake.root, EVENTS):
        if part.provider_id in providers:
            found.setdefault(part.provider_id, []).extend(part.files)
    return found


def _lake_quarantine(lake: Lake) -> list[Path]:
    """The lake's quarantine files (one per ingested file with bad rows)."""
    from ..lake.layout import QUARANTINE, parquet_files

    return parquet_files(lake.root / QUARANTINE)


def normalize_batch(
    con: Any,
    sql: str,
    batch: pa.Table,
    contract: Contract,
    params: dict[str, Any] | None = None,
    lookups: ValueLookups | None = None,
    passed: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> pa.Table:
    """One batch through normalize_sql (or another query over ``read_batch`` taking
    ``$unfit_providers`` and ``params``, like the account snapshots' one): every row comes
    back, with a reason or an event. ``lookups``: the file's ValueLookups, which add the
    looked-up columns normalize_sql reads. ``passed``: the columns the query leaves out and
    takes from the batch as registered (normalize.passed_columns for normalize_sql), put
    beside its result row for row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {name: batch[name] for name in batch.column_names}
    n = batch.num_rows
    for name in ("reason", "extras", *contract.names):
        if name not in columns:
            columns[name] = pa.nulls(n, pa.string())
    for name in contract.names:
        columns[name] = trimmed_texts(columns[name])  # the query reads them trimmed
    unfit: list[str] = []
    if n:
        providers = pc.unique(columns["provider_id"].cast(pa.string())).to_pylist()
        unfit = [
            p.strip(" ")
            for p in providers
            if p is not None and provider_folder_bytes(p.strip(" ")) > FOLDER_NAME_LIMIT
        ]
    if lookups is not None:
        columns.update(lookups.columns(con, pa.table(columns)))
    con.register("read_batch", pa.table(columns))
    try:
        out = arrow_table(con, sql, {"unfit_providers": unfit, **(params or {})})
    finally:
        con.unregister("read_batch")
    if out.num_rows != n:
        raise AuditpipeError(
            _("internal error: a batch of {n} rows normalised to {num_rows}").format(
                n=n, num_rows=out.num_rows
            ),
            hint=_("please report this with the file"),
        )
    if passed is not None:
        extra = passed(columns)
        lines = columns["line_number"]  # a column of the batch: a ChunkedArray
        if not out["line_number"].equals(lines):
            # DuckDB kept the batch's order, so far always; else rows match by line number.
            at = pc.index_in(out["line_number"], value_set=lines.combine_chunks())
            extra = {name: pc.take(column, at) for name, column in extra.items()}
        for name, column in extra.items():
            out = out.append_column(name, column)
    return out
