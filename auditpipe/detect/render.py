"""Rendering detect results and rules for people: tables on stdout, one status line on stderr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..console import get_console, message
from ..i18n import _
from ..penalty import CAVEAT, amount_text, money, total_exposure
from ..vocabulary import CATEGORIES, SEVERITIES
from .rules import TERMS_FILE, Rule

if TYPE_CHECKING:
    from .engine import DetectResult


def status_line(result: DetectResult) -> None:
    """What the run did, for the person running it (stderr)."""
    days = result.days_evaluated
    if not days:
        message(_("detect: no days to evaluate (no events in the lake for the period)"))
        return
    span = days[0].isoformat() if len(days) == 1 else f"{days[0]} .. {days[-1]}"
    message(
        _(
            "detect: {rules_run_count} rules over {days_count} day(s) ({span}): {new} new, {updated} updated, {unchanged} unchanged, {removed} removed; {partitions_written} partition(s) rewritten"
        ).format(
            rules_run_count=len(result.rules_run),
            days_count=len(days),
            span=span,
            new=result.new,
            updated=result.updated,
            unchanged=result.unchanged,
            removed=result.removed,
            partitions_written=result.partitions_written,
        )
    )


def render_result(result: DetectResult) -> None:
    """Findings by category and severity, then the exposure per provider (stdout)."""
    from rich.table import Table

    console = get_console()
    table = Table(title="Findings of the evaluated days", title_justify="left")
    table.add_column("category")
    for severity in (*SEVERITIES, "total"):
        table.add_column(severity, justify="right")
    for category in CATEGORIES:
        counts = result.by_category.get(category, {})
        row = [counts.get(s, 0) for s in SEVERITIES]
        table.add_row(category, *(f"{n:,}" for n in row), f"{sum(row):,}")
    totals = result.by_severity
    table.add_row("total", *(f"{totals[s]:,}" for s in SEVERITIES), f"{result.findings_total:,}")
    console.print(table)
    if not result.exposure:
        console.print("No penalty exposure: no findings in the evaluated days.")
        console.print(CAVEAT)
        return
    console.print("Penalty exposure per provider", style="bold")
    for e in result.exposure:
        proceeds = money(e.illegal_proceeds_cny)
        if e.unconverted_amounts:
            proceeds += " plus " + ", ".join(
                f"{amount_text(a)} {c}" for c, a in e.unconverted_amounts.items()
            )
            proceeds += " with no CNY rate"
        lines = [
            f"{e.provider_id}: {e.finding_count:,} findings, "
            f"{e.records_affected:,} records affected",
            f"  illegal proceeds: {proceeds}",
            f"  fine: {money(e.fine_min_cny)} to {money(e.fine_max_cny)}. {e.fine_basis}",
            "  serious case: " + ("yes, " + "; ".join(e.serious_reasons) if e.serious else "no"),
            "  consequences: " + " ".join(e.consequences),
        ]
        for line in lines:
            console.print(line, markup=False)
    if len(result.exposure) > 1:
        t = total_exposure(result.exposure)
        console.print(
            f"All {t.providers} providers: {t.finding_count:,} findings, "
            f"{t.records_affected:,} records affected, illegal proceeds "
            f"{money(t.illegal_proceeds_cny)}, fines of {money(t.fine_min_cny)} to "
            f"{money(t.fine_max_cny)} in all, {t.serious_providers} serious case(s)",
            markup=False,
        )
    console.print(CAVEAT, markup=False)


def render_rule_list(rules: Sequence[Rule], disabled: Sequence[str] = ()) -> None:
    """One line per rule (plain text, so it greps and never truncates a title)."""
    console = get_console()
    width = max([len(r.id) for r in rules] + [2])
    console.print(f"{'id':<{width}}  {'category':<12}  {'severity':<8}  title", markup=False)
    for rule in sorted(rules, key=lambda r: (CATEGORIES.index(r.category), r.id)):
        notes = [] if rule.builtin else [f"from {rule.path}"]
        if rule.id in disabled:
            notes.append("disabled")
        suffix = f"  ({', '.join(notes)})" if notes else ""
        console.print(
            f"{rule.id:<{width}}  {rule.category:<12}  {rule.severity:<8}  {rule.title}{suffix}",
            markup=False,
        )
    console.print(f"\nShared terms (protected_events, in_scope_events): {TERMS_FILE}", markup=False)


def render_rule(rule: Rule) -> None:
    console = get_console()
    fields = [
        ("id", rule.id),
        ("title", rule.title),
        ("category", rule.category),
        ("severity", f"{rule.severity} (at least; see docs/detect.md, 'Severity')"),
        ("source", str(rule.path)),
        ("clause", rule.clause),
        ("description", rule.description),
        ("false positives", rule.false_positives or "-"),
        ("summary", rule.summary),
    ]
    for label, value in fields:
        console.print(f"{label + ':':<17}{value}", markup=False)
    console.print("", markup=False)
    console.print(rule.sql, markup=False, highlight=False)


def render_rule_check(rules: Sequence[Rule], problems: dict[str, list[str]]) -> None:
    """One line per rule: ok, or what breaks the locality contract (stdout)."""
    console = get_console()
    for rule in rules:
        found = problems.get(rule.id) or []
        status = "ok" if not found else "NOT LOCAL: " + "; ".join(found)
        console.print(f"{rule.id} ({rule.source}): {status}", markup=False, highlight=False)
    broken = sum(1 for r in rules if problems.get(r.id))
    message(
        _("rules check: {value} of {rules_count} rule(s) keep to the locality contract").format(
            value=len(rules) - broken, rules_count=len(rules)
        )
        + (_("; {broken} would differ on the spark engine").format(broken=broken) if broken else "")
    )
