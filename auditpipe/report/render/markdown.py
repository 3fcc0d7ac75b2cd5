"""The report as Markdown, for tickets and wikis (GitHub-flavoured tables)."""

from __future__ import annotations

from ...i18n import _
from ..model import Report
from . import tables
from .common import (
    MASKED_NOTE,
    UNMASKED_NOTE,
    category_label,
    cny,
    count,
    evidence_line,
    finding_numbers,
    generated,
    input_files_title,
    listed,
    moment,
    period_title,
    provenance_basis,
)
from .tables import Cells, Table

_SPECIAL = "\\`*_[]<>|"


def escape(text: str) -> str:
    """Text that Markdown shows as written (masked ids are full of '*')."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text).replace("\n", " ")


def code(text: str) -> str:
    """A code span; '|' stays escaped so a span inside a table cell does not split it."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    body = text.replace("|", "\\|")
    return f"{fence}{pad}{body}{pad}{fence}"


_CELLS = Cells(
    text=escape,
    code=code,
    category=lambda key: escape(category_label(key)),
    severity=str,
    separator=", ",
    strong=lambda text: f"**{text}**",
)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(table: Table) -> list[str]:
    align = ["---:" if i in table.numeric else "---" for i in range(len(table.headers))]
    return [_row(*table.headers), _row(*align), *(_row(*r) for r in table.rows), ""]


def render_markdown(report: Report) -> str:
    lines: list[str] = [
        f"# auditpipe report: {escape(period_title(report))}",
        "",
        f"Lake {code(report.lake)} · timezone {report.timezone} · generated {generated(report)}",
        "",
        f"> {escape(MASKED_NOTE if report.masked else UNMASKED_NOTE)}",
        "",
    ]
    lines += _coverage(report)
    lines += _findings_summary(report)
    lines += _top(report)
    lines += _exposure(report)
    lines += _findings(report)
    if report.notes:
        lines += ["## Notes", ""]
        lines += [f"- {escape(n)}" for n in report.notes]
        lines.append("")
    lines += _provenance(report)
    return "\n".join(lines).rstrip("\n") + "\n"


def _coverage(report: Report) -> list[str]:
    c = report.coverage
    lines = ["## Data covered", ""]
    lines += _table(
        Table(
            ["", ""],
            [
                [
                    "Events",
                    f"{count(c.events)} ({count(c.records)} records; "
                    f"{count(c.failed_events)} failed)",
                ],
                ["Providers", f"{len(c.providers)}: {escape(', '.join(c.providers))}"],
                ["Days with events", f"{c.days_with_events} of {report.period.days}"],
                ["First / last event", f"{moment(c.first_event)} / {moment(c.last_event)}"],
                [
                    "Quarantined rows",
                    f"{count(c.quarantined_rows)} from the files behind these events "
                    f"({count(c.quarantined_rows_lake)} in the lake)",
                ],
                [
                    "Files (whole lake)",
                    f"{count(c.files_ingested)} ingested, {count(c.files_rejected)} rejected",
                ],
            ],
        )
    )
    lines += ["### Per provider", ""]
    lines += _table(tables.providers_table(report, _CELLS))
    return lines


def _findings_summary(report: Report) -> list[str]:
    t = report.totals
    text = (
        f"**{count(t.findings)}** finding(s) across {t.providers_with_findings} provider(s); "
        f"{count(t.events)} evidence events, {count(t.records)} records affected"
    )
    if t.proceeds_cny:
        text += f"; illegal proceeds {cny(t.proceeds_cny)}"
    lines = ["## Findings", "", text + ".", ""]
    if not t.findings:
        return lines
    lines += ["### By category", ""]
    lines += _table(tables.tally_table("Category", report.by_category, _CELLS, label=True))
    lines += ["### By severity", ""] + _table(tables.severity_table(report, _CELLS))
    lines += ["### By provider", ""]
    lines += _table(tables.tally_table("Provider", report.by_provider, _CELLS, label=False))
    lines += ["An event behind several findings counts once per row.", ""]
    return lines


def _top(report: Report) -> list[str]:
    lines: list[str] = []
    if report.top_actors:
        lines += ["## Top actors", ""] + _table(tables.actors_table(report, _CELLS))
    if report.top_parties:
        lines += ["## Top destination parties", ""] + _table(tables.parties_table(report, _CELLS))
    return lines


def _exposure(report: Report) -> list[str]:
    if not report.exposure:
        return []
    lines = ["## Penalty exposure per provider", "", f"> **{escape(report.caveat)}**", ""]
    lines += _table(tables.exposure_table(report, _CELLS))
    for e in report.exposure:
        lines.append(f"- **{escape(e.provider_id)}**: {escape(e.fine_basis)}")
        if e.serious_reasons:
            lines.append(f"  Serious because: {escape('; '.join(e.serious_reasons))}.")
        lines.append(f"  Consequences: {escape(' '.join(e.consequences))}")
    lines.append("")
    return lines


def _findings(report: Report) -> list[str]:
    if not report.findings:
        return []
    shown, left_out = listed(report)
    lines = [f"## Findings list ({count(len(report.findings))})", ""]
    for number, f in enumerate(shown, 1):
        lines += [
            f"### {number}. {f.severity.upper()} · {escape(category_label(f.category))} · "
            f"{escape(f.provider_id)} · {f.event_date}",
            "",
            f"- **Finding** {code(f.finding_id)} (rule {code(f.rule_id)})",
            f"- **Summary**: {escape(f.summary)}",
            f"- **Actor**: {code(f.actor_id or '-')} ({escape(f.actor_type or 'unknown')})"
            + (f" → {escape(f.destination_party)}" if f.destination_party else ""),
            f"- **Numbers**: {escape(finding_numbers(f))}",
            f"- **Seen**: {moment(f.first_seen)} to {moment(f.last_seen)}",
            f"- **Evidence** ({len(f.evidence_sample)} of {count(f.evidence_count)}): "
            f"{escape(evidence_line(f))}",
            f"- **All evidence**: {code(f.evidence_sql)}",
            "",
        ]
    if left_out:
        lines += [
            f"{count(left_out)} more finding(s) are not listed here: "
            "`auditpipe report --format csv` or `--format json` lists every finding.",
            "",
        ]
    return lines


def _provenance(report: Report) -> list[str]:
    p = report.provenance
    lines = ["## " + _("Provenance"), "", escape(provenance_basis(report)), ""]
    lines += _table(tables.provenance_settings_table(report, _CELLS))
    lines += ["### " + _("Rules"), ""] + _table(tables.provenance_rules_table(report, _CELLS))
    lines += ["### " + input_files_title(len(p.input_files)), ""]
    lines += _table(tables.provenance_files_table(report, _CELLS))
    return lines
