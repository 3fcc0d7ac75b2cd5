"""auditpipe findings list / show: filters, the readable evidence record, formats, errors, and
masking of everything shown (unless --unmask)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from auditpipe.lake import Lake
from tests.support.nightly import table_rows
from tests.support.report_lakes import (
    IDENTIFIERS,
    MOBILE_IN_PARTY,
    MOBILE_SUBJECT,
    build_lake,
    identifier_events,
    run_main,
)

Capsys = pytest.CaptureFixture[str]


def _ids(lake: Lake, where: str = "true") -> list[str]:
    rows = table_rows(lake.root, f"SELECT finding_id FROM findings WHERE {where} ORDER BY 1")
    return [r[0] for r in rows]


def _list(lake: Lake, capsys: Capsys, *args: str) -> list[dict[str, str]]:
    code, out, err = run_main(
        ["findings", "list", "--lake", str(lake.root), "--format", "csv", *args], capsys
    )
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ([], "true"),
        (["--provider", "blog-b"], "provider_id = 'blog-b'"),
        (["--day", "2026-03-02"], "event_date = DATE '2026-03-02'"),
        (["--since", "2026-03-02"], "event_date >= DATE '2026-03-02'"),
        (["--until", "2026-03-01"], "event_date <= DATE '2026-03-01'"),
        (["--category", "illegal_use"], "category = 'illegal_use'"),
        (["--severity", "medium"], "severity IN ('medium', 'high', 'critical')"),
        (["--severity", "high"], "severity IN ('high', 'critical')"),
        (["--rule", "selling"], "rule_id = 'selling'"),
        (
            ["--provider", "forum-a", "--severity", "medium", "--until", "2026-03-01"],
            "provider_id = 'forum-a' AND severity <> 'low' AND event_date <= DATE '2026-03-01'",
        ),
    ],
)
def test_list_filters_select_exactly_the_matching_findings(
    shared_lake: Lake, capsys: Capsys, args: list[str], where: str
) -> None:
    listed = _list(shared_lake, capsys, *args)
    assert sorted(r["finding_id"] for r in listed) == _ids(shared_lake, where)
    assert listed, "each filter case should match something"


def test_list_puts_the_most_serious_first_and_limit_bounds_it(
    shared_lake: Lake, capsys: Capsys
) -> None:
    listed = _list(shared_lake, capsys, "--limit", "0")
    ranks = ["low", "medium", "high", "critical"]
    severities = [ranks.index(r["severity"]) for r in listed]
    assert severities == sorted(severities, reverse=True)
    code, out, err = run_main(
        ["findings", "list", "--lake", str(shared_lake.root), "--format", "json", "--limit", "2"],
        capsys,
    )
    doc = json.loads(out)
    assert code == 0 and len(doc["findings"]) == 2 and doc["matched"] == len(listed)
    assert [f["finding_id"] for f in doc["findings"]] == [r["finding_id"] for r in listed[:2]]
    assert f"2 of {len(listed)} matching findings listed" in err


def test_list_day_with_since_is_a_usage_error(shared_lake: Lake, capsys: Capsys) -> None:
    code, out, err = run_main(
        [
            "findings",
            "list",
            "--lake",
            str(shared_lake.root),
            "--day",
            "2026-03-01",
            "--since",
            "2026-03-01",
        ],
        capsys,
    )
    assert code == 2 and out == ""
    assert "Error: --day cannot be combined" in err


def test_list_with_no_match_says_so_on_stderr(shared_lake: Lake, capsys: Capsys) -> None:
    code, out, err = run_main(
        ["findings", "list", "--lake", str(shared_lake.root), "--rule", "no_such_rule"], capsys
    )
    assert code == 0 and out == ""
    assert "No findings match." in err


def _show(lake: Lake, capsys: Capsys, finding_id: str, *args: str) -> tuple[str, str]:
    code, out, err = run_main(
        ["findings", "show", finding_id, "--lake", str(lake.root), *args], capsys
    )
    assert code == 0, err
    return out, err


def test_show_prints_the_finding_rule_clause_and_each_evidence_record(
    shared_lake: Lake, capsys: Capsys
) -> None:
    (selling,) = _ids(shared_lake, "rule_id = 'selling' AND event_date = DATE '2026-03-01'")
    out, _ = _show(shared_lake, capsys, selling)
    assert f"finding   {selling}" in out
    assert "Rule: selling: Login or identity data sold to an outside party (built-in)" in out
    assert "clause       Draft amendments" in out  # the clause from the rule's header
    assert "Evidence 1 of 1: event s1" in out
    logs = shared_lake.root.parent / "logs" / "access.jsonl"
    for line in (
        "time         2026-03-01 10:00:00+08",  # the lake's timezone, with its offset
        "actor        emp-7 (employee)",
        "action       transfer (success)",
        "data fields  mobile_number, real_name",
        f"destination  external: Data Broker Co {MOBILE_IN_PARTY[:3]}****{MOBILE_IN_PARTY[-4:]}",
        "ticket       T-1",
        "purpose      support",
        "amount       60,000.00 CNY",
        f"source       {logs}:1",
    ):
        assert line in out, line


def test_show_json_and_csv_carry_the_same_records(shared_lake: Lake, capsys: Capsys) -> None:
    (cred,) = _ids(shared_lake, "rule_id = 'illegal_use_credential'")
    doc = json.loads(_show(shared_lake, capsys, cred, "--format", "json")[0])
    assert doc["finding"]["finding_id"] == cred and doc["masked"] is True
    assert doc["rule"]["clause"].startswith("Draft amendments")
    assert doc["evidence_total"] == 2 and [e["event_id"] for e in doc["evidence"]] == ["c1", "c2"]
    first = doc["evidence"][0]
    assert first["event_time"].startswith("2026-03-01T10:00:00")
    assert first["source"]["status"] == "in place" and Path(first["source"]["file"]).is_file()
    rows = list(csv.DictReader(io.StringIO(_show(shared_lake, capsys, cred, "--format", "csv")[0])))
    assert [r["event_id"] for r in rows] == ["c1", "c2"]
    assert {r["finding_id"] for r in rows} == {cred}
    assert [int(r["line_number"]) for r in rows] == [e["source"]["line"] for e in doc["evidence"]]


def test_show_pages_with_limit_and_offset(shared_lake: Lake, capsys: Capsys) -> None:
    (cred,) = _ids(shared_lake, "rule_id = 'illegal_use_credential'")
    out, err = _show(shared_lake, capsys, cred, "--format", "json", "--limit", "1", "--offset", "1")
    doc = json.loads(out)
    assert [e["event_id"] for e in doc["evidence"]] == ["c2"]
    assert [e["rank"] for e in doc["evidence"]] == [2]
    assert doc["evidence_shown"] == 1 and doc["evidence_total"] == 2
    assert "1 of 2 evidence events shown" in err


def test_show_accepts_a_unique_prefix(shared_lake: Lake, capsys: Capsys) -> None:
    full = _ids(shared_lake)[0]
    out, _ = _show(shared_lake, capsys, full[:10], "--format", "json")
    assert json.loads(out)["finding"]["finding_id"] == full


def test_show_of_an_unknown_id_exits_2_naming_the_nearest(
    shared_lake: Lake, capsys: Capsys
) -> None:
    real = _ids(shared_lake)[0]
    typo = real[:-1] + ("0" if real[-1] != "0" else "1")
    code, out, err = run_main(["findings", "show", typo, "--lake", str(shared_lake.root)], capsys)
    assert code == 2 and out == ""
    assert f"Error: no finding '{typo}'" in err
    assert real in err and "auditpipe findings list --lake" in err
    assert "Traceback" not in err


def test_show_of_an_ambiguous_prefix_exits_2_listing_candidates(
    shared_lake: Lake, capsys: Capsys
) -> None:
    code, _, err = run_main(["findings", "show", "f-", "--lake", str(shared_lake.root)], capsys)
    assert code == 2 and "is ambiguous" in err


def test_show_says_when_the_rule_is_not_known_and_finds_it_with_rules(
    shared_lake: Lake, capsys: Capsys
) -> None:
    (own,) = _ids(shared_lake, "rule_id = 'self_delete_review'")
    out, _ = _show(shared_lake, capsys, own)
    assert "Rule: self_delete_review (rule 'self_delete_review' is not among the rules" in out
    rules = shared_lake.root.parent / "rules"
    out, _ = _show(shared_lake, capsys, own, "--rules", str(rules))
    assert "clause       Test rule: lists self-service deletions" in out


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_no_identifier_leaks_from_list_or_show_unless_unmasked(
    shared_lake: Lake, capsys: Capsys, fmt: str
) -> None:
    rules = str(shared_lake.root.parent / "rules")
    root = str(shared_lake.root)
    masked = run_main(["findings", "list", "--lake", root, "--format", fmt], capsys)[1]
    for fid in _ids(shared_lake):
        masked += _show(shared_lake, capsys, fid, "--format", fmt, "--rules", rules)[0]
    assert [i for i in IDENTIFIERS if i in masked] == []
    # --unmask shows them (so the check above can tell a leak from an absent identifier)
    (selling,) = _ids(shared_lake, "rule_id = 'selling' AND event_date = DATE '2026-03-01'")
    unmasked = _show(shared_lake, capsys, selling, "--format", fmt, "--unmask")[0]
    assert MOBILE_SUBJECT in unmasked and MOBILE_IN_PARTY in unmasked


def test_show_on_a_lake_without_findings_says_to_run_detect(tmp_path: Path, capsys: Capsys) -> None:
    lake = build_lake(tmp_path, identifier_events(), detect=False)
    code, _, err = run_main(["findings", "show", "f-1234", "--lake", str(lake.root)], capsys)
    assert code == 2 and "holds no findings" in err and "auditpipe detect --lake" in err


def test_evidence_whose_events_left_the_lake_says_so(tmp_path: Path, capsys: Capsys) -> None:
    lake = build_lake(tmp_path, identifier_events(), rules=None)
    (fid,) = _ids(lake, "rule_id = 'illegal_use_credential'")
    for part in (lake.root / "events" / "provider_id=forum-a").glob("event_date=2026-03-01"):
        for f in part.glob("*.parquet"):
            f.unlink()  # e.g. removed by hand or by retention
    out, _ = _show(lake, capsys, fid)
    assert out.count("(this event is no longer in the lake)") == 2
    doc = json.loads(_show(lake, capsys, fid, "--format", "json")[0])
    assert [e["in_lake"] for e in doc["evidence"]] == [False, False]
    assert [e["event_id"] for e in doc["evidence"]] == ["c1", "c2"]


def test_list_and_show_give_summaries_in_the_chosen_language(
    shared_lake: Lake, capsys: Capsys
) -> None:
    """Summaries of the built-in rules in Chinese with --lang zh-CN, the stored English ones
    without; the other columns, and a rule no longer configured (the shared lake's user
    rule), keep their stored values. Masking applies to the Chinese summary too."""
    english = {r["finding_id"]: r for r in _list(shared_lake, capsys, "--limit", "0")}
    chinese = {
        r["finding_id"]: r for r in _list(shared_lake, capsys, "--limit", "0", "--lang", "zh-CN")
    }
    assert english.keys() == chinese.keys()
    selling = [i for i, r in english.items() if r["rule_id"] == "selling"]
    assert selling and all("出售" in chinese[i]["summary"] for i in selling)
    assert any(r["rule_id"] == "self_delete_review" for r in english.values())
    for finding_id, row in english.items():
        assert {k: v for k, v in row.items() if k != "summary"} == {
            k: v for k, v in chinese[finding_id].items() if k != "summary"
        }
        if row["rule_id"] == "self_delete_review":
            assert chinese[finding_id]["summary"] == row["summary"]
    assert not any(i in r["summary"] for r in chinese.values() for i in IDENTIFIERS)
    code, out, err = run_main(
        ["findings", "show", selling[0], "--lake", str(shared_lake.root), "--lang", "zh-CN"],
        capsys,
    )
    assert code == 0, err
    assert chinese[selling[0]]["summary"] in out


def test_show_prints_event_ids_as_stored_as_the_report_does(tmp_path: Path, capsys: Capsys) -> None:
    """Event ids are what evidence is looked up with (docs/reports.md, Masking): an id with a
    long digit run (a snowflake id) is shown whole by show in every format, as in the report."""
    event_id = "evt-1790212345678901234"
    lake = build_lake(
        tmp_path,
        [identifier_events()[0] | {"event_id": event_id}],
        rules=None,
    )
    (selling,) = _ids(lake, "rule_id = 'selling'")
    text = _show(lake, capsys, selling)[0]
    assert f"Evidence 1 of 1: event {event_id}\n" in text
    doc = json.loads(_show(lake, capsys, selling, "--format", "json")[0])
    assert [e["event_id"] for e in doc["evidence"]] == [event_id]
    rows = list(csv.DictReader(io.StringIO(_show(lake, capsys, selling, "--format", "csv")[0])))
    assert [r["event_id"] for r in rows] == [event_id]
    code, out, err = run_main(["report", "--lake", str(lake.root), "--format", "json"], capsys)
    assert code == 0, err
    (finding,) = [f for f in json.loads(out)["findings"] if f["finding_id"] == selling]
    assert finding["evidence_sample"] == [event_id]
    # the identifiers around it stay masked
    assert MOBILE_SUBJECT not in text and MOBILE_IN_PARTY not in text


def test_show_text_speaks_the_chosen_language_and_counts_in_the_singular(
    shared_lake: Lake, capsys: Capsys
) -> None:
    """The finding's block of ``show`` reads like the report: one event is "1 event"; in
    Chinese the severity, category, proceeds (¥), rule title and counts are Chinese words, as
    the report gives them (docs/reports.md, Language)."""
    (selling,) = _ids(shared_lake, "rule_id = 'selling' AND event_date = DATE '2026-03-01'")
    english = _show(shared_lake, capsys, selling)[0]
    assert "counts    1 event, 1 record, 1 user\n" in english
    assert "proceeds  CNY 60,000.00\n" in english
    assert "Evidence: 1 event (times in Asia/Shanghai)" in english
    chinese = _show(shared_lake, capsys, selling, "--lang", "zh-CN")[0]
    head = chinese.split("\n\n")[0]
    for word in ("high", "(selling", "CNY", "event", "record", "user"):
        assert word not in head, word
    assert "高（出售，规则 selling）" in head and "¥60,000.00" in head
    assert "1 个事件" in head and "1 条记录" in head and "1 个用户" in head
    assert "规则：selling：登录信息或身份信息被出售给外部一方（内置）" in chinese
    # the clause it enforces and what it looks for, in Chinese too
    assert "不得出售。" in chinese and "授权凭证不能免除出售" in chinese
    assert "Draft amendments" not in chinese and "A protected event" not in chinese


@pytest.mark.parametrize("provider", ["forum-A", "论坛"])
def test_list_of_a_provider_not_in_the_lake_is_an_error_naming_the_providers(
    shared_lake: Lake, capsys: Capsys, provider: str
) -> None:
    """A mistyped provider must not read as "No findings match" (a clean provider): exit 2
    and the lake's providers, as the report says it."""
    code, out, err = run_main(
        ["findings", "list", "--lake", str(shared_lake.root), "--provider", provider], capsys
    )
    assert code == 2 and out == ""
    assert f"provider {provider!r} has no events in the lake" in err
    assert "providers in the lake: blog-b, forum-a" in err and "No findings match" not in err
    # a provider of the lake whose filters match nothing still exits 0
    code, _, err = run_main(
        [
            "findings",
            "list",
            "--lake",
            str(shared_lake.root),
            "--provider",
            "blog-b",
            "--rule",
            "x",
        ],
        capsys,
    )
    assert code == 0 and "No findings match." in err
