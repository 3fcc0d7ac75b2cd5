"""Building a report: DuckDB aggregations over the lake's views, straight into the model.

Python never loops over events or findings to count anything: each number below is one
aggregate query, and identifiers are masked inside those queries (``masking.py`` macros), so
an unmasked value only leaves DuckDB when ``unmask`` is set.

Counting rule: a finding's own numbers are the finding's. Totals and breakdowns count each
evidence event once per row, because one event can be behind several findings (for example
unauthorized access and bulk access by the same actor on the same day); records are the
record_count of those distinct events (``evidence_record_counts``, stored by detect).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import vocabulary
from ..config import Config
from ..db import Database, connect
from ..detect.account_history import cached_history
from ..detect.rules import read_rules
from ..detect.settings import DetectSettings
from ..errors import LakeError, UsageError
from ..i18n import _, current_language
from ..lake import Lake, lake_arg
from ..lake.commit import reads_lake
from ..lake.damage import damaged_file_error
from ..lake.views import create_views
from . import queries as q
from .evidence import EvidenceRow, evidence_rows, show_command
from .finding_json import create_json_macros
from .finding_list import FindingList, fetch_findings
from .masking import create_mask_macros
from .model import (
    ActorRow,
    Coverage,
    DayTally,
    DayTotal,
    PartyRow,
    Period,
    ProviderCoverage,
    Report,
    Tally,
    Totals,
)
from .provenance import build_provenance
from .real_name import real_name_sections
from .settings import ReportSettings
from .summaries import findings_source

CATEGORIES = list(vocabulary.CATEGORIES)
SEVERITIES = list(vocabulary.SEVERITIES)
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"  # pins generated_at (reproducible reports and tests)


@reads_lake  # built again on the lake as it is now if a writer replaced files meanwhile
def build_report(
    lake: Lake,
    *,
    config: Config,
    since: dt.date | None = None,
    until: dt.date | None = None,
    provider: str | None = None,
    unmask: bool = False,
    settings: ReportSettings | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The report of ``lake`` for the period (default: all its days) and provider (default all).

    Raises UsageError for an inverted period, an unknown provider or a period without events,
    LakeError for a lake without events.
    """
    from ..penalty import CAVEAT, PenaltySettings, compute_exposure, total_exposure

    vocabulary.check_period(since, until)
    settings = settings or ReportSettings.from_config(config)
    penalty_settings = PenaltySettings.from_config(config)
    template = evidence_sql_template(lake.root)
    with _connection(lake) as (con, listed):
        period, coverage, providers = _scope(con, lake, since, until, provider)
        # summaries in the report's language (the stored ones are English)
        detect = DetectSettings.from_config(config)
        rules = read_rules(detect.rule_dirs, disabled=detect.disabled_rules)
        source = findings_source(con, rules, detect, current_language())
        stage_findings(con, period, provider, unmask, source)
        totals, missing_counts = finding_totals(con)
        exposure = compute_exposure(
            con,
            penalty_settings,
            since=period.since,
            until=period.until,
            provider=provider,
            source="report_findings",
        )
        report = Report(
            generated_at=now or _generated_at(),
            lake=str(lake.root),
            timezone=lake.timezone,
            period=period,
            provider=provider,
            masked=not unmask,
            coverage=coverage,
            providers=providers,
            totals=totals,
            **finding_sections(con, settings.top_n),
            exposure=exposure,
            exposure_total=total_exposure(exposure),
            caveat=_(CAVEAT),
            findings=_findings(con, settings.evidence_ids, template, lake.timezone),
            evidence_sql_template=template,
            provenance=build_provenance(
                con, config, {"since": period.since, "until": period.until, "provider": provider}
            ),
            listed_findings=settings.listed_findings,
            real_name=real_name_sections(
                con,
                {
                    "since": period.since,
                    "until": period.until,
                    "provider": provider,
                    "unmask": unmask,
                },
                history=cached_history(lake.root, lake.timezone, listed),
            ),
        )
        report.evidence = _evidence(con, lake, report, settings.evidence_rows, unmask)
        report.show_command_template = show_command(lake.root, "<finding_id>")
    report.notes.extend(_notes(report, shlex.quote(str(lake.root)), missing_counts))
    return report


