"""Ingest as engine work: stage each input file in a task, commit each one on the driver.

``StageFilesTask`` is one file's whole per-file work (hash, the manifest check, reading,
normalising, quarantining, dedup within the file and against the lake as the task finds it,
staged Parquet files written by the lake's own writer, verified) with no commit. Its result,
a ``StagedFile``, goes back to the driver, where ``RunCommitter`` commits it exactly as before:
one transaction per file (the staged files, the quarantine file, the manifest entry).

With the ``duckdb`` engine a file is staged and committed before the next is staged, so the
task already sees every file the run committed. With ``spark`` every file is staged first, in
parallel, against the lake as the run found it; the committer then drops, file by file in input
order, the events that a file committed earlier in the same run stored (and skips content
committed earlier in the run), so the lake ends up row for row as the sequential run leaves it.
"""

from __future__ import annotations

import datetime as dt
import pickle
import shutil
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..contract import Catalog, load_contract
from ..db.database import LOG
from ..errors import InputFileError, InternalError, explain
from ..i18n import _
from ..lake import Lake, discard_staging, verify_parquet
from ..lake.layout import file_partition, partition_value
from .hashing import (
    EMPTY_SHA256,
    InLake,
    check_unchanged,
    check_utf8_name,
    file_sha256,
    file_stamp,
)
from .messages import DUPLICATES_OF_ANOTHER_DAY
from .pipeline import (
    STATUS_INGESTED,
    STATUS_SKIPPED,
    Cancelled,
    FileResult,
    Progress,
    commit_file,
    record_rejection,
    skipped_result,
    stage_file,
)
from .settings import IngestSettings
from .sources import SourceFile
from .stage import drop_keys, stored_on_another_day


@dataclass
class StagedFile:
    """One input file staged by a task, not yet committed."""

    source: SourceFile
    result: FileResult  # the counts as staged (status ingested, skipped or rejected)
    started: dt.datetime
    events: list[tuple[str, str]]  # (staged file, its path relative to events/)
    quarantine: str | None
    work: str | None  # the task's folder under the lake's staging, removed after the commit
    commits_seen: int  # how many of the run's commits were in the lake when the task began
    hint: str | None = None  # a rejection's hint


@dataclass
class RunCommits:
    """The event files an ingest run committed, in order. A task records how many there were
    when it began: it deduplicated against those. In this process the task shares this object
    with the committer and sees every commit so far; a Spark task gets a copy pickled when the
    job was submitted, before any commit, so it sees none, and the committer checks them all.
    Either way a task never claims a commit it did not see."""

    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class StageFilesTask:
    """Picklable: a Spark executor unpickles it and calls it with its input file(s)."""

    lake_root: str
    lake_meta: dict[str, Any]
    settings: IngestSettings
    catalog: Catalog
    run_id: str
    commits: RunCommits
    progress: Progress | None = None  # only in this process

    def __call__(self, items: Sequence[tuple[SourceFile, Any]]) -> bytes:
        """``items``: (input file, its database audit log reader or None)."""
        lake = Lake(Path(self.lake_root), dict(self.lake_meta))
        contract = load_contract()
        return pickle.dumps([self._stage(lake, contract, *item) for item in items])

    def _stage(self, lake: Lake, contract: Any, source: SourceFile, reader: Any) -> StagedFile:
        seen = len(self.commits.files)  # before anything of the lake is looked at
        name = str(source.path.resolve())
        started = dt.datetime.now(dt.UTC)
        stamp = file_stamp(source.path)  # before the hash: the file must hold still until read
        try:
            check_utf8_name(source.path)
        except InputFileError as exc:
            return unreadable(source, name, started, seen, None, exc)
        # Known already, or computed while staging starts; of the bytes the file has now.
        sha = file_sha256(source, limit=stamp[1] if stamp else None)
        try:
            return self._stage_file(lake, contract, source, reader, seen, name, started, sha, stamp)
        except (InputFileError, OSError) as exc:
            # Files are found first and read one after the other: one that cannot be hashed
            # or opened any more (removed, rotated away, its permission changed) is rejected
            # and the run goes on. An OSError while the file held still is not its doing
            # (the lake's own disk, say), and stops the run as before.
            if not isinstance(exc, InputFileError) and file_stamp(source.path) == stamp:
                raise
            return unreadable(source, name, started, seen, sha, exc)

    def _stage_file(
        self,
        lake: Lake,
        contract: Any,
        source: SourceFile,
        reader: Any,
        seen: int,
        name: str,
        started: dt.datetime,
        sha: Future[str],
        stamp: tuple[int, int, int] | None,
    ) -> StagedFile:
        in_lake = InLake(lake, sha)
        staged: StagedFile | None = None
        if not in_lake():
            # Named without the hash, which may not be known yet; recover() drops it after a
            # crash like any other folder under staging.
            work = lake.staging_dir / f"{self.run_id}-{uuid.uuid4().hex[:12]}"
            work.mkdir(parents=True, exist_ok=True)
            try:
                files, quarantine, result = stage_file(
                    lake,
                    work,
                    source,
                    sha,
                    name,
                    self.settings,
                    contract,
                    self.catalog,
                    self.run_id,
                    self.progress,
                    reader,
                    cancel=in_lake,
                )
                check_unchanged(source.path, stamp, sha.result())
                staged = StagedFile(
                    source,
                    result,
                    started,
                    [(str(path), rel) for path, rel in files],
                    str(quarantine) if quarantine is not None else None,
                    str(work),
                    seen,
                )
            except Cancelled:
                pass
            except InputFileError as exc:
                reason = exc.message
                rejected = FileResult(name, sha.result(), source.format, "rejected", reason=reason)
                staged = StagedFile(source, rejected, started, [], None, None, seen, hint=exc.hint)
            except Exception as exc:
                defect = unexpected_in_file(exc, source.path)
                if defect is None:
                    raise
                rejected = FileResult(
                    name, sha.result(), source.format, "rejected", reason=defect.message
                )
                staged = StagedFile(
                    source, rejected, started, [], None, None, seen, hint=defect.hint
                )
            finally:
                if staged is None or staged.work is None:
                    shutil.rmtree(work, ignore_errors=True)
        if in_lake(wait=True):  # content the lake holds is skipped, whatever staging made of it
            if staged is not None and staged.work is not None:
                shutil.rmtree(staged.work, ignore_errors=True)
            assert in_lake.entry is not None
            result = skipped_result(name, sha.result(), source, in_lake.entry)
            return StagedFile(source, result, started, [], None, None, seen)
        assert staged is not None  # cancelled only when the lake holds the content
        return staged


