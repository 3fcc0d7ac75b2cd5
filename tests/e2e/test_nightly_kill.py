"""Killed at any point and run again, the nightly job ends as one clean run would have.

The scenario is a second night on a lake that already holds a first one: a new day with a
breach, late events that update a first-night finding, a file with bad rows, and a file the
lake already has, with --move-processed. A clean run of that night is the reference. Each
test copies the same starting state, SIGKILLs a nightly in a child process at one point (the
phase boundaries through AUDITPIPE_TEST_KILL_AT, inside a lake commit through a patched
``Lake.apply_journal``, or after a delay), reruns it, and compares the lake (events,
quarantine, findings, manifest), the inbox, the reports and the summary with the reference.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from auditpipe.lake import Lake
from auditpipe.lake.runs import nightly_runs
from auditpipe.nightly.killpoints import KILL_POINTS
from tests.support.nightly import (
    REPO,
    breach,
    event,
    lake_snapshot,
    nightly_args,
    run_cli,
    run_subprocess,
    write_log,
)

pytestmark = pytest.mark.slow

NIGHT2 = ["--move-processed", "--fail-on", "low", "--json"]


def _night_one(root: Path) -> None:
    """Night one (run clean), then night two's deliveries dropped into the inbox."""
    inbox, lake = root / "inbox", root / "lake"
    write_log(
        inbox / "forum-a" / "n1.jsonl",
        [breach("a1", "2026-03-01"), event("a2", "2026-03-01"), event("a3", "2026-03-02")],
    )
    write_log(inbox / "blog-b" / "n1.jsonl", [event("b1", "2026-03-02", provider_id="blog-b")])
    first = run_subprocess(nightly_args(inbox, lake, *NIGHT2))
    assert first.returncode == 1, first.stderr
    write_log(
        inbox / "forum-a" / "new.jsonl",
        [breach("a4", "2026-03-03", actor_id="emp-8"), event("a5", "2026-03-03")],
    )
    write_log(inbox / "forum-a" / "late.jsonl", [breach("a6", "2026-03-01"), event("a7")])
    write_log(inbox / "blog-b" / "bad.jsonl", [event("b2", "2026-03-03")], bad_lines=2)
    processed = inbox / "processed" / "2026-03-05" / "forum-a" / "n1.jsonl"
    shutil.copy2(processed, inbox / "forum-a" / "resent.jsonl")


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state before night two, built once for the module."""
    root = tmp_path_factory.mktemp("start")
    _night_one(root)
    return root


@pytest.fixture(scope="module")
def reference(start: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Night two run once, cleanly."""
    clean = tmp_path_factory.mktemp("clean")
    shutil.copytree(start, clean, dirs_exist_ok=True)
    started = time.monotonic()
    proc = run_subprocess(nightly_args(clean / "inbox", clean / "lake", *NIGHT2))
    seconds = time.monotonic() - started
    return {**_outcome(clean, proc.returncode, json.loads(proc.stdout)), "seconds": seconds}


def _outcome(root: Path, code: int, summary: dict[str, Any]) -> dict[str, Any]:
    inbox, lake = root / "inbox", root / "lake"
    reports = sorted(
        p.relative_to(lake / "reports").as_posix() for p in (lake / "reports").rglob("*")
    )
    report_text = next((lake / "reports").rglob("*.json")).read_text()
    report_json = json.loads(report_text.replace(str(root), "<root>"))
    return {
        "lake": lake_snapshot(lake),
        "inbox": sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file()),
        "reports": reports,
        "report_json": _without_times(report_json),
        "exit_code": code,
        "ingested": summary["files"]["ingested"],
        "rows": summary["rows"],
        "days_evaluated": summary["days_evaluated"],
        "findings": summary["findings"],
        "exposure": summary["exposure"],
        "leftovers": sorted(
            p.name
            for folder in ("staging", "journal")
            for p in (lake / "_auditpipe" / folder).glob("*")
        )
        + sorted(p.name for p in (lake / "_auditpipe" / "runs").glob("*.parquet")),
    }


def _without_times(doc: Any) -> Any:
    """A report minus when it was made (the only thing two correct runs differ in)."""
    if isinstance(doc, dict):
        return {
            k: _without_times(v)
            for k, v in doc.items()
            if not (k.startswith("generated") or k == "detected_at")
        }
    if isinstance(doc, list):
        return [_without_times(v) for v in doc]
    return doc


def _without_seconds(reference: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in reference.items() if k != "seconds"}


def _copy_start(start: Path, tmp_path: Path) -> Path:
    case = tmp_path / "case"
    shutil.copytree(start, case)
    return case


