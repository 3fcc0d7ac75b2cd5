"""The charts' axis labels read as numbers at every scale a lake can reach (records are BIGINT):
never in scientific notation (``2e+06M``), and each label is its tick's value."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from auditpipe.report.render.svg_charts import _label, nice_scale

UNITS = {"M": Decimal(10**6), "k": Decimal(10**3), "": Decimal(1)}


def _value(label: str) -> Decimal:
    unit = label[-1] if label[-1] in "Mk" else ""
    return Decimal(label.rstrip("Mk").replace(",", "")) * UNITS[unit]


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_every_axis_label_is_its_tick_written_out(maximum: int) -> None:
    top, step = nice_scale(maximum)
    for i in range(int(round(top / step)) + 1):
        tick = step * i
        label = _label(tick)
        assert "e" not in label.lower(), label
        assert abs(_value(label) - Decimal(tick)) <= Decimal(tick) * Decimal("1e-9") + Decimal(
            "0.05"
        )


def test_examples() -> None:
    assert _label(4_000_000_000_000) == "4,000,000M"
    assert _label(2_500_000) == "2.5M"
    assert _label(50_000) == "50k"
    assert _label(1_000) == "1,000"


def test_a_quarter_step_keeps_its_digits() -> None:
    assert _label(1_250_000) == "1.25M"
    assert _label(12_500) == "12.5k"
    assert _label(0.5) == "0.5"
