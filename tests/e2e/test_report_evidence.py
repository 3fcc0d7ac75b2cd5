"""The HTML report shows the evidence behind each finding: the first [report] evidence_rows
events as masked records, the count of the rest, and the command that lists them all with the
lake's absolute path shell-quoted; fetched in one query for every listed finding."""

from __future__ import annotations

import html
import logging
import re
import shlex
from pathlib import Path

import pytest

from auditpipe.config import Config
from auditpipe.db import log_statements
from auditpipe.lake import Lake
from auditpipe.report import ReportSettings, build_report, render_report
from tests.support.report_lakes import IDENTIFIERS, build_lake, identifier_events


@pytest.fixture(scope="module")
def odd_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The identifier lake, in a folder whose name needs shell quoting."""
    return build_lake(tmp_path_factory.mktemp("ev") / "o'brien audit", identifier_events())


def _page(lake: Lake, **settings: int) -> str:
    report = build_report(lake, config=Config(), settings=ReportSettings(**settings))
    return html.unescape(render_report(report, "html"))


def _cell(page: str, finding_id: str) -> str:
    """The text of the finding's evidence cell (from its id to the end of the row)."""
    start = page.index(f"<code>{finding_id}</code>")
    return html.unescape(re.sub(r"<[^>]+>", "", page[start : page.index("</tr>", start)]))


def test_each_finding_shows_its_first_events_as_records_and_the_command(odd_lake: Lake) -> None:
    report = build_report(odd_lake, config=Config(), settings=ReportSettings(evidence_rows=1))
    page = render_report(report, "html")
    (cred,) = [f for f in report.findings if f.rule_id == "illegal_use_credential"]
    cell = _cell(page, cred.finding_id)
    logs = odd_lake.root.parent / "logs" / "access.jsonl"
    assert "2026-03-01 10:00:00 +0800" in cell  # time in the lake's timezone
    assert "emp-9 (employee) view session_token → internal" in cell  # actor, action, fields
    assert f"source {logs}:6" in cell and f"{logs}:7" not in cell  # one row shown
    assert "1 more evidence event(s), 2 in all" in cell
    command = f"auditpipe findings show {cred.finding_id} --lake {shlex.quote(str(odd_lake.root.resolve()))}"
    assert command in cell
    assert shlex.split(command)[-1] == str(odd_lake.root.resolve())  # a shell reads it back


def test_evidence_rows_zero_shows_only_the_count_and_command(odd_lake: Lake) -> None:
    page = _page(odd_lake, evidence_rows=0)
    assert '<ol class="evidence">' not in page
    assert "evidence event(s). All of them: <code>auditpipe findings show f-" in page


def test_the_evidence_records_are_masked(odd_lake: Lake) -> None:
    page = _page(odd_lake, evidence_rows=5)
    assert [i for i in IDENTIFIERS if i in page] == []
    assert "Data Broker Co 139****5678" in page  # the party is there, masked


def test_evidence_of_every_listed_finding_comes_from_one_query(
    odd_lake: Lake, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    log = tmp_path / "sql.log"
    with open(log, "w", encoding="utf-8") as stream:
        log_statements(stream)
        try:
            report = build_report(odd_lake, config=Config())
        finally:
            logging.getLogger("auditpipe.sql").setLevel(logging.WARNING)
    text = log.read_text(encoding="utf-8")
    assert len(report.evidence) == len(report.findings) > 3
    assert text.count("CREATE OR REPLACE TEMP TABLE evidence_raw") == 1
    assert text.count("FROM events") >= 1
