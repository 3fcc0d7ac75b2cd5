"""``auditpipe status``: what a lake holds and how its last run went.

Read-only and lock-free: it never waits for or blocks a running job. Counts come from DuckDB
aggregations over the lake's views; file counts from the files those views read (the lake as
a reader sees it: a commit whose writer died after its commit point counts as done); runs from
``_auditpipe/runs/``; the lock holder from the text the holder wrote into ``_auditpipe/lock``
(checked against the live processes, since a killed holder's lock is already released).
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .db import connect
from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_QUARANTINE
from .i18n import _, ngettext
from .lake import Lake, today_in
from .lake.commit import journal_files, reads_lake
from .lake.layout import EVENTS, file_partition, lake_arg
from .lake.runs import UNFINISHED, load_run_docs, run_status_word
from .lake.views import create_views
from .vocabulary import SEVERITIES

RECENT_DAYS = 7  # days shown in the terminal table (--json lists every day)


@dataclass
class ProviderStatus:
    provider_id: str
    events: int = 0
    days: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    findings: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id,
            "events": self.events,
            "days": self.days,
            "first_day": _iso(self.first_day),
            "last_day": _iso(self.last_day),
            "findings": self.findings,
        }


@dataclass
class DayStatus:
    event_date: dt.date
    events: int = 0
    providers: int = 0
    findings: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "event_date": self.event_date.isoformat()}


@dataclass
class LakeStatus:
    lake: str
    timezone: str
    created_at: str | None
    events: int = 0
    days: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    providers: list[ProviderStatus] = field(default_factory=list)
    per_day: list[DayStatus] = field(default_factory=list)
    event_files: int = 0
    partitions: int = 0
    partitions_to_compact: int = 0  # partitions of past days holding more than one file
    quarantine_rows: int = 0
    findings: int = 0
    findings_by_severity: dict[str, int] = field(default_factory=dict)
    files_ingested: int = 0
    files_rejected: int = 0
    last_run: dict[str, Any] | None = None
    # The last run's outcome in the current language, for the table (not in to_dict(): the
    # JSON keeps the stored English "outcome", whatever the language).
    last_run_outcome_words: str | None = None
    unfinished_runs: list[str] = field(default_factory=list)
    running: str | None = None  # who holds the lock right now, if anyone
    # Commits past their commit point whose file moves a killed writer left unfinished (none
    # counted while a writer runs: it may be applying one at this moment).
    commits_pending: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "lake": self.lake,
            "timezone": self.timezone,
            "created_at": self.created_at,
            "events": self.events,
            "days": self.days,
            "first_day": _iso(self.first_day),
            "last_day": _iso(self.last_day),
            "providers": [p.to_dict() for p in self.providers],
            "per_day": [d.to_dict() for d in self.per_day],
            "event_files": self.event_files,
            "partitions": self.partitions,
            "partitions_to_compact": self.partitions_to_compact,
            "quarantine_rows": self.quarantine_rows,
            "findings": self.findings,
            "findings_by_severity": {s: self.findings_by_severity.get(s, 0) for s in SEVERITIES},
            "files_ingested": self.files_ingested,
            "files_rejected": self.files_rejected,
            "last_run": self.last_run,
            "unfinished_runs": self.unfinished_runs,
            "running": self.running,
            "commits_pending": self.commits_pending,
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@reads_lake  # counted again if a writer replaced files while they were being counted
def lake_status(lake: Lake, *, today: dt.date | None = None) -> LakeStatus:
    today = today or today_in(lake.timezone)
    status = LakeStatus(str(lake.root), lake.timezone, lake.meta.get("created_at"))
    con = connect(timezone=lake.timezone)
    try:
        # The files the views read, listed once: the file counts are of the same lake.
        listed = create_views(con, lake.root)
        providers: dict[str, ProviderStatus] = {}
        for pid, events, n_days, first, last in con.execute(
            "SELECT provider_id, count(*), count(DISTINCT event_date), min(event_date),"
            " max(event_date) FROM events GROUP BY provider_id ORDER BY provider_id"
        ).fetchall():
            providers[pid] = ProviderStatus(pid, int(events), int(n_days), first, last)
        total = con.execute(
            "SELECT count(*), count(DISTINCT event_date), min(event_date), max(event_date)"
            " FROM events"
        ).fetchone()
        assert total is not None
        status.events, status.days, status.first_day, status.last_day = (
            int(total[0]),
            int(total[1]),
            total[2],
            total[3],
        )
        for pid, severity, count in con.execute(
            "SELECT provider_id, severity, count(*) FROM findings GROUP BY ALL"
        ).fetchall():
            providers.setdefault(pid, ProviderStatus(pid)).findings += int(count)
            status.findings_by_severity[severity] = status.findings_by_severity.get(
                severity, 0
            ) + int(count)
            status.findings += int(count)
        status.providers = [providers[p] for p in sorted(providers)]
        days: dict[dt.date, DayStatus] = {}
        for day, events, n_providers in con.execute(
            "SELECT event_date, count(*), count(DISTINCT provider_id) FROM events GROUP BY ALL"
        ).fetchall():
            days[day] = DayStatus(day, int(events), int(n_providers))
        for day, count in con.execute(
            "SELECT event_date, count(*) FROM findings GROUP BY ALL"
        ).fetchall():
            days.setdefault(day, DayStatus(day)).findings = int(count)
        status.per_day = [days[d] for d in sorted(days)]
        row = con.execute("SELECT count(*) FROM quarantine").fetchone()
        status.quarantine_rows = int(row[0]) if row else 0
        for file_status, count in con.execute(
            "SELECT status, count(*) FROM ingest_log GROUP BY status"
        ).fetchall():
            if file_status == "ingested":
                status.files_ingested = int(count)
            elif file_status == "rejected":
                status.files_rejected = int(count)
    finally:
        con.close()
    _file_layout(listed[EVENTS], status, today)
    _runs(lake, status)
    status.running = lock_holder(lake)
    if status.running is None:
        status.commits_pending = len(journal_files(lake.root))
    return status


def _file_layout(files: list[Path], status: LakeStatus, today: dt.date) -> None:
    """Partitions and files as readers see them (``lake_files``), not the files on disk:
    after a commit killed at its commit point, those are the files it replaces, and its new
    ones are still staged (each in its partition's folders, under the staging folder). So a
    file's partition is read from its folders' names, whichever folder holds them."""
    per_partition = Counter(file_partition(f) for f in files)
    status.partitions = len(per_partition)
    status.event_files = len(files)
    status.partitions_to_compact = sum(
        1 for (_, day), n in per_partition.items() if n > 1 and day is not None and day < today
    )


def _runs(lake: Lake, status: LakeStatus) -> None:
    docs = load_run_docs(lake)
    status.unfinished_runs = [
        d["run_id"] for d in docs if d.get("kind") == "nightly" and d.get("status") in UNFINISHED
    ]
    if not docs:
        return
    last = docs[-1]
    summary = last.get("summary") or {}
    status.last_run_outcome_words = (exit_reason_words(summary) if summary else None) or (
        summary.get("exit_reason") or last.get("error")
    )
    status.last_run = {
        "run_id": last["run_id"],
        "kind": last.get("kind"),
        "night": last.get("night"),
        "status": last.get("status"),
        "phase": last.get("phase"),
        "started_at": last.get("started_at"),
        "finished_at": last.get("finished_at"),
        "exit_code": last.get("exit_code"),
        "outcome": summary.get("exit_reason") or last.get("error"),
        "files": summary.get("files", {}).get("ingested"),
        "rows_stored": summary.get("rows", {}).get("stored"),
        "rows_quarantined": summary.get("rows", {}).get("quarantined"),
        "new_findings": sum((summary.get("findings", {}).get("new_by_severity") or {}).values())
        if summary
        else None,
    }


def lock_holder(lake: Lake) -> str | None:
    """The holder's own description, if a live process holds the lake's lock.

    Reading the text rather than probing the flock: a probe could make a starting nightly
    fail with "busy" in the instant it holds the lock.
    """
    try:
        text = (lake.meta_dir / "lock").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    pid = _pid_in(text)
    if pid is not None and not _alive(pid):
        return None  # a killed holder: the kernel released its lock with the process
    return text


def _pid_in(text: str) -> int | None:
    marker = "(pid "
    if marker not in text:
        return None
    digits = text.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0].strip()
    return int(digits) if digits.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ago(instant: str | dt.datetime, timezone: str, now: dt.datetime | None = None) -> str:
    """``3 hours ago, 2026-11-30 02:30 (Asia/Shanghai)``: how long ago, then the local time
    in the lake's timezone (``instant`` is an ISO 8601 time with its offset, as run records
    store it). A time in the future (a clock set wrong) says ``in ...``."""
    import zoneinfo

    when = dt.datetime.fromisoformat(instant) if isinstance(instant, str) else instant
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    seconds = (now - when).total_seconds()
    local = when.astimezone(zoneinfo.ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    return _("{when}, {local_time} ({timezone})").format(
        when=_span(abs(seconds), seconds < 0), local_time=local, timezone=timezone
    )


def _span(seconds: float, future: bool) -> str:
    """``just now``, ``5 minutes ago`` (up to 90), ``3 hours ago`` (up to 36), ``2 days ago``;
    ``in ...`` for the future."""
    if seconds < 45:
        return _("just now")
    if seconds < 90 * 60:
        n = max(1, round(seconds / 60))
        if future:
            return ngettext("in {n} minute", "in {n} minutes", n).format(n=n)
        return ngettext("{n} minute ago", "{n} minutes ago", n).format(n=n)
    if seconds < 36 * 3600:
        n = round(seconds / 3600)
        if future:
            return ngettext("in {n} hour", "in {n} hours", n).format(n=n)
        return ngettext("{n} hour ago", "{n} hours ago", n).format(n=n)
    n = round(seconds / 86400)
    if future:
        return ngettext("in {n} day", "in {n} days", n).format(n=n)
    return ngettext("{n} day ago", "{n} days ago", n).format(n=n)


def wrap(text: str, width: int | None) -> str:
    """``text`` wrapped at word boundaries to ``width`` columns, later lines indented; paths
    and ids longer than a line are kept whole. ``None``: one line (output that is not a
    terminal, for scripts)."""
    if width is None:
        return text
    return textwrap.fill(
        text,
        width=width,
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_status(status: LakeStatus, now: dt.datetime | None = None) -> None:
    """Terminal tables on stdout; the lines between them wrap at word boundaries to the
    terminal's width, and times read as "3 hours ago, <local time> (<lake timezone>)"."""
    from rich.table import Table
    from rich.text import Text

    from .console import get_console, printable

    out = get_console()
    width = out.out.width if out.stdout_is_terminal else None

    def say(text: str) -> None:
        out.print(wrap(text, width), markup=False)

    period = (
        _("{first} to {last}").format(first=status.first_day, last=status.last_day)
        if status.first_day
        else _("no events yet")
    )
    say(_("Lake {lake} (timezone {timezone})").format(lake=status.lake, timezone=status.timezone))
    say(
        _(
            "{events} events over {days} day(s), {period}; {providers} provider(s); "
            "{quarantined} quarantined row(s); {findings} finding(s)"
        ).format(
            events=f"{status.events:,}",
            days=status.days,
            period=period,
            providers=len(status.providers),
            quarantined=f"{status.quarantine_rows:,}",
            findings=f"{status.findings:,}",
        )
    )
    say(
        _(
            "Files: {ingested} ingested, {rejected} rejected; "
            "{files} event file(s) in {partitions} partition(s)"
        ).format(
            ingested=f"{status.files_ingested:,}",
            rejected=f"{status.files_rejected:,}",
            files=f"{status.event_files:,}",
            partitions=f"{status.partitions:,}",
        )
        + (
            _(", {n} past partition(s) to compact").format(n=f"{status.partitions_to_compact:,}")
            if status.partitions_to_compact
            else ""
        )
    )
    if status.findings:
        from .report.render.common import severity_word

        by_sev = _(", ").join(
            f"{severity_word(s)} {status.findings_by_severity.get(s, 0):,}"
            for s in reversed(SEVERITIES)
        )
        say(_("Findings by severity: {counts}").format(counts=by_sev))
    if status.providers:
        table = Table(title_justify="left")
        headers = (_("provider"), _("events"), _("days"), _("first day"), _("last day"))
        for n, col in enumerate((*headers, _("findings"))):
            table.add_column(col, justify="left" if n == 0 else "right")
        for p in status.providers:
            table.add_row(
                Text(printable(p.provider_id)),  # the data's: never markup
                f"{p.events:,}",
                str(p.days),
                _iso(p.first_day) or "",
                _iso(p.last_day) or "",
                f"{p.findings:,}",
            )
        out.print(table)
    if status.per_day:
        recent = status.per_day[-RECENT_DAYS:]
        table = Table(
            title=_("Last {n} day(s) with data").format(n=len(recent)), title_justify="left"
        )
        for n, col in enumerate(("event_date", _("events"), _("providers"), _("findings"))):
            table.add_column(col, justify="left" if n == 0 else "right")
        for d in recent:
            table.add_row(
                d.event_date.isoformat(), f"{d.events:,}", str(d.providers), f"{d.findings:,}"
            )
        out.print(table)
    run = status.last_run
    if run is None:
        say(_("Last run: none recorded"))
    else:
        when = run.get("finished_at") or run.get("started_at")
        code = run.get("exit_code")
        say(
            _("Last run: {run_id} ({kind}, night {night}): {status} {when}").format(
                run_id=run["run_id"],
                kind=run.get("kind"),
                night=run.get("night"),
                status=run_status_word(run.get("status")),
                when=ago(when, status.timezone, now) if when else "",
            )
            + (_(", exit {code}").format(code=code) if code is not None else "")
            + (f": {status.last_run_outcome_words}" if status.last_run_outcome_words else "")
        )
    if status.commits_pending:
        say(
            _(
                "Interrupted commits: {n}, finished for auditpipe's readers but not on disk: "
                "tools reading the folders themselves (DuckDB, Polars, Spark) may see rows "
                "doubled or missing until the next ingest, detect, compact or nightly "
                "finishes them (even {command}, which changes nothing else)"
            ).format(
                n=status.commits_pending,
                command=f"auditpipe compact {lake_arg(status.lake)} --dry-run",
            )
        )
    if status.running:
        say(_("Running now: {run}").format(run=status.running))
    elif status.unfinished_runs:
        say(
            _("Unfinished: {runs}; the next nightly run ({command}) completes their work").format(
                runs=", ".join(status.unfinished_runs),
                command=f"auditpipe nightly --inbox INBOX {lake_arg(status.lake)}",
            )
        )


