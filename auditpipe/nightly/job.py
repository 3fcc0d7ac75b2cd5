"""The nightly job: ingest what is new in the inbox, detect on the days it touched, report.

Restartable by design. The whole run holds the lake lock (``lake.locked("nightly")``, whose
``recover()`` first rolls forward whatever a killed process had committed), and it keeps a run
record (runs.py) that is written *before* each phase:

1. scan: hash the ready inbox files; a file whose content has a manifest entry is already in
   the lake and is never ingested again.
2. ingest: the record lists every file it is about to ingest (by sha256). Ingest commits file
   by file, so a kill leaves each file wholly in or wholly out.
3. baseline: the record lists the event_dates owed detection; a snapshot of those days'
   findings is committed (baseline.py) so "new findings" survive a kill after detection.
4. detect: ``run_detect(dates=...)``, idempotent (stable finding ids).
5. report: the night's reports, each written atomically (temp file + rename).
6. done: the record is marked completed with the summary and exit code.

A run that finds unfinished records (status running or failed) takes over their work before it
scans: their planned files that the manifest shows committed count as ingested by this run (so
the summary and exit code match one clean run), the event_dates those files stored are
re-derived from the events' ``source_sha256`` when the dead run had not recorded them yet, and
their baselines are inherited. Then it marks them ``resumed``. Detection and reports are
recomputed in full for every owed day, so it does not matter where the dead run stopped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import (
    EXIT_ERROR,
    AuditpipeError,
    InputFileError,
    LockError,
    UsageError,
    is_interrupt,
)
from ..i18n import N_, _
from ..lake import Lake, new_id, today_in, utc_now, write_atomic
from ..lake.commit import leftover_temporary_files
from ..lake.locations import record_move
from ..lake.runs import (
    COMPLETED,
    FAILED,
    PHASES,
    RESUMED,
    RunRecord,
    nightly_runs,
    save_run,
    unfinished_runs,
)
from ..lake.views import connect_views
from .baseline import compare_with_baseline, dates_covered, drop_baselines, take_baseline
from .inbox import (
    HashCache,
    InboxFile,
    check_inbox,
    move_processed,
    processed_destination,
    scan_inbox,
)
from .joblog import JobLog
from .killpoints import checkpoint
from .result import (
    INGESTED,
    MISSING,
    REJECTED,
    SKIPPED,
    UNREADABLE,
    UNSUPPORTED,
    WAITING,
    FileOutcome,
    NightlyResult,
)
from .settings import REPORT_FILE_FORMATS, NightlySettings

if TYPE_CHECKING:
    from ..db import Database
    from ..engines import Engine


def report_paths(reports_dir: Path, night: dt.date, formats: tuple[str, ...]) -> list[Path]:
    """``<reports>/<night>/auditpipe-report-<night>.<html|md|json>``."""
    day = night.isoformat()
    return [
        reports_dir / day / f"auditpipe-report-{day}.{REPORT_FILE_FORMATS[fmt]}" for fmt in formats
    ]


def run_nightly(
    lake: Lake,
    inbox: Path,
    settings: NightlySettings,
    *,
    config: Config,
    night: dt.date | None = None,
    log: JobLog | None = None,
    progress: Callable[[Any, float], None] | None = None,
    engine: Engine | None = None,
) -> NightlyResult:
    """Run the nightly job once over ``inbox`` into ``lake``; see the module docstring.

    ``progress`` is ingest's per-file progress callback. Raises LockError at once when another
    process holds the lake's lock; any other error is raised after the run is recorded as
    failed (the next run resumes its work).
    """
    log = log or JobLog(None)
    check_inbox(inbox)  # a usage error: no run is recorded for it
    if inbox.resolve() == lake.root.resolve():
        raise UsageError(
            _("the inbox {inbox} is the lake itself").format(inbox=inbox),
            hint=_("pass the folder providers drop their logs into with --inbox"),
        )
    try:
        with lake.locked("nightly"):
            return _locked_run(lake, inbox, settings, config, night, log, progress, engine)
    except LockError as exc:
        log("lock_busy", level="error", error=str(exc), hint=exc.hint)
        raise


def _locked_run(
    lake: Lake,
    inbox: Path,
    settings: NightlySettings,
    config: Config,
    night: dt.date | None,
    log: JobLog,
    progress: Callable[[Any, float], None] | None,
    engine: Engine | None = None,
) -> NightlyResult:
    checkpoint("locked")
    night = night or today_in(lake.timezone)
    record = RunRecord(
        run_id=new_id("nightly"),
        night=night.isoformat(),
        started_at=utc_now().isoformat(),
        inbox=str(inbox),
    )
    log.run_id = record.run_id
    log("run_started", night=record.night, lake=str(lake.root), inbox=str(inbox))
    try:
        result = _Job(lake, inbox, settings, config, record, log, progress, engine).run()
    except Exception as exc:  # recorded whatever it is; the CLI maps it to exit code 2
        if is_interrupt(exc):
            # A Ctrl-C that a library turned into an error of its own (DuckDB's "Query
            # interrupted", or an error wrapping it): the CLI exits 130 as for any Ctrl-C, and
            # the run is left as a KeyboardInterrupt leaves it, unfinished for the next run to
            # complete, not recorded as failed on an error it never had.
            raise
        # A usage error before any work was recorded (the run is still scanning) leaves no
        # record behind: there is nothing for a later run to complete.
        if not (isinstance(exc, UsageError) and record.phase == "scan"):
            record.status, record.error = FAILED, str(exc)
            record.finished_at, record.exit_code = utc_now().isoformat(), EXIT_ERROR
            with contextlib.suppress(OSError):  # e.g. the disk is full: the run stays "running"
                save_run(lake, record)
        log(
            "run_failed",
            level="error",
            phase=record.phase,
            error=str(exc),
            hint=getattr(exc, "hint", None),
        )
        raise
    log("run_finished", exit_code=result.exit_code, summary=result.to_dict())
    return result


@dataclass
class _Carried:
    """Work inherited from unfinished runs."""

    runs: list[RunRecord] = field(default_factory=list)
    # sha256 -> {"sha256", "path" (relative to the inbox), "night" (of the run that planned it)}
    files: dict[str, dict[str, str]] = field(default_factory=dict)
    dates: set[dt.date] = field(default_factory=set)
    underived: set[str] = field(default_factory=set)  # sha256s whose dates were not recorded
    baselines: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_lake(cls, lake: Lake) -> _Carried:
        carried = cls(runs=unfinished_runs(lake))
        for run in carried.runs:
            shas = {f["sha256"]: {"night": run.night, **f} for f in run.planned_files}
            carried.files.update(shas)
            carried.dates.update(dt.date.fromisoformat(d) for d in run.pending_dates)
            if run.phase_index < PHASES.index("baseline"):
                carried.underived.update(shas)  # killed before it wrote its pending dates
            carried.baselines.extend(run.baselines)
        return carried


def _unsupported_reason(relpath: str) -> str:
    """What a file of the inbox that is not a log file is and what to do, in English (the run
    record and --json keep it; the summary says it in the reader's language)."""
    from ..i18n import DEFAULT_LANGUAGE, using_language
    from ..ingest.sources import skipped_advice

    with using_language(DEFAULT_LANGUAGE):
        what, todo = skipped_advice(Path(relpath))
    return f"{what}: {todo}"


def sort_ready_files(
    ready: list[tuple[InboxFile, str]],
    manifest_entry: Callable[[str], dict[str, Any] | None],
    carried_files: Mapping[str, dict[str, str]],
) -> tuple[list[FileOutcome], list[tuple[InboxFile, str]], list[tuple[InboxFile, FileOutcome]]]:
    """An outcome for each ready (file, sha256): skipped when its content is in the lake or
    came earlier in this scan, resumed when a dead run committed it, else to be ingested.
    Returns (outcomes, files to ingest, files to move once committed)."""
    from ..ingest.hashing import EMPTY_SHA256

    outcomes: list[FileOutcome] = []
    to_ingest: list[tuple[InboxFile, str]] = []
    to_move: list[tuple[InboxFile, FileOutcome]] = []
    first_with_sha: dict[str, str] = {}
    for item, sha in ready:
        outcome = FileOutcome(path=item.relpath, status=SKIPPED, sha256=sha)
        # an empty file is never the same content as another (ingest.hashing.EMPTY_SHA256)
        entry = None if sha == EMPTY_SHA256 else manifest_entry(sha)
        if sha in first_with_sha and sha != EMPTY_SHA256:
            outcome.reason = f"same content as {first_with_sha[sha]}"
        elif entry is not None and sha in carried_files and _committed(entry):
            _fill_from_manifest(outcome, entry)
            outcome.resumed = True
        elif entry is not None and _committed(entry):
            outcome.reason = N_("its content is already in the lake")
        else:
            outcome.status = INGESTED  # provisional: the ingest decides
            to_ingest.append((item, sha))
        first_with_sha.setdefault(sha, item.relpath)
        outcomes.append(outcome)
        to_move.append((item, outcome))
    return outcomes, to_ingest, to_move


def missing_files(
    not_seen: Mapping[str, dict[str, str]],
    manifest_entry: Callable[[str], dict[str, Any] | None],
    inbox: Path,
) -> list[FileOutcome]:
    """Files a dead run planned that are no longer in the inbox: resumed when their content
    was committed (and where the dead run moved them, if it did), else missing with a reason."""
    outcomes = []
    for sha, planned in not_seen.items():
        entry = manifest_entry(sha)
        path = planned["path"]
        outcome = FileOutcome(path=path, status=MISSING, sha256=sha)
        if entry is not None and _committed(entry):
            _fill_from_manifest(outcome, entry)
            outcome.resumed = True
            moved = processed_destination(inbox, planned["night"], path)
            if moved.is_file():  # the dead run had moved it already
                outcome.moved_to = moved.relative_to(inbox).as_posix()
        else:
            outcome.reason = N_("an interrupted run planned it, but it left the inbox uningested")
        outcomes.append(outcome)
    return outcomes


class _Job:
    def __init__(
        self,
        lake: Lake,
        inbox: Path,
        settings: NightlySettings,
        config: Config,
        record: RunRecord,
        log: JobLog,
        progress: Callable[[Any, float], None] | None,
        engine: Engine | None = None,
    ) -> None:
        self.lake, self.inbox, self.settings, self.config = lake, inbox, settings, config
        self.record, self.log, self.progress = record, log, progress
        self.engine = engine  # runs ingest's and detect's tasks (None: DuckDB here)
        self.night = dt.date.fromisoformat(record.night)
        self.reports_dir = settings.reports_dir or lake.root / "reports"
        self.result = NightlyResult(
            run_id=record.run_id,
            night=self.night,
            lake=str(lake.root),
            inbox=str(inbox),
            reports_dir=str(self.reports_dir),
            fail_on=settings.fail_on,
            started_at=record.started_at,
        )

    # -- the phases -----------------------------------------------------------------------
    def run(self) -> NightlyResult:
        carried = _Carried.from_lake(self.lake)
        self.result.resumed_runs = [r.run_id for r in carried.runs]
        if carried.runs:
            self.log("resuming", runs=self.result.resumed_runs, files=len(carried.files))
        to_ingest, to_move = self._scan(carried)
        dates = self._ingest_phase(carried, to_ingest, to_move)
        self._detect_phase(carried, dates)
        self._report()
        checkpoint("reported")
        return self._finish()

    def _scan(
        self, carried: _Carried
    ) -> tuple[list[tuple[InboxFile, str]], list[tuple[InboxFile, FileOutcome]]]:
        """1. What the inbox holds: an outcome per file; the files to ingest and to move."""
        scan = scan_inbox(
            self.inbox,
            self.settings.settle_seconds,
            classifier=_classifier(self.config),
            exclude=[self.lake.root, self.reports_dir],
        )
        hashes = HashCache(self.lake.meta_dir / "nightly" / "inbox-hashes.json", self.inbox)
        ready: list[tuple[InboxFile, str]] = []
        for item in scan.ready:  # one file at a time: a file that fails to read is named alone
            try:
                ready.append((item, hashes.sha256(item)))
            except InputFileError as exc:  # gone since the scan, an I/O error, permissions
                if item.path.exists() or item.path.is_symlink():
                    scan.unreadable.append((item.relpath, exc.message))
        hashes.save()
        outcomes, to_ingest, to_move = sort_ready_files(
            ready, self.lake.manifest_entry, carried.files
        )
        seen = {sha for _, sha in ready}
        not_seen = {sha: planned for sha, planned in carried.files.items() if sha not in seen}
        missing = missing_files(not_seen, self.lake.manifest_entry, self.inbox)
        for outcome in missing:
            if outcome.status == MISSING:
                self.log("file_missing", level="warning", file=outcome.path, sha256=outcome.sha256)
        outcomes += missing
        outcomes += [FileOutcome(path=p, status=WAITING, reason=why) for p, why in scan.waiting]
        outcomes += [
            FileOutcome(path=p, status=UNSUPPORTED, reason=_unsupported_reason(p))
            for p in scan.unsupported
        ]
        for path, why in scan.unreadable:
            self.log("file_unreadable", level="warning", file=path, reason=why)
            outcomes.append(FileOutcome(path=path, status=UNREADABLE, reason=why))
        self.result.files.extend(outcomes)
        self.log(
            "inbox_scanned",
            ready=len(scan.ready),
            to_ingest=len(to_ingest),
            waiting=len(scan.waiting),
            unsupported=len(scan.unsupported),
            unreadable=len(scan.unreadable),
        )
        return to_ingest, to_move

    def _ingest_phase(
        self,
        carried: _Carried,
        to_ingest: list[tuple[InboxFile, str]],
        to_move: list[tuple[InboxFile, FileOutcome]],
    ) -> set[dt.date]:
        """2. Record the plan (taking over dead runs), ingest, move; the event_dates to detect."""
        record = self.record
        record.phase = "ingest"
        record.planned_files = _planned(carried, to_ingest, record.night)
        record.pending_dates = sorted(d.isoformat() for d in carried.dates)
        record.baselines = list(carried.baselines)
        record.resumed_from = self.result.resumed_runs
        save_run(self.lake, record)
        for run in carried.runs:
            run.status, run.resumed_by = RESUMED, record.run_id
            save_run(self.lake, run)
        checkpoint("recorded")
        dates = set(carried.dates)
        dates |= self._ingest(to_ingest, self.result.files)
        checkpoint("ingested")
        if self.settings.move_processed:
            self._move(to_move)
        checkpoint("moved")
        return dates

    def _detect_phase(self, carried: _Carried, dates: set[dt.date]) -> None:
        """3. Snapshot the findings of the days to re-evaluate (unless an earlier run of this
        work did), then 4. detect them."""
        record = self.record
        con = connect_views(self.lake)
        try:
            dates |= _manifest_dates(self.lake, sorted(carried.underived))
            record.phase = "baseline"
            record.pending_dates = sorted(d.isoformat() for d in dates)
            save_run(self.lake, record)
            uncovered = sorted(dates - dates_covered(record.baselines))
            if uncovered:
                record.baselines.append(take_baseline(self.lake, con, record.run_id, uncovered))
            record.phase = "detect"
            save_run(self.lake, record)
            checkpoint("baseline")
            if dates:
                self._detect(sorted(dates), con)
            checkpoint("detected")
        finally:
            con.close()
        record.phase = "report"
        record.days_evaluated = [d.isoformat() for d in self.result.days_evaluated]
        save_run(self.lake, record)

    def _finish(self) -> NightlyResult:
        """6. The exit code, the completed record; snapshots nobody needs are dropped."""
        record = self.record
        result = self.result
        result.decide_exit_code()
        result.finished_at = utc_now().isoformat()
        record.status, record.phase = COMPLETED, "done"
        record.finished_at, record.exit_code = result.finished_at, result.exit_code
        record.summary = result.to_dict()
        save_run(self.lake, record)
        drop_baselines(self.lake, [b["file"] for b in record.baselines])
        _drop_orphan_baselines(self.lake)
        return result

    def _ingest(
        self, to_ingest: list[tuple[InboxFile, str]], outcomes: list[FileOutcome]
    ) -> set[dt.date]:
        """Ingest the new files; fills their outcomes and returns the event_dates stored."""
        if not to_ingest:
            return set()
        from ..ingest import IngestSettings, find_inputs, ingest_paths
        from ..ingest.messages import DUPLICATES_OF_ANOTHER_DAY
        from ..ingest.sources import Hashed

        ingest_settings = IngestSettings.from_config(self.config)
        self.log("ingest_started", files=len(to_ingest))
        inputs, gone = _find_each(
            [item.path for item, _ in to_ingest],
            lambda paths: find_inputs(paths, ingest_settings, exclude=[self.lake.root]),
        )
        by_outcome = {o.sha256: o for o in outcomes if o.status == INGESTED and not o.resumed}
        for item, sha in to_ingest:  # gone or unreadable since the scan: named, not fatal
            if item.path in gone:
                self._not_ingested(item, by_outcome[sha], gone[item.path])
        to_ingest = [(item, sha) for item, sha in to_ingest if item.path not in gone]
        if not to_ingest:
            return set()
        # The scan hashed every file: ingest takes that sha256 instead of reading the file for
        # it again, while the file keeps the size, mtime and inode it was hashed with.
        hashed = {
            item.path: Hashed(sha, item.size, item.mtime_ns, item.inode) for item, sha in to_ingest
        }
        inputs = replace(
            inputs, files=[replace(f, hashed=hashed.get(f.path)) for f in inputs.files]
        )
        ingested = ingest_paths(
            self.lake, inputs, ingest_settings, self.progress, engine=self.engine
        )
        by_path = {_path_key(Path(fr.source_file)): fr for fr in ingested.files}
        dates: set[dt.date] = set()
        for item, sha in to_ingest:
            outcome = by_outcome[sha]
            fr = by_path.get(_path_key(item.path))
            if fr is None:
                raise AuditpipeError(
                    _("ingest returned no result for {path}").format(path=item.path),
                    hint=_("this is a bug in auditpipe; the rerun will pick the file up again"),
                )
            outcome.sha256 = fr.sha256 or sha
            outcome.status = fr.status if fr.status in (INGESTED, SKIPPED, REJECTED) else REJECTED
            outcome.rows_read, outcome.rows_stored = fr.rows_read, fr.rows_stored
            outcome.rows_quarantined, outcome.rows_duplicate = (
                fr.rows_quarantined,
                fr.rows_duplicate,
            )
            outcome.reason = fr.reason or outcome.reason
            outcome.duplicates_of_another_day = fr.counters.get(DUPLICATES_OF_ANOTHER_DAY, 0)
            if outcome.status == INGESTED:
                dates.update(_as_date(d) for _, d in fr.partitions)
            self.log("file", **outcome.to_dict())
        return dates

    def _not_ingested(self, item: InboxFile, outcome: FileOutcome, why: str) -> None:
        """A file ready at the scan that ingest could no longer take: missing when it left
        the inbox (renamed or removed by its provider; a new name is found by the next scan),
        else unreadable (exit 3), like a file the scan could not read."""
        if item.path.exists() or item.path.is_symlink():
            outcome.status, outcome.reason = UNREADABLE, why
            self.log("file_unreadable", level="warning", file=item.relpath, reason=why)
        else:
            outcome.status = MISSING
            outcome.reason = N_("it left the inbox after the scan (renamed or removed)")
            self.log("file_missing", level="warning", file=item.relpath, sha256=outcome.sha256)

    def _move(self, to_move: list[tuple[InboxFile, FileOutcome]]) -> None:
        """Move files whose content the manifest shows committed (never rejected ones).

        Links go before the files they point at, the longest chain first: moved after its
        target (``latest.jsonl -> forum-a-2026-03-05.jsonl``), a link pointed at nothing, was
        left in the inbox as changed, and every later night named it unreadable (exit 3)."""
        for item, outcome in sorted(to_move, key=lambda move: -_link_depth(move[0].path)):
            if outcome.status not in (INGESTED, SKIPPED) or outcome.sha256 is None:
                continue
            entry = self.lake.manifest_entry(outcome.sha256)
            if entry is None or not _committed(entry):
                continue
            try:
                dest = move_processed(
                    self.inbox,
                    self.record.night,
                    item,
                    outcome.sha256,
                    before=self._recorder(item, outcome.sha256),
                )
            except OSError as exc:
                # The content is committed; only the tidying failed (a read-only inbox, a
                # 'processed' that is not a folder). The file stays and the next night, which
                # finds its content in the lake, moves it; detect and the reports go on.
                # Provenance stays right: the place the move left is still looked at.
                outcome.move_error = f"{exc.strerror or exc}: {exc.filename or item.relpath}"
                self.log(
                    "file_not_moved", level="warning", file=item.relpath, error=outcome.move_error
                )
                continue
            if dest is None:
                # Said in the summary too: the file stayed in the inbox and "moved" did not
                # count it, with no word of why.
                outcome.move_error = "it changed after it was ingested; the next run reads it again"
                self.log("file_changed", level="warning", file=item.relpath)
                continue
            outcome.moved_to = dest.relative_to(self.inbox).as_posix()
            self.log("file_moved", file=item.relpath, to=outcome.moved_to)

    def _recorder(self, item: InboxFile, sha256: str) -> Callable[[Path], None]:
        """Provenance: where the file goes, recorded before it leaves (``lake.locations``)."""

        def record(dest: Path) -> None:
            record_move(self.lake.root, sha256, item.path, dest, self.record.run_id)

        return record

    def _detect(self, dates: list[dt.date], con: Database) -> None:
        from ..detect import DetectSettings, run_detect
        from ..penalty import total_exposure

        self.log("detect_started", dates=[d.isoformat() for d in dates])
        detected = run_detect(
            self.lake, DetectSettings.from_config(self.config), dates=dates, engine=self.engine
        )
        changes = compare_with_baseline(self.lake, con, self.record.baselines, dates)
        self.result.changes = changes
        # days retention pruned are not evaluated (detect leaves their findings alone)
        self.result.days_evaluated = sorted(
            detected.days_evaluated or set(dates) - set(detected.days_pruned)
        )
        self.result.days_pruned = sorted(detected.days_pruned)
        self.result.retention_cutoff = detected.retention_cutoff
        self.result.exposure = [e.to_dict() for e in detected.exposure]
        self.result.exposure_total = total_exposure(detected.exposure).to_dict()
        self.log(
            "detect_finished",
            days=[d.isoformat() for d in self.result.days_evaluated],
            **changes.to_dict(),
        )

    def _report(self) -> None:
        """The night's reports cover every day evaluated by this night's runs, this one too.

        A run that evaluated nothing writes none: the night's reports, if any, are complete.
        """
        if not self.result.days_evaluated or not self.settings.report_formats:
            self.log("report_skipped", reason="no day was evaluated by this run")
            return
        days = set(self.result.days_evaluated)
        for run in nightly_runs(self.lake):
            if run.status == COMPLETED and run.night == self.record.night:
                days.update(dt.date.fromisoformat(d) for d in run.days_evaluated)
        from ..report import build_report, render_report
        from ..report.settings import report_language

        since, until = min(days), max(days)
        paths = report_paths(self.reports_dir, self.night, self.settings.report_formats)
        with report_language(self.config):
            report = build_report(self.lake, config=self.config, since=since, until=until)
            for fmt, path in zip(self.settings.report_formats, paths, strict=True):
                # What a run killed while writing this report left (under the lock: ours).
                for tmp in leftover_temporary_files(path.parent, path.name):
                    tmp.unlink(missing_ok=True)
                write_atomic(path, render_report(report, fmt).encode("utf-8"))
                self.result.reports.append(str(path))
                self.log("report_written", format=fmt, path=str(path))
        self.result.report_days = sorted(days)


def _planned(
    carried: _Carried, to_ingest: list[tuple[InboxFile, str]], night: str
) -> list[dict[str, str]]:
    """Every file this run's work covers: inherited ones keep the night that planned them
    (where they were moved to), new ones are this night's."""
    planned = dict(carried.files)
    for item, sha in to_ingest:
        planned.setdefault(sha, {"sha256": sha, "path": item.relpath, "night": night})
    return [planned[sha] for sha in sorted(planned)]


def _find_each(paths: list[Path], find: Callable[[list[Path]], Any]) -> tuple[Any, dict[Path, str]]:
    """``find(paths)`` (ingest's ``find_inputs``), and the paths it refused with why.

    ``find_inputs`` fails the whole call for one named file that no longer exists or can no
    longer be read; a file renamed by its provider between the scan and the ingest stopped
    the night (exit 2). Then each file is looked at alone, and the others are ingested."""
    try:
        return find(paths), {}
    except UsageError:
        pass
    inputs, gone = None, {}
    for path in paths:
        try:
            one = find([path])
        except UsageError as exc:
            gone[path] = exc.message
            continue
        inputs = one if inputs is None else replace(inputs, files=[*inputs.files, *one.files])
    return inputs, gone


def _link_depth(path: Path) -> int:
    """How many links lead from ``path`` to a file (0 for a file; a loop stops at 40)."""
    depth = 0
    while depth < 40 and path.is_symlink():
        try:
            path = path.parent / os.readlink(path)
        except OSError:
            break
        depth += 1
    return depth


def _committed(entry: dict[str, Any]) -> bool:
    """A manifest entry for content that is in the lake. A rejected file's entry is not:
    ingest tries such a file again (the cause may have been passing), and so does nightly."""
    return entry.get("status") == INGESTED


def _fill_from_manifest(outcome: FileOutcome, entry: dict[str, Any]) -> None:
    outcome.status = INGESTED
    for name in ("rows_read", "rows_stored", "rows_quarantined", "rows_duplicate"):
        setattr(outcome, name, int(entry.get(name) or 0))


def _path_key(path: Path) -> str:
    return str(path.resolve())


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _manifest_dates(lake: Lake, shas: list[str]) -> set[dt.date]:
    """event_dates these committed files stored events in, from their manifest entries (for
    a dead run that had not recorded its pending dates yet)."""
    dates: set[dt.date] = set()
    for sha in shas:
        entry = lake.manifest_entry(sha)
        if entry is None or not _committed(entry):
            continue
        for partition in entry.get("partitions") or []:
            dates.add(dt.date.fromisoformat(str(partition).rsplit("/", 1)[1]))
    return dates


def _drop_orphan_baselines(lake: Lake) -> None:
    """Snapshots of runs that completed (or were resumed by a run that did) but were not
    deleted because the process died right after completing."""
    runs = {r.run_id: r for r in nightly_runs(lake)}
    orphans = []
    for path in lake.runs_dir.glob("*.baseline.parquet"):
        run = runs.get(path.name.removesuffix(".baseline.parquet"))
        while run is not None and run.status == RESUMED and run.resumed_by in runs:
            run = runs[run.resumed_by]
        if run is None or run.status == COMPLETED:
            orphans.append(path.relative_to(lake.root).as_posix())
    drop_baselines(lake, orphans)


def _classifier(config: Any) -> Any:
    """Database audit log sources listed in auditpipe.toml ([ingest] sources) are inbox files
    too: their logs are recognised by the sources' file name patterns."""
    from ..ingest import IngestSettings

    listed = IngestSettings.from_config(config).sources
    if not listed:
        return None
    from ..sources.router import SourceRouter

    return SourceRouter.load(listed).classify
