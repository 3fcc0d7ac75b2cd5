"""Language changes words, never numbers: the penalty assessment and the report's number
formats give the same figures in English and Chinese for any amounts and counts."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from auditpipe.i18n import using_language
from auditpipe.penalty import PenaltySettings, assess_provider, money
from auditpipe.report.render.common import count

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
amounts = st.decimals(min_value=0, max_value=Decimal("1e9"), places=2)
currencies = st.dictionaries(
    st.sampled_from(["USD", "EUR", "XYZ"]), st.decimals(min_value=1, max_value=10**6, places=2)
)


def _numbers(texts: list[str]) -> Counter[str]:
    return Counter(n.replace(",", "") for t in texts for n in NUMBER.findall(t))


@given(amounts)
def test_money_has_the_same_digits_in_both_languages(amount: Decimal) -> None:
    en = money(amount)
    with using_language("zh-CN"):
        zh = money(amount)
    assert en.startswith("CNY ") and zh.startswith("¥")
    assert en.removeprefix("CNY ") == zh.removeprefix("¥")


@given(st.integers(min_value=0, max_value=10**12))
def test_counts_are_grouped_the_same_way(n: int) -> None:
    with using_language("zh-CN"):
        assert count(n) == f"{n:,}"


@given(
    proceeds=amounts,
    records=st.integers(min_value=0, max_value=10**7),
    findings=st.integers(min_value=1, max_value=10**5),
    unconverted=currencies,
    credential=st.booleans(),
)
def test_penalty_assessment_is_the_same_in_both_languages(
    proceeds: Decimal, records: int, findings: int, unconverted: dict, credential: bool
) -> None:
    def assess():  # type: ignore[no-untyped-def]
        return assess_provider(
            "p",
            finding_count=findings,
            records_affected=records,
            proceeds_cny=proceeds,
            unconverted=unconverted,
            credential_selling=credential,
            settings=PenaltySettings(),
        )

    en = assess()
    with using_language("zh-CN"):
        zh = assess()
    prose = ("fine_basis", "serious_reasons", "consequences", "caveat")
    for field in en.to_dict():
        if field not in prose:
            assert getattr(en, field) == getattr(zh, field), field

    def texts(e):  # type: ignore[no-untyped-def]
        return [e.fine_basis, *e.serious_reasons, *e.consequences]

    assert _numbers(texts(en)) == _numbers(texts(zh))
    assert zh.consequences[0] == "责令改正。"
