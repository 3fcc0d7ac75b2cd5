"""The largest amounts the lake keeps add up in a finding, its provider's exposure and the report
exactly: no overflow, no float, no exponent. One event may hold up to 99,999,999,999,999.9999
(``amount`` DECIMAL(18,4)); a finding sums many, converted to CNY or kept per currency without a
rate, so a finding's money columns hold 38 digits."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from auditpipe.config import Config
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report
from tests.support.detect_lakes import detect_events, event

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}
MAX = Decimal("99999999999999.9999")


def _sales(provider: str, n: int, currency: str) -> list[dict]:
    return [
        event(**SALE, provider_id=provider, subject_id=f"u{i}", amount=MAX, currency=currency)
        for i in range(n)
    ]


def test_a_finding_of_the_largest_amounts_is_stored_exactly(tmp_path: Path) -> None:
    events = _sales("usd", 20, "USD") + _sales("xau", 3, "XAU")
    result, findings = detect_events(tmp_path, events)
    by_provider = {f["provider_id"]: f for f in findings}
    assert by_provider["usd"]["proceeds_cny"] == (20 * MAX * Decimal("7.2")).quantize(
        Decimal("0.01")
    )
    assert by_provider["xau"]["unconverted_amounts"] == [{"currency": "XAU", "amount": 3 * MAX}]
    exposure = {e.provider_id: e for e in result.exposure}
    proceeds = Decimal("14399999999999999.99")  # 20 x MAX x 7.2 = 14,399,999,999,999,999.9856
    assert exposure["usd"].illegal_proceeds_cny == proceeds
    assert (exposure["usd"].fine_min_cny, exposure["usd"].fine_max_cny) == (
        3 * proceeds,
        5 * proceeds,
    )
    assert exposure["xau"].unconverted_amounts == {"XAU": 3 * MAX}


def test_the_report_states_them_exactly_in_every_format(tmp_path: Path) -> None:
    detect_events(tmp_path, _sales("usd", 20, "USD"))
    report = build_report(Lake.open(tmp_path / "lake"), config=Config())
    doc = json.loads(render_report(report, "json"))
    (provider,) = doc["exposure"]["providers"]
    assert provider["illegal_proceeds_cny"] == "14399999999999999.99"
    assert provider["fine_max_cny"] == "71999999999999999.95"
    assert doc["exposure"]["total"]["fine_min_cny"] == "43199999999999999.97"
    for fmt in ("terminal", "markdown", "html"):
        text = render_report(report, fmt, width=100)
        assert "14,399,999,999,999,999.99" in text
        assert "71,999,999,999,999,999.95" in text
        assert "E+" not in text and "e+" not in text


def test_findings_written_before_the_columns_widened_read_with_the_new_ones(tmp_path: Path) -> None:
    detect_events(tmp_path, _sales("usd", 20, "USD") + _sales("cny", 2, "CNY"))
    lake = Lake.open(tmp_path / "lake")
    (old,) = (lake.root / "findings" / "provider_id=cny").glob("*/part-*.parquet")
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * REPLACE (
                proceeds_cny::DECIMAL(18, 2) AS proceeds_cny,
                unconverted_amounts::STRUCT(currency VARCHAR, amount DECIMAL(18, 4))[]
                    AS unconverted_amounts)
            FROM read_parquet('{old}')) TO '{old}' (FORMAT parquet)"""
    )
    assert "DECIMAL(18,2)" in str(
        con.execute(f"DESCRIBE SELECT proceeds_cny FROM '{old}'").fetchall()
    )
    doc = json.loads(render_report(build_report(lake, config=Config()), "json"))
    proceeds = {p["provider_id"]: p["illegal_proceeds_cny"] for p in doc["exposure"]["providers"]}
    assert proceeds == {"cny": "200000000000000.00", "usd": "14399999999999999.99"}
    # detect run again compares the old file's values with the same ones: nothing changed
    from auditpipe.detect import DetectSettings, run_detect

    again = run_detect(lake, DetectSettings())
    assert (again.unchanged, again.new, again.updated) == (2, 0, 0)


def test_a_finding_of_more_records_than_a_finding_holds_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # each record_count is one the lake keeps (BIGINT); their sum is not
    from tests.support.cli import run_main
    from tests.support.detect_lakes import make_lake, write_events

    lake = make_lake(tmp_path / "lake")
    big = 5_000_000_000_000_000_000
    write_events(
        lake,
        [
            event(action="update", authorization_ref=None, subject_id=f"u{i}", record_count=big)
            for i in range(2)
        ],
    )
    code, out, err = run_main(["detect", "--lake", str(lake.root)], capsys)
    assert code == 2
    assert "Traceback" not in err and "internal error" not in err
    assert "10,000,000,000,000,000,000 records" in err and "p1" in err and "2026-03-01" in err
    assert not list((lake.root / "findings").rglob("part-*.parquet"))
