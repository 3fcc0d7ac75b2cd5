"""A day with account snapshots and no events: detect evaluates it and dates real-name findings
there, so the report's default period, a period of that day alone, and the nightly run that
brought the snapshot all show them (a night bringing only a snapshot failed with exit 2 and
left its run unfinished for every later night, and the default report left them out)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import REPO
from tests.support.cli import run_main
from tests.support.nightly import nightly_args, table_rows

SNAPSHOT_DAY = "2026-03-05"  # after forum-a's last day with events (2026-03-03)


@pytest.fixture()
def lake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    inbox.mkdir()
    shutil.copy(REPO / "sample_data" / "forum-a.jsonl", inbox)
    code, _, err = run_main(nightly_args(inbox, lake), capsys)
    assert code in (0, 1), err
    # the provider's next delivery: only a snapshot of its users, dated a day with no events
    lines = (REPO / "sample_data" / "forum-a-2026-03-02.accounts.jsonl").read_text().splitlines()
    (inbox / f"forum-a-{SNAPSHOT_DAY}.accounts.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    code, _, err = run_main(nightly_args(inbox, lake, "--date", "2026-03-06"), capsys)
    assert code in (0, 1, 3), err  # 3: the sample snapshot's planted bad rows are quarantined
    return lake


def _report(lake: Path, capsys: pytest.CaptureFixture[str], *period: str) -> dict:
    code, out, err = run_main(["report", "--lake", str(lake), "--format", "json", *period], capsys)
    assert code == 0, err
    return json.loads(out)


def test_a_night_bringing_only_a_snapshot_reports_and_finishes(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    night = json.loads(next((lake / "reports" / "2026-03-06").glob("*.json")).read_text())
    assert night["period"]["until"] == SNAPSHOT_DAY
    # the next night has nothing to take over: no run was left unfinished
    code, _, err = run_main(nightly_args(tmp_path / "inbox", lake, "--date", "2026-03-07"), capsys)
    assert code == 0, err
    code, out, err = run_main(["status", "--lake", str(lake)], capsys)
    assert code == 0 and "nfinished" not in out + err


def test_the_default_report_holds_every_stored_finding(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ((stored,),) = table_rows(lake, "SELECT count(*) FROM findings")
    ((on_day,),) = table_rows(
        lake, f"SELECT count(*) FROM findings WHERE event_date = DATE '{SNAPSHOT_DAY}'"
    )
    assert on_day > 0
    report = _report(lake, capsys)
    assert report["period"]["until"] == SNAPSHOT_DAY
    assert report["totals"]["findings"] == stored
    alone = _report(lake, capsys, "--since", SNAPSHOT_DAY, "--until", SNAPSHOT_DAY)
    assert alone["totals"]["findings"] == on_day
    assert alone["coverage"]["events"] == 0
    # no events: the providers row says 0, not "0: " with an empty list
    code, out, err = run_main(
        ["report", "--lake", str(lake), "--format", "markdown", "--since", SNAPSHOT_DAY], capsys
    )
    assert code == 0, err
    assert "| Providers | 0 |" in out and "0: " not in out


def test_a_period_with_nothing_at_all_is_still_a_usage_error(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        ["report", "--lake", str(lake), "--since", "2026-03-07", "--until", "2026-03-08"], capsys
    )
    assert code == 2 and "2026-03-01" in err and SNAPSHOT_DAY in err


def test_a_first_night_bringing_only_a_snapshot_reports_and_finishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    inbox.mkdir()
    shutil.copy(REPO / "sample_data" / "forum-a-2026-03-02.accounts.jsonl", inbox)
    code, _, err = run_main(nightly_args(inbox, lake), capsys)
    assert code in (0, 1, 3), err
    (report,) = (lake / "reports").rglob("*.json")
    assert json.loads(report.read_text())["period"]["since"] == "2026-03-02"
    code, _, err = run_main(nightly_args(inbox, lake), capsys)
    assert code == 0, err
