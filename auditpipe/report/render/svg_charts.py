"""Inline SVG charts drawn from the report's aggregates: no JavaScript, no network.

Each function takes numbers DuckDB already aggregated (a few dozen values, never events) and
returns one ``<svg>`` element that scales to its container (``viewBox``), with a legend, axes,
and a ``<title>`` on every bar so a browser shows the exact figure on hover.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from ...i18n import _
from .common import html_escape as escape
from .common import percent

WIDTH = 760
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"
AXIS = "#9ca3af"
GRID = "#e5e7eb"
INK = "#374151"


def nice_scale(maximum: float, ticks: int = 4) -> tuple[float, float]:
    """(top, step): a round axis top at or above ``maximum`` split into about ``ticks`` steps."""
    if maximum <= 0:
        return 1.0, 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw:
            break
    if step < 1 and maximum >= 1:
        step = 1
    top = step * math.ceil(maximum / step)
    return top, step


def _label(value: float) -> str:
    """An axis tick: ``2.5M``, ``50k``, ``1,000``; grouped by thousands and never in scientific
    notation (``:g`` wrote 4e12 as ``4e+06M``)."""
    if value >= 1_000_000:
        return _plain(value / 1_000_000) + "M"
    if value >= 10_000:
        return _plain(value / 1_000) + "k"
    return _plain(value)


def _plain(value: float) -> str:
    """``value`` grouped by thousands, with up to two decimals when it has them (2.5, 1.25)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _svg_open(height: int, title: str, width: int = WIDTH) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" style="{FONT}">',
        f"<title>{escape(title)}</title>",
    ]


# Fill patterns drawn in white over a series' colour, so series differ by more than colour
# (a reader who cannot tell two colours apart, or a grey-scale print, still can by pattern).
_MARK = 'stroke="#fff" stroke-opacity="0.9"'
PATTERNS = {
    "solid": "",
    "diagonal": f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" {_MARK} stroke-width="1.6"/>',
    "dots": '<circle cx="2" cy="2" r="1.4" fill="#fff" fill-opacity="0.9"/>'
    '<circle cx="6" cy="6" r="1.4" fill="#fff" fill-opacity="0.9"/>',
    "crosshatch": f'<path d="M0,0 L8,8 M8,0 L0,8" {_MARK} stroke-width="1.2"/>',
    "horizontal": f'<path d="M0,2 H8 M0,6 H8" {_MARK} stroke-width="1.4"/>',
    "vertical": f'<path d="M2,0 V8 M6,0 V8" {_MARK} stroke-width="1.4"/>',
}


def _fills(
    title: str, series: list[tuple[str, str, str]], patterns: dict[str, str] | None
) -> tuple[list[str], dict[str, str]]:
    """(``<defs>`` lines, fill by series key): a series with a pattern other than solid is
    filled with it; ids are unique per chart (several charts share one HTML page)."""
    chart = hashlib.md5(title.encode("utf-8")).hexdigest()[:8]
    defs, fills = [], {}
    for n, (key, _label, colour) in enumerate(series):
        marks = PATTERNS.get((patterns or {}).get(key, "solid"), "")
        if not marks:
            fills[key] = colour
            continue
        pid = f"p{chart}-{n}"
        defs.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>'
        )
        fills[key] = f"url(#{pid})"
    return (["<defs>", *defs, "</defs>"] if defs else []), fills


LEGEND_ROW = 18  # px between legend rows; the first row's baseline is at y=16


def text_width(text: str, size: float = 11) -> float:
    """About how wide ``text`` is at font ``size`` (wide East Asian characters count double):
    enough to lay out legends and labels without measuring fonts."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def fit(text: str, width: float, size: float = 11) -> str:
    """``text`` cut with an ellipsis to about ``width`` px (the full text goes in a title)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _legend(items: list[tuple[str, str]], x0: int, width: int) -> tuple[list[str], int]:
    """Legend swatches and labels in rows that wrap within ``width``; returns the parts and
    the y below the legend, where the plot may start."""
    out, x, y = [], float(x0), 16
    for label, fill in items:
        shown = fit(label, width - x0 - 26)
        step = 28 + text_width(shown)
        if x > x0 and x + step > width:
            x, y = float(x0), y + LEGEND_ROW
        out.append(
            f'<rect x="{x:.0f}" y="{y - 11}" width="14" height="14" rx="2" fill="{fill}" '
            'stroke="#374151" stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{x + 18:.0f}" y="{y}" font-size="11" fill="{INK}">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
        )
        x += step
    return out, y + LEGEND_ROW


def _empty(height: int, title: str, message: str, width: int = WIDTH) -> str:
    parts = _svg_open(height, title, width)
    parts.append(
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="13" '
        f'fill="{AXIS}">{escape(message)}</text>'
    )
    return "\n".join([*parts, "</svg>"])


def _days(since: dt.date, until: dt.date) -> list[dt.date]:
    return [since + dt.timedelta(days=i) for i in range((until - since).days + 1)]


