"""Words and number formats every renderer shares, so the formats say the same thing."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from ...vocabulary import SEVERITIES_MOST_SERIOUS_FIRST
from ..model import FindingRow, Report

CATEGORY_LABELS = {
    "selling": "Selling",
    "disclosure": "Disclosure",
    "modification": "Modification",
    "illegal_use": "Illegal use",
}
SEVERITY_ORDER = SEVERITIES_MOST_SERIOUS_FIRST  # as tables show them
# Colours (rich styles and HTML hex) by severity and by category, used by every visual format.
SEVERITY_STYLES = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
}
SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#d97706", "low": "#0891b2"}
CATEGORY_COLOURS = {
    "selling": "#b91c1c",
    "disclosure": "#7c3aed",
    "modification": "#0369a1",
    "illegal_use": "#c2410c",
}
OTHER_COLOUR = "#6b7280"

MASKED_NOTE = (
    "Personal identifiers are masked. Those allowed to see them can run the report with --unmask."
)
UNMASKED_NOTE = (
    "UNMASKED: this report shows personal identifiers. Do not forward it; "
    "share the masked report instead."
)


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())


def count(value: int) -> str:
    return f"{value:,}"


def cny(value: Decimal) -> str:
    return f"CNY {value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def day(value: dt.date | None) -> str:
    return "-" if value is None else value.isoformat()


def moment(value: dt.datetime | None) -> str:
    """A timestamp in the lake timezone it was fetched in, to the second, with its offset."""
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S %z")


def period_title(report: Report) -> str:
    p = report.period
    days = f"{p.days} day{'s' if p.days != 1 else ''}"
    who = f"provider {report.provider}" if report.provider else "all providers"
    return f"{p.since} to {p.until} ({days}), {who}"


def generated(report: Report) -> str:
    return report.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def unconverted(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{a:,} {c}" for c, a in sorted(amounts.items()))


def finding_numbers(f: FindingRow) -> str:
    """events, records, users and proceeds of one finding, as one line."""
    parts = [
        f"{count(f.event_count)} event{'s' if f.event_count != 1 else ''}",
        f"{count(f.record_count)} record{'s' if f.record_count != 1 else ''}",
        f"{count(f.subject_count)} user{'s' if f.subject_count != 1 else ''}",
    ]
    if f.proceeds_cny:
        parts.append(f"proceeds {cny(f.proceeds_cny)}")
    if f.unconverted_amounts:
        parts.append(f"no CNY rate: {unconverted(f.unconverted_amounts)}")
    return ", ".join(parts)


def evidence_line(f: FindingRow) -> str:
    shown = ", ".join(f.evidence_sample)
    more = f.evidence_count - len(f.evidence_sample)
    if more > 0:
        return f"{shown} (+{count(more)} more; {count(f.evidence_count)} in all)"
    return shown


def listed(report: Report) -> tuple[list[FindingRow], int]:
    """The findings a human-readable format lists, and how many it leaves out."""
    keep = report.findings[: report.listed_findings]
    return list(keep), len(report.findings) - len(keep)
