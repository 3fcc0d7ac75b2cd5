"""The lake's promises: idempotent, deduplicated, reconciled, locked, clear about bad usage."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditpipe.cli import cli
from auditpipe.errors import LakeError, LockError
from auditpipe.lake import Lake
from tests.support.ingest import good, ingest, lake_snapshot, query, write_jsonl


def test_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [good(actor_id=f"a{i}") for i in range(50)] + ["bad"])
    ingest(tmp_path / "lake", log)
    before = lake_snapshot(tmp_path / "lake")
    again = ingest(tmp_path / "lake", log)
    assert again.files[0].status == "skipped"
    assert (again.rows_read, again.rows_stored) == (0, 0)
    assert lake_snapshot(tmp_path / "lake") == before


def test_same_content_under_another_name_is_recognised(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [good()])
    ingest(tmp_path / "lake", log)
    copy = tmp_path / "renamed.jsonl"
    copy.write_bytes(log.read_bytes())
    assert ingest(tmp_path / "lake", copy).files[0].status == "skipped"


def test_event_is_stored_once_across_files_and_runs(tmp_path: Path) -> None:
    a = write_jsonl(
        tmp_path / "a.jsonl", [good(event_id="e1"), good(event_id="e2"), good(event_id="e1")]
    )
    b = write_jsonl(
        tmp_path / "b.jsonl", [good(event_id="e2", actor_id="other"), good(event_id="e3")]
    )
    first = ingest(tmp_path / "lake", a)
    assert (first.rows_stored, first.rows_duplicate) == (2, 1)
    second = ingest(tmp_path / "lake", b)
    assert (second.rows_stored, second.rows_duplicate) == (1, 1)
    got = query(tmp_path / "lake", "SELECT event_id, actor_id FROM events ORDER BY 1")
    assert got == [("e1", "emp-1"), ("e2", "emp-1"), ("e3", "emp-1")]


@pytest.mark.parametrize("batch_bytes", [64, 1024, 32 << 20])
def test_a_file_holding_its_events_twice_stores_them_once(tmp_path: Path, batch_bytes: int) -> None:
    # a re-delivery appended to the file: every batch of the second half is repeats only
    rows = [good(event_id=f"e{i}", provider_id=f"p{i % 3}") for i in range(40)]
    result = ingest(
        tmp_path / "lake", write_jsonl(tmp_path / "a.jsonl", rows + rows), batch_bytes=batch_bytes
    )
    (f,) = result.files
    assert (f.status, f.rows_stored, f.rows_duplicate) == ("ingested", 40, 40)


def test_same_event_id_of_two_providers_is_two_events(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "a.jsonl", [good(event_id="e1"), good(event_id="e1", provider_id="isp-c")]
    )
    assert ingest(tmp_path / "lake", log).rows_stored == 2


def test_every_file_reconciles_and_the_manifest_records_it(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "a.jsonl", [good(event_id="x"), good(event_id="x"), "{", good(action="fly")]
    )
    result = ingest(tmp_path / "lake", log)
    f = result.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined, f.rows_duplicate) == (4, 1, 2, 1)
    assert f.reconciles
    entry = json.loads((tmp_path / "lake/_auditpipe/manifest" / f"{f.sha256}.json").read_text())
    assert (
        entry["rows_read"],
        entry["rows_stored"],
        entry["rows_quarantined"],
        entry["rows_duplicate"],
    ) == (4, 1, 2, 1)
    assert entry["status"] == "ingested"
    for rel in entry["files"]:
        assert (tmp_path / "lake" / rel).is_file()


def test_no_staging_or_journal_left_after_a_run(tmp_path: Path) -> None:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "a.jsonl", [good()]))
    meta = tmp_path / "lake" / "_auditpipe"
    assert not list((meta / "journal").glob("*")) if (meta / "journal").exists() else True
    assert not (meta / "staging").exists() or not list((meta / "staging").iterdir())


def test_second_writer_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    log = write_jsonl(tmp_path / "a.jsonl", [good()])
    with lake.locked("test holder"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "auditpipe",
                "ingest",
                str(log),
                "--lake",
                str(tmp_path / "lake"),
            ],
            capture_output=True,
            text=True,
        )
        with pytest.raises(LockError):
            other = Lake.open(tmp_path / "lake")
            with other.locked("second"):
                pass
    assert proc.returncode == 2
    assert "is busy" in proc.stderr and "test holder" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list((tmp_path / "lake").glob("events/*"))


def test_a_killed_holder_does_not_leave_a_stale_lock(tmp_path: Path) -> None:
    Lake.open(tmp_path / "lake", create=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time, sys; from auditpipe.lake import Lake\n"
            f"l = Lake.open({str(tmp_path / 'lake')!r})\n"
            "with l.locked('sleeper'):\n    print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait()
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "a.jsonl", [good()]))
    assert result.rows_stored == 1


def test_folder_that_is_not_a_lake_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("hello")
    with pytest.raises(LakeError, match="is not an auditpipe lake"):
        Lake.open(tmp_path / "stuff", create=True)


@pytest.mark.parametrize("leftover", [[], [".lake.json.1a2b3c4d.tmp"]])
def test_a_lake_whose_creation_was_killed_is_created_on_the_next_run(
    tmp_path: Path, leftover: list[str]
) -> None:
    # A kill inside Lake.open(create=True) can leave _auditpipe/ with at most the marker's
    # temporary file; the next run must finish creating the lake, not refuse the folder.
    internal = tmp_path / "lake" / "_auditpipe"
    internal.mkdir(parents=True)
    for name in leftover:
        (internal / name).write_text("{")
    lake = Lake.open(tmp_path / "lake", create=True)
    assert (internal / "lake.json").is_file()
    assert lake.timezone


def test_an_internal_folder_with_other_files_is_still_refused(tmp_path: Path) -> None:
    internal = tmp_path / "lake" / "_auditpipe"
    internal.mkdir(parents=True)
    (internal / "journal").mkdir()
    with pytest.raises(LakeError, match="is not an auditpipe lake"):
        Lake.open(tmp_path / "lake", create=True)


def test_disk_full_midway_publishes_nothing_and_a_rerun_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditpipe.lake as lake_module

    log = write_jsonl(tmp_path / "a.jsonl", [good(actor_id=f"a{i}") for i in range(20)])
    Lake.open(tmp_path / "lake", create=True)
    before = lake_snapshot(tmp_path / "lake")

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lake_module, "verify_parquet", full)
    monkeypatch.setattr("auditpipe.ingest.stage.verify_parquet", full)
    with pytest.raises(OSError):
        ingest(tmp_path / "lake", log)
    assert lake_snapshot(tmp_path / "lake") == before
    monkeypatch.undo()
    assert ingest(tmp_path / "lake", log).rows_stored == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "does not exist"),
        (["notes.txt"], "unknown kind of file"),
    ],
)
def test_bad_usage_gets_a_clear_error_and_exit_2(
    tmp_path: Path, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.chdir(tmp_path)  # undone after the test: later tests resolve paths from here
    result = CliRunner().invoke(cli, ["ingest", *args, "--lake", str(tmp_path / "lake")])
    assert result.exit_code != 0
    proc = subprocess.run(
        [sys.executable, "-m", "auditpipe", "ingest", *args, "--lake", str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "Hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_lake_that_is_not_a_lake(tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "x").write_text("x")
    log = write_jsonl(tmp_path / "a.jsonl", [good()])
    proc = subprocess.run(
        [sys.executable, "-m", "auditpipe", "ingest", str(log), "--lake", str(tmp_path / "stuff")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "is not an auditpipe lake" in proc.stderr


def test_cli_prints_reconciliation_and_exit_codes(tmp_path: Path) -> None:
    clean = write_jsonl(tmp_path / "clean.jsonl", [good()])
    dirty = write_jsonl(tmp_path / "dirty.jsonl", [good(actor_id="z"), "{"])
    env = {**os.environ, "AUDITPIPE_LAKE": str(tmp_path / "lake")}
    ok = subprocess.run(
        [sys.executable, "-m", "auditpipe", "ingest", str(clean), "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["total"] == {
        "files": 1,
        "rejected": 0,
        "rows_read": 1,
        "rows_stored": 1,
        "rows_quarantined": 0,
        "rows_duplicate": 0,
    }
    bad = subprocess.run(
        [sys.executable, "-m", "auditpipe", "ingest", str(dirty)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 3
    assert "dirty.jsonl" in bad.stdout and "total" in bad.stdout
    assert "1 rows quarantined" in bad.stderr
    assert "ingesting" in bad.stderr  # plain progress lines when stderr is not a terminal


def test_help_explains_itself_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["ingest", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "auditpipe ingest" in result.output
