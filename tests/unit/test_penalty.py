"""Penalty exposure: the fine range around RMB 50,000, rates, serious cases, the caveat."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditpipe.config import Config
from auditpipe.errors import ConfigError
from auditpipe.lake.views import create_views
from auditpipe.penalty import (
    CAVEAT,
    DEFAULT_RATES_CNY,
    PenaltySettings,
    assess_provider,
    compute_exposure,
    total_exposure,
)
from tests.support.detect_lakes import DAY, at, detect_events, event

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}
DEFAULTS = PenaltySettings()


def assess(proceeds: str, **kw: object) -> object:
    args: dict[str, object] = {
        "finding_count": 1,
        "records_affected": 1,
        "proceeds_cny": Decimal(proceeds),
        "unconverted": {},
        "credential_selling": False,
        "settings": DEFAULTS,
    }
    args.update(kw)
    return assess_provider("p1", **args)  # type: ignore[arg-type]


def test_exactly_50000_gets_the_multiple_not_the_fixed_range() -> None:
    """The draft's 5万元以上 includes 50,000 itself; its fixed range is for 不足5万元."""
    e = assess("50000")
    assert (e.fine_min_cny, e.fine_max_cny) == (Decimal("150000.00"), Decimal("250000.00"))
    assert "exactly CNY 50,000.00 reach" in e.fine_basis


def test_one_fen_below_50000_gets_the_fixed_range() -> None:
    e = assess("49999.99")
    assert (e.fine_min_cny, e.fine_max_cny) == (Decimal("100000"), Decimal("150000"))
    assert "are below CNY 50,000.00" in e.fine_basis


def test_one_fen_above_50000_gets_three_to_five_times() -> None:
    e = assess("50000.01")
    assert (e.fine_min_cny, e.fine_max_cny) == (Decimal("150000.03"), Decimal("250000.05"))
    assert "exceed CNY 50,000.00" in e.fine_basis


def test_below_50000_and_no_proceeds_get_the_fixed_range() -> None:
    for proceeds in ("49999.99", "0"):
        e = assess(proceeds)
        assert (e.fine_min_cny, e.fine_max_cny) == (Decimal("100000"), Decimal("150000"))
    assert assess("0").fine_basis.startswith("No illegal proceeds were found")


def test_confiscation_equals_the_proceeds() -> None:
    e = assess("1234.5")
    assert e.confiscation_cny == e.illegal_proceeds_cny == Decimal("1234.50")
    assert "Confiscation of illegal proceeds: CNY 1,234.50." in e.consequences


def test_unconverted_amounts_are_reported_and_flagged_in_the_basis() -> None:
    e = assess("100", unconverted={"XAU": Decimal("2.5")})
    assert e.unconverted_amounts == {"XAU": Decimal("2.5")}
    assert "2.50 XAU have no CNY rate" in e.fine_basis
    assert "may be understated" in e.fine_basis


def test_proceeds_only_in_a_currency_without_a_rate_are_not_called_none() -> None:
    e = assess("0", unconverted={"KRW": Decimal("100")})
    assert (e.fine_min_cny, e.fine_max_cny) == (Decimal("100000"), Decimal("150000"))
    assert not e.fine_basis.startswith("No illegal proceeds were found")
    assert "No illegal proceeds in a currency with a CNY rate were found" in e.fine_basis
    assert "100.00 KRW have no CNY rate" in e.fine_basis


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"records_affected": 5000}, "5,000 records affected"),
        ({"proceeds_cny": Decimal("50000")}, "illegal proceeds of CNY 50,000.00"),
        ({"credential_selling": True}, "login credentials were sold"),
    ],
    ids=["records", "proceeds", "credential_selling"],
)
def test_each_serious_criterion_alone_makes_a_serious_case(kw: dict, reason: str) -> None:
    e = assess("0", **kw)
    assert e.serious
    assert any(reason in r for r in e.serious_reasons)
    assert any("revocation of the licence" in c for c in e.consequences)


def test_just_under_every_criterion_is_not_serious() -> None:
    e = assess("49999.99", records_affected=4999)
    assert not e.serious and e.serious_reasons == []
    assert not any("revocation" in c for c in e.consequences)


def test_serious_criteria_are_configurable() -> None:
    config = Config(
        {
            "penalty": {
                "serious_records_affected": 100,
                "serious_proceeds_cny": 0,
                "serious_on_credential_selling": False,
            }
        }
    )
    settings = PenaltySettings.from_config(config)
    assert assess("0", records_affected=100, settings=settings).serious
    assert not assess("900000", credential_selling=True, settings=settings).serious


def test_rates_come_from_the_config_over_the_defaults() -> None:
    settings = PenaltySettings.from_config(
        Config({"penalty": {"rates": {"usd": 7.1, "KRW": "0.0052"}}})
    )
    assert settings.rates["USD"] == Decimal("7.1")
    assert settings.rates["KRW"] == Decimal("0.0052")
    assert settings.rates["EUR"] == DEFAULT_RATES_CNY["EUR"]


