"""Rendering detect results and rules for people: tables on stdout, one status line on stderr."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from ..console import get_console, message
from ..i18n import _, current_language
from ..penalty import CAVEAT, amount_text, fine_text, money, total_exposure
from ..vocabulary import CATEGORIES, SEVERITIES
from .rules import TERMS_FILE, Rule

if TYPE_CHECKING:
    from .engine import DetectResult


def days_pruned_text(pruned: list[dt.date], cutoff: dt.date | None) -> str:
    """Days a run did not evaluate, retention having pruned them (``cutoff``: its cutoff)."""
    return _(
        "{n} day(s) ({span}) not evaluated: retention (compact --retain-days) deleted events of "
        "days before {cutoff}, so their findings stay as they were"
    ).format(
        n=len(pruned),
        span=pruned[0].isoformat() if len(pruned) == 1 else f"{pruned[0]} .. {pruned[-1]}",
        cutoff=cutoff,
    )


def status_line(result: DetectResult) -> None:
    """What the run did, for the person running it (stderr)."""
    days = result.days_evaluated
    if result.days_pruned:
        what = days_pruned_text(result.days_pruned, result.retention_cutoff)
        message(_("detect: {what}").format(what=what))
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
    from ..report.render.common import category_label, sentences, severity_word

    table = Table(title=_("Findings of the evaluated days"), title_justify="left")
    table.add_column(_("category"))
    for severity in SEVERITIES:
        table.add_column(severity_word(severity), justify="right")
    table.add_column(_("total"), justify="right")
    english = current_language() == "en"  # English keeps the keys, as before
    for category in CATEGORIES:
        counts = result.by_category.get(category, {})
        row = [counts.get(s, 0) for s in SEVERITIES]
        label = category if english else category_label(category)
        table.add_row(label, *(f"{n:,}" for n in row), f"{sum(row):,}")
    totals = result.by_severity
    table.add_row(_("total"), *(f"{totals[s]:,}" for s in SEVERITIES), f"{result.findings_total:,}")
    console.print(table)
    if not result.exposure:
        console.print(_("No penalty exposure: no findings in the evaluated days."))
        console.print(_(CAVEAT))
        return
    console.print(_("Penalty exposure per provider"), style="bold")
    for e in result.exposure:
        proceeds = _proceeds_text(e.illegal_proceeds_cny, e.unconverted_amounts)
        serious = (
            _("yes, {reasons}").format(reasons=_("; ").join(e.serious_reasons))
            if e.serious
            else _("no")
        )
        lines = [
            _("{provider}: {findings} findings, {records} records affected").format(
                provider=e.provider_id,
                findings=f"{e.finding_count:,}",
                records=f"{e.records_affected:,}",
            ),
            "  " + _("illegal proceeds: {amount}").format(amount=proceeds),
            "  " + _("fine: {fine}. {basis}").format(fine=e.fine_text, basis=e.fine_basis),
            "  " + _("serious case: {serious}").format(serious=serious),
            "  " + _("consequences: {consequences}").format(consequences=sentences(e.consequences)),
        ]
        for line in lines:
            console.print(line, markup=False)
    if len(result.exposure) > 1:
        t = total_exposure(result.exposure)
        console.print(
            _(
                "All {providers} providers: {findings} findings, {records} records affected, "
                "illegal proceeds {proceeds}, fines of {fines} in all, "
                "{serious} serious case(s)"
            ).format(
                providers=t.providers,
                findings=f"{t.finding_count:,}",
                records=f"{t.records_affected:,}",
                proceeds=_proceeds_text(t.illegal_proceeds_cny, t.unconverted_amounts),
                fines=fine_text(t.fine_min_cny, t.fine_max_cny),
                serious=t.serious_providers,
            ),
            markup=False,
        )
    console.print(_(CAVEAT), markup=False)


def render_rule_list(rules: Sequence[Rule], disabled: Sequence[str] = ()) -> None:
    """One line per rule (plain text, so it greps and never truncates a title)."""
    console = get_console()
    language = current_language()
    width = max([len(r.id) for r in rules] + [2])
    head = [_("id"), _("category"), _("severity"), _("title")]
    console.print(f"{head[0]:<{width}}  {head[1]:<12}  {head[2]:<8}  {head[3]}", markup=False)
    for rule in sorted(rules, key=lambda r: (CATEGORIES.index(r.category), r.id)):
        notes = [] if rule.builtin else [_("from {path}").format(path=rule.path)]
        if rule.id in disabled:
            notes.append(_("disabled"))
        suffix = f"  ({', '.join(notes)})" if notes else ""
        title = rule.localized("title", language) or rule.title
        console.print(
            f"{rule.id:<{width}}  {rule.category:<12}  {rule.severity:<8}  {title}{suffix}",
            markup=False,
        )
    console.print(
        "\n"
        + _("Shared terms (protected_events, in_scope_events, real_name_publishes): {path}").format(
            path=TERMS_FILE
        ),
        markup=False,
    )


def render_rule(rule: Rule) -> None:
    """The rule's header fields, then its SQL. Title, clause, description, false positives
    and summary in the current language where the header gives them in it; the rest is the
    header's."""
    console = get_console()
    language = current_language()
    fields = [
        (_("id"), rule.id),
        (_("title"), rule.localized("title", language) or rule.title),
        (_("category"), rule.category),
        (
            _("severity"),
            _("{severity} (at least; see docs/detect.md, 'Severity')").format(
                severity=rule.severity
            ),
        ),
        (_("source"), str(rule.path)),
        (_("clause"), rule.localized("clause", language) or rule.clause),
        (_("description"), rule.localized("description", language) or rule.description),
        (
            _("false positives"),
            rule.localized("false_positives", language) or rule.false_positives or "-",
        ),
        (_("summary"), rule.localized("summary", language) or rule.summary),
    ]
    from rich.cells import cell_len

    for label, value in fields:
        # padded by display cells, not characters: a Chinese label takes two cells a character
        pad = " " * max(1, 17 - cell_len(label + ":"))
        console.print(f"{label}:{pad}{value}", markup=False)
    console.print("", markup=False)
    console.print(rule.sql, markup=False, highlight=False)


def render_rule_check(rules: Sequence[Rule], problems: dict[str, list[str]]) -> None:
    """One line per rule: ok, or what breaks the locality contract (stdout)."""
    console = get_console()
    for rule in rules:
        found = problems.get(rule.id) or []
        status = (
            _("ok") if not found else _("NOT LOCAL: {problems}").format(problems="; ".join(found))
        )
        console.print(f"{rule.id} ({rule.source}): {status}", markup=False, highlight=False)
    broken = sum(1 for r in rules if problems.get(r.id))
    message(
        _("rules check: {value} of {rules_count} rule(s) keep to the locality contract").format(
            value=len(rules) - broken, rules_count=len(rules)
        )
        + (_("; {broken} would differ on the spark engine").format(broken=broken) if broken else "")
    )


def _proceeds_text(cny: Decimal, unconverted: dict[str, Decimal]) -> str:
    """``CNY 1.00``, and the amounts without a CNY rate when there are any (a provider's and
    the total line alike: the total never reads as less than its parts)."""
    proceeds = money(cny)
    if unconverted:
        listed = ", ".join(f"{amount_text(a)} {c}" for c, a in sorted(unconverted.items()))
        proceeds = _("{amount} plus {amounts} with no CNY rate").format(
            amount=proceeds, amounts=listed
        )
    return proceeds
