"""Which findings are new: a snapshot of the findings of the days about to be re-evaluated,
taken before detection and compared with the findings after it.

Detection reports its own new/updated counts, but a run that is killed after detection
committed and rerun would then see nothing new, and the scheduler would miss the alert. The
snapshot is committed to ``_auditpipe/runs/<run_id>.baseline.parquet`` before detection
starts and is inherited by the run that resumes an unfinished one, so "new" always means new
since the first run of that work started, however often it was interrupted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..db import quote_literal, read_parquet_sql
from ..detect.findings import content_fingerprint_sql
from ..lake import Lake, utc_now, verify_parquet
from ..lake.views import create_views

if TYPE_CHECKING:
    from ..db.database import SqlConnection

# A finding is "updated" when its content fingerprint changed: the one definition detect uses.
_FINGERPRINT = content_fingerprint_sql()


@dataclass
class FindingChanges:
    new_by_severity: dict[str, int] = field(default_factory=dict)
    updated_by_severity: dict[str, int] = field(default_factory=dict)
    removed: int = 0
    findings_total: int = 0  # findings of the evaluated days after detection

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _date_list(dates: list[dt.date]) -> list[str]:
    return [d.isoformat() for d in sorted(dates)]


def take_baseline(
    lake: Lake, con: SqlConnection, run_id: str, dates: list[dt.date]
) -> dict[str, Any]:
    """Commit the snapshot of ``dates``' findings; returns its entry for the run record."""
    create_views(con, lake.root)  # findings may have appeared since the views were made
    relpath = f"_auditpipe/runs/{run_id}.baseline.parquet"
    txn = lake.transaction()
    staged = txn.staging / "baseline.parquet"
    con.execute(
        f"COPY (SELECT event_date, provider_id, finding_id, severity, {_FINGERPRINT} AS fingerprint"
        " FROM findings WHERE event_date IN (SELECT unnest(CAST($dates AS DATE[]))))"
        f" TO {quote_literal(str(staged))} (FORMAT parquet, COMPRESSION zstd)",
        {"dates": _date_list(dates)},
    )
    verify_parquet(staged)
    txn.add_file(staged, relpath)
    txn.commit()
    return {"file": relpath, "dates": _date_list(dates), "taken_at": utc_now().isoformat()}


def dates_covered(baselines: list[dict[str, Any]]) -> set[dt.date]:
    return {dt.date.fromisoformat(d) for b in baselines for d in b["dates"]}


def _earliest_per_date(baselines: list[dict[str, Any]]) -> dict[str, list[str]]:
    """file -> the dates it is the earliest snapshot of (an older snapshot is the truer one)."""
    chosen: dict[str, tuple[str, str]] = {}
    for b in baselines:
        for d in b["dates"]:
            if d not in chosen or b["taken_at"] < chosen[d][0]:
                chosen[d] = (b["taken_at"], b["file"])
    per_file: dict[str, list[str]] = {}
    for d, (_, file) in sorted(chosen.items()):
        per_file.setdefault(file, []).append(d)
    return per_file


def compare_with_baseline(
    lake: Lake,
    con: SqlConnection,
    baselines: list[dict[str, Any]],
    dates: list[dt.date],
) -> FindingChanges:
    """New, updated and removed findings of ``dates`` against the snapshots taken before."""
    create_views(con, lake.root)
    parts = []
    for file, file_dates in _earliest_per_date(baselines).items():
        source = read_parquet_sql([lake.root / file], hive=False, union_by_name=False)
        days = ", ".join(f"DATE {quote_literal(d)}" for d in file_dates)
        parts.append(
            f"SELECT finding_id, severity, fingerprint FROM {source} WHERE event_date IN ({days})"
        )
    before = " UNION ALL ".join(parts) or (
        "SELECT NULL::VARCHAR AS finding_id, NULL::VARCHAR AS severity,"
        " NULL::VARCHAR AS fingerprint WHERE false"
    )
    rows = con.execute(
        f"""
        WITH before AS ({before}),
        after AS (
            SELECT finding_id, severity, {_FINGERPRINT} AS fingerprint FROM findings
            WHERE event_date IN (SELECT unnest(CAST($dates AS DATE[])))
        )
        SELECT 'new' AS change, a.severity, count(*) FROM after a
            WHERE a.finding_id NOT IN (SELECT finding_id FROM before) GROUP BY a.severity
        UNION ALL
        SELECT 'updated', a.severity, count(*) FROM after a JOIN before b USING (finding_id)
            WHERE a.fingerprint IS DISTINCT FROM b.fingerprint GROUP BY a.severity
        UNION ALL
        SELECT 'removed', b.severity, count(*) FROM before b
            WHERE b.finding_id NOT IN (SELECT finding_id FROM after) GROUP BY b.severity
        UNION ALL
        SELECT 'total', NULL, count(*) FROM after
        """,
        {"dates": _date_list(dates)},
    ).fetchall()
    changes = FindingChanges()
    for change, severity, count in rows:
        if change == "new":
            changes.new_by_severity[str(severity)] = int(count)
        elif change == "updated":
            changes.updated_by_severity[str(severity)] = int(count)
        elif change == "removed":
            changes.removed += int(count)
        else:
            changes.findings_total = int(count)
    return changes


def drop_baselines(lake: Lake, files: list[str]) -> None:
    """Delete snapshots nobody needs any more (their work is completed)."""
    existing = [f for f in files if (lake.root / f).exists()]
    if not existing:
        return
    txn = lake.transaction()
    for f in existing:
        txn.delete(f)
    txn.commit()
