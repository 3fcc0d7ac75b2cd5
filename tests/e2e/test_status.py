"""``auditpipe status``: what the lake holds, its last run, and who holds the lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from auditpipe.lake.runs import RunRecord, save_run
from auditpipe.status import lake_status, lock_holder
from tests.support.nightly import event, run_cli, write_log


@pytest.fixture
def lake_with_events(tmp_path: Path) -> Lake:
    lake = Lake.open(tmp_path / "lake", create=True)
    logs = tmp_path / "logs"
    write_log(
        logs / "a.jsonl",
        [event("a1", "2026-03-01"), event("a2", "2026-03-02"), event("a3", "2026-03-02")],
        bad_lines=2,
    )
    write_log(logs / "b.jsonl", [event("b1", "2026-03-02", provider_id="blog-b")])
    write_log(logs / "c.jsonl", [event("a4", "2026-03-01")])  # second file, same partition
    ingest_paths(lake, [logs], IngestSettings())
    return lake


def test_status_of_an_empty_lake_counts_nothing(tmp_path: Path) -> None:
    status = lake_status(Lake.open(tmp_path / "lake", create=True))
    assert (status.events, status.days, status.findings, status.quarantine_rows) == (0, 0, 0, 0)
    assert status.providers == [] and status.last_run is None and status.running is None


def test_status_counts_days_providers_events_quarantine_and_files(lake_with_events: Lake) -> None:
    import datetime as dt

    status = lake_status(lake_with_events, today=dt.date(2026, 4, 1))
    assert status.events == 5
    assert status.days == 2
    assert (status.first_day, status.last_day) == (dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert [(p.provider_id, p.events, p.days) for p in status.providers] == [
        ("blog-b", 1, 1),
        ("forum-a", 4, 2),
    ]
    assert status.quarantine_rows == 2
    assert status.files_ingested == 3
    assert status.partitions == 3
    assert status.event_files == 4
    assert status.partitions_to_compact == 1  # forum-a 2026-03-01 holds two files
    assert [(d.event_date.day, d.events, d.providers) for d in status.per_day] == [
        (1, 2, 1),
        (2, 3, 2),
    ]


def test_status_shows_the_last_run_and_unfinished_ones(lake_with_events: Lake) -> None:
    done = RunRecord("nightly-1", "2026-03-02", "2026-03-02T18:00:00+00:00")
    done.status, done.exit_code = "completed", 3
    done.summary = {"exit_reason": "2 row(s) quarantined, 0 file(s) rejected"}
    save_run(lake_with_events, done)
    killed = RunRecord("nightly-2", "2026-03-03", "2026-03-03T18:00:00+00:00")
    save_run(lake_with_events, killed)
    status = lake_status(lake_with_events)
    assert status.last_run is not None
    assert status.last_run["run_id"] == "nightly-2"
    assert status.last_run["status"] == "running"
    assert status.unfinished_runs == ["nightly-2"]
    assert status.running is None  # nobody holds the lock: the run was killed


def test_lock_holder_is_reported_only_while_its_process_lives(tmp_path: Path) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    with lake.locked("nightly"):
        holder = lock_holder(Lake.open(lake.root))
        assert holder is not None and f"pid {os.getpid()}" in holder
    assert lock_holder(lake) is None
    # A process that dies holding the lock leaves its text behind, but not the lock.
    script = (
        "import os, signal, sys\n"
        "from auditpipe.lake import Lake\n"
        "lake = Lake.open(sys.argv[1])\n"
        "with lake.locked('nightly'):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(lake.root)], check=False)
    assert proc.returncode == -9
    assert "nightly" in (lake.meta_dir / "lock").read_text()
    assert lock_holder(lake) is None


def test_status_cli_prints_a_table_and_json(
    lake_with_events: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["status", "--lake", str(lake_with_events.root)], capsys)
    assert code == 0
    assert "5 events over 2 day(s)" in out and "forum-a" in out and "2 quarantined" in out
    code, out, _ = run_cli(["status", "--lake", str(lake_with_events.root), "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["events"] == 5 and doc["quarantine_rows"] == 2 and doc["last_run"] is None


def test_status_of_a_missing_lake_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["status", "--lake", str(tmp_path / "nowhere")], capsys)
    assert code == 2
    assert "no lake at" in err and "Traceback" not in err


def test_the_last_run_is_the_last_started_even_when_the_clock_went_back(
    lake_with_events: Lake,
) -> None:
    # Runs were ordered by their start time: after the clock was set back a day (a wrong time
    # corrected, a virtual machine restored), status named the previous run as the last one,
    # and a failed night looked like the clean one before it.
    done = RunRecord("nightly-b", "2026-03-02", "2026-03-02T18:00:00+00:00")
    done.status, done.exit_code = "completed", 0
    save_run(lake_with_events, done)
    failed = RunRecord("nightly-a", "2026-03-02", "2026-03-01T18:00:00+00:00")
    failed.status, failed.exit_code, failed.error = "failed", 2, "the disk is full"
    save_run(lake_with_events, failed)
    save_run(lake_with_events, done)  # saved again: keeps its place
    status = lake_status(lake_with_events)
    assert status.last_run is not None
    assert (status.last_run["run_id"], status.last_run["exit_code"]) == ("nightly-a", 2)


def test_status_does_not_import_the_nightly_job() -> None:
    """status words the last run's outcome itself, not through the nightly package (which
    would import ingest and detect into every status)."""
    import subprocess
    import sys

    code = "import sys, auditpipe.status; print(any(m.startswith('auditpipe.nightly') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
