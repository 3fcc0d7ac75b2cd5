"""auditpipe report: every format through the CLI, its numbers against SQL, and its errors."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import auditpipe
from auditpipe.cli import cli
from auditpipe.config import Config
from auditpipe.lake import Lake
from auditpipe.report import REPORT_FORMATS, build_report, render_report
from auditpipe.report.build import SOURCE_DATE_EPOCH
from auditpipe.sql.run import query_lake
from tests.support import REPO
from tests.support.report_lakes import (
    build_lake,
    identifier_events,
    run_main,
    schema_errors,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def report_json(shared_lake: Lake) -> dict:
    result = CliRunner().invoke(
        cli, ["report", "--lake", str(shared_lake.root), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _report(shared_lake: Lake, fmt: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["report", "--lake", str(shared_lake.root), "--format", fmt, *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_each_format_renders_through_the_cli(shared_lake: Lake, fmt: str) -> None:
    out = _report(shared_lake, fmt)
    first_line = {
        "terminal": "auditpipe report  2026-03-01 to 2026-03-03 (3 days), all providers",
        "markdown": "# auditpipe report: 2026-03-01 to 2026-03-03 (3 days), all providers",
        "html": "<!DOCTYPE html>",
        "json": "{",
        "csv": "finding_id,rule_id,category,severity,provider_id,event_date,actor_id,actor_type,"
        "destination_party,first_seen,last_seen,event_count,record_count,subject_count,"
        "data_classes,data_categories,proceeds_cny,unconverted_amounts,summary,evidence_count,"
        "evidence_sample,evidence_sql",
    }
    assert out.splitlines()[0].rstrip() == first_line[fmt]
    if fmt == "json":
        assert json.loads(out)["findings"]
    if fmt not in ("json", "csv"):
        assert "This is an estimate for review, not a legal determination." in out


def test_json_validates_against_the_documented_schema(report_json: dict) -> None:
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert schema_errors(report_json, schema) == []
    assert report_json["schema_version"].startswith("1.")


def test_schema_check_catches_a_broken_document(report_json: dict) -> None:
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(report_json))
    del broken["findings"][0]["severity"]
    broken["totals"]["records"] = "many"
    errors = schema_errors(broken, schema)
    assert any("missing severity" in e for e in errors)
    assert any("totals.records" in e for e in errors)


def test_numbers_match_independent_sql_over_the_lake(shared_lake: Lake, report_json: dict) -> None:
    con = auditpipe.connect(shared_lake.root)
    events, records = con.execute("SELECT count(*), sum(record_count) FROM events").fetchone()
    assert report_json["coverage"]["events"] == events == len(identifier_events())
    assert report_json["coverage"]["records"] == records
    assert report_json["coverage"]["failed_events"] == 1
    findings = dict(con.execute("SELECT category, count(*) FROM findings GROUP BY 1").fetchall())
    assert {t["key"]: t["findings"] for t in report_json["by_category"]} == findings
    assert report_json["totals"]["findings"] == sum(findings.values())
    # records affected: each evidence event once, however many findings it is behind
    distinct = con.execute(
        "SELECT count(*), sum(record_count) FROM events "
        "WHERE event_id IN (SELECT unnest(evidence_event_ids) FROM findings)"
    ).fetchone()
    assert (report_json["totals"]["events"], report_json["totals"]["records"]) == distinct
    # day by day, the records affected add up to the exposure's (the records chart draws them)
    days = report_json["day_totals"]
    assert (
        sum(d["records_affected"] for d in days)
        == report_json["exposure"]["total"]["records_affected"]
    )
    assert report_json["totals"]["proceeds_cny"] == "61000.00"
    assert report_json["coverage"]["quarantined_rows"] == 2


def test_every_finding_has_evidence_ids_and_sql_that_lists_them_all(
    shared_lake: Lake, report_json: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    con = auditpipe.connect(shared_lake.root)
    for finding in report_json["findings"]:
        stored = con.execute(
            "SELECT evidence_event_ids FROM findings WHERE finding_id = ?", [finding["finding_id"]]
        ).fetchone()[0]
        assert finding["evidence_sample"] == stored[: len(finding["evidence_sample"])]
        assert finding["evidence_count"] == len(stored)
        sql = re.search(r'"(SELECT .*)"$', finding["evidence_sql"]).group(1)
        code, out, _ = run_main(
            ["sql", "--lake", str(shared_lake.root), "--format", "json", sql], capsys
        )
        assert code == 0
        assert sorted(r["event_id"] for r in json.loads(out)) == sorted(stored)


def test_findings_are_listed_most_serious_first(report_json: dict) -> None:
    order = ["critical", "high", "medium", "low"]
    ranks = [order.index(f["severity"]) for f in report_json["findings"]]
    assert ranks == sorted(ranks)


def test_csv_has_one_row_per_finding(shared_lake: Lake) -> None:
    rows = list(csv.DictReader(io.StringIO(_report(shared_lake, "csv"))))
    count = (
        auditpipe.connect(shared_lake.root).execute("SELECT count(*) FROM findings").fetchone()[0]
    )
    assert len(rows) == count
    assert len({r["finding_id"] for r in rows}) == count
    assert all(r["evidence_sql"].startswith("auditpipe sql --lake ") for r in rows)


def test_terminal_fits_100_columns_even_on_a_wide_terminal(shared_lake: Lake) -> None:
    from rich.cells import cell_len

    report = build_report(shared_lake, config=Config())
    for width in (100, 240):
        text = render_report(report, "terminal", width=width, color=True)
        widest = max(cell_len(ANSI.sub("", line)) for line in text.splitlines())
        assert widest <= 100, f"a line is {widest} columns wide at width {width}"


def test_terminal_colours_severity_only_when_asked(shared_lake: Lake) -> None:
    report = build_report(shared_lake, config=Config())
    coloured = render_report(report, "terminal", color=True)
    assert re.search(r"\x1b\[[0-9;]*31m HIGH", coloured) or re.search(
        r"\x1b\[1;31m HIGH", coloured
    ), "HIGH findings are not red"
    assert "\x1b[" not in render_report(report, "terminal", color=False)


def test_penalty_exposure_is_reported_per_provider(report_json: dict) -> None:
    exposure = report_json["exposure"]
    assert exposure["caveat"] == "This is an estimate for review, not a legal determination."
    by_provider = {e["provider_id"]: e for e in exposure["providers"]}
    assert set(by_provider) == {"forum-a", "blog-b"}
    assert by_provider["forum-a"]["illegal_proceeds_cny"] == "61000.00"
    assert by_provider["forum-a"]["serious"] is True


def test_period_and_provider_narrow_the_report(shared_lake: Lake) -> None:
    doc = json.loads(_report(shared_lake, "json", "--since", "2026-03-02", "--provider", "forum-a"))
    assert doc["period"]["since"] == "2026-03-02" and doc["period"]["until"] == "2026-03-03"
    assert doc["coverage"]["providers"] == ["forum-a"]
    assert {f["event_date"] for f in doc["findings"]} == {"2026-03-02", "2026-03-03"}
    assert {f["provider_id"] for f in doc["findings"]} == {"forum-a"}
    assert doc["coverage"]["events"] == 2


def test_generated_at_is_pinned_by_source_date_epoch(
    shared_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SOURCE_DATE_EPOCH, "1772323200")
    doc = json.loads(_report(shared_lake, "json"))
    assert doc["generated_at"] == "2026-03-01T00:00:00+00:00"


def test_human_formats_list_up_to_listed_findings(shared_lake: Lake, tmp_path: Path) -> None:
    config = tmp_path / "auditpipe.toml"
    config.write_text("[report]\nlisted_findings = 2\nevidence_ids = 1\n", encoding="utf-8")
    out = _report(shared_lake, "markdown", "--config", str(config))
    assert out.count("- **Finding** ") == 2
    assert "6 more finding(s) are not listed here" in out
    doc = json.loads(_report(shared_lake, "json", "--config", str(config)))
    assert len(doc["findings"]) == 8  # json lists every finding
    assert all(len(f["evidence_sample"]) <= 1 for f in doc["findings"])


def test_output_file_format_follows_its_suffix(shared_lake: Lake, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    result = CliRunner().invoke(
        cli, ["report", "--lake", str(shared_lake.root), "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "Report written to" in result.stderr
    assert list(target.parent.iterdir()) == [target]  # no partial file left beside it


def test_default_format_off_a_terminal_is_markdown(shared_lake: Lake) -> None:
    result = CliRunner().invoke(cli, ["report", "--lake", str(shared_lake.root)])
    assert result.exit_code == 0
    assert result.stdout.startswith("# auditpipe report:")


def test_unknown_output_suffix_needs_a_format(
    shared_lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        ["report", "--lake", str(shared_lake.root), "--output", str(tmp_path / "r.docx")], capsys
    )
    assert code == 2
    assert "cannot tell the format" in err and "Hint:" in err


def test_output_inside_the_lake_is_refused(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        ["report", "--lake", str(shared_lake.root), "--output", str(shared_lake.root / "r.md")],
        capsys,
    )
    assert code == 2 and "inside the lake" in err
    assert not (shared_lake.root / "r.md").exists()


@pytest.mark.parametrize("fmt", ["html", "csv"])
def test_output_in_a_missing_folder_is_refused_before_the_report_is_built(
    shared_lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """A mistyped folder is named as the problem, up front (a report of a big lake takes a
    while), not as a failed temporary file with a hint about the disk."""
    target = tmp_path / "no-such-folder" / f"r.{fmt}"
    code, out, err = run_main(
        ["report", "--lake", str(shared_lake.root), "--output", str(target)], capsys
    )
    assert code == 2 and out == ""
    assert f"the folder {target.parent} does not exist" in err
    assert ".partial" not in err and "Traceback" not in err
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    code, _, err = run_main(
        ["report", "--lake", str(shared_lake.root), "--output", str(tmp_path / "a-file" / "r.md")],
        capsys,
    )
    assert code == 2 and "is not a folder" in err and ".partial" not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--provider", "nobody"], "provider 'nobody' has no events in the lake"),
        (["--since", "2027-01-01"], "no events on or after 2027-01-01"),
        (["--since", "2026-04-01", "--until", "2026-04-30"], "no events between 2026-04-01"),
        (["--provider", "blog-b", "--since", "2026-03-02"], "no events for provider blog-b"),
        (["--since", "2026-03-03", "--until", "2026-03-01"], "is after --until"),
        (["--since", "March"], "is not a date"),
    ],
)
def test_bad_period_or_provider_is_a_clear_error(
    shared_lake: Lake, args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(["report", "--lake", str(shared_lake.root), *args], capsys)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err and out == ""


def test_unknown_provider_error_lists_the_providers(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = run_main(["report", "--lake", str(shared_lake.root), "--provider", "x"], capsys)
    assert "Hint: providers in the lake: blog-b, forum-a" in err


def test_missing_lake_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["report", "--lake", str(tmp_path / "nowhere")], capsys)
    assert code == 2
    assert "Error: no lake at" in err and "Hint:" in err and "Traceback" not in err


def test_empty_lake_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Lake.open(tmp_path / "lake", create=True)
    code, _, err = run_main(["report", "--lake", str(tmp_path / "lake")], capsys)
    assert code == 2
    assert "holds no events yet" in err and "auditpipe ingest" in err
    assert "Traceback" not in err


def test_folder_that_is_not_a_lake_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stuff.txt").write_text("x")
    code, _, err = run_main(["report", "--lake", str(tmp_path)], capsys)
    assert code == 2 and "is not an auditpipe lake" in err


def test_lake_without_findings_says_how_to_get_them(tmp_path: Path) -> None:
    shared_lake = build_lake(tmp_path, identifier_events(), detect=False)
    report = build_report(shared_lake, config=Config())
    assert report.totals.findings == 0 and report.findings == []
    assert any("auditpipe detect --lake" in note for note in report.notes)
    for fmt in REPORT_FORMATS:
        assert render_report(report, fmt)  # every format copes with no findings


def test_report_leaves_the_lake_unchanged(shared_lake: Lake) -> None:
    def snapshot() -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in sorted(shared_lake.root.rglob("*")) if p.is_file()}

    before = snapshot()
    for fmt in REPORT_FORMATS:
        _report(shared_lake, fmt)
    assert snapshot() == before


def test_evidence_sql_template_matches_the_query_api(shared_lake: Lake, report_json: dict) -> None:
    finding = report_json["findings"][0]
    sql = report_json["evidence_sql_template"].replace("<finding_id>", finding["finding_id"])
    assert sql == finding["evidence_sql"]
    query = re.search(r'"(SELECT .*)"$', sql).group(1)
    summary = query_lake(shared_lake.root, query, fmt="csv", output=None)
    assert summary is not None and summary.rows == finding["evidence_count"]


def test_report_views_are_one_snapshot_of_the_lake_files(shared_lake: Lake, tmp_path: Path) -> None:
    import shutil

    import duckdb

    from auditpipe.lake.views import create_views

    copy = tmp_path / "lake"
    shutil.copytree(shared_lake.root, copy)
    snap, again = duckdb.connect(), duckdb.connect()
    create_views(snap, copy)
    before = snap.execute("SELECT count(*) FROM events").fetchone()[0]
    first = sorted((copy / "events").rglob("*.parquet"))[0]
    shutil.copy(first, first.with_name("part-later.parquet"))  # a file committed meanwhile
    assert snap.execute("SELECT count(*) FROM events").fetchone()[0] == before
    create_views(again, copy)  # views made again see it
    assert again.execute("SELECT count(*) FROM events").fetchone()[0] > before
