"""Findings: their shape, ids, grouping, severity and summaries, and how re-runs behave."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.errors import LockError
from auditpipe.lake import Lake
from auditpipe.lake.schema import FINDING_FILE_COLUMNS
from tests.support.detect_lakes import (
    DAY,
    at,
    detect_events,
    event,
    finding_files,
    make_lake,
    read_findings,
    write_events,
)

DAY2 = DAY + dt.timedelta(days=1)
DAY3 = DAY + dt.timedelta(days=2)
SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}
UNAUTH = {"authorization_ref": None, "purpose": None}


def test_files_hold_exactly_the_finding_columns_in_hive_partitions(tmp_path: Path) -> None:
    detect_events(tmp_path, [event(**SALE, amount=10)])
    (path,) = (tmp_path / "lake" / "findings").glob("*/*/*.parquet")
    assert path.parent.name == "event_date=2026-03-01"
    assert path.parent.parent.name == "provider_id=p1"
    schema = pq.read_schema(path)
    assert schema.names == [name for name, _ in FINDING_FILE_COLUMNS]


def test_provider_ids_with_slashes_and_spaces_round_trip(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(**SALE, amount=5, provider_id="forum a/b=c%")])
    run_detect(lake, DetectSettings())
    (finding,) = read_findings(lake)
    assert finding["provider_id"] == "forum a/b=c%"
    files = finding_files(lake)
    assert run_detect(lake, DetectSettings()).unchanged == 1
    assert finding_files(lake) == files


def test_finding_id_is_the_documented_hash_of_the_five_keys(tmp_path: Path) -> None:
    _, (finding,) = detect_events(tmp_path, [event(**SALE, amount=10, actor_id="emp9")])
    keys = json.dumps(["selling", "p1", "emp9", "2026-03-01", "acme"], separators=(",", ":"))
    assert finding["finding_id"] == "f-" + hashlib.md5(keys.encode()).hexdigest()[:24]


def test_one_finding_per_rule_provider_actor_day_and_party(tmp_path: Path) -> None:
    events = [
        event(event_id="s1", **SALE, amount=10, event_time=at(hour=9)),
        event(event_id="s2", **SALE, amount=20, event_time=at(hour=10), subject_id="u2"),
        event(event_id="s3", **SALE | {"destination_party": "globex"}, amount=5),
        event(event_id="s4", **SALE, amount=5, event_time=at(DAY2)),
        event(event_id="s5", **SALE, amount=5, actor_id="emp2"),
    ]
    _, findings = detect_events(tmp_path, events)
    evidence = sorted(f["evidence_event_ids"] for f in findings)
    assert evidence == [["s1", "s2"], ["s3"], ["s4"], ["s5"]]
    (grouped,) = [f for f in findings if f["evidence_event_ids"] == ["s1", "s2"]]
    assert grouped["event_count"] == 2
    assert grouped["subject_count"] == 2
    assert grouped["proceeds_cny"] == Decimal("30.00")
    assert grouped["first_seen"] == at(hour=9)
    assert grouped["last_seen"] == at(hour=10)
    assert len({f["finding_id"] for f in findings}) == 4


def test_internal_findings_group_with_no_destination_party(tmp_path: Path) -> None:
    events = [event(event_id=f"v{i}", **UNAUTH) for i in range(3)]
    _, (finding,) = detect_events(tmp_path, events)
    assert finding["destination_party"] is None
    assert finding["evidence_event_ids"] == ["v0", "v1", "v2"]
    assert finding["evidence_record_counts"] == [1, 1, 1]


def test_finding_lists_classes_categories_and_record_counts(tmp_path: Path) -> None:
    events = [
        event(event_id="a", **SALE, amount=1, data_fields=["password", "nickname"], record_count=3),
        event(event_id="b", **SALE, amount=1, data_fields=["id_number"], record_count=4),
    ]
    _, (finding,) = detect_events(tmp_path, events)
    assert finding["data_classes"] == ["identity", "login", "other"]
    assert finding["data_categories"] == ["credential", "id_document", "other"]
    assert finding["record_count"] == 7
    assert finding["evidence_record_counts"] == [3, 4]


def test_proceeds_convert_by_rate_and_unknown_currencies_are_kept(tmp_path: Path) -> None:
    events = [
        event(**SALE, amount=Decimal("100"), currency="USD"),
        event(**SALE, amount=Decimal("50.5"), currency="CNY"),
        event(**SALE, amount=Decimal("2.25"), currency="XAU"),
        event(**SALE, amount=Decimal("1"), currency="XAU"),
    ]
    _, (finding,) = detect_events(tmp_path, events)
    assert finding["proceeds_cny"] == Decimal("770.50")  # 100 x 7.2 + 50.5
    assert finding["unconverted_amounts"] == [{"currency": "XAU", "amount": Decimal("3.25")}]
    assert "3.25 XAU with no CNY rate" in finding["summary"]


def test_summary_is_one_readable_sentence_without_subject_ids(tmp_path: Path) -> None:
    events = [
        event(**SALE, amount=12000, subject_id="user-4711", data_fields=["password", "phone"]),
        event(action="update", authorization_ref=None, subject_id="user-4712"),
    ]
    _, findings = detect_events(tmp_path, events)
    summaries = {f["rule_id"]: f["summary"] for f in findings}
    assert summaries["selling"] == (
        "An employee sold login credentials and real identification information (1 record, "
        "1 event) to acme on 2026-03-01; proceeds: CNY 12,000.00."
    )
    assert summaries["modification"] == (
        "An employee modified or deleted real identification information (1 record, 1 event) "
        "without authorization on 2026-03-01."
    )
    for text in summaries.values():
        assert "user-47" not in text
        assert text.count(".") >= 1 and text.endswith(".")


@pytest.mark.parametrize(
    ("events", "severity"),
    [
        # unauthorized view of one phone number: 1 point, rule floor low
        ([event(**UNAUTH)], "low"),
        # 150 records: 1 class point + 1 volume point = medium
        ([event(**UNAUTH, record_count=150)], "medium"),
        # credential (2) + 1,000 records (2) = 4 points = high
        ([event(**UNAUTH, data_fields=["passwd"], record_count=1000)], "high"),
        # credential (2) + 10,000 records (3) + proceeds above 50,000 (2) = critical
        ([event(**SALE, data_fields=["password"], record_count=10_000, amount=60_000)], "critical"),
    ],
    ids=["low", "medium_by_volume", "high_by_class_and_volume", "critical"],
)
def test_severity_weighs_class_volume_and_proceeds(
    tmp_path: Path, events: list[dict[str, object]], severity: str
) -> None:
    _, findings = detect_events(tmp_path, events)
    by_rule = {f["rule_id"]: f["severity"] for f in findings}
    assert max(by_rule.values(), key=["low", "medium", "high", "critical"].index) == severity


def test_severity_never_falls_below_the_rules_own(tmp_path: Path) -> None:
    # one record of a phone number sold for 1 CNY scores 2 points (medium); selling is high
    _, (finding,) = detect_events(tmp_path, [event(**SALE, amount=1)])
    assert finding["severity"] == "high"


def test_rerun_changes_no_file_and_keeps_every_id(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(**SALE, amount=5), event(**UNAUTH, event_time=at(DAY2))])
    first = run_detect(lake, DetectSettings())
    files, findings = finding_files(lake), read_findings(lake)
    second = run_detect(lake, DetectSettings())
    assert first.new_by_severity["high"] == 1 and first.new_by_severity["low"] == 1
    assert second.new == 0 and second.updated == 0 and second.removed == 0
    assert second.unchanged == 2
    assert finding_files(lake) == files
    assert read_findings(lake) == findings
    assert not any((lake.root / "_auditpipe" / "staging").glob("*"))


def test_new_days_leave_old_days_untouched(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(**SALE, amount=5)])
    run_detect(lake, DetectSettings())
    before_files, before = finding_files(lake), read_findings(lake)
    write_events(lake, [event(**SALE, amount=7, event_time=at(DAY2))])
    result = run_detect(lake, DetectSettings())
    assert result.new == 1 and result.unchanged == 1
    after = read_findings(lake)
    assert after[0] == before[0]
    assert {k: v for k, v in finding_files(lake).items() if "2026-03-01" in k} == before_files
    assert len(after) == 2 and after[1]["event_date"] == DAY2


def test_more_evidence_updates_the_finding_in_place(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(event_id="x1", **SALE, amount=5)])
    run_detect(lake, DetectSettings())
    (before,) = read_findings(lake)
    write_events(lake, [event(event_id="x2", **SALE, amount=60_000, event_time=at(hour=12))])
    result = run_detect(lake, DetectSettings())
    (after,) = read_findings(lake)
    assert result.updated_by_severity == {"low": 0, "medium": 0, "high": 1, "critical": 0}
    assert result.new == 0
    assert after["finding_id"] == before["finding_id"]
    assert after["evidence_event_ids"] == ["x1", "x2"]
    assert after["detected_at"] == before["detected_at"]  # first detection is kept
    assert len(finding_files(lake)) == 1  # the old file went in the same commit


def test_a_finding_that_no_longer_fires_is_removed(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(record_count=1500), event(**SALE, amount=1)])
    run_detect(lake, DetectSettings())
    result = run_detect(lake, DetectSettings(bulk_threshold=2000))
    assert result.removed == 1 and result.removed_by_severity["medium"] == 1
    assert [f["rule_id"] for f in read_findings(lake)] == ["selling"]


def test_removing_the_last_finding_of_a_day_deletes_its_files(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(record_count=1500)])
    run_detect(lake, DetectSettings())
    run_detect(lake, DetectSettings(bulk_threshold=2000))
    assert finding_files(lake) == {}
    assert read_findings(lake) == []


def test_since_until_evaluate_only_those_days(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(
        lake,
        [event(record_count=1500, event_time=at(d)) for d in (DAY, DAY2, DAY3)],
    )
    result = run_detect(lake, DetectSettings(), since=DAY2, until=DAY2)
    assert result.days_evaluated == [DAY2]
    assert [f["event_date"] for f in read_findings(lake)] == [DAY2]
    run_detect(lake, DetectSettings())
    # raising the threshold for DAY3 only removes DAY3's finding, not the others
    result = run_detect(lake, DetectSettings(bulk_threshold=2000), since=DAY3)
    assert result.days_evaluated == [DAY3] and result.removed == 1
    assert [f["event_date"] for f in read_findings(lake)] == [DAY, DAY2]


def test_dates_evaluate_exactly_those_days(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(record_count=1500, event_time=at(d)) for d in (DAY, DAY2, DAY3)])
    result = run_detect(lake, DetectSettings(), dates=[DAY3, DAY])
    assert result.days_evaluated == [DAY, DAY3]
    assert [f["event_date"] for f in read_findings(lake)] == [DAY, DAY3]


def test_result_counts_findings_by_category_and_severity(tmp_path: Path) -> None:
    result, _ = detect_events(
        tmp_path,
        [event(**SALE, amount=5), event(**UNAUTH), event(action="delete", authorization_ref=None)],
    )
    assert result.findings_total == 3
    assert result.by_category["selling"]["high"] == 1
    assert result.by_category["illegal_use"]["low"] == 1
    assert result.by_category["modification"]["medium"] == 1
    assert result.count_at_or_above("medium") == 2
    assert result.to_dict()["exposure"][0]["caveat"].startswith("This is an estimate")


def test_empty_lake_has_nothing_to_evaluate(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    result = run_detect(lake, DetectSettings())
    assert result.days_evaluated == [] and result.findings_total == 0 and result.exposure == []


def test_detect_waits_for_no_one_when_the_lake_is_busy(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(**SALE, amount=5)])
    other = Lake.open(lake.root)
    with other.locked("ingest"), pytest.raises(LockError, match="busy"):
        run_detect(lake, DetectSettings())
    assert finding_files(lake) == {}


def test_a_crash_before_commit_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(**SALE, amount=5)])
    run_detect(lake, DetectSettings())
    before = finding_files(lake)
    write_events(lake, [event(**SALE, amount=7, event_time=at(hour=13))])

    def boom(self: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("auditpipe.lake.Transaction.commit", boom)
    with pytest.raises(OSError):
        run_detect(lake, DetectSettings())
    assert finding_files(lake) == before
    assert not any((lake.root / "_auditpipe" / "staging").glob("*"))
