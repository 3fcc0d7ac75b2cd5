"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, no network.

It opens on an offline machine and prints cleanly; every chart is drawn from the report's
aggregates by ``svg_charts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from ...i18n import _, current_language, ngettext
from ...lake.locations import CHANGED, MISSING
from ..model import FindingRow, Report
from . import real_name as rn
from . import svg_charts, tables
from .common import (
    CATEGORY_COLOURS,
    CATEGORY_PATTERNS,
    OTHER_COLOUR,
    OTHER_PATTERN,
    SEVERITY_COLOURS,
    actor_type_word,
    amount,
    category_label,
    cny,
    count,
    coverage_rows,
    evidence_line,
    finding_numbers,
    findings_sentence,
    fine_range_text,
    heading,
    input_files_title,
    listed,
    masking_note,
    moment,
    period_title,
    provenance_basis,
    records_affected,
    seen_line,
    serious_case,
    severity_word,
    unconverted,
)
from .common import html_escape as escape
from .tables import Cells, Table

_CSS = """
:root { --ink:#1f2937; --muted:#4b5563; --line:#e5e7eb; --bg:#f9fafb; --card:#ffffff;
  --link:#1d4ed8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust:100%; text-size-adjust:100%; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans SC','PingFang SC',sans-serif; }
main { max-width:1120px; margin:0 auto; padding:28px 24px 48px; }
h1 { font-size:24px; margin:0 0 4px; overflow-wrap:anywhere; }
h2 { font-size:18px; margin:32px 0 12px; padding-bottom:6px; border-bottom:2px solid var(--line); }
h3 { font-size:15px; margin:20px 0 8px; overflow-wrap:anywhere; }
p, li { overflow-wrap:break-word; }
.meta { color:var(--muted); margin:0 0 12px; }
.banner { border-radius:8px; padding:10px 14px; margin:12px 0; }
.banner.masked { background:#eef2ff; color:#3730a3; }
.banner.unmasked { background:#fee2e2; color:#991b1b; font-weight:600; }
.banner.caveat { background:#fef3c7; color:#92400e; font-weight:600; }
/* Cards hold headline figures. A card grows to fit its figure (a flex item is never narrower
   than its content) and figures never wrap inside a number: white-space:nowrap. */
.cards { display:flex; flex-wrap:wrap; gap:12px; margin:16px 0; }
.cards > .card { flex:1 1 170px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px;
  max-width:100%; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:clamp(18px, 5.2vw, 22px); font-weight:700; line-height:1.3; }
.card .sub { color:var(--muted); font-size:12px; }
.figure { white-space:nowrap; font-variant-numeric:tabular-nums; }
/* Charts: the SVG scales to its box (viewBox, width 100%); boxes go one per row when narrow. */
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr)); gap:16px; }
.charts .wide { grid-column:1 / -1; }
.chart-box { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px;
  min-width:0; }
.chart-box h3 { margin:0 0 6px; }
svg.chart { display:block; width:100%; height:auto; max-width:100%; }
/* Tables: each in its own scroll box (the page never scrolls sideways); on narrow screens
   rows stack, one line per cell with its column name (data-label) before it. */
.table-wrap { max-width:100%; overflow-x:auto; margin:8px 0 12px; }
table { border-collapse:collapse; width:100%; background:var(--card);
  border:1px solid var(--line); border-radius:8px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top;
  overflow-wrap:break-word; }
th { background:#f3f4f6; font-weight:600; font-size:13px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.unbroken { white-space:nowrap; }
tr.total td { font-weight:700; border-top:2px solid var(--ink); }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; color:#fff; font-size:11px;
  font-weight:700; letter-spacing:.04em; white-space:nowrap; }
.cat { display:inline-block; width:12px; height:12px; border-radius:2px; margin-right:6px;
  vertical-align:-1px; border:1px solid rgba(0,0,0,.35); }
code { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12px;
  background:#f3f4f6; padding:1px 4px; border-radius:4px; word-break:break-all; }
details summary { cursor:pointer; color:var(--link); }
.exposure { display:grid; grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr)); gap:12px; }
.exposure .card h3 { margin:0 0 6px; }
.exposure .total { grid-column:1 / -1; border:2px solid var(--ink); }
.serious { color:#b91c1c; font-weight:700; }
.small { color:var(--muted); font-size:12px; }
ul.notes li { margin:4px 0; }
ol.evidence { margin:0 0 4px; padding-left:18px; }
ol.evidence li { margin:0 0 4px; overflow-wrap:anywhere; }
.print-only { display:none; }
@media (max-width:640px) {
  main { padding:16px 12px 32px; }
  h1 { font-size:20px; }
  .table-wrap { overflow-x:visible; }
  table.reflow, table.reflow tbody, table.reflow tr, table.reflow td { display:block; width:100%; }
  table.reflow thead { display:none; }
  table.reflow tr { border-bottom:2px solid var(--line); padding:4px 0; }
  table.reflow td { border-bottom:0; padding:3px 10px; text-align:left; white-space:normal; }
  table.reflow td[data-label] { display:grid; grid-template-columns:minmax(6.5em,38%) minmax(0,1fr);
    gap:8px; }
  table.reflow td[data-label]::before { content:attr(data-label); color:var(--muted);
    font-size:12px; font-weight:600; }
  table.reflow td .v { min-width:0; }
  table.reflow td.num { text-align:left; }
  table.reflow td.num { overflow-wrap:normal; }
}
@page { size:A4; margin:14mm 12mm; }
@media print {
  body { background:#fff; font-size:10.5pt; }
  main { max-width:none; padding:0; }
  h1, h2, h3, .chart-box h3 { break-after:avoid; page-break-after:avoid; }
  h2 { margin-top:18px; }
  .chart-box, .card, tr, .banner { break-inside:avoid; page-break-inside:avoid; }
  .charts { grid-template-columns:1fr 1fr; }
  .table-wrap { overflow:visible; }
  thead { display:table-header-group; }
  .banner, .badge, .cat, th { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
  .screen-only, details > summary { display:none; }
  .print-only { display:block; }
  th, td { padding:3px 5px; font-size:8.5pt; }
  th.num { white-space:normal; }
  table.findings td { padding:2px 4px; font-size:8pt; }
  table.findings .evidence-sql { display:none; }
  table.findings .evidence-records { display:none; }
}
"""


