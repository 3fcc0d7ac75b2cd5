"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, no network.

It opens on an offline machine and prints cleanly; every chart is drawn from the report's
aggregates by ``svg_charts``.
"""

from __future__ import annotations

from html import escape

from ..model import FindingRow, Report
from . import svg_charts, tables
from .common import (
    CATEGORY_COLOURS,
    MASKED_NOTE,
    OTHER_COLOUR,
    SEVERITY_COLOURS,
    UNMASKED_NOTE,
    category_label,
    cny,
    count,
    evidence_line,
    finding_numbers,
    generated,
    listed,
    moment,
    period_title,
    unconverted,
)
from .tables import Cells, Table

_CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f9fafb; --card:#ffffff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans SC','PingFang SC',sans-serif; }
main { max-width:1120px; margin:0 auto; padding:28px 24px 48px; }
h1 { font-size:24px; margin:0 0 4px; }
h2 { font-size:18px; margin:32px 0 12px; padding-bottom:6px; border-bottom:2px solid var(--line); }
h3 { font-size:15px; margin:20px 0 8px; }
.meta { color:var(--muted); margin:0 0 12px; }
.banner { border-radius:8px; padding:10px 14px; margin:12px 0; }
.banner.masked { background:#eef2ff; color:#3730a3; }
.banner.unmasked { background:#fee2e2; color:#991b1b; font-weight:600; }
.banner.caveat { background:#fef3c7; color:#92400e; font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(150px,1fr)); gap:12px; margin:16px 0; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:22px; font-weight:700; overflow-wrap:anywhere; }
.card .sub { color:var(--muted); font-size:12px; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(460px,1fr)); gap:16px; }
.charts .wide { grid-column:1 / -1; }
.chart-box { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.chart-box h3 { margin:0 0 6px; }
table { border-collapse:collapse; width:100%; background:var(--card); margin:8px 0 12px;
  border:1px solid var(--line); border-radius:8px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#f3f4f6; font-weight:600; font-size:13px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; color:#fff; font-size:11px;
  font-weight:700; letter-spacing:.04em; }
.cat { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }
code { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12px;
  background:#f3f4f6; padding:1px 4px; border-radius:4px; word-break:break-all; }
details summary { cursor:pointer; color:#1d4ed8; }
.exposure { display:grid; grid-template-columns:repeat(auto-fit,minmax(320px,1fr)); gap:12px; }
.exposure .card h3 { margin:0 0 6px; }
.serious { color:#b91c1c; font-weight:700; }
.small { color:var(--muted); font-size:12px; }
ul.notes li { margin:4px 0; }
@media print { body { background:#fff; } .chart-box, .card, table { break-inside:avoid; } }
"""


def render_html(report: Report) -> str:
    title = f"auditpipe report: {period_title(report)}"
    body = [
        "<main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Lake <code>{escape(report.lake)}</code> · timezone '
        f"{escape(report.timezone)} · generated {escape(generated(report))}</p>",
        (
            f'<div class="banner masked">{escape(MASKED_NOTE)}</div>'
            if report.masked
            else f'<div class="banner unmasked">{escape(UNMASKED_NOTE)}</div>'
        ),
        _cards(report),
        _charts(report),
        _coverage(report),
        _breakdowns(report),
        _top(report),
        _exposure(report),
        _findings(report),
        _notes(report),
        "</main>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )


def _badge(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, OTHER_COLOUR)
    return f'<span class="badge" style="background:{colour}">{escape(severity.upper())}</span>'


def _cat(category: str) -> str:
    colour = CATEGORY_COLOURS.get(category, OTHER_COLOUR)
    return (
        f'<span class="cat" style="background:{colour}"></span>{escape(category_label(category))}'
    )


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


_CELLS = Cells(text=escape, code=_code, category=_cat, severity=_badge, separator="<br>")


def _table(table: Table) -> str:
    numeric = table.numeric
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(table.headers)
    )
    thead = f"<thead><tr>{head}</tr></thead>" if any(table.headers) else ""
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def _cards(report: Report) -> str:
    c, t = report.coverage, report.totals
    cards = [
        ("Events", count(c.events), f"{count(c.records)} records, {c.days_with_events} days"),
        ("Providers", str(len(c.providers)), f"{t.providers_with_findings} with findings"),
        ("Findings", count(t.findings), f"{count(t.events)} evidence events"),
        ("Records affected", count(t.records), "each evidence event once"),
        ("Illegal proceeds (CNY)", f"{t.proceeds_cny:,}", "selling findings"),
        (
            "Quarantined rows",
            count(c.quarantined_rows),
            f"{count(c.quarantined_rows_lake)} in the lake",
        ),
    ]
    return (
        '<section class="cards">'
        + "".join(
            f'<div class="card"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(value)}</div><div class="sub">{escape(sub)}</div></div>'
            for label, value, sub in cards
        )
        + "</section>"
    )