def evidence_sql_template(lake_root: Path) -> str:
    """The command that lists a finding's evidence, ``<finding_id>`` standing for its id."""
    return (
        f"auditpipe sql --lake {shlex.quote(str(lake_root))} "
        "\"SELECT * FROM finding_evidence WHERE finding_id = '<finding_id>'\""
    )


def _scope(
    con: Database,
    lake: Lake,
    since: dt.date | None,
    until: dt.date | None,
    provider: str | None,
) -> tuple[Period, Coverage, list[ProviderCoverage]]:
    """The period (the lake's days where not given) and what data it covers; a UsageError
    when it holds no events, no findings and no account snapshots (a day with snapshots only
    has the real-name findings detect dated there: the report shows them, with no events)."""
    period = _resolve_period(con, lake, since, until, provider)
    params = {"since": period.since, "until": period.until, "provider": provider}
    coverage, providers = _coverage(con, params)
    if period.since > period.until:  # e.g. --since after the last day with events
        coverage = replace(coverage, events=0)
    if coverage.events == 0 and not (
        period.since <= period.until
        and con.execute(q.PERIOD_HAS_FINDINGS_OR_SNAPSHOTS, params).fetchone() == (True,)
    ):
        where = _(" for provider {provider}").format(provider=provider) if provider else ""
        raise UsageError(
            _("no events{where} {describe}").format(where=where, describe=_describe(since, until)),
            hint=_range_hint(con, lake, provider),
        )
    return period, coverage, providers


def stage_findings(
    con: Database, period: Period, provider: str | None, unmask: bool, source: str = "findings"
) -> None:
    """``report_findings`` (the period's findings read from ``source``, masked unless
    ``unmask``, with severity and category ranks) and ``report_evidence`` (one row per finding
    and evidence event)."""
    params = {"since": period.since, "until": period.until, "provider": provider}
    con.execute(
        q.report_findings_sql(source),
        {**params, "severities": SEVERITIES, "categories": CATEGORIES},
    )
    con.execute(q.SHOW_FINDINGS, {"unmask": unmask})
    con.execute(q.REPORT_EVIDENCE)


def finding_sections(con: Database, top_n: int) -> dict[str, Any]:
    """The report's sections over ``report_findings``/``report_evidence``, by Report field."""
    return {
        "by_category": _tallies(con, "category", "list_position($categories, f.key)"),
        "by_severity": _tallies(con, "severity", "list_position($severities, f.key) DESC"),
        "by_provider": _tallies(con, "provider_id", "f.key"),
        "per_day": _per_day(con),
        "day_totals": _day_totals(con),
        "top_actors": _top_actors(con, top_n),
        "top_parties": _top_parties(con, top_n),
    }


@contextlib.contextmanager
def _connection(lake: Lake) -> Iterator[tuple[Database, dict[str, list[Path]]]]:
    """DuckDB with the lake's views and the masking macros; spills outside the lake. Yields
    it with the files the views read (``lake_files``)."""
    import duckdb

    con = connect(timezone=lake.timezone)
    # A report runs some forty statements over the same files, and each one that reads a view
    # parsed every file's footer again (union_by_name reads them all to bind): keep them.
    con.execute("SET parquet_metadata_cache = true")
    try:
        # One snapshot of the lake's files for every query, so the sections add up even
        # while detect or ingest commit; the small manifest is copied in for the same reason.
        listed = create_views(con, lake.root)
        con.execute("CREATE TEMP TABLE ingest_log_snapshot AS SELECT * FROM ingest_log")
        con.execute("CREATE OR REPLACE VIEW ingest_log AS SELECT * FROM ingest_log_snapshot")
        create_mask_macros(con)
        create_json_macros(con)
        yield con, listed
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        # a file that vanished or cannot be decoded; anything else is a bug and stays loud
        damaged = damaged_file_error(exc, lake.root)
        if damaged is not None:
            raise damaged from exc
        raise LakeError(
            _("cannot read the lake {root}: {exc}").format(root=lake.root, exc=exc),
            hint=_(
                "if detect, ingest or compact was committing meanwhile, run the report again; "
                "otherwise a lake file is damaged ({command} shows which table fails)"
            ).format(command=f"auditpipe sql {lake_arg(lake.root)}"),
        ) from exc
    finally:
        con.close()