def _heading_html(report: Report) -> str:
    """The lake, timezone and time line, escaped, with the lake as code."""
    return _escaped_around(heading, report, f"<code>{escape(report.lake)}</code>")


def _escaped_around(sentence: Callable[[Report, str], str], report: Report, markup: str) -> str:
    """``sentence(report, value)`` escaped for HTML with ``markup`` where the value goes. The
    text is cut at a marker before it is escaped: escaping spells control characters out
    (``visible``), so a marker looked for afterwards would never be found and would be shown
    to the reader in place of the value."""
    marker = "\x00value\x00"
    before, _found, after = sentence(report, marker).partition(marker)
    return escape(before) + markup + escape(after)


def render_html(report: Report) -> str:
    title = _("auditpipe report: {period}").format(period=period_title(report))
    body = [
        "<main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{_heading_html(report)}</p>',
        f'<div class="banner {"masked" if report.masked else "unmasked"}">'
        f"{escape(masking_note(report))}</div>",
        _cards(report),
        _charts(report),
        _coverage(report),
        _breakdowns(report),
        _top(report),
        _exposure(report),
        _real_name(report),
        _findings(report),
        _notes(report),
        _provenance(report),
        "</main>",
    ]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{current_language()}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )


def _badge(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, OTHER_COLOUR)
    word = severity_word(severity).upper()
    return f'<span class="badge" style="background:{colour}">{escape(word)}</span>'


# The charts' fill patterns (svg_charts.PATTERNS) drawn in CSS, for the swatches in tables.
_W = "rgba(255,255,255,.9)"
SWATCH_PATTERNS = {
    "solid": "none",
    "diagonal": f"repeating-linear-gradient(45deg,{_W} 0 1.5px,transparent 1.5px 4px)",
    "dots": f"radial-gradient({_W} 1.1px,transparent 1.4px) 0 0/4px 4px",
    "crosshatch": f"repeating-linear-gradient(45deg,{_W} 0 1px,transparent 1px 4px),"
    f"repeating-linear-gradient(-45deg,{_W} 0 1px,transparent 1px 4px)",
    "horizontal": f"repeating-linear-gradient(0deg,{_W} 0 1px,transparent 1px 3px)",
    "vertical": f"repeating-linear-gradient(90deg,{_W} 0 1px,transparent 1px 3px)",
}


