"""A finding's totals at the limits of their columns.

The contract stores an event's record_count up to 9,223,372,036,854,775,807 (BIGINT) and its
amount up to 99,999,999,999,999.9999 (DECIMAL(18,4)). A finding adds up several events, so
its record_count, proceeds_cny (DECIMAL(18,2)) and unconverted amounts (DECIMAL(18,4)) can pass
what their columns hold: detect then stores the column's largest value (the total is at least
that), rather than stopping with an internal error and leaving the lake without findings.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from auditpipe.detect import DetectSettings, run_detect
from tests.support.cli import run_main
from tests.support.detect_lakes import event, make_lake, read_findings, write_events

BIGINT_MAX = 2**63 - 1
AMOUNT_MAX = Decimal("99999999999999.9999")
PROCEEDS_MAX = Decimal("9999999999999999.99")
BROKER = "acme data brokers"


def _sale(event_id: str, records: int, amount: Decimal, currency: str) -> dict[str, object]:
    return event(
        event_id=event_id,
        action="export",
        data_fields=["id_number"],
        record_count=records,
        amount=amount,
        currency=currency,
        destination_type="external",
        destination_party=BROKER,
        authorization_ref=None,
        purpose=None,
    )


@pytest.mark.parametrize(
    ("records", "amount", "sales"),
    [
        (BIGINT_MAX, AMOUNT_MAX, 3),  # every total past its column
        # just under the limits: kept exactly
        ((BIGINT_MAX - 2) // 2, Decimal("49999999999999.9999"), 2),
    ],
)
def test_totals_past_their_column_are_stored_at_its_largest_value(
    tmp_path: Path, records: int, amount: Decimal, sales: int
) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(
        lake,
        [_sale(f"c{i}", records, amount, "CNY") for i in range(sales)]
        + [_sale(f"x{i}", 1, amount, "XTS") for i in range(sales)],  # no rate: unconverted
    )
    watchlist = tmp_path / "brokers.txt"
    watchlist.write_text(BROKER + "\n", encoding="utf-8")
    run_detect(lake, DetectSettings(broker_watchlist=watchlist))
    selling = [f for f in read_findings(lake) if f["rule_id"] == "selling"]
    assert len(selling) == 1
    finding = selling[0]
    assert finding["record_count"] == min(records * sales + sales, BIGINT_MAX)
    assert finding["proceeds_cny"] == min((amount * sales).quantize(Decimal("0.01")), PROCEEDS_MAX)
    assert finding["unconverted_amounts"] == [
        {"currency": "XTS", "amount": min(amount * sales, AMOUNT_MAX)}
    ]
    assert finding["evidence_record_counts"].count(records) == sales


def test_the_command_reports_such_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [_sale(f"c{i}", BIGINT_MAX, AMOUNT_MAX, "CNY") for i in range(3)])
    watchlist = tmp_path / "brokers.txt"
    watchlist.write_text(BROKER + "\n", encoding="utf-8")
    args = ["detect", "--lake", str(lake.root), "--broker-watchlist", str(watchlist)]
    code, out, err = run_main([*args, "--fail-on", "none"], capsys)
    assert code == 0, err
    assert "internal error" not in err
    code, out, err = run_main(["report", "--lake", str(lake.root), "--format", "json"], capsys)
    assert code in (0, 1), err
    assert "internal error" not in err