def _generated_at() -> dt.datetime:
    pinned = os.environ.get(SOURCE_DATE_EPOCH)
    if pinned and pinned.strip().isdigit():
        return dt.datetime.fromtimestamp(int(pinned), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _resolve_period(
    con: Database,
    lake: Lake,
    since: dt.date | None,
    until: dt.date | None,
    provider: str | None,
) -> Period:
    ranges = {p: (first, last) for p, first, last in con.execute(q.LAKE_PROVIDERS).fetchall()}
    if not ranges:
        raise LakeError(
            _("the lake {root} holds no events yet").format(root=lake.root),
            hint=_("ingest access logs first: auditpipe ingest PATH --lake {path}").format(
                path=shlex.quote(str(lake.root))
            ),
        )
    if provider is not None and provider not in ranges:
        raise UsageError(
            _("provider {provider!r} has no events in the lake").format(provider=provider),
            hint=_("providers in the lake: ") + ", ".join(sorted(ranges)),
        )
    chosen = [ranges[provider]] if provider is not None else list(ranges.values())
    first = min(first_day for first_day, _ in chosen)
    last = max(last_day for _, last_day in chosen)
    return Period(
        since=since or first,
        until=until or last,
        requested_since=since,
        requested_until=until,
    )


def _describe(since: dt.date | None, until: dt.date | None) -> str:
    if since and until:
        return _("between {since} and {until}").format(since=since, until=until)
    if since:
        return _("on or after {since}").format(since=since)
    return _("on or before {until}").format(until=until)


def _range_hint(con: Database, lake: Lake, provider: str | None) -> str:
    first, last = con.execute(
        f"SELECT min(day), max(day) FROM ({q.LAKE_DAYS}) "
        "WHERE $provider IS NULL OR provider_id = $provider",
        {"provider": provider},
    ).fetchone() or (None, None)
    who = _("provider {provider}").format(provider=provider) if provider else _("the lake")
    return _(
        "{who} has events, findings or account snapshots from {first} to {last}; "
        "choose --since/--until within that range"
    ).format(who=who, first=first, last=last)


def _records(con: Database, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a query as dicts by column name: report code never reads by position."""
    cursor = con.execute(sql, params or {})
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _coverage(con: Database, params: dict[str, Any]) -> tuple[Coverage, list[ProviderCoverage]]:
    con.execute(q.STAGE_EVENT_FILES, params)
    rows = _records(con, q.COVERAGE, {"provider": params["provider"]})
    (lake_totals,) = _records(con, q.LAKE_TOTALS)
    providers = [
        ProviderCoverage(
            provider_id=r["provider_id"],
            events=r["events"],
            records=int(r["records"]),
            days_with_events=r["days_with_events"],
            first_event_date=r["first_event_date"],
            last_event_date=r["last_event_date"],
            quarantined_rows=r["quarantined_rows"],
        )
        for r in rows
        if not r["is_total"]
    ]
    # GROUPING SETS returns the () row even without events; the fallback is only for safety
    total = next((r for r in rows if r["is_total"]), None) or {
        "events": 0,
        "records": 0,
        "failed_events": 0,
        "providers": [],
        "days_with_events": 0,
        "first_event": None,
        "last_event": None,
        "quarantined_rows": 0,
    }
    coverage = Coverage(
        events=total["events"],
        records=int(total["records"]),
        failed_events=total["failed_events"],
        providers=list(total["providers"] or []),
        days_with_events=total["days_with_events"],
        first_event=total["first_event"],
        last_event=total["last_event"],
        quarantined_rows=total["quarantined_rows"],
        quarantined_rows_no_provider=total.get("quarantined_rows_no_provider", 0),
        **lake_totals,
    )
    return coverage, providers


def finding_totals(con: Database) -> tuple[Totals, int]:
    (row,) = _records(con, q.TOTALS)
    missing_counts = row.pop("missing_counts")
    totals = Totals(
        **{**row, "records": int(row["records"]), "proceeds_cny": Decimal(row["proceeds_cny"])}
    )
    return totals, missing_counts


def _tallies(con: Database, key: str, order: str) -> list[Tally]:
    params: dict[str, Any] = {}
    if "$categories" in order:
        params["categories"] = CATEGORIES
    if "$severities" in order:
        params["severities"] = SEVERITIES
    return [
        Tally(
            **{
                **r,
                "records": int(r["records"]),
                "proceeds_cny": Decimal(r["proceeds_cny"]),
                "by_severity": _ordered(r["by_severity"], SEVERITIES),
                "by_category": _ordered(r["by_category"], CATEGORIES),
            }
        )
        for r in _records(con, q.tally_sql(key, order), params)
    ]


def _ordered(counts: dict[str, int] | None, order: list[str]) -> dict[str, int]:
    """A histogram in the canonical order, known keys first (zeros left out)."""
    counts = dict(counts or {})
    known = {k: counts.pop(k) for k in order if k in counts}
    return {**known, **dict(sorted(counts.items()))}


def _per_day(con: Database) -> list[DayTally]:
    rows = _records(con, q.PER_DAY, {"categories": CATEGORIES})
    return [DayTally(**{**r, "records": int(r["records"])}) for r in rows]


def _day_totals(con: Database) -> list[DayTotal]:
    rows = _records(con, q.DAY_TOTALS, {"real_name": vocabulary.REAL_NAME})
    return [
        DayTotal(
            **{**r, "records": int(r["records"]), "records_affected": int(r["records_affected"])}
        )
        for r in rows
    ]


def _top_actors(con: Database, top_n: int) -> list[ActorRow]:
    params = {"categories": CATEGORIES, "severities": SEVERITIES, "top_n": top_n}
    return [
        ActorRow(**{**r, "records": int(r["records"]), "categories": list(r["categories"])})
        for r in _records(con, q.TOP_ACTORS, params)
    ]


def _top_parties(con: Database, top_n: int) -> list[PartyRow]:
    params = {"categories": CATEGORIES, "severities": SEVERITIES, "top_n": top_n}
    return [
        PartyRow(
            **{
                **r,
                "providers": list(r["providers"]),
                "records": int(r["records"]),
                "proceeds_cny": Decimal(r["proceeds_cny"]),
                "categories": list(r["categories"]),
            }
        )
        for r in _records(con, q.TOP_PARTIES, params)
    ]


def _findings(con: Database, evidence_ids: int, template: str, timezone: str) -> FindingList:
    """Every finding of the period (a report can hold tens of thousands), as the JSON text
    DuckDB writes for them: see ``FindingList``."""
    params = {"evidence_ids": evidence_ids, "template": template}
    return fetch_findings(con, q.FINDING_ROWS, q.FINDINGS_ORDER, params, timezone)


def _evidence(
    con: Database, lake: Lake, report: Report, rows: int, unmask: bool
) -> dict[str, list[EvidenceRow]]:
    """The first ``rows`` evidence events of every finding a report lists, in one query."""
    if rows <= 0:
        return {}
    ids = [f.finding_id for f in report.findings[: report.listed_findings]]
    if not ids:
        return {}
    chosen = (
        "SELECT finding_id, provider_id, event_date, evidence_event_ids FROM report_findings "
        "WHERE list_contains($ids, finding_id)"
    )
    return evidence_rows(con, lake, chosen, rows, unmask=unmask, params={"ids": ids})


def _notes(report: Report, lake_cli: str, missing_counts: int) -> list[str]:
    notes = []
    if report.totals.findings == 0:
        notes.append(
            _(
                "No findings in this period. Findings come from auditpipe detect: if it has not "
                "run since these events were ingested, run: auditpipe detect --lake {lake}"
            ).format(lake=lake_cli)
        )
    if missing_counts:
        notes.append(
            _(
                "{n} finding(s) were stored without evidence record counts, so their "
                "records are not in the totals: run auditpipe detect --lake {lake} again."
            ).format(n=missing_counts, lake=lake_cli)
        )
    if report.coverage.files_rejected:
        sql = "SELECT source_file, reason FROM ingest_log WHERE status = 'rejected'"
        notes.append(
            _("{n} input file(s) were rejected whole by ingest: see {command}").format(
                n=report.coverage.files_rejected,
                command=f'auditpipe sql --lake {lake_cli} "{sql}"',
            )
        )
    if report.coverage.quarantined_rows:
        sql = "SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY 2 DESC"
        notes.append(
            _("{n} row(s) of the files behind these events were quarantined: see {command}").format(
                n=report.coverage.quarantined_rows,
                command=f'auditpipe sql --lake {lake_cli} "{sql}"',
            )
        )
    return notes