def _category_series(report: Report) -> list[tuple[str, str, str]]:
    keys = [t.key for t in report.by_category]
    return [(k, category_label(k), CATEGORY_COLOURS.get(k, OTHER_COLOUR)) for k in keys]


def _charts(report: Report) -> str:
    p = report.period
    series = _category_series(report)
    per_day = {(d.event_date, d.category): d.findings for d in report.per_day}
    by_provider = [(t.key, dict(t.by_category)) for t in report.by_provider]
    records = {d.event_date: d.records for d in report.day_totals}
    charts = [
        (
            "Findings per day by category",
            svg_charts.stacked_columns(
                "Findings per day by category", p.since, p.until, per_day, series, "findings"
            ),
        ),
        (
            "Breaches by provider",
            svg_charts.stacked_bars(
                "Breaches by provider", by_provider, series, "findings", width=480
            ),
        ),
        (
            "Records exposed over time",
            svg_charts.columns_with_cumulative(
                "Records exposed over time",
                p.since,
                p.until,
                records,
                "records",
                "#dc2626",
                width=480,
            ),
        ),
    ]
    boxes = "".join(
        f'<div class="chart-box{" wide" if n == 0 else ""}"><h3>{escape(title)}</h3>{svg}</div>'
        for n, (title, svg) in enumerate(charts)
    )
    return f'<h2>Overview</h2><section class="charts">{boxes}</section>'


def _coverage(report: Report) -> str:
    c = report.coverage
    rows = [
        [
            "Events",
            f"{count(c.events)} ({count(c.records)} records; {count(c.failed_events)} failed)",
        ],
        ["Providers", escape(", ".join(c.providers))],
        ["Days with events", f"{c.days_with_events} of {report.period.days}"],
        ["First / last event", f"{escape(moment(c.first_event))} / {escape(moment(c.last_event))}"],
        [
            "Quarantined rows",
            f"{count(c.quarantined_rows)} from the files behind these events "
            f"({count(c.quarantined_rows_lake)} in the lake)",
        ],
        [
            "Files (whole lake)",
            f"{count(c.files_ingested)} ingested, {count(c.files_rejected)} rejected",
        ],
    ]
    return (
        "<h2>Data covered</h2>"
        + _table(Table(["", ""], rows))
        + _table(tables.providers_table(report, _CELLS))
    )


def _breakdowns(report: Report) -> str:
    t = report.totals
    if not t.findings:
        return "<h2>Findings</h2><p>No findings in this period.</p>"
    return (
        "<h2>Findings</h2>"
        f"<p><strong>{count(t.findings)}</strong> finding(s) across {t.providers_with_findings} "
        f"provider(s); {count(t.events)} evidence events, {count(t.records)} records affected"
        + (f"; illegal proceeds {escape(cny(t.proceeds_cny))}" if t.proceeds_cny else "")
        + ".</p>"
        "<h3>By category</h3>"
        + _table(tables.tally_table("Category", report.by_category, _CELLS, label=True))
        + "<h3>By severity</h3>"
        + _table(tables.severity_table(report, _CELLS))
        + "<h3>By provider</h3>"
        + _table(tables.tally_table("Provider", report.by_provider, _CELLS, label=False))
        + '<p class="small">An event behind several findings counts once per row.</p>'
    )


