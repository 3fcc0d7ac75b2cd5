"""What a nightly run did: per-file outcomes, finding changes, reports, and its exit code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import EXIT_FINDINGS, EXIT_OK, EXIT_QUARANTINE
from ..i18n import N_, _
from ..status import exit_reason_words as exit_reason_words
from ..vocabulary import SEVERITIES, at_or_above
from .baseline import FindingChanges

# FileOutcome.status values
INGESTED = "ingested"  # committed to the lake by this run (or by the unfinished run it resumed)
SKIPPED = "skipped"  # its content was already in the lake: not ingested again
REJECTED = "rejected"  # the whole file was unreadable; nothing of it stored
WAITING = "waiting"  # may still be being written: left for the next run
UNSUPPORTED = "unsupported"  # not a kind of file auditpipe reads: left alone
MISSING = "missing"  # planned by an unfinished run, gone from the inbox, never committed
UNREADABLE = "unreadable"  # a broken link or no read permission: left alone, named with why

# The words people read for each status (the values stay English in --json and the log).
STATUS_WORDS = {
    INGESTED: N_("ingested"),
    SKIPPED: N_("already in the lake"),
    REJECTED: N_("rejected"),
    WAITING: N_("waiting"),
    UNSUPPORTED: N_("not a log file"),
    MISSING: N_("missing"),
    UNREADABLE: N_("unreadable"),
}


def status_word(status: str) -> str:
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


@dataclass
class FileOutcome:
    path: str  # relative to the inbox when it is in the inbox
    status: str
    sha256: str | None = None
    rows_read: int = 0
    rows_stored: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    # of the duplicates, those whose event_id the lake holds on another day (ingest's counter)
    duplicates_of_another_day: int = 0
    reason: str | None = None
    moved_to: str | None = None
    move_error: str | None = None  # --move-processed failed for this committed file: why
    resumed: bool = False  # committed by an earlier, unfinished run that this run completed

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class NightlyResult:
    run_id: str
    night: dt.date
    lake: str
    inbox: str
    reports_dir: str
    fail_on: str
    started_at: str
    finished_at: str | None = None
    resumed_runs: list[str] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    days_evaluated: list[dt.date] = field(default_factory=list)
    # days of the new events that retention pruned: stored, not evaluated (detect's days_pruned)
    days_pruned: list[dt.date] = field(default_factory=list)
    retention_cutoff: dt.date | None = None
    changes: FindingChanges = field(default_factory=FindingChanges)
    exposure: list[dict[str, Any]] = field(default_factory=list)
    exposure_total: dict[str, Any] | None = None  # the providers' exposure added up
    reports: list[str] = field(default_factory=list)
    report_days: list[dt.date] = field(default_factory=list)
    exit_code: int = EXIT_OK
    exit_reason: str = "clean"

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def _total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files if f.status == INGESTED)

    @property
    def rows_read(self) -> int:
        return self._total("rows_read")

    @property
    def rows_stored(self) -> int:
        return self._total("rows_stored")

    @property
    def rows_quarantined(self) -> int:
        return self._total("rows_quarantined")

    @property
    def rows_duplicate(self) -> int:
        return self._total("rows_duplicate")

    @property
    def moved(self) -> int:
        return sum(1 for f in self.files if f.moved_to)

    def failing_findings(self) -> int:
        levels = at_or_above(self.fail_on)
        return sum(self.changes.new_by_severity.get(s, 0) for s in levels)

    def decide_exit_code(self) -> None:
        """Precedence when several apply: 1 (new findings at or above --fail-on) over 3
        (quarantined rows, rejected or unreadable files) over 0. Errors (2) never reach a
        result. An unreadable file counts like a rejected one: a log the night could not take
        until someone acts, which an unattended run must not report as clean."""
        failing = self.failing_findings()
        quarantined, rejected = self.rows_quarantined, self.count(REJECTED)
        unreadable = self.count(UNREADABLE)
        if failing:
            self.exit_code = EXIT_FINDINGS
            self.exit_reason = f"{failing} new finding(s) at or above {self.fail_on}"
        elif quarantined or rejected or unreadable:
            self.exit_code = EXIT_QUARANTINE
            self.exit_reason = f"{quarantined} row(s) quarantined, {rejected} file(s) rejected"
            if unreadable:
                self.exit_reason += f", {unreadable} file(s) unreadable"
        else:
            self.exit_code, self.exit_reason = EXIT_OK, "clean"

    def to_dict(self) -> dict[str, Any]:
        """The summary as one JSON-ready object (``--json``; also kept in the run record)."""
        return {
            "run_id": self.run_id,
            "night": self.night.isoformat(),
            "status": "completed",
            "lake": self.lake,
            "inbox": self.inbox,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "resumed_runs": self.resumed_runs,
            "files": {
                "total": len(self.files),
                INGESTED: self.count(INGESTED),
                SKIPPED: self.count(SKIPPED),
                REJECTED: self.count(REJECTED),
                WAITING: self.count(WAITING),
                UNSUPPORTED: self.count(UNSUPPORTED),
                UNREADABLE: self.count(UNREADABLE),
                MISSING: self.count(MISSING),
                "moved": self.moved,
                "list": [f.to_dict() for f in self.files],
            },
            "rows": {
                "read": self.rows_read,
                "stored": self.rows_stored,
                "quarantined": self.rows_quarantined,
                "duplicate": self.rows_duplicate,
            },
            "days_evaluated": [d.isoformat() for d in self.days_evaluated],
            "days_pruned": [d.isoformat() for d in self.days_pruned],
            "retention_cutoff": self.retention_cutoff.isoformat()
            if self.retention_cutoff
            else None,
            "findings": {
                "new_by_severity": {s: self.changes.new_by_severity.get(s, 0) for s in SEVERITIES},
                "updated_by_severity": {
                    s: self.changes.updated_by_severity.get(s, 0) for s in SEVERITIES
                },
                "removed": self.changes.removed,
                "total_in_days_evaluated": self.changes.findings_total,
            },
            "exposure": self.exposure,
            "exposure_total": self.exposure_total,
            "reports": self.reports,
            "report_days": [d.isoformat() for d in self.report_days],
            "fail_on": self.fail_on,
            "exit_code": self.exit_code,
            "exit_reason": self.exit_reason,
        }