def unexpected_in_file(exc: Exception, path: Path) -> InputFileError | None:
    """The rejection of a file that made auditpipe fail in a way it did not foresee (a
    library's error on data no test had shown, such as pyarrow's CSV reader on a row longer
    than its block), or None when ``exc`` is not that and must stop the run: a full disk, an
    interrupt, DuckDB's memory limit, another OS error (the lake's own disk), or an error
    auditpipe raises on purpose (a file that does not reconcile is never published, and stops
    the run: a bug that may touch every file). One bad file never stops a night: the others
    go on, the run exits 3 as for any rejected file, nothing of this one is stored, and the
    next run reads it again (a rejection is not an ingest). ``--debug`` logs the traceback."""
    if not isinstance(explain(exc), InternalError):
        return None
    LOG.debug("the error that rejected %s", path, exc_info=exc)
    return InputFileError(
        _(
            "auditpipe failed on this file with an error it did not expect ({kind}: {error}); "
            "nothing of it was stored, and the run went on with the other files"
        ).format(kind=type(exc).__name__, error=str(exc).splitlines()[0] if str(exc) else ""),
        hint=_(
            "this is a defect in auditpipe, not necessarily in the file: run the ingest of this "
            "file again with --debug for the traceback and report it with the file; the next "
            "run reads the file again"
        ),
    )


def unreadable(
    source: SourceFile,
    name: str,
    started: dt.datetime,
    seen: int,
    sha: Future[str] | None,
    exc: Exception,
) -> StagedFile:
    """A file that could not be hashed or read to the end, rejected; its sha256 is "" when
    it could not be hashed, and then no manifest entry records it (nothing names it)."""
    if isinstance(exc, InputFileError):
        reason, hint = exc.message, exc.hint
    else:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        reason = f"{source.path} changed while it was read ({why}); nothing of it was published"
        hint = "ingest it again once it is complete"
    known = sha.result() if sha and sha.done() and sha.exception() is None else ""
    result = FileResult(name, known, source.format, "rejected", reason=reason)
    return StagedFile(source, result, started, [], None, None, seen, hint=hint)


def decode(payload: bytes) -> list[StagedFile]:
    return list(pickle.loads(payload))


