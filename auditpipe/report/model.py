"""What a report says, as plain data: every renderer draws from this and nothing else.

Every number in it was computed by DuckDB over the lake's views (``report.build``); identifiers
were masked there too unless the report was built with ``unmask``. ``Report.to_dict()`` is
the JSON document described by ``schemas/report.schema.json``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..penalty import ExposureTotal, ProviderExposure
    from .evidence import EvidenceRow
    from .finding_list import FindingList

# Bump the minor number for additions, the major number for anything that breaks a reader.
# 1.1: exposure.total, provenance, real_name and a null fine range (no fine applies).
REPORT_SCHEMA_VERSION = "1.3"


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date
    requested_since: dt.date | None
    requested_until: dt.date | None

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


@dataclass(frozen=True)
class Coverage:
    """The data the report covers: events of the period (and provider, if one was asked for)."""

    events: int
    records: int  # sum of record_count
    failed_events: int  # outcome failure: kept, never fire a rule
    providers: list[str]
    days_with_events: int
    first_event: dt.datetime | None
    last_event: dt.datetime | None
    quarantined_rows: int  # rows set aside from the files that delivered these events
    quarantined_rows_lake: int  # in the whole lake
    files_ingested: int  # whole lake (the manifest)
    files_rejected: int
    # of quarantined_rows, those whose provider could not be read (in no provider's row)
    quarantined_rows_no_provider: int = 0


@dataclass(frozen=True)
class ProviderCoverage:
    provider_id: str
    events: int
    records: int
    days_with_events: int
    first_event_date: dt.date | None
    last_event_date: dt.date | None
    quarantined_rows: int


@dataclass(frozen=True)
class Tally:
    """Findings grouped by one key; events/records count each evidence event once per group."""

    key: str
    findings: int
    events: int
    records: int
    proceeds_cny: Decimal
    by_severity: dict[str, int]
    by_category: dict[str, int]


@dataclass(frozen=True)
class DayTally:
    event_date: dt.date
    category: str
    findings: int
    events: int
    records: int


@dataclass(frozen=True)
class DayTotal:
    """Evidence events and records of one day, each event once whatever its categories;
    ``records_affected`` leaves out the evidence of real-name findings, as the penalty
    exposure does."""

    event_date: dt.date
    findings: int
    events: int
    records: int
    records_affected: int


@dataclass(frozen=True)
class ActorRow:
    provider_id: str
    actor_id: str | None
    actor_type: str | None
    findings: int
    events: int
    records: int
    categories: list[str]
    top_severity: str


@dataclass(frozen=True)
class PartyRow:
    destination_party: str
    providers: list[str]
    findings: int
    events: int
    records: int
    proceeds_cny: Decimal
    categories: list[str]
    top_severity: str


@dataclass(frozen=True)
class FindingRow:
    finding_id: str
    rule_id: str
    category: str
    severity: str
    provider_id: str
    event_date: dt.date
    actor_id: str | None
    actor_type: str | None
    destination_party: str | None
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    event_count: int
    record_count: int
    subject_count: int
    data_classes: list[str]
    data_categories: list[str]
    proceeds_cny: Decimal
    unconverted_amounts: dict[str, Decimal]
    summary: str
    evidence_count: int
    evidence_sample: list[str]
    evidence_sql: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, written out field by field: a report can hold many thousands."""
        return {
            "finding_id": self.finding_id,
            "rule_id": self.rule_id,
            "category": self.category,
            "severity": self.severity,
            "provider_id": self.provider_id,
            "event_date": self.event_date.isoformat(),
            "actor_id": self.actor_id,
            "actor_type": self.actor_type,
            "destination_party": self.destination_party,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "event_count": self.event_count,
            "record_count": self.record_count,
            "subject_count": self.subject_count,
            "data_classes": self.data_classes,
            "data_categories": self.data_categories,
            "proceeds_cny": format(self.proceeds_cny, "f"),
            "unconverted_amounts": {c: format(a, "f") for c, a in self.unconverted_amounts.items()},
            "summary": self.summary,
            "evidence_count": self.evidence_count,
            "evidence_sample": self.evidence_sample,
            "evidence_sql": self.evidence_sql,
        }


