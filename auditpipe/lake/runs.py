"""Run records: ``_auditpipe/runs/<run_id>.json``, what each nightly run did and how far it got.

A record is written (atomically, under the lake lock) before each phase starts, so a run that
is killed leaves a record saying which files it meant to ingest and which days it still owed
detection and reports. The next nightly finds such records (status ``running`` or ``failed``),
takes over their unfinished work and marks them ``resumed``. See ``nightly/job.py`` for the
protocol. The records live here, beside the lake, because ``status`` reads them too and must not
depend on the nightly job.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LakeError
from ..i18n import N_, _
from . import layout
from .commit import write_json_atomic
from .folder import Lake

KIND_NIGHTLY = "nightly"

# Status of a run record.
RUNNING = "running"  # in progress, or its process died (only one run holds the lock)
FAILED = "failed"  # stopped on an error it reported
COMPLETED = "completed"
RESUMED = "resumed"  # unfinished, and a later run took over its work (``resumed_by``)
UNFINISHED = (RUNNING, FAILED)

# Phases, in order; ``phase`` is the one the run was in when the record was last written.
PHASES = ("scan", "ingest", "baseline", "detect", "report", "done")


@dataclass
class RunRecord:
    run_id: str
    night: str  # YYYY-MM-DD label of the run (reports are named by it)
    started_at: str
    kind: str = KIND_NIGHTLY
    status: str = RUNNING
    phase: str = "scan"
    inbox: str | None = None
    # Files this run (or a run it resumed) meant to ingest: [{"sha256", "path"}].
    planned_files: list[dict[str, str]] = field(default_factory=list)
    # event_dates owed detection; complete once ``phase`` is past "ingest".
    pending_dates: list[str] = field(default_factory=list)
    # Findings snapshots taken before detection (baseline.py), this run's and inherited:
    # [{"file", "dates", "taken_at"}].
    baselines: list[dict[str, Any]] = field(default_factory=list)
    days_evaluated: list[str] = field(default_factory=list)
    resumed_from: list[str] = field(default_factory=list)
    resumed_by: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    error: str | None = None
    summary: dict[str, Any] | None = None
    # The order runs were started in, numbered when the record is first saved (1, 2, ...; 0
    # for records written before runs were numbered). Not the clock: set back (a wrong time
    # corrected, a virtual machine restored), it put the newest run before older ones, and
    # status named an earlier run as the last.
    seq: int = 0

    @property
    def phase_index(self) -> int:
        return PHASES.index(self.phase) if self.phase in PHASES else 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> RunRecord:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def run_path(lake: Lake, run_id: str) -> Path:
    return lake.runs_dir / f"{run_id}.json"


def save_run(lake: Lake, record: RunRecord) -> None:
    """Replace the record atomically: a reader sees the previous version or this one. A new
    record gets the next number (``seq``); the lake lock makes it unique."""
    path = run_path(lake, record.run_id)
    if not record.seq and not path.exists():
        record.seq = 1 + max((_seq(doc) for doc in load_run_docs(lake)), default=0)
    write_json_atomic(path, record.to_dict())


def _seq(doc: dict[str, Any]) -> int:
    seq = doc.get("seq", 0)
    return seq if type(seq) is int else 0


def load_run_docs(lake: Lake) -> list[dict[str, Any]]:
    """Every run record in the lake (any kind), oldest first; unreadable ones are skipped."""
    docs = []
    for path in layout.run_files(lake.root):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # only an atomic writer touches these; a bad one is someone's hand edit
        if isinstance(doc, dict) and doc.get("run_id"):
            docs.append(doc)
    # In the order they were started: by number, then (records written before runs were
    # numbered, all 0) by the clock.
    docs.sort(key=lambda d: (_seq(d), str(d.get("started_at", "")), str(d["run_id"])))
    return docs


def nightly_runs(lake: Lake) -> list[RunRecord]:
    """The nightly run records, oldest first. A record that is not what nightly writes (edited
    by hand) is a LakeError naming it: read as it is, it failed every later night with an
    "unexpected internal error", and the failed runs copied its damage into their records."""
    records = []
    for doc in load_run_docs(lake):
        if doc.get("kind") != KIND_NIGHTLY:
            continue
        problem = run_doc_problem(doc)
        if problem:
            path = run_path(lake, str(doc["run_id"]))
            raise LakeError(
                _("run record {path} is damaged: {problem}").format(path=path, problem=problem),
                hint=_(
                    "restore it from a backup, or move it out of {folder}: the next nightly "
                    "then runs without that run's unfinished work (run auditpipe detect for "
                    "the days it names, if any)"
                ).format(folder=lake.runs_dir),
            )
        records.append(RunRecord.from_dict(doc))
    return records


def run_doc_problem(doc: dict[str, Any]) -> str | None:
    """What makes ``doc`` not a nightly run record as ``save_run`` writes it, or None."""

    def is_day(value: Any) -> bool:
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True

    def is_list_of(value: Any, ok: Any) -> bool:
        return isinstance(value, list) and all(ok(v) for v in value)

    def is_baseline(b: Any) -> bool:
        return (
            isinstance(b, dict)
            and isinstance(b.get("file"), str)
            and isinstance(b.get("taken_at"), str)
            and is_list_of(b.get("dates"), is_day)
        )

    def is_planned(f: Any) -> bool:
        return (
            isinstance(f, dict)
            and all(isinstance(f.get(k), str) for k in ("sha256", "path"))
            and isinstance(f.get("night", ""), str)
        )

    checks = [
        ("run_id", isinstance(doc.get("run_id"), str)),
        ("night", is_day(doc.get("night"))),
        ("started_at", isinstance(doc.get("started_at"), str)),
        ("planned_files", is_list_of(doc.get("planned_files", []), is_planned)),
        ("pending_dates", is_list_of(doc.get("pending_dates", []), is_day)),
        ("days_evaluated", is_list_of(doc.get("days_evaluated", []), is_day)),
        ("baselines", is_list_of(doc.get("baselines", []), is_baseline)),
        ("resumed_from", is_list_of(doc.get("resumed_from", []), lambda v: isinstance(v, str))),
        ("seq", type(doc.get("seq", 0)) is int and doc.get("seq", 0) >= 0),
    ]
    bad = [name for name, ok in checks if not ok]
    return _("unexpected {fields}").format(fields=", ".join(bad)) if bad else None


def unfinished_runs(lake: Lake) -> list[RunRecord]:
    """Nightly runs that stopped before completing and whose work nobody has taken over."""
    return [r for r in nightly_runs(lake) if r.status in UNFINISHED]


# A run record's status as a word of the current language, for people (status's table).
RUN_STATUS_WORDS = {RUNNING: N_("running"), FAILED: N_("failed"), COMPLETED: N_("completed")}


def run_status_word(status: str | None) -> str:
    return _(RUN_STATUS_WORDS[status]) if status in RUN_STATUS_WORDS else str(status)
