"""The report as Markdown, for tickets and wikis (GitHub-flavoured tables)."""

from __future__ import annotations

from ..model import Report, Tally
from .common import (
    MASKED_NOTE,
    SEVERITY_ORDER,
    UNMASKED_NOTE,
    category_label,
    cny,
    count,
    day,
    evidence_line,
    finding_numbers,
    generated,
    listed,
    moment,
    period_title,
    unconverted,
)

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


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> list[str]:
    right = right or set()
    align = ["---:" if i in right else "---" for i in range(len(headers))]
    return [_row(*headers), _row(*align), *(_row(*r) for r in rows), ""]


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
    return "\n".join(lines).rstrip("\n") + "\n"


def _coverage(report: Report) -> list[str]:
    c = report.coverage
    lines = ["## Data covered", ""]
    lines += _table(
        ["", ""],
        [
            [
                "Events",
                f"{count(c.events)} ({count(c.records)} records; {count(c.failed_events)} failed)",
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
    lines += ["### Per provider", ""]
    lines += _table(
        ["Provider", "Events", "Records", "Days", "First day", "Last day", "Quarantined"],
        [
            [
                escape(p.provider_id),
                count(p.events),
                count(p.records),
                str(p.days_with_events),
                day(p.first_event_date),
                day(p.last_event_date),
                count(p.quarantined_rows),
            ]
            for p in report.providers
        ],
        right={1, 2, 3, 6},
    )
    return lines


def _tally(first: str, tallies: list[Tally], label: bool) -> list[str]:
    headers = [first, "Findings", "Events", "Records", "Proceeds (CNY)"]
    headers += [s.capitalize() for s in SEVERITY_ORDER]
    rows = [
        [
            escape(category_label(t.key) if label else t.key),
            count(t.findings),
            count(t.events),
            count(t.records),
            f"{t.proceeds_cny:,}" if t.proceeds_cny else "-",
            *(
                count(t.by_severity.get(s, 0)) if t.by_severity.get(s) else "-"
                for s in SEVERITY_ORDER
            ),
        ]
        for t in tallies
    ]
    return _table(headers, rows, right=set(range(1, len(headers))))


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
    lines += ["### By category", ""] + _tally("Category", report.by_category, label=True)
    lines += ["### By severity", ""]
    lines += _table(
        ["Severity", "Findings", "Events", "Records", "Proceeds (CNY)"],
        [
            [
                s.key,
                count(s.findings),
                count(s.events),
                count(s.records),
                f"{s.proceeds_cny:,}" if s.proceeds_cny else "-",
            ]
            for s in report.by_severity
        ],
        right={1, 2, 3, 4},
    )
    lines += ["### By provider", ""] + _tally("Provider", report.by_provider, label=False)
    lines += ["An event behind several findings counts once per row.", ""]
    return lines


def _top(report: Report) -> list[str]:
    lines: list[str] = []
    if report.top_actors:
        lines += ["## Top actors", ""]
        lines += _table(
            ["Provider", "Actor", "Type", "Findings", "Events", "Records", "Categories", "Worst"],
            [
                [
                    escape(a.provider_id),
                    code(a.actor_id or "-"),
                    escape(a.actor_type or "-"),
                    count(a.findings),
                    count(a.events),
                    count(a.records),
                    escape(", ".join(category_label(c) for c in a.categories)),
                    a.top_severity,
                ]
                for a in report.top_actors
            ],
            right={3, 4, 5},
        )
    if report.top_parties:
        lines += ["## Top destination parties", ""]
        lines += _table(
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
                    escape(p.destination_party),
                    escape(", ".join(p.providers)),
                    count(p.findings),
                    count(p.events),
                    count(p.records),
                    f"{p.proceeds_cny:,}" if p.proceeds_cny else "-",
                    escape(", ".join(category_label(c) for c in p.categories)),
                    p.top_severity,
                ]
                for p in report.top_parties
            ],
            right={2, 3, 4, 5},
        )
    return lines


def _exposure(report: Report) -> list[str]:
    if not report.exposure:
        return []
    lines = ["## Penalty exposure per provider", "", f"> **{escape(report.caveat)}**", ""]
    rows = []
    for e in report.exposure:
        proceeds = f"{e.illegal_proceeds_cny:,}"
        if e.unconverted_amounts:
            proceeds += f" + {unconverted(e.unconverted_amounts)}"
        rows.append(
            [
                escape(e.provider_id),
                count(e.finding_count),
                count(e.records_affected),
                proceeds,
                f"{e.confiscation_cny:,}",
                f"{e.fine_min_cny:,} to {e.fine_max_cny:,}",
                "**yes**" if e.serious else "no",
            ]
        )
    lines += _table(
        [
            "Provider",
            "Findings",
            "Records affected",
            "Illegal proceeds (CNY)",
            "Confiscation (CNY)",
            "Fine (CNY)",
            "Serious",
        ],
        rows,
        right={1, 2, 3, 4, 5},
    )
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