@dataclass(frozen=True)
class RealNameDay:
    """Users' posts of one day at one provider, by the state of their account at the moment."""

    event_date: dt.date
    posts: int
    verified_posts: int
    unverified_posts: int  # evidence of real_name_unverified_publish findings
    unknown_posts: int  # accounts in no snapshot and no register/verify event: a data gap
    compliance_rate: float | None  # verified / (verified + unverified); None: no judged post


@dataclass(frozen=True)
class UnverifiedPublisher:
    account_id: str | None  # masked unless --unmask
    days: int
    posts: int
    first_post: dt.datetime | None
    last_post: dt.datetime | None


@dataclass(frozen=True)
class InvalidVerification:
    account_id: str | None  # masked unless --unmask
    problem: str  # keys joined by ',': length, format, check_digit, birth_date, region, no_method
    snapshots: int
    last_snapshot: dt.date


@dataclass(frozen=True)
class SharedIdentity:
    identity: str  # "identity:" + 8 hex digits of the keyed hash, a pseudonym
    accounts: int  # verified accounts on it in the latest snapshot that showed it
    snapshots: int
    last_snapshot: dt.date


@dataclass(frozen=True)
class RealNameSection:
    """The "Real-name registration" section of one provider (``report.real_name``)."""

    provider_id: str
    provider_types: list[str]
    applies: bool  # false for an access provider (iasp): outside the publishing requirement
    posts: int
    verified_posts: int
    unverified_posts: int
    unknown_posts: int
    compliance_rate: float | None
    unverified_publishers: int
    unknown_accounts: int
    invalid_verifications: int
    shared_identities: int
    days: list[RealNameDay]
    unverified: list[UnverifiedPublisher]  # the top ones by posts
    invalid: list[InvalidVerification]
    shared: list[SharedIdentity]

    def to_dict(self) -> dict[str, Any]:
        doc = {name: _value(getattr(self, name)) for name in self.__dataclass_fields__}
        for key in ("days", "unverified", "invalid", "shared"):
            doc[key] = [_plain(item) for item in getattr(self, key)]
        return doc


@dataclass(frozen=True)
class Totals:
    findings: int
    events: int  # distinct evidence events
    records: int  # their record_count, each event once
    proceeds_cny: Decimal  # selling findings
    providers_with_findings: int


@dataclass(frozen=True)
class RuleSource:
    """A rule as the report's configuration reads it, and how many of its findings are shown."""

    rule_id: str
    title: str
    category: str
    severity: str
    source: str  # "built-in" or the rule file's path
    sha256: str | None  # of the rule file; None for a rule that is not in the configuration
    configured: bool  # False: findings of a rule the configuration no longer has
    findings: int


@dataclass(frozen=True)
class InputFile:
    """An input file (the ingest manifest) that delivered events of the report."""

    sha256: str
    source_file: str | None  # None when the manifest has no entry for the events' sha256
    format: str | None
    rows_read: int | None
    rows_stored: int | None
    rows_quarantined: int | None
    rows_duplicate: int | None
    events_in_report: int


@dataclass(frozen=True)
class Watchlist:
    path: str | None  # None: no broker watchlist configured
    sha256: str | None
    names: list[str]


@dataclass(frozen=True)
class Provenance:
    """What the report was computed from: the code, the configuration and the input files.

    Findings are stored by ``auditpipe detect``; the rules and settings here are those of the
    configuration the report was made with, which is what detect uses unless flags overrode
    it (``basis`` says so in words).
    """

    auditpipe_version: str
    config_file: str | None
    config_sha256: str | None
    rules: list[RuleSource]
    terms_sha256: str | None  # the shared rule terms (_terms.sql) every default rule reads
    detect_settings: dict[str, str]
    penalty_settings: dict[str, str]
    exchange_rates: dict[str, str]  # currency -> CNY per unit
    watchlist: Watchlist
    input_files: list[InputFile]
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "auditpipe_version": self.auditpipe_version,
            "config_file": self.config_file,
            "config_sha256": self.config_sha256,
            "rules": [_plain(r) for r in self.rules],
            "terms_sha256": self.terms_sha256,
            "detect_settings": dict(self.detect_settings),
            "penalty_settings": dict(self.penalty_settings),
            "exchange_rates": dict(self.exchange_rates),
            "watchlist": _plain(self.watchlist),
            "input_files": [_plain(f) for f in self.input_files],
            "basis": self.basis,
        }


