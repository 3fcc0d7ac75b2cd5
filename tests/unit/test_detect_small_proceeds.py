"""A sale paid less than one fen (CNY 0.01) after conversion is still a paid sale: its finding
never says "no payment recorded", its provider's exposure never says "No illegal proceeds were
found", and its proceeds are never CNY 0.00 (docs/detect.md, "Penalty exposure")."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.detect_lakes import detect_events, event

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}
_runs = itertools.count()

# amounts of at most 4 decimals (the lake keeps 4) that are below one fen once converted
SUB_FEN = st.tuples(
    st.sampled_from([("CNY", 49), ("USD", 6), ("JPY", 104), ("HKD", 54)]),
    st.integers(min_value=1, max_value=10_000),
).map(lambda t: (t[0][0], Decimal(min(t[1], t[0][1])) / Decimal(10_000)))


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sales=st.lists(st.lists(SUB_FEN, min_size=1, max_size=3), min_size=1, max_size=6))
def test_a_payment_below_one_fen_is_never_reported_as_none(
    tmp_path: Path, sales: list[list[tuple[str, Decimal]]]
) -> None:
    # one provider per drawn sale (one finding each), all in one lake and one detect run
    events = [
        event(**SALE, provider_id=f"p{p}", subject_id=f"u{i}", amount=amount, currency=currency)
        for p, paid in enumerate(sales)
        for i, (currency, amount) in enumerate(paid)
    ]
    result, findings = detect_events(tmp_path / str(next(_runs)), events)
    assert len(findings) == len(result.exposure) == len(sales)
    for finding in findings:
        assert finding["proceeds_cny"] >= Decimal("0.01")
        assert "no payment recorded" not in finding["summary"]
    for exposure in result.exposure:
        assert exposure.illegal_proceeds_cny >= Decimal("0.01")
        assert "No illegal proceeds" not in exposure.fine_basis
        assert any("Confiscation" in c for c in exposure.consequences)


@pytest.mark.parametrize(
    ("amount", "currency", "proceeds"),
    [
        (Decimal("0.0049"), "CNY", Decimal("0.01")),  # below a fen: one fen, not nothing
        (Decimal("0.005"), "CNY", Decimal("0.01")),
        (Decimal("0.0149"), "CNY", Decimal("0.01")),  # from one fen on, rounded half up as before
        (Decimal("0.015"), "CNY", Decimal("0.02")),
        (Decimal("1234.5678"), "CNY", Decimal("1234.57")),
    ],
)
def test_proceeds_round_to_the_fen_and_only_a_payment_below_it_rounds_up(
    tmp_path: Path, amount: Decimal, currency: str, proceeds: Decimal
) -> None:
    _, (finding,) = detect_events(tmp_path, [event(**SALE, amount=amount, currency=currency)])
    assert finding["proceeds_cny"] == proceeds


def test_a_sale_without_payment_still_has_no_proceeds(tmp_path: Path) -> None:
    watchlist = tmp_path / "brokers.txt"
    watchlist.write_text("acme\n", encoding="utf-8")
    result, (finding,) = detect_events(
        tmp_path, [event(**SALE, amount=Decimal(0))], broker_watchlist=watchlist
    )
    assert finding["rule_id"] == "selling" and finding["proceeds_cny"] == 0
    assert "no payment recorded" in finding["summary"]
    assert "No illegal proceeds were found" in result.exposure[0].fine_basis
