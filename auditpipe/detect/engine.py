"""``run_detect``: evaluate the rules over some days of the lake and publish their findings.

Under ``lake.locked("detect")``: pick the days, scope ``events`` to their files, materialise
the terms once, append every rule's hits, build the findings of those days in SQL, diff them
against the stored ones, and replace only the (provider_id, event_date) partitions that
changed, in one ``Transaction`` (stage, verify, commit; the old files of a replaced partition
are deleted in the same commit). A crash leaves the findings as they were before the run.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..db import Database, file_list, quote_literal, read_parquet_sql
from ..engines import Engine, from_ipc
from ..engines.duckdb import DuckDBEngine
from ..errors import EXIT_FINDINGS, EXIT_OK, LakeError
from ..i18n import _
from ..lake import Lake, Transaction, layout, utc_now
from ..penalty import CAVEAT, ProviderExposure, compute_exposure, total_exposure
from ..vocabulary import CATEGORIES, SEVERITIES, at_or_above, check_period
from . import findings as fsql
from .locality import check_locality
from .partition import FindingsTask, Partition, event_partitions
from .real_name import reads_timeline, snapshot_days, write_timeline
from .rules import read_rules
from .session import check_rules, open_connection
from .settings import DetectSettings


@dataclass
class DetectResult:
    days_evaluated: list[dt.date]
    findings_total: int
    new_by_severity: dict[str, int]
    updated_by_severity: dict[str, int]
    unchanged: int
    removed: int
    exposure: list[ProviderExposure]
    # findings of the evaluated days after the run, by category then severity
    by_category: dict[str, dict[str, int]] = field(default_factory=dict)
    removed_by_severity: dict[str, int] = field(default_factory=dict)
    rules_run: list[str] = field(default_factory=list)
    partitions_written: int = 0
    files_written: int = 0
    files_deleted: int = 0
    # days the period covers that retention pruned (Lake.retention_cutoff): not evaluated
    days_pruned: list[dt.date] = field(default_factory=list)
    retention_cutoff: dt.date | None = None

    @property
    def by_severity(self) -> dict[str, int]:
        totals = dict.fromkeys(SEVERITIES, 0)
        for per_severity in self.by_category.values():
            for severity, count in per_severity.items():
                totals[severity] += count
        return totals

    @property
    def new(self) -> int:
        return sum(self.new_by_severity.values())

    @property
    def updated(self) -> int:
        return sum(self.updated_by_severity.values())

    def count_at_or_above(self, level: str) -> int:
        """Findings of the evaluated days at or above ``level`` (for --fail-on)."""
        wanted = at_or_above(level)
        return sum(n for s, n in self.by_severity.items() if s in wanted)

    def exit_code(self, fail_on: str) -> int:
        """1 (EXIT_FINDINGS) when the evaluated days hold a finding at or above ``fail_on``
        (``none`` never fails), else 0."""
        return EXIT_FINDINGS if self.count_at_or_above(fail_on) else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "days_evaluated": [d.isoformat() for d in self.days_evaluated],
            "days_pruned": [d.isoformat() for d in self.days_pruned],
            "rules_run": self.rules_run,
            "findings_total": self.findings_total,
            "by_severity": self.by_severity,
            "by_category": self.by_category,
            "new_by_severity": self.new_by_severity,
            "updated_by_severity": self.updated_by_severity,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "removed_by_severity": self.removed_by_severity,
            "partitions_written": self.partitions_written,
            "files_written": self.files_written,
            "files_deleted": self.files_deleted,
            "exposure": [e.to_dict() for e in self.exposure],
            "exposure_total": total_exposure(self.exposure).to_dict(),
            "caveat": CAVEAT,
        }


def run_detect(
    lake: Lake,
    settings: DetectSettings,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    dates: Iterable[dt.date] | None = None,
    rule_dirs: Sequence[Path] = (),
    engine: Engine | None = None,
) -> DetectResult:
    """Run every rule over the chosen days and replace those days' findings.

    Days: ``dates`` exactly when given (the nightly job passes the days that received events),
    else every day with events or stored findings; ``since``/``until`` narrow either.
    ``engine`` computes the findings of each (provider_id, event_date) partition (default:
    DuckDB in this process); diffing, staging and the commit happen here either way.
    """
    rules = read_rules([*settings.rule_dirs, *rule_dirs], disabled=settings.disabled_rules)
    watchlist = settings.watchlist_names()
    engine = engine or DuckDBEngine()
    if engine.partitioned:
        check_locality(rules)
    with lake.locked("detect"):
        days, pruned = _days_to_evaluate(lake, since, until, dates)
        txn = lake.transaction()
        # DuckDB spills here; beside (not inside) the transaction's staging, which the commit
        # removes while the connection may still hold temp files. recover() tidies leftovers.
        spill_dir = lake.staging_dir / f"{txn.txn_id}.duckdb_tmp"
        con = open_connection(settings, lake.timezone, temp_dir=spill_dir)
        try:
            # every rule is checked against an empty lake first: a bad rule file fails fast
            check_rules(con, settings, rules, watchlist)
            timeline = spill_dir / "account_timeline.parquet"
            timeline_used = bool(days) and reads_timeline(rules)
            task = FindingsTask(
                replace(settings, threads=settings.threads or engine.task_threads),
                lake.timezone,
                tuple(rules),
                tuple(watchlist),
                str(spill_dir.resolve()),  # a task elsewhere has another working folder
                str(timeline.resolve()) if timeline_used else None,
            )
            try:
                if timeline_used:
                    write_timeline(con, lake.root, days, timeline)
                result = _evaluate(con, lake, txn, engine, task, days)
            except BaseException:
                txn.abort()
                raise
            # exposure of the evaluated days, from the findings this run computed, which are
            # what their files now hold (findings_after_run_sql): no file is read back, and a
            # one-day run (the nightly job's) costs the same whatever the lake's size
            con.execute("CREATE OR REPLACE TEMP VIEW findings AS " + fsql.findings_after_run_sql())
            result.exposure = compute_exposure(con, settings.penalty, dates=days) if days else []
        finally:
            con.close()
            shutil.rmtree(spill_dir, ignore_errors=True)
    result.rules_run = [r.id for r in rules]
    result.days_pruned = pruned
    result.retention_cutoff = lake.retention_cutoff
    return result


def _days_to_evaluate(
    lake: Lake,
    since: dt.date | None,
    until: dt.date | None,
    dates: Iterable[dt.date] | None,
) -> tuple[list[dt.date], list[dt.date]]:
    """(the days to evaluate, the chosen days left alone because retention pruned them)."""
    check_period(since, until)
    if dates is not None:
        candidates = set(dates)
    else:
        candidates = (
            layout.partition_days(lake.root, layout.EVENTS)
            | layout.partition_days(lake.root, layout.FINDINGS)
            | snapshot_days(lake.root)
        )
    chosen = {
        d for d in candidates if (since is None or d >= since) and (until is None or d <= until)
    }
    # Days before retention's cutoff lost the events their findings were computed from (the
    # evidence is kept, not the context: a register, a verify); evaluated again they would
    # lose findings that were right. Their findings stay as they were (docs/operations.md).
    cutoff = lake.retention_cutoff
    retained = sorted(d for d in chosen if cutoff is not None and d < cutoff)
    return sorted(chosen - set(retained)), retained


def _evaluate(
    con: Database,
    lake: Lake,
    txn: Transaction,
    engine: Engine,
    task: FindingsTask,
    days: Sequence[dt.date],
) -> DetectResult:
    """Compute and stage the findings of ``days``; commit when any partition changed."""
    _load_findings(con, engine, task, event_partitions(lake.root, days))
    old_files = layout.files_of_days(lake.root, layout.FINDINGS, days)
    con.execute(fsql.old_findings_sql(file_list(old_files) if old_files else None))
    con.execute(fsql.DIFF_FINDINGS)
    con.execute(fsql.CHANGED_PARTITIONS)
    result = _summarise(con, days)
    written, deleted, partitions = _stage_changes(con, lake, txn)
    if written or deleted:
        txn.commit()
    else:
        txn.abort()
    result.files_written, result.files_deleted = written, deleted
    result.partitions_written = partitions
    return result


def _load_findings(
    con: Database,
    engine: Engine,
    task: FindingsTask,
    partitions: Sequence[Partition],
) -> None:
    """``new_findings`` in ``con``: what the engine's tasks computed over ``partitions``.

    An engine that runs the one task over every partition in this process (``duckdb``) gets
    it run in ``con`` itself: the same SQL, with no Arrow IPC round trip of the findings and no
    pyarrow import (about a tenth of a small run's CPU time)."""
    if engine.in_process and not engine.partitioned:
        task.build(con, partitions)
        return
    import pyarrow as pa

    tables = [from_ipc(result) for result in engine.run_tasks(task, partitions)]
    if not tables:  # nothing to evaluate: the same (empty) table, with its types, from no files
        tables = [from_ipc(task([]))]
    found = pa.concat_tables(tables, promote_options="default")
    con.register("engine_findings", found)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE new_findings AS SELECT * FROM engine_findings")
    finally:
        con.connection.unregister("engine_findings")


def _summarise(con: Database, days: Sequence[dt.date]) -> DetectResult:
    def by_severity(status: str) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        rows = con.execute(
            "SELECT severity, count(*) FROM finding_status WHERE status = ? GROUP BY severity",
            [status],
        ).fetchall()
        counts.update({sev: int(n) for sev, n in rows})
        return counts

    by_category = {c: dict.fromkeys(SEVERITIES, 0) for c in CATEGORIES}
    for category, severity, count in con.execute(
        "SELECT category, severity, count(*) FROM new_findings GROUP BY ALL"
    ).fetchall():
        by_category[category][severity] = int(count)
    removed = by_severity("removed")
    unchanged = con.execute(
        "SELECT count(*) FROM finding_status WHERE status = 'unchanged'"
    ).fetchone()
    return DetectResult(
        days_evaluated=list(days),
        findings_total=sum(sum(s.values()) for s in by_category.values()),
        new_by_severity=by_severity("new"),
        updated_by_severity=by_severity("updated"),
        unchanged=int(unchanged[0]) if unchanged else 0,
        removed=sum(removed.values()),
        removed_by_severity=removed,
        exposure=[],
        by_category=by_category,
    )


def _stage_changes(con: Database, lake: Lake, txn: Transaction) -> tuple[int, int, int]:
    """Stage the changed partitions' new files and name their old files for deletion.

    Returns (files staged, files to delete, partitions replaced).
    """
    # one timestamp for every finding first detected by this run
    con.execute(
        "CREATE OR REPLACE TEMP TABLE run_clock AS SELECT $now::TIMESTAMPTZ AS detected_at",
        {"now": utc_now()},
    )
    con.execute("CREATE OR REPLACE TEMP TABLE findings_out AS " + fsql.rows_to_write_sql())
    partitions = con.execute("SELECT count(*) FROM changed_partitions").fetchone()
    n_partitions = int(partitions[0]) if partitions else 0
    if not n_partitions:
        return 0, 0, 0
    stage_root = txn.staging / layout.FINDINGS
    written = 0
    expected = con.execute("SELECT count(*) FROM findings_out").fetchone()
    if expected and expected[0]:
        con.execute(
            f"COPY (SELECT * FROM findings_out ORDER BY provider_id, event_date, finding_id) "
            f"TO {quote_literal(str(stage_root))} (FORMAT parquet, COMPRESSION zstd, "
            "PARTITION_BY (provider_id, event_date), FILENAME_PATTERN 'part-{uuid}')"
        )
        written = _verify_and_add(con, lake, txn, stage_root)
    deleted = 0
    for (filename,) in con.execute(
        "SELECT DISTINCT o.filename FROM old_findings AS o SEMI JOIN changed_partitions AS c "
        "ON c.provider_id = o.provider_id AND c.event_date = o.event_date ORDER BY 1"
    ).fetchall():
        txn.delete(str(Path(filename).resolve().relative_to(lake.root.resolve())))
        deleted += 1
    return written, deleted, n_partitions


def _verify_and_add(con: Database, lake: Lake, txn: Transaction, stage_root: Path) -> int:
    """Check every staged file (footer, rows per partition) and add it to the transaction."""
    staged = layout.stored_files(txn.staging, layout.FINDINGS)
    # every footer read by DuckDB, which is loaded already (pyarrow's import alone costs about
    # a tenth of a small detect run); a file whose footer is unreadable fails the query
    import duckdb

    try:
        rows_in_files = {
            Path(name): int(rows)
            for name, rows in con.execute(
                f"SELECT file_name, num_rows FROM parquet_file_metadata({file_list(staged)})"
            ).fetchall()
        }
    except duckdb.Error as exc:
        rows_in_files = {}
        problem = f": {str(exc).splitlines()[0]}"
    else:
        problem = ""
    if set(rows_in_files) != set(staged):
        raise LakeError(
            _(
                "staged findings files could not all be read back{problem}; nothing was published"
            ).format(problem=problem),
            hint=_("run detect again; if it repeats, report it with --debug output"),
        )
    mismatched = con.execute(
        f"""
        WITH staged AS (
            SELECT provider_id, event_date, count(*) AS n
            FROM {read_parquet_sql(staged, hive=True, union_by_name=False)}
            GROUP BY ALL
        ), wanted AS (
            SELECT provider_id, event_date, count(*) AS n FROM findings_out GROUP BY ALL
        )
        SELECT count(*) FROM staged FULL OUTER JOIN wanted USING (provider_id, event_date)
        WHERE staged.n IS DISTINCT FROM wanted.n
        """
    ).fetchone()
    if mismatched and mismatched[0]:
        raise LakeError(
            _("staged findings do not match what detect computed; nothing was published"),
            hint=_("run detect again; if it repeats, report it with --debug output"),
        )
    added = 0
    for index, path in enumerate(staged):
        if rows_in_files[path] == 0:
            continue  # an empty file adds nothing a reader needs
        partition = path.parent.relative_to(stage_root)
        final = Path("findings") / partition / f"part-{txn.txn_id}-{index}.parquet"
        txn.add_file(path, str(final))
        added += 1
    return added
