"""Real-name findings end to end: evidence of snapshot rows in finding_evidence (SQL views, the
Arrow connection and auditpipe.scan agree), the report section in every format, masked account
ids, the JSON schema, and the penalty that orders rectification without inventing a fine."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import auditpipe
from auditpipe.config import Config
from auditpipe.lake import Lake
from auditpipe.report import REPORT_FORMATS, build_report, render_report
from tests.support.account_lakes import real_name_lake
from tests.support.report_lakes import schema_errors

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json"
FLAGGED = ("nover", "badid", "nomethod", "late0", "late1", "late2", "flip")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return real_name_lake(tmp_path_factory.mktemp("real_name"))


def test_every_evidence_item_joins_back_to_its_event_or_snapshot_row(lake: Lake) -> None:
    con = auditpipe.connect(lake.root)
    stored = con.execute(
        "SELECT count(*) FROM (SELECT unnest(evidence_event_ids) FROM findings)"
    ).fetchone()[0]
    kinds = dict(
        con.execute("SELECT evidence_kind, count(*) FROM finding_evidence GROUP BY 1").fetchall()
    )
    assert kinds["event"] and kinds["account"] and sum(kinds.values()) == stored
    bad = con.execute(
        "SELECT count(*) FROM finding_evidence WHERE evidence_kind = 'account' AND "
        "(account_id IS NULL OR snapshot_date IS NULL OR event_time IS NOT NULL "
        " OR category <> 'real_name')"
    ).fetchone()[0]
    assert bad == 0
    problems = {
        r[0]
        for r in con.execute(
            "SELECT id_number_problem FROM finding_evidence "
            "WHERE rule_id = 'real_name_invalid_verification'"
        ).fetchall()
    }
    assert problems == {"check_digit", None}  # the bad number, and the account with no method


def test_the_polars_scan_of_finding_evidence_equals_the_sql_view(lake: Lake) -> None:
    con = auditpipe.connect(lake.root)
    order = ["finding_id", "evidence_kind", "event_id"]
    sql = con.sql("SELECT * FROM finding_evidence").pl().sort(order)
    scanned = auditpipe.scan(lake.root, "finding_evidence").collect().sort(order)
    assert scanned.columns == sql.columns
    # the same instants; the SQL connection shows them in the lake's timezone, the scan in UTC
    in_utc = [pl.col(pl.Datetime("us", "Asia/Shanghai")).dt.convert_time_zone("UTC")]
    assert scanned.equals(sql.with_columns(in_utc))


def test_every_format_has_the_section_and_masks_account_ids(lake: Lake) -> None:
    report = build_report(lake, config=Config())
    by_provider = {s.provider_id: s for s in report.real_name}
    forum = by_provider["forum-a"]
    assert (forum.posts, forum.verified_posts, forum.unverified_posts, forum.unknown_posts) == (
        30,
        20,
        7,
        3,
    )
    assert forum.invalid_verifications == 2 and forum.shared_identities == 1
    assert not by_provider["isp-c"].applies
    for fmt in REPORT_FORMATS:
        text = render_report(report, fmt)
        if fmt != "csv":  # one row per finding; the section's figures are in the json
            assert "Real-name registration" in text or '"real_name"' in text, fmt
        for account in FLAGGED:
            assert account not in text, (fmt, account)
    unmasked = render_report(build_report(lake, config=Config(), unmask=True), "markdown")
    assert "nover" in unmasked


def test_the_json_section_follows_the_schema(lake: Lake) -> None:
    doc = json.loads(render_report(build_report(lake, config=Config()), "json"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema_errors(doc, schema) == []
    (forum,) = [s for s in doc["real_name"] if s["provider_id"] == "forum-a"]
    assert [d["compliance_rate"] for d in forum["days"]] == pytest.approx([7 / 9, 7 / 9, 6 / 9])
    assert forum["shared"][0]["identity"].startswith("identity:")
    assert len(forum["shared"][0]["identity"]) == len("identity:") + 8 + 1


def test_real_name_findings_order_rectification_and_name_no_fine(lake: Lake) -> None:
    report = build_report(lake, config=Config())
    for exposure in report.exposure:
        assert exposure.real_name_findings == exposure.finding_count
        assert exposure.fine_min_cny is None and exposure.fine_max_cny is None
        assert not exposure.serious and exposure.records_affected == 0
        assert any("责令改正" in c for c in exposure.consequences)
    for fmt in ("terminal", "markdown", "html"):
        assert "none named (order to rectify)" in render_report(report, fmt)


def test_findings_show_and_the_html_evidence_show_the_snapshot_rows_behind_a_finding(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    """Account evidence (snapshot rows) is a record like an event's, never "no longer in the
    lake": the account, its verification state, the failed check and the snapshot's file."""
    from tests.support.report_lakes import run_main

    con = auditpipe.connect(lake.root)
    finding_id, problem = con.execute(
        "SELECT finding_id, any_value(id_number_problem) FROM finding_evidence "
        "WHERE rule_id = 'real_name_invalid_verification' AND id_number_problem IS NOT NULL "
        "GROUP BY 1 LIMIT 1"
    ).fetchone()
    code, out, err = run_main(
        ["findings", "show", finding_id, "--lake", str(lake.root), "--format", "json"], capsys
    )
    assert code == 0, err
    records = json.loads(out)["evidence"]
    assert records and all(r["in_lake"] for r in records), records
    assert any(f"id_number: {problem}" in r["data_fields"] for r in records)
    assert all(r["action"].startswith("snapshot ") for r in records)
    assert all(r["source"]["line"] and r["source"]["sha256"] for r in records)
    html = render_report(build_report(lake, config=Config()), "html")
    assert "id_number: check_digit" in html  # the snapshot row, shown as a record
    assert "no longer in the lake" not in html


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_records_affected_is_one_number_across_the_report(lake: Lake, lang: str) -> None:
    """A report says "records affected" in its headline and in the penalty exposure: both are
    the exposure's count, which leaves out the evidence of real-name findings (posts and
    snapshot rows are not records of personal information affected; docs/detect.md), as
    ``detect`` says. This lake has only real-name findings: 0 records affected, never the
    30 evidence items."""
    from auditpipe.i18n import using_language

    with using_language(lang):
        report = build_report(lake, config=Config())
        assert report.totals.records == 30 and report.exposure_total.records_affected == 0
        affected = " 条记录受影响" if lang == "zh-CN" else " records affected"
        card = "受影响记录" if lang == "zh-CN" else "Records affected"
        for fmt in ("terminal", "markdown", "html"):
            text = render_report(report, fmt, width=100, color=False)
            assert f"30{affected}" not in text and f"0{affected}" in text, fmt
        html = render_report(report, "html")
        assert f'<div class="label">{card}</div><div class="value"><span class="figure">0<' in html
        # the records chart adds up to the same number, day by day
        assert sum(d.records for d in report.day_totals) == 30
        assert sum(d.records_affected for d in report.day_totals) == 0
        so_far = "累计 30 " if lang == "zh-CN" else ": 30 records so far"
        none = "本期间没有记录" if lang == "zh-CN" else "No records in this period"
        assert so_far not in html and none in html
