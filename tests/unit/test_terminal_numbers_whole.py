"""The terminal report never splits a number across lines: a table column too narrow for an
amount used to fold it (``200,000,000,000,000.0`` on one line, ``0`` on the next), which reads
as two different numbers. Text columns (names) wrap instead."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.config import Config
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report
from tests.support.detect_lakes import detect_events, event

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}
NUMBER = re.compile(r"\d[\d,]*\.\d\d")


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amounts=st.lists(
        st.integers(min_value=1, max_value=10**18 - 1).map(lambda n: Decimal(n).scaleb(-4)),
        min_size=1,
        max_size=3,
    ),
    name=st.integers(min_value=1, max_value=60),
)
def test_every_amount_of_the_terminal_report_is_on_one_line(
    tmp_path_factory, amounts: list[Decimal], name: int
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("whole")
    events = [
        event(**SALE, provider_id=f"p{i}-" + "x" * name, subject_id=f"u{i}", amount=a)
        for i, a in enumerate(amounts)
    ]
    # a sale without a CNY rate makes the proceeds cells longer ("0.00 + 100.00 XAU")
    events.append(event(**SALE, provider_id="xau", amount=Decimal(100), currency="XAU"))
    _, findings = detect_events(root, events)
    report = build_report(Lake.open(root / "lake"), config=Config())
    text = render_report(report, "terminal", width=100)
    shown = set(NUMBER.findall(text))
    expected = {f"{e.illegal_proceeds_cny:,}" for e in report.exposure}
    expected |= {f"{e.fine_max_cny:,}" for e in report.exposure}
    expected.add(f"{report.exposure_total.fine_max_cny:,}")
    assert expected <= shown, expected - shown


def test_the_largest_amounts_stay_whole(tmp_path: Path) -> None:
    amount = Decimal("99999999999999.9999")
    events = [
        event(**SALE, provider_id="huge", subject_id=f"u{i}", amount=amount) for i in range(2)
    ]
    events += [event(**SALE, provider_id="xxx", amount=Decimal(100), currency="XAU")]
    events += [event(**SALE, provider_id=f"p{i}", amount=Decimal(50_000 + i)) for i in range(8)]
    detect_events(tmp_path, events)
    text = render_report(
        build_report(Lake.open(tmp_path / "lake"), config=Config()), "terminal", width=100
    )
    assert "200,000,000,000,000.00" in text
    assert "1,000,000,000,000,000.00" in text