def _rerun(case: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The run after the kill (in this process: only the killed run needs its own)."""
    code, out, err = run_cli(nightly_args(case / "inbox", case / "lake", *NIGHT2), capsys)
    assert code in (0, 1, 3), err
    return _outcome(case, code, json.loads(out))


def test_the_reference_night_did_what_the_scenario_says(reference: dict[str, Any]) -> None:
    assert reference["exit_code"] == 1
    assert reference["ingested"] == 3
    assert reference["rows"] == {"read": 7, "stored": 5, "quarantined": 2, "duplicate": 0}
    assert reference["days_evaluated"] == ["2026-03-01", "2026-03-03"]
    assert sum(reference["findings"]["new_by_severity"].values()) == 1
    assert sum(reference["findings"]["updated_by_severity"].values()) == 1
    assert reference["inbox"] == [
        "processed/2026-03-05/blog-b/bad.jsonl",
        "processed/2026-03-05/blog-b/n1.jsonl",
        "processed/2026-03-05/forum-a/late.jsonl",
        "processed/2026-03-05/forum-a/n1.jsonl",
        "processed/2026-03-05/forum-a/new.jsonl",
        "processed/2026-03-05/forum-a/resent.jsonl",
    ]
    assert reference["leftovers"] == []


@pytest.mark.parametrize("point", [p for p in KILL_POINTS if p != "locked"])
def test_killed_at_a_phase_boundary_the_rerun_equals_a_clean_run(
    point: str,
    start: Path,
    reference: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = _copy_start(start, tmp_path)
    killed = run_subprocess(
        nightly_args(case / "inbox", case / "lake", *NIGHT2), env={"AUDITPIPE_TEST_KILL_AT": point}
    )
    assert killed.returncode == -signal.SIGKILL
    assert _rerun(case, capsys) == _without_seconds(reference)


_KILL_IN_COMMIT = """
import os, signal, sys
import auditpipe.lake as lake_module

limit, when = int(sys.argv[1]), sys.argv[2]
real = lake_module.Lake.apply_journal
seen = {"commits": 0}

def apply_journal(self, journal):
    seen["commits"] += 1
    if seen["commits"] == limit and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)  # committed (journal written), not applied
    real(self, journal)
    if seen["commits"] == limit and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)

lake_module.Lake.apply_journal = apply_journal
from auditpipe.cli import main
main(sys.argv[3:])
"""


@pytest.mark.parametrize(
    ("commit", "when"),
    [(2, "before"), (2, "after")],
    ids=["mid-ingest-journal-pending", "mid-ingest-applied"],
)
def test_killed_inside_a_lake_commit_the_rerun_equals_a_clean_run(
    commit: int,
    when: str,
    start: Path,
    reference: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Commits of night two: ingest bad, late, new (1-3), the findings baseline (4),
    detect (5), dropping the baseline (6)."""
    case = _copy_start(start, tmp_path)
    args = nightly_args(case / "inbox", case / "lake", *NIGHT2)
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_IN_COMMIT, str(commit), when, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if when == "before":
        assert list((case / "lake" / "_auditpipe" / "journal").glob("*.json")), "left pending"
    assert _rerun(case, capsys) == _without_seconds(reference)


def test_killed_twice_in_a_row_the_third_run_equals_a_clean_run(
    start: Path, reference: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _copy_start(start, tmp_path)
    args = nightly_args(case / "inbox", case / "lake", *NIGHT2)
    for point in ("ingested", "detected"):
        killed = run_subprocess(args, env={"AUDITPIPE_TEST_KILL_AT": point})
        assert killed.returncode == -signal.SIGKILL
    assert _rerun(case, capsys) == _without_seconds(reference)


@pytest.mark.parametrize("share", [0.6])
def test_killed_after_a_delay_the_rerun_equals_a_clean_run(
    share: float,
    start: Path,
    reference: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Killed at ``share`` of the time a clean run took (wherever that lands, the run may even
    have finished): same lake, inbox and reports."""
    case = _copy_start(start, tmp_path)
    args = [
        sys.executable,
        "-m",
        "auditpipe",
        *nightly_args(case / "inbox", case / "lake", *NIGHT2),
    ]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(reference["seconds"] * share)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=120)
    completed = [r for r in nightly_runs(Lake.open(case / "lake")) if r.status == "completed"]
    outcome = _rerun(case, capsys)
    keys = ["lake", "inbox", "reports", "report_json", "leftovers"]
    if len(completed) == 1:  # only night one's: the killed run's work fell to the rerun
        keys += ["exit_code", "ingested", "rows", "days_evaluated", "findings", "exposure"]
    else:  # it had completed (its record says how) and died on its way out
        assert completed[-1].exit_code == reference["exit_code"]
    assert {k: outcome[k] for k in keys} == {k: reference[k] for k in keys}
