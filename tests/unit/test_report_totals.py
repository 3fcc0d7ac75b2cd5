"""Report totals when one event stands behind several findings.

The fixture is small enough to count by hand, and the expected numbers below are counted
from it, not from the report code:

- X (day 1, emp-1): reads 1,200 users' password hashes with a ticket and a purpose. Fires
  illegal_use_credential and, being over the bulk threshold of 1,000, illegal_use_bulk: one
  event behind two findings.
- Z (day 1, emp-1): reads one user's phone number, authorised. Fires nothing alone, but is
  evidence of emp-1's bulk finding for that day (the bulk rule lists every event of it).
- Y (day 2, emp-2): sells 10 records to a broker for CNY 60,000: selling.

An event counts once in any total that covers it (events, records, proceeds), however many
findings it stands behind; a group (category, severity, day, actor) counts each of its
events once too.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from auditpipe.config import Config
from auditpipe.report import build_report, render_report
from tests.support.report_lakes import base_event, build_lake

X = base_event(
    event_id="x",
    actor_id="emp-1",
    data_fields=["password_hash"],
    record_count=1200,
)
Z = base_event(event_id="z", actor_id="emp-1", data_fields=["phone"], record_count=1)
Y = base_event(
    event_id="y",
    actor_id="emp-2",
    action="transfer",
    destination_type="external",
    destination_party="Broker",
    amount="60000",
    data_fields=["mobile_number"],
    record_count=10,
    event_time="2026-03-02T10:00:00+08:00",
)


EVIDENCE = {"illegal_use_credential": {"x"}, "illegal_use_bulk": {"x", "z"}, "selling": {"y"}}
RECORDS = {"x": 1200, "z": 1, "y": 10}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lake = build_lake(tmp_path_factory.mktemp("totals"), [X, Z, Y], rules=None)
    return dict(json.loads(render_report(build_report(lake, config=Config()), "json")))


def counts(row: dict[str, Any]) -> tuple[int, int, int]:
    return row["findings"], row["events"], row["records"]


def test_the_fixture_has_one_event_behind_two_findings(report: dict[str, Any]) -> None:
    evidence = {
        f["rule_id"]: (set(f["evidence_sample"]), f["event_count"], f["record_count"])
        for f in report["findings"]
    }
    assert evidence == {
        rule: (events, len(events), sum(RECORDS[e] for e in events))
        for rule, events in EVIDENCE.items()
    }


def test_totals_count_each_event_once(report: dict[str, Any]) -> None:
    totals = report["totals"]
    assert counts(totals) == (3, 3, 1211)
    assert Decimal(totals["proceeds_cny"]) == Decimal("60000")
    assert totals["providers_with_findings"] == 1


def test_each_group_counts_its_events_once(report: dict[str, Any]) -> None:
    by = {
        name: {row["key"]: counts(row) for row in report[name]}
        for name in ("by_category", "by_severity", "by_provider")
    }
    assert by["by_category"] == {"illegal_use": (2, 2, 1201), "selling": (1, 1, 10)}
    # Severities are detect's to weigh (bulk credential reading may be raised to high), so
    # the expected severity groups are counted from each finding's severity and evidence.
    by_severity: dict[str, tuple[int, set[str]]] = {}
    for finding in report["findings"]:
        n, events = by_severity.get(finding["severity"], (0, set()))
        by_severity[finding["severity"]] = (n + 1, events | EVIDENCE[finding["rule_id"]])
    assert by["by_severity"] == {
        severity: (n, len(events), sum(RECORDS[e] for e in events))
        for severity, (n, events) in by_severity.items()
    }
    assert by["by_provider"] == {"forum-a": (3, 3, 1211)}
    days = {row["event_date"]: counts(row) for row in report["day_totals"]}
    assert days == {"2026-03-01": (2, 2, 1201), "2026-03-02": (1, 1, 10)}
    per_day = {(r["event_date"], r["category"]): counts(r) for r in report["per_day"]}
    assert per_day == {
        ("2026-03-01", "illegal_use"): (2, 2, 1201),
        ("2026-03-02", "selling"): (1, 1, 10),
    }
    actors = {row["actor_id"]: counts(row) for row in report["top_actors"]}
    assert actors == {"emp-1": (2, 2, 1201), "emp-2": (1, 1, 10)}


def test_exposure_counts_the_shared_event_once(report: dict[str, Any]) -> None:
    (provider,) = report["exposure"]["providers"]
    assert provider["finding_count"] == 3
    assert provider["records_affected"] == 1211
    assert Decimal(provider["illegal_proceeds_cny"]) == Decimal("60000")