def _top(report: Report) -> str:
    parts = []
    if report.top_actors:
        parts += ["<h2>Top actors</h2>", _table(tables.actors_table(report, _CELLS))]
    if report.top_parties:
        parts += ["<h2>Top destination parties</h2>", _table(tables.parties_table(report, _CELLS))]
    return "".join(parts)


def _exposure(report: Report) -> str:
    if not report.exposure:
        return ""
    cards = []
    for e in report.exposure:
        proceeds = cny(e.illegal_proceeds_cny)
        if e.unconverted_amounts:
            proceeds += f" + {unconverted(e.unconverted_amounts)} (no CNY rate)"
        serious = (
            f'<p class="serious">Serious case: {escape("; ".join(e.serious_reasons))}.</p>'
            if e.serious
            else "<p>Not serious by the configured criteria.</p>"
        )
        cards.append(
            '<div class="card">'
            f"<h3>{escape(e.provider_id)}</h3>"
            + _table(
                Table(
                    ["", ""],
                    [
                        ["Findings", count(e.finding_count)],
                        ["Records affected", count(e.records_affected)],
                        ["Illegal proceeds", escape(proceeds)],
                        ["Confiscation", escape(cny(e.confiscation_cny))],
                        [
                            "Fine",
                            f"{escape(cny(e.fine_min_cny))} to {escape(cny(e.fine_max_cny))}",
                        ],
                    ],
                )
            )
            + f'<p class="small">{escape(e.fine_basis)}</p>'
            + serious
            + "<ul>"
            + "".join(f"<li>{escape(c)}</li>" for c in e.consequences)
            + "</ul></div>"
        )
    return (
        "<h2>Penalty exposure per provider</h2>"
        f'<div class="banner caveat">{escape(report.caveat)}</div>'
        f'<section class="exposure">{"".join(cards)}</section>'
    )


def _finding_row(f: FindingRow) -> list[str]:
    actor = f"<code>{escape(f.actor_id or '-')}</code> ({escape(f.actor_type or 'unknown')})"
    if f.destination_party:
        actor += f" → {escape(f.destination_party)}"
    evidence = (
        f"<details><summary>{escape(evidence_line(f))}</summary>"
        f'<p class="small">Every evidence event:</p><code>{escape(f.evidence_sql)}</code></details>'
    )
    return [
        _badge(f.severity),
        escape(f.event_date.isoformat()),
        escape(f.provider_id),
        f'{_cat(f.category)}<br><span class="small">{escape(f.rule_id)}</span>',
        f'{escape(f.summary)}<br><span class="small">{actor}; {escape(finding_numbers(f))}; '
        f"seen {escape(moment(f.first_seen))} to {escape(moment(f.last_seen))}</span>"
        f'<br><span class="small"><code>{escape(f.finding_id)}</code></span>',
        evidence,
    ]


def _findings(report: Report) -> str:
    if not report.findings:
        return ""
    shown, left_out = listed(report)
    more = (
        f"<p><strong>{count(left_out)} more finding(s)</strong> are not listed here: "
        "<code>auditpipe report --format csv</code> or <code>--format json</code> lists every "
        "finding.</p>"
        if left_out
        else ""
    )
    return (
        f"<h2>Findings list ({count(len(report.findings))})</h2>"
        + _table(
            Table(
                ["Severity", "Day", "Provider", "Category", "Finding", "Evidence"],
                [_finding_row(f) for f in shown],
            )
        )
        + more
    )


def _notes(report: Report) -> str:
    if not report.notes:
        return ""
    return (
        '<h2>Notes</h2><ul class="notes">'
        + "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        + "</ul>"
    )