def _day_ticks(days: list[dt.date]) -> int:
    """Label every n-th day so labels do not collide (about 14 labels at most)."""
    return max(1, math.ceil(len(days) / 14))


def stacked_columns(
    title: str,
    since: dt.date,
    until: dt.date,
    values: dict[tuple[dt.date, str], int],
    series: list[tuple[str, str, str]],
    unit: str,
    patterns: dict[str, str] | None = None,
) -> str:
    """Columns per day, stacked by series. ``series``: (key, label, colour) in stack order;
    ``patterns``: a ``PATTERNS`` name by series key (default solid)."""
    left, right, bottom, plot_h = 56, 16, 40, 186
    days = _days(since, until)
    totals = [sum(values.get((d, key), 0) for key, _label, _colour in series) for d in days]
    if not any(totals):
        return _empty(260, title, _("No {unit} in this period").format(unit=unit))
    y_top, step = nice_scale(max(totals))
    defs, fills = _fills(title, series, patterns)
    legend, top = _legend([(label, fills[key]) for key, label, _colour in series], left, WIDTH)
    height = top + plot_h + bottom
    plot_w = WIDTH - left - right
    slot = plot_w / len(days)
    bar_w = max(1.0, min(40.0, slot * 0.7))
    parts = _svg_open(height, title) + defs + legend
    parts += _y_axis(left, top, plot_w, plot_h, y_top, step)
    every = _day_ticks(days)
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        y = float(top + plot_h)
        for key, label, _colour in series:
            value = values.get((d, key), 0)
            if not value:
                continue
            h = plot_h * value / y_top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{fills[key]}"><title>{d} · {escape(label)}: {value:,} {unit}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 16}" '
                f'text-anchor="middle" font-size="10" fill="{INK}">{d.strftime("%m-%d")}</text>'
            )
    parts.append(
        f'<text x="{left}" y="{height - 6}" font-size="10" fill="{AXIS}">'
        f"{escape(unit)} per event_date, {since} to {until}</text>"
    )
    return "\n".join([*parts, "</svg>"])


def _y_axis(
    left: int, top: int, plot_w: float, plot_h: float, y_top: float, step: float
) -> list[str]:
    parts = []
    ticks = int(round(y_top / step))
    for i in range(ticks + 1):
        value = step * i
        y = top + plot_h - plot_h * value / y_top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID if i else AXIS}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{_label(value)}</text>'
        )
    return parts


def stacked_bars(
    title: str,
    rows: list[tuple[str, dict[str, int]]],
    series: list[tuple[str, str, str]],
    unit: str,
    width: int = WIDTH,
    patterns: dict[str, str] | None = None,
) -> str:
    """One horizontal bar per row (e.g. provider), stacked by series, total at the end;
    ``patterns`` as for ``stacked_columns``."""
    bar_h, gap, left, right = 22, 10, 130, 50
    if not rows or not any(sum(r.values()) for _, r in rows):
        return _empty(140, title, _("No {unit} in this period").format(unit=unit), width)
    defs, fills = _fills(title, series, patterns)
    legend, top = _legend([(label, fills[key]) for key, label, _colour in series], 8, width)
    height = top + len(rows) * (bar_h + gap) + 28
    x_top, step = nice_scale(max(sum(r.values()) for _, r in rows))
    plot_w = width - left - right
    parts = _svg_open(height, title, width) + defs + legend
    ticks = int(round(x_top / step))
    axis_y = top + len(rows) * (bar_h + gap)
    for i in range(ticks + 1):
        x = left + plot_w * (step * i) / x_top
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}" '
            f'stroke="{GRID if i else AXIS}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="10" '
            f'fill="{INK}">{_label(step * i)}</text>'
        )
    for n, (name, counts) in enumerate(rows):
        y = top + n * (bar_h + gap)
        shown = fit(name, left - 12)
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{INK}"><title>{escape(name)}</title>{escape(shown)}</text>'
        )
        x = float(left)
        for key, label, _colour in series:
            value = counts.get(key, 0)
            if not value:
                continue
            w = plot_w * value / x_top
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{fills[key]}">'
                f"<title>{escape(name)} · {escape(label)}: {value:,} {unit}</title></rect>"
            )
            x += w
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + bar_h / 2 + 4:.1f}" font-size="11" fill="{INK}" '
            f'font-weight="600">{sum(counts.values()):,}</text>'
        )
    return "\n".join([*parts, "</svg>"])


