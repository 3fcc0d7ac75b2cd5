"""The tables the Markdown and HTML reports share: headers, numeric columns and the cells of
each row, written once. Each format says through ``Cells`` how it writes text, an identifier,
a category and a severity; it lays the table out itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ...i18n import N_, _, ngettext
from ..model import Report, Tally
from .common import (
    SEVERITY_ORDER,
    actor_type_word,
    all_providers,
    amount,
    count,
    day,
    exchange_rates,
    fine_range_text,
    serious_count,
    severity_title,
    unconverted,
    yes_no,
)

# The source of a rule that is not a file (provenance.RuleSource.source), translated on display.
RULE_SOURCES = (N_("built-in"), N_("not in this configuration"))


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # columns of numbers, aligned right
    unbroken: frozenset[int] = frozenset()  # other columns not to wrap inside a value (dates)


@dataclass(frozen=True)
class Cells:
    """How one format writes the cells that hold more than a number."""

    text: Callable[[str], str]  # plain text, escaped for the format
    code: Callable[[str], str]  # an identifier, as code
    category: Callable[[str], str]  # a category key, as its label
    severity: Callable[[str], str]  # a severity key
    separator: str  # between the categories of one row
    strong: Callable[[str], str] = str  # emphasis (a total row), already escaped text


def proceeds(value: Decimal) -> str:
    return amount(value) if value else "-"


def providers_table(report: Report, cells: Cells) -> Table:
    return Table(
        [
            _("Provider"),
            _("Events"),
            _("Records"),
            _("Days"),
            _("First day"),
            _("Last day"),
            _("Quarantined"),
        ],
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
        frozenset({4, 5}),
    )


def tally_table(first: str, tallies: list[Tally], cells: Cells, *, label: bool) -> Table:
    """Findings, events, records, proceeds and findings per severity by ``first`` (a category
    with ``label``, else a provider)."""
    headers = [first, _("Findings"), _("Events"), _("Records"), _("Proceeds (CNY)")]
    headers += [severity_title(s) for s in SEVERITY_ORDER]
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
        [_("Severity"), _("Findings"), _("Events"), _("Records"), _("Proceeds (CNY)")],
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
        [
            _("Provider"),
            _("Actor"),
            _("Type"),
            _("Findings"),
            _("Events"),
            _("Records"),
            _("Categories"),
            _("Worst"),
        ],
        [
            [
                cells.text(a.provider_id),
                cells.code(a.actor_id or "-"),
                cells.text(actor_type_word(a.actor_type, "-")),
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
            _("Party"),
            _("Providers"),
            _("Findings"),
            _("Events"),
            _("Records"),
            _("Proceeds (CNY)"),
            _("Categories"),
            _("Worst"),
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


def exposure_table(report: Report, cells: Cells) -> Table:
    """Penalty exposure per provider and, last, the total across providers."""
    rows = [
        [
            cells.text(e.provider_id),
            count(e.finding_count),
            count(e.records_affected),
            exposure_proceeds(e.illegal_proceeds_cny, e.unconverted_amounts),
            amount(e.confiscation_cny),
            fine_range_text(e.fine_min_cny, e.fine_max_cny),
            cells.strong(yes_no(True)) if e.serious else yes_no(False),
        ]
        for e in report.exposure
    ]
    t = report.exposure_total
    total = [
        all_providers(t.providers),
        count(t.finding_count),
        count(t.records_affected),
        exposure_proceeds(t.illegal_proceeds_cny, t.unconverted_amounts),
        amount(t.confiscation_cny),
        fine_range_text(t.fine_min_cny, t.fine_max_cny),
        serious_count(t.serious_providers),
    ]
    rows.append([cells.strong(cells.text(c)) for c in total])
    return Table(
        [
            _("Provider"),
            _("Findings"),
            _("Records affected"),
            _("Illegal proceeds (CNY)"),
            _("Confiscation (CNY)"),
            _("Fine (CNY)"),
            _("Serious"),
        ],
        rows,
        frozenset({1, 2, 3, 4, 5}),
    )


def exposure_proceeds(value: Decimal, unconverted_amounts: dict[str, Decimal]) -> str:
    text = amount(value)
    if unconverted_amounts:
        text += f" + {unconverted(unconverted_amounts)}"
    return text


def provenance_settings_table(report: Report, cells: Cells) -> Table:
    """Version, configuration, rule settings, penalty settings, rates and the watchlist."""
    p = report.provenance
    config = (
        cells.code(p.config_file) + f" (sha256 {cells.code(p.config_sha256 or '-')})"
        if p.config_file
        else cells.text(_("none (built-in defaults)"))
    )
    rows = [
        [cells.text(_("auditpipe version")), cells.text(p.auditpipe_version)],
        [cells.text(_("Configuration file")), config],
        [
            cells.text(_("Shared rule terms ({file})").format(file="_terms.sql")),
            f"sha256 {cells.code(p.terms_sha256 or '-')}",
        ],
        *([cells.code(f"[detect] {k}"), cells.text(v)] for k, v in p.detect_settings.items()),
        *([cells.code(f"[penalty] {k}"), cells.text(v)] for k, v in p.penalty_settings.items()),
        [cells.text(_("Exchange rates (CNY per unit)")), cells.text(exchange_rates(report))],
        [cells.text(_("Broker watchlist")), _watchlist_cell(report, cells)],
    ]
    return Table([_("Setting"), _("Value")], rows)


def _watchlist_cell(report: Report, cells: Cells) -> str:
    w = report.provenance.watchlist
    if w.path is None:
        return cells.text(_("none configured (no party counts as a broker by name)"))
    if w.sha256 is None:
        return cells.code(w.path) + cells.text(" " + _("(cannot be read)"))
    names = (
        ngettext("{n} name: {names}", "{n} names: {names}", len(w.names)).format(
            n=count(len(w.names)), names=", ".join(w.names)
        )
        if w.names
        else _("no names")
    )
    return cells.code(w.path) + f" (sha256 {cells.code(w.sha256)}); " + cells.text(names)


def provenance_rules_table(report: Report, cells: Cells) -> Table:
    return Table(
        [_("Rule"), _("Category"), _("Severity"), _("Source"), "sha256", _("Findings here")],
        [
            [
                cells.code(r.rule_id),
                cells.category(r.category) if r.category else "-",
                cells.text(r.severity or "-"),
                cells.text(_(r.source) if r.source in RULE_SOURCES else r.source),
                cells.code(r.sha256) if r.sha256 else "-",
                count(r.findings),
            ]
            for r in report.provenance.rules
        ],
        frozenset({5}),
    )


def provenance_files_table(report: Report, cells: Cells) -> Table:
    """The input files behind the report's events, with their sha256 and row counts."""

    def number(value: int | None) -> str:
        return "-" if value is None else count(value)

    return Table(
        [
            _("Input file"),
            "sha256",
            _("Rows read"),
            _("Stored"),
            _("Quarantined"),
            _("Duplicate"),
            _("Events here"),
        ],
        [
            [
                cells.code(f.source_file)
                if f.source_file
                else cells.text(_("(not in the manifest)")),
                cells.code(f.sha256),
                number(f.rows_read),
                number(f.rows_stored),
                number(f.rows_quarantined),
                number(f.rows_duplicate),
                count(f.events_in_report),
            ]
            for f in report.provenance.input_files
        ],
        frozenset({2, 3, 4, 5, 6}),
    )
