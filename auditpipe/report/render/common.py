"""Words and number formats every renderer shares, so the formats say the same thing."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

from ...console import visible
from ...i18n import N_, _, current_language, ngettext
from ...penalty import NO_FINE, amount_text
from ...vocabulary import SEVERITIES_MOST_SERIOUS_FIRST
from ..model import Coverage, FindingRow, Report

# Labels of the category keys. The Chinese ones are the regulation's own verbs: 出售 (sell),
# 故意泄露 (intentionally disclose), 篡改 (modify), 非法使用 (illegally use).
CATEGORY_LABELS = {
    "selling": N_("Selling"),
    "disclosure": N_("Disclosure"),
    "modification": N_("Modification"),
    "illegal_use": N_("Illegal use"),
    "real_name": N_("Real-name registration"),
}
# Severity words: the keys themselves in English, translated words in other languages.
SEVERITY_WORDS = {
    "critical": N_("critical"),
    "high": N_("high"),
    "medium": N_("medium"),
    "low": N_("low"),
}
# A finding's actor type (the contract's values), as a word: the value itself in English.
ACTOR_TYPE_WORDS = {
    "subject": N_("subject"),
    "employee": N_("employee"),
    "partner": N_("partner"),
    "service": N_("service"),
    "unknown": N_("unknown"),
}
SEVERITY_TITLES = {
    "critical": N_("Critical"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
}
SEVERITY_SHORT = {
    "critical": N_("Crit."),
    "high": N_("High."),
    "medium": N_("Medi."),
    "low": N_("Low."),
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
# Category colours from the Okabe-Ito palette, chosen so that every pair (and the grey of other
# categories) stays apart under simulated protanopia, deuteranopia and tritanopia
# (tests/unit/test_report_palette.py checks it). Charts add a fill pattern per category, and
# tables print the category's name beside its swatch, so colour is never the only cue.
CATEGORY_COLOURS = {
    "selling": "#D55E00",  # vermillion
    "disclosure": "#0072B2",  # blue
    "modification": "#009E73",  # bluish green
    "illegal_use": "#E69F00",  # orange
    "real_name": "#CC79A7",  # reddish purple
}
OTHER_COLOUR = "#6b7280"
# Fill patterns (svg_charts.PATTERNS) by category; categories of user rules get OTHER_PATTERN.
CATEGORY_PATTERNS = {
    "selling": "solid",
    "disclosure": "diagonal",
    "modification": "dots",
    "illegal_use": "crosshatch",
    "real_name": "vertical",
}
OTHER_PATTERN = "horizontal"

MASKED_NOTE = N_(
    "Personal identifiers are masked. Those allowed to see them can run the report with --unmask."
)
UNMASKED_NOTE = N_(
    "UNMASKED: this report shows personal identifiers. Do not forward it; "
    "share the masked report instead."
)


def html_escape(text: str) -> str:
    """Text for HTML: markup characters as entities, and characters that would act instead of
    being seen (bidirectional overrides, control characters) spelled out (``visible``)."""
    return html.escape(visible(text, newlines=True))


def masking_note(report: Report) -> str:
    return _(MASKED_NOTE if report.masked else UNMASKED_NOTE)


def category_label(category: str) -> str:
    if category in CATEGORY_LABELS:
        return _(CATEGORY_LABELS[category])
    return category.replace("_", " ").capitalize()


def severity_word(severity: str) -> str:
    """``critical`` ... ``low`` (the key in English, a word in other languages)."""
    return _(SEVERITY_WORDS[severity]) if severity in SEVERITY_WORDS else severity


def actor_type_word(actor_type: str | None, missing: str | None = None) -> str:
    """A finding's actor type as a word of the current language (in English the value itself);
    a value outside the contract as it is; none: ``missing``, else "unknown"."""
    if actor_type is None:
        return missing if missing is not None else _("unknown")
    return _(ACTOR_TYPE_WORDS[actor_type]) if actor_type in ACTOR_TYPE_WORDS else actor_type


def severity_title(severity: str) -> str:
    return _(SEVERITY_TITLES[severity]) if severity in SEVERITY_TITLES else severity


def severity_short(severity: str) -> str:
    return _(SEVERITY_SHORT[severity]) if severity in SEVERITY_SHORT else severity


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def count(value: int) -> str:
    """1,234 (the same grouping in English and Chinese, which Babel's zh_CN format uses too)."""
    return f"{value:,}"


def amount(value: Decimal) -> str:
    """An amount without its currency: 1,234.50, as the report's tables hold it."""
    return f"{value:,}"


def cny(value: Decimal) -> str:
    """An amount in CNY in a sentence: ``CNY 1,234.50``; in Chinese Babel's ``¥1,234.50``."""
    from ...penalty import money

    return money(value)


def day(value: dt.date | None) -> str:
    return "-" if value is None else value.isoformat()


def fraction(value: dt.datetime) -> str:
    """The part of a second of ``value``, when it has one: ``.300`` (milliseconds) or
    ``.300123``; none on a whole second. The real-name rules compare times to the microsecond,
    so a post at 12:00:00.300 before a check at 12:00:00.800 is shown as before it."""
    us = value.microsecond
    if not us:
        return ""
    return f".{us // 1000:03d}" if us % 1000 == 0 else f".{us:06d}"


def moment(value: dt.datetime | None) -> str:
    """A timestamp in the lake timezone it was fetched in, to the second (and its fraction,
    when it has one), with its offset."""
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S") + fraction(value) + value.strftime(" %z")


def period_title(report: Report) -> str:
    p = report.period
    days = ngettext("{n} day", "{n} days", p.days).format(n=p.days)
    who = (
        _("provider {provider}").format(provider=report.provider)
        if report.provider
        else _("all providers")
    )
    return _("{since} to {until} ({days}), {who}").format(
        since=p.since, until=p.until, days=days, who=who
    )


def heading(report: Report, lake: str) -> str:
    """The line under the title: ``lake`` (as the format writes it), timezone and when the
    report was made."""
    return _("Lake {lake} · timezone {timezone} · generated {generated}").format(
        lake=lake, timezone=report.timezone, generated=generated(report)
    )


def generated(report: Report) -> str:
    return report.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def quarantined_text(c: Coverage) -> str:
    """The quarantined rows of the files behind the events, naming those whose provider could
    not be read: they are in no provider's row, so the providers' rows plus these make the
    total."""
    if c.quarantined_rows_no_provider:
        return _(
            "{rows} from the files behind these events, {unread} of them with no readable "
            "provider ({lake} in the lake)"
        ).format(
            rows=count(c.quarantined_rows),
            unread=count(c.quarantined_rows_no_provider),
            lake=count(c.quarantined_rows_lake),
        )
    return _("{rows} from the files behind these events ({lake} in the lake)").format(
        rows=count(c.quarantined_rows), lake=count(c.quarantined_rows_lake)
    )


def percent(rate: float | None) -> str:
    """A share (0 to 1) to one decimal: ``96.8%``. A share that is not all or none never reads
    as if it were: ``>99.9%`` rather than ``100.0%`` with one unverified post in 10,000, and
    ``<0.1%`` rather than ``0.0%``."""
    if rate is None:
        return "-"
    text = f"{rate * 100:.1f}%"
    if 0 < rate < 1 and text in ("100.0%", "0.0%"):
        return ">99.9%" if rate > 0.5 else "<0.1%"
    return text


def unconverted(amounts: dict[str, Decimal]) -> str:
    """``2.25 XAU, 0.0049 XYZ``: exact, as the summaries and the fine basis write them."""
    return ", ".join(f"{amount_text(a)} {c}" for c, a in sorted(amounts.items()))


def finding_numbers(f: FindingRow) -> str:
    """events, records, users and proceeds of one finding, as one line."""
    parts = [
        ngettext("{n} event", "{n} events", f.event_count).format(n=count(f.event_count)),
        ngettext("{n} record", "{n} records", f.record_count).format(n=count(f.record_count)),
        ngettext("{n} user", "{n} users", f.subject_count).format(n=count(f.subject_count)),
    ]
    if f.proceeds_cny:
        parts.append(_("proceeds {amount}").format(amount=cny(f.proceeds_cny)))
    if f.unconverted_amounts:
        parts.append(_("no CNY rate: {amounts}").format(amounts=unconverted(f.unconverted_amounts)))
    return _(", ").join(parts)


def evidence_line(f: FindingRow) -> str:
    shown = ", ".join(f.evidence_sample)
    more = f.evidence_count - len(f.evidence_sample)
    if more > 0:
        return _("{shown} (+{more} more; {total} in all)").format(
            shown=shown, more=count(more), total=count(f.evidence_count)
        )
    return shown


def listed(report: Report) -> tuple[list[FindingRow], int]:
    """The findings a human-readable format lists, and how many it leaves out."""
    keep = report.findings[: report.listed_findings]
    return list(keep), len(report.findings) - len(keep)


def coverage_rows(report: Report, providers: str) -> list[tuple[str, str]]:
    """The "Data covered" table as (label, value) rows; ``providers`` is the list of provider
    ids as the format writes it."""
    c = report.coverage
    return [
        (
            _("Events"),
            _("{events} ({records} records; {failed} failed)").format(
                events=count(c.events), records=count(c.records), failed=count(c.failed_events)
            ),
        ),
        (_("Providers"), f"{len(c.providers)}: {providers}" if c.providers else "0"),
        (
            _("Days with events"),
            _("{days} of {period}").format(days=c.days_with_events, period=report.period.days),
        ),
        (_("First / last event"), f"{moment(c.first_event)} / {moment(c.last_event)}"),
        (_("Quarantined rows"), quarantined_text(c)),
        (
            _("Files (whole lake)"),
            _("{ingested} ingested, {rejected} rejected").format(
                ingested=count(c.files_ingested), rejected=count(c.files_rejected)
            ),
        ),
    ]


def fine_range_text(low: Decimal | None, high: Decimal | None) -> str:
    """``100,000.00 to 150,000.00``, or that no fine applies (only real-name findings)."""
    if low is None or high is None:
        return _(NO_FINE)
    return _("{low} to {high}").format(low=amount(low), high=amount(high))


def serious_because(reasons: list[str]) -> str:
    return _("Serious because: {reasons}.").format(reasons=_("; ").join(reasons))


def sentences(parts: list[str]) -> str:
    """Sentences one after another: with a space in English, without one in Chinese."""
    return (" " if current_language() == "en" else "").join(parts)


def serious_case(reasons: list[str]) -> str:
    return _("Serious case: {reasons}.").format(reasons=_("; ").join(reasons))


def consequences_line(consequences: list[str]) -> str:
    return _("Consequences: {consequences}").format(consequences=sentences(consequences))


def seen_line(f: FindingRow) -> str:
    return _("seen {first} to {last}").format(first=moment(f.first_seen), last=moment(f.last_seen))


def all_providers(n: int) -> str:
    """The label of the exposure total's row."""
    return ngettext("All {n} provider", "All {n} providers", n).format(n=count(n))


def serious_count(n: int) -> str:
    return ngettext("{n} serious", "{n} serious", n).format(n=count(n))


def provenance_basis(report: Report) -> str:
    """The provenance's ``basis`` in the report's language (the model keeps it in English)."""
    return _(report.provenance.basis)


def provenance_lines(report: Report) -> list[str]:
    """The provenance in a few lines (the terminal's summary; json and markdown list it all)."""
    p = report.provenance
    config = (
        _("{path} (sha256 {sha256})").format(path=p.config_file, sha256=p.config_sha256)
        if p.config_file
        else _("none (built-in defaults)")
    )
    watchlist = (
        ngettext("{path} ({n} name)", "{path} ({n} names)", len(p.watchlist.names)).format(
            path=p.watchlist.path, n=count(len(p.watchlist.names))
        )
        if p.watchlist.path
        else _("none")
    )
    lines = [
        _("auditpipe {version}; configuration {config}").format(
            version=p.auditpipe_version, config=config
        ),
        _("rules: {rules}").format(rules=", ".join(r.rule_id for r in p.rules if r.configured)),
        *(
            _("rule not in this configuration: {rule} ({n} findings)").format(
                rule=r.rule_id, n=count(r.findings)
            )
            for r in p.rules
            if not r.configured
        ),
        _("settings: {settings}").format(
            settings=", ".join(f"{k} = {v}" for k, v in p.detect_settings.items())
        ),
        _("penalty: {settings}").format(
            settings=", ".join(f"{k} = {v}" for k, v in p.penalty_settings.items())
        ),
        _("CNY per unit: {rates}").format(rates=exchange_rates(report)),
        _("broker watchlist: {watchlist}").format(watchlist=watchlist),
        _(
            "input files: {n} (--format json or markdown lists each with its sha256 and row counts)"
        ).format(n=count(len(p.input_files))),
    ]
    return lines


def exchange_rates(report: Report) -> str:
    return ", ".join(f"{c} {r}" for c, r in report.provenance.exchange_rates.items())


def input_files_title(n: int) -> str:
    return _("Input files ({n})").format(n=count(n))


def records_affected(report: Report) -> int:
    """The records affected a report states: the penalty exposure's, which leaves out the
    evidence of real-name findings (posts and snapshot rows are not records of personal
    information affected), so the headline, the exposure table and ``detect`` say one number.
    ``totals.records`` (JSON) counts every evidence item's records."""
    return report.exposure_total.records_affected


def findings_sentence(report: Report, findings: str) -> str:
    """ "84 finding(s) across 4 provider(s); ... affected; illegal proceeds CNY 1.00." with
    ``findings`` (the count, as the format writes it)."""
    t = report.totals
    text = _(
        "{findings} finding(s) across {providers} provider(s); "
        "{events} evidence events, {records} records affected"
    ).format(
        findings=findings,
        providers=t.providers_with_findings,
        events=count(t.events),
        records=count(records_affected(report)),
    )
    if t.proceeds_cny:
        text += _("; illegal proceeds {amount}").format(amount=cny(t.proceeds_cny))
    return text + _(".")