@pytest.mark.parametrize(
    ("penalty", "message"),
    [
        ({"rates": {"USD": -1}}, "must be above 0"),
        ({"rates": {"DOLLAR": 7}}, "not an ISO 4217"),
        ({"rates": {"CNY": 2}}, "CNY must be 1"),
        ({"rates": {"USD": "seven"}}, "should be a number"),
        ({"fine_treshold_cny": 1}, "unknown key"),
        ({"fine_multiple_min": 6}, "larger than fine_multiple_max"),
    ],
    ids=["negative", "bad_code", "cny", "not_number", "typo", "min_max"],
)
def test_bad_penalty_settings_are_clear_errors(penalty: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PenaltySettings.from_config(Config({"penalty": penalty}))


def test_to_dict_is_json_ready_and_carries_the_caveat() -> None:
    doc = json.loads(json.dumps(assess("60000", unconverted={"XAU": Decimal("1")}).to_dict()))
    assert doc["caveat"] == CAVEAT == "This is an estimate for review, not a legal determination."
    assert doc["illegal_proceeds_cny"] == "60000.00"
    assert doc["fine_min_cny"] == "180000.00"
    assert doc["unconverted_amounts"] == {"XAU": "1"}


def exposure_of(lake_root: Path, **kw: object) -> list:
    con = duckdb.connect()
    create_views(con, lake_root)
    return compute_exposure(con, PenaltySettings(), **kw)  # type: ignore[arg-type]


def test_exposure_from_a_lake_counts_selling_proceeds_and_records_once(tmp_path: Path) -> None:
    events = [
        event(event_id="s1", **SALE, amount=30_000, record_count=10),
        event(event_id="s2", **SALE, amount=100, currency="USD", record_count=5),
        # an unauthorized credential read fires two rules: its 700 records count once
        event(
            event_id="c1",
            data_fields=["password"],
            authorization_ref=None,
            purpose=None,
            record_count=700,
        ),
        # disclosure has no proceeds
        event(event_id="d1", **SALE, authorization_ref=None, record_count=3),
        event(event_id="q1", **SALE, provider_id="p2", amount=50_000),
    ]
    result, _ = detect_events(tmp_path, events)
    by_provider = {e.provider_id: e for e in exposure_of(tmp_path / "lake")}
    p1 = by_provider["p1"]
    assert p1.finding_count == 4  # selling, disclosure, credential, unauthorized
    assert p1.records_affected == 10 + 5 + 700 + 3
    assert p1.illegal_proceeds_cny == Decimal("30720.00")  # 30,000 + 100 x 7.2
    assert not p1.serious  # 718 records, CNY 30,720.00, no credential sold
    assert by_provider["p2"].fine_min_cny == Decimal("150000.00")  # exactly 50,000: 3x
    assert [e.provider_id for e in result.exposure] == ["p1", "p2"]


def test_exposure_respects_provider_and_period(tmp_path: Path) -> None:
    day2 = DAY + dt.timedelta(days=1)
    events = [
        event(**SALE, amount=10),
        event(**SALE, amount=20, event_time=at(day2)),
        event(**SALE, amount=40, provider_id="p2"),
    ]
    detect_events(tmp_path, events)
    lake = tmp_path / "lake"
    (only_day2,) = exposure_of(lake, since=day2)
    assert only_day2.illegal_proceeds_cny == Decimal("20.00")
    (only_p2,) = exposure_of(lake, provider="p2")
    assert only_p2.provider_id == "p2" and only_p2.illegal_proceeds_cny == Decimal("40.00")
    (first_day,) = exposure_of(lake, until=DAY, provider="p1")
    assert first_day.illegal_proceeds_cny == Decimal("10.00")
    assert exposure_of(lake, dates=[DAY + dt.timedelta(days=9)]) == []
    assert exposure_of(lake, dates=[]) == []


def test_credential_selling_in_a_lake_is_a_serious_case(tmp_path: Path) -> None:
    detect_events(tmp_path, [event(**SALE, amount=1, data_fields=["session_token"])])
    (exposure,) = exposure_of(tmp_path / "lake")
    assert exposure.serious and exposure.serious_reasons == ["login credentials were sold"]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.decimals(0, 10**9, places=2),
            st.dictionaries(st.sampled_from(["XYZ", "ABC"]), st.decimals(1, 10**6, places=2)),
        ),
        max_size=6,
    )
)
def test_total_exposure_is_the_sum_of_the_providers(
    rows: list[tuple[int, Decimal, dict[str, Decimal]]],
) -> None:
    exposures = [
        assess(str(proceeds), records_affected=records, unconverted=unconverted)
        for records, proceeds, unconverted in rows
    ]
    total = total_exposure(exposures)  # type: ignore[arg-type]
    assert total.providers == len(rows)
    assert total.records_affected == sum(r for r, _, _ in rows)
    assert total.illegal_proceeds_cny == sum((p for _, p, _ in rows), Decimal(0))
    assert total.fine_min_cny == sum((e.fine_min_cny for e in exposures), Decimal(0))  # type: ignore[attr-defined]
    assert total.fine_max_cny == sum((e.fine_max_cny for e in exposures), Decimal(0))  # type: ignore[attr-defined]
    assert total.fine_min_cny <= total.fine_max_cny
    for code in {c for _, _, u in rows for c in u}:
        assert total.unconverted_amounts[code] == sum(u.get(code, Decimal(0)) for _, _, u in rows)
    doc = total.to_dict()
    assert doc["fine_max_cny"] == str(total.fine_max_cny)


def test_a_provider_without_a_fine_range_adds_no_fine_to_the_total() -> None:
    """Only real-name findings: no fine range. The total's range sums the fined providers only,
    and is None when providers are there but none is fined (never an invented 0.00)."""
    rectify_only = assess("0", real_name_findings=1)
    fined = assess("60000", finding_count=2, real_name_findings=1)
    assert rectify_only.fine_min_cny is None  # type: ignore[attr-defined]
    total = total_exposure([rectify_only, fined])  # type: ignore[list-item]
    assert (total.providers, total.finding_count) == (2, 3)
    assert total.fine_min_cny == fined.fine_min_cny  # type: ignore[attr-defined]
    assert total.fine_max_cny == fined.fine_max_cny  # type: ignore[attr-defined]
    alone = total_exposure([rectify_only])  # type: ignore[list-item]
    assert (alone.fine_min_cny, alone.fine_max_cny) == (None, None)
    assert alone.to_dict()["fine_min_cny"] is None