def columns_with_cumulative(
    title: str,
    since: dt.date,
    until: dt.date,
    daily: dict[dt.date, int],
    unit: str,
    colour: str,
    width: int = WIDTH,
) -> str:
    """Daily values as columns, with the running total as a line on its own (right) axis."""
    left, right, bottom, plot_h = 56, 64, 40, 226
    days = _days(since, until)
    values = [daily.get(d, 0) for d in days]
    if not any(values):
        return _empty(300, title, _("No {unit} in this period").format(unit=unit), width)
    legend, top = _legend(
        [
            (_("{unit} per day").format(unit=unit), colour),
            (_("{unit}, running total").format(unit=unit), INK),
        ],
        left,
        width,
    )
    height = top + plot_h + bottom
    running, total = [], 0
    for v in values:
        total += v
        running.append(total)
    y_top, step = nice_scale(max(values))
    c_top, c_step = nice_scale(total)
    plot_w = width - left - right
    slot = plot_w / len(days)
    bar_w = max(1.0, min(40.0, slot * 0.7))
    base = top + plot_h

    def x_at(i: int) -> float:
        return left + i * slot + slot / 2

    parts = _svg_open(height, title, width) + legend
    parts += _y_axis(left, top, plot_w, plot_h, y_top, step)
    for i, (d, v) in enumerate(zip(days, values, strict=True)):
        if not v:
            continue
        h = plot_h * v / y_top
        parts.append(
            f'<rect x="{x_at(i) - bar_w / 2:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{colour}" fill-opacity="0.8">'
            "<title>"
            + escape(
                _("{day}: {value} {unit} (running total {total})").format(
                    day=d, value=f"{v:,}", unit=unit, total=f"{running[i]:,}"
                )
            )
            + "</title></rect>"
        )
    line = " ".join(
        f"{'M' if i == 0 else 'L'}{x_at(i):.1f},{base - plot_h * r / c_top:.1f}"
        for i, r in enumerate(running)
    )
    parts.append(
        f'<path d="{line}" fill="none" stroke="{INK}" stroke-width="2" stroke-dasharray="5 3"/>'
    )
    for i, r in enumerate(running):
        parts.append(
            f'<circle cx="{x_at(i):.1f}" cy="{base - plot_h * r / c_top:.1f}" r="2.5" '
            f'fill="{INK}"><title>'
            + escape(
                _("{day}: {total} {unit} so far").format(day=days[i], total=f"{r:,}", unit=unit)
            )
            + "</title></circle>"
        )
    for i in range(int(round(c_top / c_step)) + 1):
        value = c_step * i
        y = base - plot_h * value / c_top
        parts.append(
            f'<text x="{left + plot_w + 6:.1f}" y="{y + 4:.1f}" font-size="10" fill="{INK}">'
            f"{_label(value)}</text>"
        )
    every = _day_ticks(days)
    for i, d in enumerate(days):
        if i % every == 0:
            parts.append(
                f'<text x="{x_at(i):.1f}" y="{base + 16}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{d.strftime("%m-%d")}</text>'
            )
    parts.append(
        f'<text x="{left}" y="{height - 6}" font-size="10" fill="{AXIS}">'
        + escape(
            _("per day (left axis), running total (right axis): {total} in all").format(
                total=f"{total:,}"
            )
        )
        + "</text>"
    )
    return "\n".join([*parts, "</svg>"])


def daily_rate(
    title: str,
    since: dt.date,
    until: dt.date,
    rates: dict[dt.date, tuple[float, int]],
    colour: str,
    width: int = WIDTH,
) -> str:
    """A share (0 to 1) per day as a line with points on a 0-100% axis; ``rates`` maps a day to
    (share, posts it was computed from). Days without a value break the line."""
    height, left, right, bottom = 240, 56, 16, 40
    days = _days(since, until)
    if not rates:
        return _empty(height, title, _("No judged posts in this period"), width)
    legend, top = _legend([(_("share of posts by verified accounts"), colour)], left, width)
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(days)
    base = top + plot_h

    def point(i: int, share: float) -> tuple[float, float]:
        return left + i * slot + slot / 2, base - plot_h * share

    parts = _svg_open(height, title, width) + legend
    for pct in (0, 25, 50, 75, 100):
        y = base - plot_h * pct / 100
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID if pct else AXIS}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{pct}%</text>'
        )
    path, pen_down = [], False
    for i, d in enumerate(days):
        if d not in rates:
            pen_down = False
            continue
        x, y = point(i, rates[d][0])
        path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    every = _day_ticks(days)
    for i, d in enumerate(days):
        if d in rates:
            share, posts = rates[d]
            x, y = point(i, share)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                "<title>"
                + escape(
                    _("{day}: {share} of {posts} posts").format(
                        day=d, share=percent(share), posts=f"{posts:,}"
                    )
                )
                + "</title></circle>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{base + 16}" '
                f'text-anchor="middle" font-size="10" fill="{INK}">{d.strftime("%m-%d")}</text>'
            )
    footer = _("per event_date, {since} to {until}; posts by unknown accounts left out").format(
        since=since, until=until
    )
    parts.append(
        f'<text x="{left}" y="{height - 6}" font-size="10" fill="{AXIS}">{escape(footer)}</text>'
    )
    return "\n".join([*parts, "</svg>"])