def _cat(category: str) -> str:
    colour = CATEGORY_COLOURS.get(category, OTHER_COLOUR)
    pattern = SWATCH_PATTERNS[CATEGORY_PATTERNS.get(category, OTHER_PATTERN)]
    return (
        f'<span class="cat" style="background:{pattern};background-color:{colour}"></span>'
        f"{escape(category_label(category))}"
    )


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


_CELLS = Cells(
    text=escape,
    code=_code,
    category=_cat,
    severity=_badge,
    separator="<br>",
    strong=lambda text: f"<strong>{text}</strong>",
)


def _table(table: Table, *, css: str = "", total_last: bool = False) -> str:
    """A table in its own scroll box. Cells carry their column's name (``data-label``), so on
    a narrow screen (``table.reflow``) each row stacks as "name: value" lines; a table without
    headers (name/value pairs) stacks as it is. ``total_last`` marks the last row a total."""
    numeric, unbroken = table.numeric, table.unbroken
    labels = [escape(h) for h in table.headers]
    head = "".join(
        f'<th class="num">{h}</th>' if i in numeric else f"<th>{h}</th>"
        for i, h in enumerate(labels)
    )
    thead = f"<thead><tr>{head}</tr></thead>" if any(table.headers) else ""

    def cell(i: int, value: str) -> str:
        kind = ' class="num"' if i in numeric else ' class="unbroken"' if i in unbroken else ""
        if not labels[i]:
            return f"<td{kind}>{value}</td>"
        # one element beside the label when the row stacks (a grid of label and value)
        return f'<td{kind} data-label="{labels[i]}"><span class="v">{value}</span></td>'

    rows = []
    for n, row in enumerate(table.rows):
        total = ' class="total"' if total_last and n == len(table.rows) - 1 else ""
        rows.append(f"<tr{total}>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>")
    classes = " ".join(c for c in ("reflow", css) if c)
    return (
        f'<div class="table-wrap"><table class="{classes}">{thead}<tbody>{"".join(rows)}'
        "</tbody></table></div>"
    )


def _figure(text: str) -> str:
    """A number that must not wrap (headline figures, amounts)."""
    return f'<span class="figure">{escape(text)}</span>'


def _figure_range(low: Decimal | None, high: Decimal | None) -> str:
    """``low to high`` with each amount a figure: the range may wrap between them, never
    inside one. No range (only real-name findings): says that no fine applies."""
    if low is None or high is None:
        return escape(fine_range_text(low, high))
    return escape(_("{low} to {high}")).format(low=_figure(amount(low)), high=_figure(amount(high)))


def _card(label: str, value: str, sub: str = "") -> str:
    """A headline card: ``value`` is HTML made of ``_figure`` spans."""
    sub_html = f'<div class="sub">{escape(sub)}</div>' if sub else ""
    return (
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{value}</div>{sub_html}</div>'
    )


def _cards(report: Report) -> str:
    c, t, e = report.coverage, report.totals, report.exposure_total
    cards = [
        _card(
            _("Events"),
            _figure(count(c.events)),
            _("{records} records, {days} days").format(
                records=count(c.records), days=c.days_with_events
            ),
        ),
        _card(
            _("Providers"),
            _figure(str(len(c.providers))),
            _("{n} with findings").format(n=t.providers_with_findings),
        ),
        _card(
            _("Findings"),
            _figure(count(t.findings)),
            _("{n} evidence events").format(n=count(t.events)),
        ),
        _card(
            _("Records affected"),
            _figure(count(records_affected(report))),
            _("each evidence event once"),
        ),
        _card(_("Illegal proceeds (CNY)"), _figure(amount(t.proceeds_cny)), _("selling findings")),
        _card(
            _("Fine exposure, all providers (CNY)"),
            _figure_range(e.fine_min_cny, e.fine_max_cny) if e.providers else _figure("-"),
            ngettext(
                "{n} serious case; an estimate, see below",
                "{n} serious cases; an estimate, see below",
                e.serious_providers,
            ).format(n=count(e.serious_providers))
            if e.providers
            else _("no findings"),
        ),
        _card(
            _("Quarantined rows"),
            _figure(count(c.quarantined_rows)),
            _("{n} in the lake").format(n=count(c.quarantined_rows_lake)),
        ),
    ]
    return '<section class="cards">' + "".join(cards) + "</section>"