def exit_reason_words(summary: dict[str, Any]) -> str | None:
    """Why a nightly run exited as it did, in the current language, from its summary (the
    result's ``to_dict()``, kept in the run record). The summary's ``exit_reason`` stays
    English: it is stored data. None when the summary lacks what it takes (a record written by
    an older version). Here, not in nightly/, so ``status`` need not import the nightly job."""
    from .vocabulary import at_or_above

    try:
        code, fail_on = summary["exit_code"], summary["fail_on"]
        files, new = summary["files"], summary["findings"]["new_by_severity"]
        quarantined = summary["rows"]["quarantined"]
    except (KeyError, TypeError):
        return None
    if code == EXIT_FINDINGS:
        from .report.render.common import severity_word

        n = sum(new.get(s, 0) for s in at_or_above(fail_on))
        return ngettext(
            "{n} new finding at or above {level}", "{n} new findings at or above {level}", n
        ).format(n=n, level=severity_word(fail_on))
    if code == EXIT_QUARANTINE:
        # the keys are nightly's file statuses (nightly/result.py: REJECTED, UNREADABLE)
        text = _("{rows} row(s) quarantined, {files} file(s) rejected").format(
            rows=quarantined, files=files.get("rejected", 0)
        )
        if files.get("unreadable"):
            text += _(", {n} file(s) unreadable").format(n=files["unreadable"])
        return text
    return _("clean") if code == EXIT_OK else None
