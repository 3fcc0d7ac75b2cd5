"""An amount in a currency without a CNY rate is written the same way everywhere it appears (a
finding's summary, detect's exposure, the report's tables and lines), and exactly: two
decimals unless more are needed (``penalty.amount_text``). It is never rounded, so 0.0049 XAU
never reads "0.00 XAU" (no payment) and 299,999,999,999,999.9997 never reads 300,000,...."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditpipe.config import Config
from auditpipe.lake import Lake
from auditpipe.penalty import amount_text
from auditpipe.report import build_report, render_report
from tests.support.cli import run_main
from tests.support.detect_lakes import detect_events, event

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}
_runs = itertools.count()
# what the lake keeps: at least 0.0001 and at most 99,999,999,999,999.9999, 4 decimals
AMOUNTS = st.one_of(
    st.integers(min_value=1, max_value=10**18 - 1),
    st.integers(min_value=1, max_value=99_999),
    st.integers(min_value=1, max_value=10**14 - 1).map(lambda n: n * 10_000),
).map(lambda n: Decimal(n).scaleb(-4))


def test_amount_text_is_exact() -> None:
    assert amount_text(Decimal("0.0049")) == "0.0049"
    assert amount_text(Decimal("100.0000")) == "100.00"
    assert amount_text(Decimal("299999999999999.9997")) == "299,999,999,999,999.9997"


@example(amounts=[Decimal("0.0049"), Decimal("99999999999999.9999"), Decimal("100")])
@settings(
    max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amounts=st.lists(AMOUNTS, min_size=1, max_size=4))
def test_unconverted_amounts_read_exactly_in_every_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], amounts: list[Decimal]
) -> None:
    events = [
        event(**SALE, provider_id=f"p{i}", amount=amount, currency="XAU")
        for i, amount in enumerate(amounts)
    ]
    root = tmp_path / str(next(_runs))
    result, findings = detect_events(root, events)
    by_provider = {f["provider_id"]: f for f in findings}
    report = build_report(Lake.open(root / "lake"), config=Config())
    texts = {fmt: render_report(report, fmt, width=200) for fmt in ("terminal", "markdown", "html")}
    for i, amount in enumerate(amounts):
        written = f"{amount_text(amount)} XAU"
        assert Decimal(amount_text(amount).replace(",", "")) == amount
        assert written in by_provider[f"p{i}"]["summary"]
        exposure = next(e for e in result.exposure if e.provider_id == f"p{i}")
        assert written in exposure.fine_basis
        for fmt, text in texts.items():
            assert written in text, fmt
    # findings show: the finding's line and its evidence event's amount
    written = f"{amount_text(amounts[0])} XAU"
    code, out, _err = run_main(
        ["findings", "show", by_provider["p0"]["finding_id"], "--lake", str(root / "lake")], capsys
    )
    assert code == 0 and out.count(written) >= 2, out
