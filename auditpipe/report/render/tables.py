"""The tables the Markdown and HTML reports share: headers, numeric columns and the cells of
each row, written once. Each format says through ``Cells`` how it writes text, an identifier,
a category and a severity; it lays the table out itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..model import Report, Tally
from .common import SEVERITY_ORDER, count, day


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # columns of numbers, aligned right


@dataclass(frozen=True)
class Cells:
    """How one format writes the cells that hold more than a number."""

    text: Callable[[str], str]  # plain text, escaped for the format
    code: Callable[[str], str]  # an identifier, as code
    category: Callable[[str], str]  # a category key, as its label
    severity: Callable[[str], str]  # a severity key
    separator: str  # between the categories of one row


def proceeds(value: Decimal) -> str:
    return f"{value:,}" if value else "-"


def providers_table(report: Report, cells: Cells) -> Table:
    return Table(
        ["Provider", "Events", "Records", "Days", "First day", "Last day", "Quarantined"],
        [
            [
                cells.text(p.provider_id),
                count(p.events),
                count(p.records),
                str(p.days_with_events),
                day(p.first_event_date),
                day(p.last_event_date),
                count(p.quarantined_rows),
            ]
            for p in report.providers
        ],
        frozenset({1, 2, 3, 6}),
    )


def tally_table(first: str, tallies: list[Tally], cells: Cells, *, label: bool) -> Table:
    """Findings, events, records, proceeds and findings per severity by ``first`` (a category
    with ``label``, else a provider)."""
    headers = [first, "Findings", "Events", "Records", "Proceeds (CNY)"]
    headers += [s.capitalize() for s in SEVERITY_ORDER]
    rows = [
        [
            cells.category(t.key) if label else cells.text(t.key),
            count(t.findings),
            count(t.events),
            count(t.records),
            proceeds(t.proceeds_cny),
            *(count(t.by_severity[s]) if t.by_severity.get(s) else "-" for s in SEVERITY_ORDER),
        ]
        for t in tallies
    ]
    return Table(headers, rows, frozenset(range(1, len(headers))))


def severity_table(report: Report, cells: Cells) -> Table:
    return Table(
        ["Severity", "Findings", "Events", "Records", "Proceeds (CNY)"],
        [
            [
                cells.severity(s.key),
                count(s.findings),
                count(s.events),
                count(s.records),
                proceeds(s.proceeds_cny),
            ]
            for s in report.by_severity
        ],
        frozenset({1, 2, 3, 4}),
    )


def actors_table(report: Report, cells: Cells) -> Table:
    return Table(
        ["Provider", "Actor", "Type", "Findings", "Events", "Records", "Categories", "Worst"],
        [
            [
                cells.text(a.provider_id),
                cells.code(a.actor_id or "-"),
                cells.text(a.actor_type or "-"),
                count(a.findings),
                count(a.events),
                count(a.records),
                cells.separator.join(cells.category(c) for c in a.categories),
                cells.severity(a.top_severity),
            ]
            for a in report.top_actors
        ],
        frozenset({3, 4, 5}),
    )


def parties_table(report: Report, cells: Cells) -> Table:
    return Table(
        [
            "Party",
            "Providers",
            "Findings",
            "Events",
            "Records",
            "Proceeds (CNY)",
            "Categories",
            "Worst",
        ],
        [
            [
                cells.text(p.destination_party),
                cells.text(", ".join(p.providers)),
                count(p.findings),
                count(p.events),
                count(p.records),
                proceeds(p.proceeds_cny),
                cells.separator.join(cells.category(c) for c in p.categories),
                cells.severity(p.top_severity),
            ]
            for p in report.top_parties
        ],
        frozenset({2, 3, 4, 5}),
    )