class RunCommitter:
    """Commits staged files one by one, in input order, for one ingest run."""

    def __init__(self, lake: Lake, run_id: str, commits: RunCommits) -> None:
        self.lake = lake
        self.run_id = run_id
        self.commits = commits

    def commit(self, staged: StagedFile) -> FileResult:
        result = staged.result
        try:
            if result.status == "rejected" and not result.sha256:
                # It could not be hashed: no content to record it under, so its reason is all
                # that is said of it, with what to do.
                hint = f" ({staged.hint})" if staged.hint else ""
                return replace(result, reason=f"{result.reason}{hint}")
            if result.status == STATUS_SKIPPED:
                return result
            previous = self.lake.manifest_entry(result.sha256)
            if (
                previous
                and previous.get("status") == STATUS_INGESTED
                and result.sha256 != EMPTY_SHA256  # no content: each empty file is its own
            ):
                # Content a file committed earlier in this run: skipped, as the sequential run
                # skips it before reading, whatever staging made of it. A copy whose name
                # makes another kind read it (a JSON Lines file named .parquet) may have been
                # rejected: recording that would overwrite the ingested content's entry.
                return skipped_result(result.source_file, result.sha256, staged.source, previous)
            if result.status == "rejected":
                return record_rejection(
                    self.lake,
                    staged.source,
                    result.sha256,
                    result.source_file,
                    self.run_id,
                    staged.started,
                    InputFileError(result.reason or "", hint=staged.hint),
                )
            unseen = self.commits.files[staged.commits_seen :]
            events = [(Path(p), rel) for p, rel in staged.events]
            if unseen:
                events, result = _drop_stored(events, result, unseen)
            quarantine = Path(staged.quarantine) if staged.quarantine else None
            commit_file(
                self.lake, staged.source, events, quarantine, result, self.run_id, staged.started
            )
            self.commits.files.extend(self.lake.events_dir / rel for _, rel in events)
            return result
        finally:
            if staged.work:  # kept if the error came after the commit point (recover() needs it)
                discard_staging(self.lake.root, Path(staged.work))


def _drop_stored(
    events: list[tuple[Path, str]], result: FileResult, lake_files: list[Path]
) -> tuple[list[tuple[Path, str]], FileResult]:
    """The staged files without events ``lake_files`` store (files of the same provider
    folder only: keys are (provider_id, event_id)), rewritten by the stager's ``drop_keys``;
    counts moved from stored to duplicate, and those stored on another day also counted as
    ``rows_duplicate_of_another_day``, as the stager counts repeats of the lake's events."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    by_folder: dict[str, list[Path]] = {}
    for f in lake_files:
        by_folder.setdefault(f.parent.parent.name, []).append(f)
    kept: list[tuple[Path, str]] = []
    dropped = other_day = 0
    for path, rel in events:
        folder = rel.split("/", 1)[0]
        stored = by_folder.get(folder, [])
        if not stored:
            kept.append((path, rel))
            continue
        provider = partition_value(folder) or ""
        stored_keys = pa.concat_tables(
            pa.table(
                {
                    "event_id": ids,
                    "event_date": pa.repeat(pa.scalar(file_partition(f)[1], pa.date32()), len(ids)),
                }
            )
            for f in stored
            for ids in [pq.read_table(f, columns=["event_id"], partitioning=None)["event_id"]]
        )
        keys = stored_keys.append_column(
            "provider_id", pa.repeat(pa.scalar(provider, pa.string()), stored_keys.num_rows)
        )
        before = pq.read_metadata(path).num_rows
        other_day += stored_on_another_day(path, _partition_key(rel), keys)
        if drop_keys(path, provider, keys):
            after = verify_parquet(path)
            kept.append((path, rel))
        else:
            after = 0
        dropped += before - after
    if not dropped:
        return events, result
    partitions = {_partition_key(rel) for _, rel in kept}
    counters = dict(result.counters)
    if other_day:
        counters[DUPLICATES_OF_ANOTHER_DAY] = counters.get(DUPLICATES_OF_ANOTHER_DAY, 0) + other_day
    return kept, replace(
        result,
        rows_stored=result.rows_stored - dropped,
        rows_duplicate=result.rows_duplicate + dropped,
        partitions={p for p in result.partitions if p in partitions},
        counters=counters,
    )


def _partition_key(rel: str) -> tuple[str, dt.date]:
    provider, day = rel.split("/")[:2]
    return partition_value(provider) or "", dt.date.fromisoformat(partition_value(day) or "")