def _category_series(report: Report) -> list[tuple[str, str, str]]:
    keys = [t.key for t in report.by_category]
    return [(k, category_label(k), CATEGORY_COLOURS.get(k, OTHER_COLOUR)) for k in keys]


def _category_patterns(report: Report) -> dict[str, str]:
    return {t.key: CATEGORY_PATTERNS.get(t.key, OTHER_PATTERN) for t in report.by_category}


def _charts(report: Report) -> str:
    p = report.period
    series = _category_series(report)
    patterns = _category_patterns(report)
    per_day = {(d.event_date, d.category): d.findings for d in report.per_day}
    by_provider = [(t.key, dict(t.by_category)) for t in report.by_provider]
    # the records the report states as affected (records_affected), day by day
    records = {d.event_date: d.records_affected for d in report.day_totals}
    charts = [
        (
            _("Findings per day by category"),
            svg_charts.stacked_columns(
                _("Findings per day by category"),
                p.since,
                p.until,
                per_day,
                series,
                _("findings"),
                patterns=patterns,
            ),
        ),
        (
            _("Breaches by provider"),
            svg_charts.stacked_bars(
                _("Breaches by provider"),
                by_provider,
                series,
                _("findings"),
                width=480,
                patterns=patterns,
            ),
        ),
        (
            _("Records exposed over time"),
            svg_charts.columns_with_cumulative(
                _("Records exposed over time"),
                p.since,
                p.until,
                records,
                _("records"),
                "#dc2626",
                width=480,
            ),
        ),
    ]
    boxes = "".join(
        f'<div class="chart-box{" wide" if n == 0 else ""}"><h3>{escape(title)}</h3>{svg}</div>'
        for n, (title, svg) in enumerate(charts)
    )
    return f'<h2>{escape(_("Overview"))}</h2><section class="charts">{boxes}</section>'


def _coverage(report: Report) -> str:
    providers = ", ".join(report.coverage.providers)
    rows = [[escape(label), escape(value)] for label, value in coverage_rows(report, providers)]
    return (
        f"<h2>{escape(_('Data covered'))}</h2>"
        + _table(Table(["", ""], rows))
        + _table(tables.providers_table(report, _CELLS))
    )


def _breakdowns(report: Report) -> str:
    t = report.totals
    head = f"<h2>{escape(_('Findings'))}</h2>"
    if not t.findings:
        return head + f"<p>{escape(_('No findings in this period.'))}</p>"
    sentence = _escaped_around(findings_sentence, report, f"<strong>{count(t.findings)}</strong>")
    return (
        head
        + "<p>"
        + sentence
        + "</p>"
        + f"<h3>{escape(_('By category'))}</h3>"
        + _table(tables.tally_table(_("Category"), report.by_category, _CELLS, label=True))
        + f"<h3>{escape(_('By severity'))}</h3>"
        + _table(tables.severity_table(report, _CELLS))
        + f"<h3>{escape(_('By provider'))}</h3>"
        + _table(tables.tally_table(_("Provider"), report.by_provider, _CELLS, label=False))
        + f'<p class="small">{escape(_("An event behind several findings counts once per row."))}</p>'
    )


def _top(report: Report) -> str:
    parts = []
    if report.top_actors:
        parts += [
            f"<h2>{escape(_('Top actors'))}</h2>",
            _table(tables.actors_table(report, _CELLS)),
        ]
    if report.top_parties:
        parts += [
            f"<h2>{escape(_('Top destination parties'))}</h2>",
            _table(tables.parties_table(report, _CELLS)),
        ]
    return "".join(parts)


