"""The nightly summary's exposure table names the proceeds without a CNY rate, per provider and
in the total row, as detect and the report do: a provider paid only in such a currency never
reads as one with proceeds of 0."""

from __future__ import annotations

import datetime as dt

import pytest

from auditpipe.nightly.baseline import FindingChanges
from auditpipe.nightly.render import render_summary
from auditpipe.nightly.result import NightlyResult


def test_unconverted_proceeds_are_in_the_exposure_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    # a console made by an earlier test of this process keeps its width: a new one, put back after
    monkeypatch.setattr("auditpipe.console._console", None)
    result = NightlyResult(
        run_id="nightly-1",
        night=dt.date(2026, 3, 4),
        lake="lake",
        inbox="inbox",
        reports_dir="reports",
        fail_on="high",
        started_at="2026-03-04T00:00:00+00:00",
        files=[],
        days_evaluated=[dt.date(2026, 3, 3)],
        changes=FindingChanges(new_by_severity={}),
        exposure=[
            {
                "provider_id": "a",
                "finding_count": 1,
                "records_affected": 1,
                "illegal_proceeds_cny": "60000.00",
                "unconverted_amounts": {},
                "serious": True,
                "fine_min_cny": "180000.00",
                "fine_max_cny": "300000.00",
            },
            {
                "provider_id": "b",
                "finding_count": 1,
                "records_affected": 1,
                "illegal_proceeds_cny": "0.00",
                "unconverted_amounts": {"XAU": "0.0049"},
                "serious": False,
                "fine_min_cny": "100000.00",
                "fine_max_cny": "150000.00",
            },
        ],
        exposure_total={
            "providers": 2,
            "finding_count": 2,
            "records_affected": 2,
            "illegal_proceeds_cny": "60000.00",
            "unconverted_amounts": {"XAU": "0.0049"},
            "serious_providers": 1,
            "fine_min_cny": "280000.00",
            "fine_max_cny": "450000.00",
        },
    )
    result.decide_exit_code()
    render_summary(result)
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.lstrip("│ ").startswith(("b ", "all 2"))]
    assert len(rows) == 2, out
    for row in rows:
        assert "+ 0.0049 XAU" in row, row
