"""The report as Markdown, for tickets and wikis (GitHub-flavoured tables)."""

from __future__ import annotations

import re

from ...console import visible
from ...i18n import _
from ..model import Report
from . import real_name as rn
from . import tables
from .common import (
    actor_type_word,
    category_label,
    consequences_line,
    count,
    coverage_rows,
    evidence_line,
    finding_numbers,
    findings_sentence,
    heading,
    input_files_title,
    listed,
    masking_note,
    moment,
    period_title,
    provenance_basis,
    serious_because,
    severity_word,
)
from .tables import Cells, Table

# "&" too: "&lt;" would be shown as "<", not as the text a log holds.
_SPECIAL = "\\`*_[]<>|&"


def escape(text: str) -> str:
    """Text that Markdown shows as written (masked ids are full of '*'); characters that would
    act instead of being seen (control, bidirectional) spelled out (``visible``)."""
    text = visible(text.replace("\n", " "))
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def code(text: str) -> str:
    """A code span; '|' stays escaped so a span inside a table cell does not split it."""
    text = visible(text)
    # A fence longer than any run of backticks in the text: a run as long as the fence would
    # close the span early and let the rest ("`` [x](http://...) ``") be read as Markdown.
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    body = text.replace("|", "\\|")
    return f"{fence}{pad}{body}{pad}{fence}"


_CELLS = Cells(
    text=escape,
    code=code,
    category=lambda key: escape(category_label(key)),
    severity=severity_word,
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
        "# " + _("auditpipe report: {period}").format(period=escape(period_title(report))),
        "",
        heading(report, code(report.lake)),
        "",
        f"> {escape(masking_note(report))}",
        "",
    ]
    lines += _coverage(report)
    lines += _findings_summary(report)
    lines += _top(report)
    lines += _exposure(report)
    lines += _real_name(report)
    lines += _findings(report)
    if report.notes:
        lines += ["## " + _("Notes"), ""]
        lines += [f"- {escape(n)}" for n in report.notes]
        lines.append("")
    lines += _provenance(report)
    return "\n".join(lines).rstrip("\n") + "\n"


def _coverage(report: Report) -> list[str]:
    rows = coverage_rows(report, escape(", ".join(report.coverage.providers)))
    lines = ["## " + _("Data covered"), ""]
    lines += _table(Table(["", ""], [list(row) for row in rows]))
    lines += ["### " + _("Per provider"), ""]
    lines += _table(tables.providers_table(report, _CELLS))
    return lines


def _findings_summary(report: Report) -> list[str]:
    t = report.totals
    text = findings_sentence(report, f"**{count(t.findings)}**")
    lines = ["## " + _("Findings"), "", text, ""]
    if not t.findings:
        return lines
    lines += ["### " + _("By category"), ""]
    lines += _table(tables.tally_table(_("Category"), report.by_category, _CELLS, label=True))
    lines += ["### " + _("By severity"), ""] + _table(tables.severity_table(report, _CELLS))
    lines += ["### " + _("By provider"), ""]
    lines += _table(tables.tally_table(_("Provider"), report.by_provider, _CELLS, label=False))
    lines += [_("An event behind several findings counts once per row."), ""]
    return lines


def _top(report: Report) -> list[str]:
    lines: list[str] = []
    if report.top_actors:
        lines += ["## " + _("Top actors"), ""] + _table(tables.actors_table(report, _CELLS))
    if report.top_parties:
        lines += ["## " + _("Top destination parties"), ""]
        lines += _table(tables.parties_table(report, _CELLS))
    return lines


def _real_name(report: Report) -> list[str]:
    if not report.real_name:
        return []
    lines = [f"## {_(rn.TITLE)}", "", escape(_(rn.INTRO)), ""]
    lines += _table(rn.overview_table(report, _CELLS))
    for section in report.real_name:
        lines += [f"### {escape(section.provider_id)}", ""]
        note = rn.provider_note(section)
        if note:
            lines += [escape(note), ""]
        for title, table in rn.provider_tables(section, _CELLS):
            lines += [f"**{escape(title)}**", ""] + _table(table)
    return lines


def _exposure(report: Report) -> list[str]:
    if not report.exposure:
        return []
    lines = ["## " + _("Penalty exposure per provider"), "", f"> **{escape(report.caveat)}**", ""]
    lines += _table(tables.exposure_table(report, _CELLS))
    for e in report.exposure:
        lines.append(f"- **{escape(e.provider_id)}**: {escape(e.fine_basis)}")
        if e.serious_reasons:
            lines.append("  " + escape(serious_because(e.serious_reasons)))
        lines.append("  " + escape(consequences_line(e.consequences)))
    lines.append("")
    return lines


def _findings(report: Report) -> list[str]:
    if not report.findings:
        return []
    shown, left_out = listed(report)
    lines = ["## " + _("Findings list ({n})").format(n=count(len(report.findings))), ""]
    for number, f in enumerate(shown, 1):
        lines += [
            f"### {number}. {severity_word(f.severity).upper()} · "
            f"{escape(category_label(f.category))} · {escape(f.provider_id)} · {f.event_date}",
            "",
            "- "
            + _("**Finding** {finding} (rule {rule})").format(
                finding=code(f.finding_id), rule=code(f.rule_id)
            ),
            "- " + _("**Summary**: {summary}").format(summary=escape(f.summary)),
            "- "
            + _("**Actor**: {actor} ({type})").format(
                actor=code(f.actor_id or "-"), type=escape(actor_type_word(f.actor_type))
            )
            + (f" → {escape(f.destination_party)}" if f.destination_party else ""),
            "- " + _("**Numbers**: {numbers}").format(numbers=escape(finding_numbers(f))),
            "- "
            + _("**Seen**: {first} to {last}").format(
                first=moment(f.first_seen), last=moment(f.last_seen)
            ),
            "- "
            + _("**Evidence** ({shown} of {total}): {ids}").format(
                shown=len(f.evidence_sample),
                total=count(f.evidence_count),
                ids=escape(evidence_line(f)),
            ),
            "- " + _("**All evidence**: {sql}").format(sql=code(f.evidence_sql)),
            "",
        ]
    if left_out:
        lines += [
            _(
                "{n} more finding(s) are not listed here: "
                "`auditpipe report --format csv` or `--format json` lists every finding."
            ).format(n=count(left_out)),
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
