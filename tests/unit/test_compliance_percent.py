"""A compliance rate is shown to one decimal, and a rounded rate never claims what the posts do
not: with one unverified post among 10,000 it is not "100.0%" (all verified), with one verified
post among 10,000 it is not "0.0%" (none). The tables and the HTML chart's points say the same."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from auditpipe.report.render.common import percent
from auditpipe.report.render.svg_charts import daily_rate

SHOWN = re.compile(r"^([<>]?)(\d+\.\d)%$")


@given(verified=st.integers(0, 10**7), unverified=st.integers(0, 10**7))
def test_a_shown_rate_is_within_a_tenth_and_never_all_or_none_unless_it_is(
    verified: int, unverified: int
) -> None:
    if verified + unverified == 0:
        assert percent(None) == "-"
        return
    rate = verified / (verified + unverified)
    text = percent(rate)
    match = SHOWN.match(text)
    assert match, text
    sign, shown = match.group(1), Fraction(match.group(2)) / 100
    exact = Fraction(verified, verified + unverified)
    assert abs(shown - exact) <= Fraction(1, 1000) + Fraction(1, 10**9)
    assert (text == "100.0%") == (unverified == 0)
    assert (text == "0.0%") == (verified == 0)
    if sign == ">":
        assert text == ">99.9%" and Fraction(999, 1000) < exact < 1
    if sign == "<":
        assert text == "<0.1%" and 0 < exact < Fraction(1, 1000)


def test_examples() -> None:
    assert percent(9999 / 10000) == ">99.9%"
    assert percent(1 / 10000) == "<0.1%"
    assert percent(0.968421052631579) == "96.8%"
    assert percent(0.9995) == ">99.9%"
    assert percent(1.0) == "100.0%"
    assert percent(0.0) == "0.0%"


def test_the_chart_point_says_what_the_table_says() -> None:
    day = dt.date(2026, 3, 1)
    svg = daily_rate("rate", day, day, {day: (9999 / 10000, 10000)}, "#000000")
    assert "&gt;99.9%" in svg and "100.0%" not in svg.split("<title>", 1)[1]
