"""The report's SVG charts keep their text inside the drawing, whatever the labels: legends
wrap onto new rows (and the chart grows to make room), long names are cut with an ellipsis and
kept whole in a tooltip."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.report.render import svg_charts

DAY = dt.date(2026, 3, 1)
labels = st.lists(
    st.text(st.sampled_from("abcdefghij XYZ-_数据出售篡改泄露非法使用"), min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool),
    min_size=1,
    max_size=9,
    unique=True,
)


def legend_items(svg: str) -> list[tuple[float, float, str]]:
    """(x, baseline y, shown text) of each legend label (font-size 11 text with a title)."""
    found = re.findall(
        r'<text x="([\d.]+)" y="(\d+)" font-size="11" fill="[^"]+"><title>[^<]*</title>([^<]*)'
        r"</text>",
        svg,
    )
    return [(float(x), float(y), text) for x, y, text in found]


def view_box(svg: str) -> tuple[float, float]:
    w, h = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups()  # type: ignore[union-attr]
    return float(w), float(h)


@settings(max_examples=60, deadline=None)
@given(labels)
def test_legend_labels_stay_inside_the_chart(names: list[str]) -> None:
    series = [(f"k{i}", name, "#0072B2") for i, name in enumerate(names)]
    charts = [
        svg_charts.stacked_columns(
            "c", DAY, DAY, {(DAY, k): 1 for k, _, _ in series}, series, "findings"
        ),
        svg_charts.stacked_bars(
            "b", [("p", {k: 1 for k, _, _ in series})], series, "findings", width=480
        ),
    ]
    for svg in charts:
        width, height = view_box(svg)
        items = legend_items(svg)
        assert len(items) == len(names)
        for x, y, shown in items:
            assert x + svg_charts.text_width(shown) <= width + 1, shown
            assert y < height
        # the plot starts below the last legend row: every grid line is lower
        lines = [float(y) for y in re.findall(r'<line x1="[\d.]+" y1="([\d.]+)"', svg)]
        assert lines and min(lines) > max(y for _, y, _ in items)


def test_a_long_legend_wraps_and_the_chart_grows() -> None:
    series = [(f"k{i}", f"a rather long category name number {i}", "#000") for i in range(8)]
    values = {(DAY, k): 1 for k, _, _ in series}
    one_row = svg_charts.stacked_columns("c", DAY, DAY, values, series[:1], "findings")
    wrapped = svg_charts.stacked_columns("c", DAY, DAY, values, series, "findings")
    assert len({y for _, y, _ in legend_items(wrapped)}) > 1
    assert view_box(wrapped)[1] > view_box(one_row)[1] == 260


def test_long_provider_names_are_cut_and_kept_whole_in_the_tooltip() -> None:
    name = "某某省网络信息服务有限责任公司第二分公司数据中心运营部"
    svg = svg_charts.stacked_bars(
        "b", [(name, {"s": 3})], [("s", "Selling", "#D55E00")], "findings", width=480
    )
    label = re.search(r'text-anchor="end" font-size="11"[^>]*><title>([^<]*)</title>([^<]*)<', svg)
    assert label is not None
    assert label.group(1) == name and label.group(2).endswith("…")
    assert svg_charts.text_width(label.group(2)) <= 130 - 12