@dataclass
class Report:
    generated_at: dt.datetime
    lake: str
    timezone: str
    period: Period
    provider: str | None
    masked: bool
    coverage: Coverage
    providers: list[ProviderCoverage]
    totals: Totals
    by_category: list[Tally]
    by_severity: list[Tally]
    by_provider: list[Tally]
    per_day: list[DayTally]
    day_totals: list[DayTotal]
    top_actors: list[ActorRow]
    top_parties: list[PartyRow]
    exposure: list[ProviderExposure]
    exposure_total: ExposureTotal
    caveat: str
    findings: FindingList
    evidence_sql_template: str
    provenance: Provenance
    notes: list[str] = field(default_factory=list)
    # Renderers meant for people list this many findings; json and csv list all of them.
    listed_findings: int = 500
    # The first [report] evidence_rows evidence events of each listed finding, by finding_id
    # (shown by the HTML report; not part of the JSON document, which has evidence_sample).
    evidence: dict[str, list[EvidenceRow]] = field(default_factory=dict)
    # `auditpipe findings show <finding_id> --lake '<absolute lake path>'`
    show_command_template: str = ""
    schema_version: str = REPORT_SCHEMA_VERSION
    # "Real-name registration", one section per provider it concerns (report.real_name)
    real_name: list[RealNameSection] = field(default_factory=list)

    def to_dict(self, *, with_findings: bool = True) -> dict[str, Any]:
        """The JSON document (schemas/report.schema.json): dates ISO, money as exact strings.
        ``with_findings=False``: an empty findings list (the JSON renderer writes it from the
        text DuckDB made, ``FindingList.json_objects``)."""
        return {
            "schema_version": self.schema_version,
            "generated_at": _iso(self.generated_at),
            "lake": self.lake,
            "timezone": self.timezone,
            "period": {
                "since": _iso(self.period.since),
                "until": _iso(self.period.until),
                "days": self.period.days,
                "requested_since": _iso(self.period.requested_since),
                "requested_until": _iso(self.period.requested_until),
            },
            "provider": self.provider,
            "masked": self.masked,
            "coverage": _plain(self.coverage),
            "providers": [_plain(p) for p in self.providers],
            "totals": _plain(self.totals),
            "by_category": [_plain(t) for t in self.by_category],
            "by_severity": [_plain(t) for t in self.by_severity],
            "by_provider": [_plain(t) for t in self.by_provider],
            "per_day": [_plain(d) for d in self.per_day],
            "day_totals": [_plain(d) for d in self.day_totals],
            "top_actors": [_plain(a) for a in self.top_actors],
            "top_parties": [_plain(p) for p in self.top_parties],
            "exposure": {
                "caveat": self.caveat,
                "providers": [e.to_dict() for e in self.exposure],
                "total": self.exposure_total.to_dict(),
            },
            "real_name": [r.to_dict() for r in self.real_name],
            "findings": [f.to_dict() for f in self.findings] if with_findings else [],
            "evidence_sql_template": self.evidence_sql_template,
            "notes": list(self.notes),
            "provenance": self.provenance.to_dict(),
        }


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(obj: Any) -> dict[str, Any]:
    """A dataclass as JSON-ready values (no recursion into other dataclasses is needed)."""
    out: dict[str, Any] = {}
    for name in obj.__dataclass_fields__:
        out[name] = _value(getattr(obj, name))
    return out


def _value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return money_string(value)
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def money_string(value: Decimal) -> str:
    """An exact amount as text, never in exponent form (JSON numbers invite float rounding)."""
    return format(value, "f")