def _exposure(report: Report) -> str:
    """The exposure of every provider beside the total across providers, then one card per
    provider with the reasons."""
    if not report.exposure:
        return ""
    cards = []
    for e in report.exposure:
        proceeds = _figure(cny(e.illegal_proceeds_cny))
        if e.unconverted_amounts:
            proceeds += " + " + escape(
                _("{amounts} (no CNY rate)").format(amounts=unconverted(e.unconverted_amounts))
            )
        serious = (
            f'<p class="serious">{escape(serious_case(e.serious_reasons))}</p>'
            if e.serious
            else f"<p>{escape(_('Not serious by the configured criteria.'))}</p>"
        )
        cards.append(
            '<div class="card">'
            f"<h3>{escape(e.provider_id)}</h3>"
            + _table(
                Table(
                    ["", ""],
                    [
                        [escape(_("Findings")), _figure(count(e.finding_count))],
                        [escape(_("Records affected")), _figure(count(e.records_affected))],
                        [escape(_("Illegal proceeds")), proceeds],
                        [escape(_("Confiscation")), _figure(cny(e.confiscation_cny))],
                        [
                            escape(_("Fine")),
                            _("{low} to {high}").format(
                                low=_figure(cny(e.fine_min_cny)), high=_figure(cny(e.fine_max_cny))
                            )
                            if e.fine_min_cny is not None and e.fine_max_cny is not None
                            else escape(e.fine_text),
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
        f"<h2>{escape(_('Penalty exposure per provider'))}</h2>"
        f'<div class="banner caveat">{escape(report.caveat)}</div>'
        + _table(tables.exposure_table(report, _CELLS), total_last=True)
        + '<p class="small">'
        + escape(
            _(
                "The total adds up each provider's fine range: each provider is fined on its "
                "own proceeds."
            )
        )
        + "</p>"
        f'<section class="exposure">{"".join(cards)}</section>'
    )


def _real_name(report: Report) -> str:
    if not report.real_name:
        return ""
    p = report.period
    parts = [
        f"<h2>{escape(_(rn.TITLE))}</h2>",
        f'<p class="small">{escape(_(rn.INTRO))}</p>',
        _table(rn.overview_table(report, _CELLS)),
    ]
    for section in report.real_name:
        parts.append(f"<h3>{escape(section.provider_id)}</h3>")
        note = rn.provider_note(section)
        if note:
            parts.append(f'<p class="small">{escape(note)}</p>')
        if not section.applies:
            continue
        rates = {
            d.event_date: (d.compliance_rate, d.verified_posts + d.unverified_posts)
            for d in section.days
            if d.compliance_rate is not None
        }
        chart_title = _("Daily compliance rate: {provider}").format(provider=section.provider_id)
        parts.append(
            f'<div class="chart-box"><h3>{escape(chart_title)}</h3>'
            + svg_charts.daily_rate(
                chart_title, p.since, p.until, rates, CATEGORY_COLOURS["real_name"]
            )
            + "</div>"
        )
        for title, table in rn.provider_tables(section, _CELLS):
            parts.append(f"<h4>{escape(title)}</h4>" + _table(table))
    return "".join(parts)


def _evidence_cell(report: Report, f: FindingRow) -> str:
    """The first evidence events as records, the count of the rest, and the command that
    lists them all (report.evidence); the event ids and the SQL folded below."""
    items = []
    for e in report.evidence.get(f.finding_id, []):
        if not e.in_lake:
            items.append(f"<li>{escape(_('the event is no longer in the lake'))}</li>")
            continue
        where = escape(e.destination_type or "-")
        if e.destination_party:
            where += f": {escape(e.destination_party)}"
        line = "-" if e.line_number is None else str(e.line_number)
        source = f"{e.source_file or '-'}:{line}"
        if e.source_status == MISSING:
            source = _("{source} (MISSING)").format(source=source)
        elif e.source_status == CHANGED:
            source = _("{source} (CHANGED)").format(source=source)
        actor_type = e.actor_type or _("unknown")  # an evidence event's field, as stored
        items.append(
            f'<li><span class="small">{escape(moment(e.event_time))}</span> '
            f"<code>{escape(e.actor_id or '-')}</code> ({escape(actor_type)}) "
            f"{escape(e.action or '-')} {escape(', '.join(e.data_fields) or '-')} → {where}"
            f'<br><span class="small">{escape(_("source"))} <code>{escape(source)}</code>'
            "</span></li>"
        )
    rest = f.evidence_count - len(items)
    if not items:
        said = _("{total} evidence event(s). All of them:").format(total=count(f.evidence_count))
    elif rest > 0:
        said = _("{rest} more evidence event(s), {total} in all. All of them:").format(
            rest=count(rest), total=count(f.evidence_count)
        )
    else:
        said = _("All evidence events:")
    command = report.show_command_template.replace("<finding_id>", f.finding_id)
    listed = f'<ol class="evidence">{"".join(items)}</ol>' if items else ""
    return (
        f'<div class="evidence-records">{listed}'
        + f'<p class="small">{escape(said)} <code>{escape(command)}</code></p></div>'
        + f"{escape(evidence_line(f))}"
        '<details class="screen-only evidence-sql"><summary>'
        + escape(_("Command for every evidence event"))
        + f"</summary><code>{escape(f.evidence_sql)}</code></details>"
    )


def _finding_row(f: FindingRow, evidence: str) -> list[str]:
    actor = f"<code>{escape(f.actor_id or '-')}</code> ({escape(actor_type_word(f.actor_type))})"
    if f.destination_party:
        actor += f" → {escape(f.destination_party)}"
    return [
        _badge(f.severity),
        escape(f.event_date.isoformat()),
        escape(f.provider_id),
        f'{_cat(f.category)}<br><span class="small">{escape(f.rule_id)}</span>',
        f'{escape(f.summary)}<br><span class="small">{actor}; {escape(finding_numbers(f))}; '
        f"{escape(seen_line(f))}</span>"
        f'<br><span class="small"><code>{escape(f.finding_id)}</code></span>',
        evidence,
    ]


def _findings(report: Report) -> str:
    if not report.findings:
        return ""
    shown, left_out = listed(report)
    more = (
        "<p>"
        + re.sub(
            r"`([^`]+)`",
            r"<code>\1</code>",
            escape(
                _(
                    "{n} more finding(s) are not listed here: "
                    "`auditpipe report --format csv` or `--format json` lists every finding."
                ).format(n=count(left_out))
            ),
        )
        + "</p>"
        if left_out
        else ""
    )
    return (
        "<h2>" + escape(_("Findings list ({n})").format(n=count(len(report.findings)))) + "</h2>"
        '<p class="small print-only">'
        + escape(_("Every evidence event of a finding: "))
        + f"<code>{escape(report.evidence_sql_template)}</code></p>"
        + _table(
            Table(
                [
                    _("Severity"),
                    _("Day"),
                    _("Provider"),
                    _("Category"),
                    _("Finding"),
                    _("Evidence"),
                ],
                [_finding_row(f, _evidence_cell(report, f)) for f in shown],
                unbroken=frozenset({1}),
            ),
            css="findings",
        )
        + more
    )


def _provenance(report: Report) -> str:
    """What the report was computed from: version, configuration, rules and their settings,
    the watchlist, exchange rates and the input files with their sha256 and row counts."""
    p = report.provenance
    return (
        f'<section class="provenance"><h2>{escape(_("Provenance"))}</h2>'
        f'<p class="small">{escape(provenance_basis(report))}</p>'
        + _table(tables.provenance_settings_table(report, _CELLS))
        + f"<h3>{escape(_('Rules'))}</h3>"
        + _table(tables.provenance_rules_table(report, _CELLS))
        + f"<h3>{escape(input_files_title(len(p.input_files)))}</h3>"
        + _table(tables.provenance_files_table(report, _CELLS))
        + "</section>"
    )


def _notes(report: Report) -> str:
    if not report.notes:
        return ""
    return (
        f'<h2>{escape(_("Notes"))}</h2><ul class="notes">'
        + "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        + "</ul>"
    )
