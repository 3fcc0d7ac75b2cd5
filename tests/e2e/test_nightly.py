"""``auditpipe nightly``: what one run does, its exit codes, the inbox rules and the lock."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from auditpipe.lake import Lake
from auditpipe.lake.runs import nightly_runs
from auditpipe.nightly.inbox import scan_inbox
from tests.support.nightly import (
    breach,
    event,
    lake_snapshot,
    nightly_args,
    run_cli,
    run_subprocess,
    table_rows,
    write_log,
)

NIGHT = "2026-03-05"  # nightly_args passes --date 2026-03-05


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def nightly(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict, str]:
    """Run nightly with --json: (exit code, summary, stderr)."""
    code, out, err = run_cli(nightly_args(inbox, lake, "--json", *extra), capsys)
    return code, json.loads(out) if out.strip() else {}, err


# -- one night -----------------------------------------------------------------------------
def test_a_night_ingests_detects_and_writes_the_reports_named_by_date(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "forum-a.jsonl", [event("e1"), breach("e2"), breach("e3", "2026-03-02")])
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "low")

    assert code == 1, summary["exit_reason"]
    assert summary["files"]["ingested"] == 1
    assert summary["rows"] == {"read": 3, "stored": 3, "quarantined": 0, "duplicate": 0}
    assert summary["days_evaluated"] == ["2026-03-01", "2026-03-02"]
    assert sum(summary["findings"]["new_by_severity"].values()) == 2
    assert [e["provider_id"] for e in summary["exposure"]] == ["forum-a"]
    assert summary["exposure_total"]["providers"] == 1
    assert summary["exposure_total"]["fine_max_cny"] == summary["exposure"][0]["fine_max_cny"]
    assert table_rows(lake, "SELECT count(*) FROM findings") == [(2,)]
    folder = lake / "reports" / NIGHT
    expected = {f"auditpipe-report-{NIGHT}.{ext}" for ext in ("html", "md", "json")}
    assert {p.name for p in folder.iterdir()} == expected, "no temp files left beside them"
    assert sorted(summary["reports"]) == sorted(str(folder / name) for name in expected)
    json.loads((folder / f"auditpipe-report-{NIGHT}.json").read_text())
    assert "<html" in (folder / f"auditpipe-report-{NIGHT}.html").read_text().lower()


def test_reports_go_to_the_folder_given(
    inbox: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1")])
    code, summary, _ = nightly(inbox, lake, capsys, "--reports", str(tmp_path / "out"))
    assert code == 0
    assert (tmp_path / "out" / NIGHT / f"auditpipe-report-{NIGHT}.md").is_file()


def test_the_human_summary_says_what_happened(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1"), breach("e2")], bad_lines=1)
    code, out, _ = run_cli(nightly_args(inbox, lake, "--fail-on", "none"), capsys)
    assert code == 3
    assert "Rows: 3 read = 2 stored + 1 quarantined + 0 duplicate" in out
    assert "Days evaluated: 2026-03-01" in out
    assert "Findings: new 1" in out
    assert "forum-a" in out and "estimate for review" in out
    assert f"auditpipe-report-{NIGHT}.html" in out
    assert "FROM quarantine" in out


# -- exit codes ----------------------------------------------------------------------------
def test_exit_0_when_everything_was_stored_and_nothing_new_reaches_fail_on(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1"), event("e2")])
    code, summary, _ = nightly(inbox, lake, capsys)
    assert (code, summary["exit_reason"]) == (0, "clean")


def test_exit_1_when_new_findings_reach_fail_on_and_none_disables_it(
    inbox: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [breach("e1")])
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "none")
    assert code == 0
    write_log(inbox / "b.jsonl", [breach("e2", "2026-03-02")])
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "low")
    assert code == 1 and "new finding(s) at or above low" in summary["exit_reason"]


def test_exit_1_only_for_findings_at_or_above_the_level(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [breach("e1")])
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "critical")
    (severity,) = [s for s, n in summary["findings"]["new_by_severity"].items() if n]
    assert severity != "critical", "the scenario needs a finding below critical"
    assert code == 0, f"a {severity} finding must not fail --fail-on critical"


def test_exit_3_when_rows_were_quarantined(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1")], bad_lines=2)
    code, summary, _ = nightly(inbox, lake, capsys)
    assert code == 3
    assert summary["rows"]["quarantined"] == 2
    assert summary["exit_reason"] == "2 row(s) quarantined, 0 file(s) rejected"


def test_exit_1_takes_precedence_over_3(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [breach("e1")], bad_lines=1)
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "low")
    assert code == 1 and summary["rows"]["quarantined"] == 1


def test_exit_3_for_a_rejected_file_which_stays_in_the_inbox(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = gzip.compress(("\n".join(json.dumps(event(f"e{i}")) for i in range(50))).encode())
    (inbox / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    write_log(inbox / "good.jsonl", [event("g1")])
    old = time.time() - 600
    os.utime(inbox / "cut.jsonl.gz", (old, old))
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    assert code == 3
    statuses = {f["path"]: f["status"] for f in summary["files"]["list"]}
    assert statuses == {"cut.jsonl.gz": "rejected", "good.jsonl": "ingested"}
    assert (inbox / "cut.jsonl.gz").exists(), "a rejected file is not moved away"
    assert (inbox / "processed" / NIGHT / "good.jsonl").exists()
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    assert code == 3, "still there, still reported, until someone deals with it"


def test_exit_2_when_the_inbox_is_missing(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(nightly_args(tmp_path / "nowhere", lake), capsys)
    assert code == 2
    assert "inbox" in err and "is not a folder" in err and "Traceback" not in err
    assert not lake.exists(), "a usage error leaves no lake and no run record to complete"


def test_exit_2_when_the_lake_is_not_a_lake(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_lake = tmp_path / "stuff"
    not_a_lake.mkdir()
    (not_a_lake / "file.txt").write_text("x")
    code, out, err = run_cli(nightly_args(inbox, not_a_lake, "--json"), capsys)
    assert code == 2 and "not an auditpipe lake" in err
    assert json.loads(out)["status"] == "failed", "--json still prints one object"


def test_exit_2_for_an_unexpected_error_never_1(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditpipe.detect

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(auditpipe.detect, "run_detect", broken)
    write_log(inbox / "a.jsonl", [breach("e1")])
    code, out, err = run_cli(nightly_args(inbox, lake), capsys)
    assert code == 2
    assert "unexpected internal error: ZeroDivisionError: boom" in err and "Traceback" not in err


# -- runs after the first ------------------------------------------------------------------
def test_a_second_run_with_nothing_new_changes_nothing(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1"), breach("e2")])
    nightly(inbox, lake, capsys, "--fail-on", "none")
    before = lake_snapshot(lake)
    report = lake / "reports" / NIGHT / f"auditpipe-report-{NIGHT}.json"
    written = report.stat().st_mtime_ns
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "low")
    assert code == 0
    assert summary["files"]["skipped"] == 1 and summary["files"]["ingested"] == 0
    assert summary["days_evaluated"] == [] and summary["reports"] == []
    assert lake_snapshot(lake) == before
    assert report.stat().st_mtime_ns == written, "the night's report is not replaced by less"


def test_late_events_re_evaluate_their_old_day(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "night1.jsonl", [breach("e1", "2026-03-01"), event("e2", "2026-03-02")])
    nightly(inbox, lake, capsys, "--fail-on", "none")
    # The same employee read another password hash on 03-01; it arrives a night late.
    write_log(inbox / "night2.jsonl", [event("e3", "2026-03-03"), breach("e4", "2026-03-01")])
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "low")
    assert summary["days_evaluated"] == ["2026-03-01", "2026-03-03"]
    assert sum(summary["findings"]["updated_by_severity"].values()) == 1
    assert sum(summary["findings"]["new_by_severity"].values()) == 0
    assert code == 0, "an updated finding is not a new one"
    assert table_rows(lake, "SELECT event_count FROM findings") == [(2,)]


def test_the_same_content_twice_in_the_inbox_is_ingested_once(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1"), event("e2")])
    (inbox / "copy-of-a.jsonl").write_bytes((inbox / "a.jsonl").read_bytes())
    os.utime(inbox / "copy-of-a.jsonl", (time.time() - 600,) * 2)
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    assert code == 0
    statuses = {f["path"]: (f["status"], f["reason"]) for f in summary["files"]["list"]}
    assert statuses["a.jsonl"] == ("ingested", None)
    assert statuses["copy-of-a.jsonl"] == ("skipped", "same content as a.jsonl")
    assert summary["files"]["moved"] == 2
    assert table_rows(lake, "SELECT count(*) FROM events") == [(2,)]
    assert len(list((lake / "_auditpipe" / "manifest").glob("*.json"))) == 1


def test_moved_files_land_in_processed_and_a_redelivery_is_not_ingested_again(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "forum-a" / "day1.jsonl", [event("e1")])
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    moved = inbox / "processed" / NIGHT / "forum-a" / "day1.jsonl"
    assert moved.is_file() and not (inbox / "forum-a" / "day1.jsonl").exists()
    assert summary["files"]["list"][0]["moved_to"] == f"processed/{NIGHT}/forum-a/day1.jsonl"
    # The provider sends the same bytes again under the same name.
    write_log(inbox / "forum-a" / "day1.jsonl", [event("e1")])
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    assert code == 0
    assert summary["files"]["skipped"] == 1 and summary["files"]["moved"] == 1
    assert not (inbox / "forum-a" / "day1.jsonl").exists()
    assert table_rows(lake, "SELECT count(*) FROM events") == [(1,)]
    # Different bytes under a name already taken in processed/: both kept.
    write_log(inbox / "forum-a" / "day1.jsonl", [event("e9")])
    nightly(inbox, lake, capsys, "--move-processed")
    assert len(list((inbox / "processed" / NIGHT / "forum-a").iterdir())) == 2


def test_a_move_that_fails_leaves_the_file_and_the_night_detects_and_reports(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The move failing (here 'processed' is a file, so its folder cannot be made; in life a
    # read-only inbox) stopped the night after ingest, before detect, and every night after.
    write_log(inbox / "forum-a" / "day1.jsonl", [event("e1"), breach("e2")])
    (inbox / "processed").write_text("not a folder")
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    assert code == 1, summary  # the breach was detected: the night went on
    entry = next(f for f in summary["files"]["list"] if f["path"] == "forum-a/day1.jsonl")
    assert (entry["status"], entry["moved_to"]) == ("ingested", None)
    assert entry["move_error"] and "processed" in entry["move_error"]
    assert (inbox / "forum-a" / "day1.jsonl").is_file()
    assert summary["days_evaluated"] == ["2026-03-01"]
    assert list((lake / "reports" / NIGHT).iterdir())
    # Once the inbox is fixed, the next night moves it, as a file whose content the lake has.
    (inbox / "processed").unlink()
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    assert summary["files"]["moved"] == 1 and summary["files"]["skipped"] == 1
    assert (inbox / "processed" / NIGHT / "forum-a" / "day1.jsonl").is_file()


def test_files_are_kept_in_place_by_default(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1")])
    code, summary, _ = nightly(inbox, lake, capsys)
    assert (inbox / "a.jsonl").exists() and not (inbox / "processed").exists()
    assert summary["files"]["moved"] == 0


def test_files_still_being_written_wait_for_the_next_run(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "fresh.jsonl", [event("e1")], age_seconds=0)
    write_log(inbox / "upload.jsonl.part", [event("e2")])
    write_log(inbox / "_expected" / "labels.jsonl", [event("e3")])
    write_log(inbox / ".hidden.jsonl", [event("e4")])
    (inbox / "README.txt").write_text("notes from the provider")
    os.utime(inbox / "README.txt", (time.time() - 600,) * 2)
    args = nightly_args(inbox, lake, "--json", "--settle-seconds", "300")
    code, out, _ = run_cli(args, capsys)
    summary = json.loads(out)
    assert code == 0
    statuses = {f["path"]: f["status"] for f in summary["files"]["list"]}
    assert statuses == {
        "fresh.jsonl": "waiting",
        "upload.jsonl.part": "waiting",
        "README.txt": "unsupported",
    }
    assert table_rows(lake, "SELECT count(*) FROM events") == [(0,)]
    os.utime(inbox / "fresh.jsonl", (time.time() - 600,) * 2)
    code, out, _ = run_cli(args, capsys)
    assert json.loads(out)["files"]["ingested"] == 1
    assert table_rows(lake, "SELECT event_id FROM events") == [("e1",)]


def test_a_file_modified_in_the_future_says_so(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Copied from a machine whose clock is ahead (rsync -t, cp -p): it waited night after
    # night as "modified 0 s ago, may still be written", with exit 0.
    path = write_log(inbox / "ahead.jsonl", [event("e1")])
    os.utime(path, (time.time() + 3 * 86400,) * 2)
    code, summary, _ = nightly(inbox, lake, capsys)
    assert code == 0
    (outcome,) = summary["files"]["list"]
    assert outcome["status"] == "waiting"
    assert outcome["reason"].startswith(
        "its modification time is 3 day(s) ahead of this machine's clock"
    )
    assert "touch" in outcome["reason"]


def test_a_file_renamed_or_locked_after_the_scan_does_not_stop_the_night(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hashed by the scan, then renamed by its provider (or its permissions changed) before
    # ingest looked at it: ingest's "inbox/b.jsonl does not exist" failed the whole night
    # (exit 2) and no file was ingested.
    from auditpipe.nightly.inbox import HashCache

    write_log(inbox / "a.jsonl", [event("e1")])
    write_log(inbox / "b.jsonl", [event("e2")])
    write_log(inbox / "c.jsonl", [event("e3")])
    scanned = HashCache.sha256
    real_access = os.access  # this test may run as root, for whom permissions never deny
    locked: set[str] = set()

    def then_gone(cache: HashCache, item: Any) -> str:
        sha = scanned(cache, item)
        if item.path.name == "b.jsonl":
            item.path.rename(item.path.with_name("b.jsonl.done"))
        if item.path.name == "c.jsonl":
            locked.add(str(item.path))
        return sha

    monkeypatch.setattr(HashCache, "sha256", then_gone)
    monkeypatch.setattr(os, "access", lambda p, m: str(p) not in locked and real_access(p, m))
    code, summary, err = nightly(inbox, lake, capsys)
    assert code == 3, err  # c.jsonl could not be read: like a file the scan could not read
    by_path = {f["path"]: (f["status"], f["reason"]) for f in summary["files"]["list"]}
    assert by_path["a.jsonl"] == ("ingested", None)
    assert by_path["b.jsonl"] == (
        "missing",
        "it left the inbox after the scan (renamed or removed)",
    )
    assert by_path["c.jsonl"][0] == "unreadable" and "not readable" in by_path["c.jsonl"][1]
    assert table_rows(lake, "SELECT event_id FROM events") == [("e1",)]


def test_a_lake_and_reports_inside_the_inbox_are_not_read_as_logs(
    inbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `nightly --inbox . --lake ./lake` (./lake is the default) read the lake's own event,
    # finding and quarantine Parquet files back in as logs on the next night: hundreds of rows
    # quarantined, exit 3, every night; the reports were listed as "not log files".
    write_log(inbox / "a.jsonl", [event("e1"), breach("e2")])
    lake = inbox / "lake"
    args = ("--fail-on", "none", "--reports", str(inbox / "out"))
    code, summary, _ = nightly(inbox, lake, capsys, *args)
    assert code == 0, summary
    code, summary, _ = nightly(inbox, inbox / "old" / "lake", capsys, *args[:2])
    assert code == 0, summary
    code, summary, _ = nightly(inbox, lake, capsys, *args)
    assert code == 0, summary
    assert {f["path"]: f["status"] for f in summary["files"]["list"]} == {"a.jsonl": "skipped"}
    assert table_rows(lake, "SELECT count(*) FROM events") == [(2,)]
    assert table_rows(lake, "SELECT count(*) FROM quarantine") == [(0,)]


def test_the_inbox_cannot_be_the_lake(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1")])
    assert nightly(inbox, lake, capsys)[0] == 0
    code, _, err = run_cli(nightly_args(lake, lake), capsys)
    assert code == 2
    assert "is the lake itself" in err
    assert table_rows(lake, "SELECT count(*) FROM events") == [(1,)]


def test_files_it_cannot_read_are_named_and_the_night_goes_on(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loop of links made the whole night fail (exit 2); a link whose target was rotated away
    # was passed over in silence every night; a file without read permission failed its hash.
    write_log(inbox / "a.jsonl", [event("e1")])
    write_log(inbox / "locked.jsonl", [event("e2")])
    (inbox / "loop.jsonl").symlink_to("loop.jsonl")
    (inbox / "rotated.jsonl").symlink_to("gone.jsonl")
    real_access = os.access  # this test may run as root, for whom permissions never deny
    monkeypatch.setattr(
        os, "access", lambda p, mode: Path(p).name != "locked.jsonl" and real_access(p, mode)
    )
    code, summary, _ = nightly(inbox, lake, capsys)
    assert code == 3, summary  # like a rejected file: a log the night could not take
    assert (
        summary["exit_reason"] == "0 row(s) quarantined, 0 file(s) rejected, 3 file(s) unreadable"
    )
    by_path = {f["path"]: (f["status"], f["reason"]) for f in summary["files"]["list"]}
    assert by_path == {
        "a.jsonl": ("ingested", None),
        "locked.jsonl": ("unreadable", "no permission to read it"),
        "loop.jsonl": ("unreadable", "Too many levels of symbolic links"),
        "rotated.jsonl": ("unreadable", "a link to a file that does not exist"),
    }
    assert summary["files"]["unreadable"] == 3
    assert table_rows(lake, "SELECT event_id FROM events") == [("e1",)]


def test_a_folder_it_cannot_list_is_named_not_passed_over(
    inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.walk skips a folder it may not list (a provider's upload folder of mode 700) in
    # silence: its logs were never taken and the night exited 0. (Root may list anything, so
    # the refusal is made here.) ingest names it too, and an inbox it cannot list is exit 2.
    from auditpipe.errors import UsageError
    from auditpipe.ingest.sources import Skipped, discover

    write_log(inbox / "a.jsonl", [event("e1")])
    write_log(inbox / "forum-b" / "b.jsonl", [event("e2")])
    refused: set[str] = {str(inbox / "forum-b")}
    scandir = os.scandir

    def listing(path: Any = ".") -> Any:
        if str(path) in refused:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", listing)
    scan = scan_inbox(inbox, settle_seconds=0)
    assert [f.relpath for f in scan.ready] == ["a.jsonl"]
    assert scan.unreadable == [("forum-b", "a folder it cannot list: Permission denied")]
    skipped = Skipped()
    assert [f.path.name for f in discover([inbox], skipped=skipped)] == ["a.jsonl"]
    assert skipped.unreadable == [inbox / "forum-b"]
    refused.add(str(inbox))
    with pytest.raises(UsageError, match="cannot list inbox .*Permission denied"):
        scan_inbox(inbox, settle_seconds=0)


def test_a_linked_folder_and_a_fifo_named_like_a_log_are_named_not_passed_over(
    inbox: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A provider's delivery folder linked into the inbox was never walked (os.walk does not
    # follow links to folders) and never named: its logs waited forever with exit 0. A FIFO
    # named like a log was passed over in silence too.
    write_log(inbox / "a.jsonl", [event("e1")])
    write_log(tmp_path / "elsewhere" / "b.jsonl", [event("e2")])
    (inbox / "provider-b").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    os.mkfifo(inbox / "stream.jsonl")
    os.mkfifo(inbox / "control")
    code, summary, _ = nightly(inbox, lake, capsys)
    by_path = {f["path"]: (f["status"], f["reason"]) for f in summary["files"]["list"]}
    assert code == 3, by_path
    assert by_path["a.jsonl"] == ("ingested", None)
    assert by_path["provider-b"][0] == "unreadable"
    assert by_path["provider-b"][1].startswith("a link to a folder")
    assert by_path["stream.jsonl"] == (
        "unreadable",
        "not a regular file (a FIFO, device or socket)",
    )
    assert by_path["control"][0] == "unsupported"
    assert table_rows(lake, "SELECT event_id FROM events") == [("e1",)]


def test_a_file_that_fails_to_read_when_hashed_is_named_and_the_night_goes_on(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Readable when the inbox was scanned, then an I/O error (a disk, a network mount) or a
    # file removed before its hash: the first failed the whole night (exit 2).
    from auditpipe.errors import InputFileError
    from auditpipe.ingest import sources

    write_log(inbox / "a.jsonl", [event("e1")])
    write_log(inbox / "bad-disk.jsonl", [event("e2")])
    write_log(inbox / "removed.jsonl", [event("e3")])
    real_sha256_of = sources.sha256_of

    def failing(path: Path, *args: Any, **kwargs: Any) -> str:
        if path.name == "removed.jsonl":
            path.unlink()
        if path.name in ("bad-disk.jsonl", "removed.jsonl"):
            raise InputFileError(f"cannot read {path}: Input/output error")
        return real_sha256_of(path, *args, **kwargs)

    monkeypatch.setattr(sources, "sha256_of", failing)
    code, summary, _ = nightly(inbox, lake, capsys)
    assert code == 3, summary
    by_path = {f["path"]: f["status"] for f in summary["files"]["list"]}
    assert by_path == {"a.jsonl": "ingested", "bad-disk.jsonl": "unreadable"}  # removed: gone
    assert table_rows(lake, "SELECT event_id FROM events") == [("e1",)]


@pytest.mark.parametrize("stdout", ["closed pipe", "full disk"])
@pytest.mark.parametrize("fmt", ["--json", "--fail-on=high"])
def test_a_summary_that_cannot_be_printed_exits_2_and_says_so(
    inbox: Path, lake: Path, stdout: str, fmt: str
) -> None:
    # stdout a pipe whose reader has gone (`nightly | logger`, logger killed): rich exited 1,
    # which a scheduler reads as "new findings", with no message. stdout a file on a full
    # disk (cron's log): "the disk is full at lake", sending the operator to the lake's disk.
    if stdout == "full disk" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    import subprocess
    import sys

    from tests.support.nightly import REPO

    write_log(inbox / "a.jsonl", [event("e1")])
    cmd = [sys.executable, "-m", "auditpipe", *nightly_args(inbox, lake, fmt)]
    if stdout == "full disk":
        with open("/dev/full", "w") as full:
            proc = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True, cwd=REPO)
        code, err = proc.returncode, proc.stderr
    else:
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written
        with os.fdopen(write, "w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True, cwd=REPO)
        code, err = proc.returncode, proc.stderr
    assert code == 2, err
    assert "could not print the summary on standard output" in err
    assert "the run itself completed (exit code 0: clean)" in err
    assert "disk is full" not in err and "Traceback" not in err and "Exception ignored" not in err
    assert nightly_runs(Lake.open(lake))[-1].status == "completed"
    assert table_rows(lake, "SELECT event_id FROM events") == [("e1",)]


def test_a_full_disk_under_the_reports_is_reported_there_not_at_the_lake(
    inbox: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    # write() and fsync() raise ENOSPC without a file name, so the error named the lake (the
    # CLI's fallback): "the disk is full at lake" when --reports was on another, full disk.
    import errno

    reports = tmp_path / "reports-disk"
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(reports)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc")
    monkeypatch.setattr(os, "fsync", fsync)
    write_log(inbox / "a.jsonl", [event("e1")])
    code, out, err = run_cli(nightly_args(inbox, lake, "--reports", str(reports)), capsys)
    assert code == 2
    assert f"the disk is full at {reports / NIGHT}/auditpipe-report-{NIGHT}." in err
    assert f"the disk is full at {lake}" not in err
    assert not list((reports / NIGHT).iterdir()), "no temporary file left behind"


def test_settings_come_from_the_nightly_table_of_the_config(
    inbox: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "auditpipe.toml"
    config.write_text('[nightly]\nmove_processed = true\nfail_on = "low"\nreports_dir = "r"\n')
    write_log(inbox / "a.jsonl", [breach("e1")])
    code, summary, _ = nightly(inbox, lake, capsys, "--config", str(config))
    assert code == 1
    assert summary["files"]["moved"] == 1
    assert (tmp_path / "r" / NIGHT).is_dir()
    config.write_text('[nightly]\nfail_on = "sometimes"\n')
    code, _, err = nightly(inbox, lake, capsys, "--config", str(config))
    assert code == 2 and "fail_on" in err


# -- logs ----------------------------------------------------------------------------------
def test_log_file_gets_one_json_object_per_line(
    inbox: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "logs" / "nightly.jsonl"
    write_log(inbox / "a.jsonl", [event("e1"), breach("e2")], bad_lines=1)
    code, summary, _ = nightly(inbox, lake, capsys, "--log-file", str(log), "--fail-on", "none")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    events = [line["event"] for line in lines]
    assert events[0] == "run_started" and events[-1] == "run_finished"
    assert {"inbox_scanned", "file", "detect_finished", "report_written"} <= set(events)
    assert {line["run_id"] for line in lines} == {summary["run_id"]}
    assert lines[-1]["exit_code"] == code == 3
    (file_line,) = [line for line in lines if line["event"] == "file"]
    assert file_line["rows_quarantined"] == 1 and file_line["path"] == "a.jsonl"


# -- the lock ------------------------------------------------------------------------------
def test_a_log_file_on_a_full_disk_does_not_stop_the_night(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --log-file on a full /var/log: the first log line failed the night before it did
    # anything, with "the disk is full at lake" (the lake's disk had room).
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    write_log(inbox / "a.jsonl", [event("e1")])
    code, out, err = run_cli(
        nightly_args(inbox, lake, "--json", "--quiet", "--log-file", "/dev/full"), capsys
    )
    assert code == 0, err
    assert json.loads(out)["files"]["ingested"] == 1
    assert err.count("cannot write to the log file /dev/full: No space left on device") == 1
    assert "disk is full" not in err
    assert table_rows(lake, "SELECT event_id FROM events") == [("e1",)]


def test_a_second_nightly_exits_2_at_once_while_the_lake_is_locked(
    inbox: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(inbox / "a.jsonl", [event("e1")])
    log = tmp_path / "n.jsonl"
    holder = Lake.open(lake, create=True)
    with holder.locked("nightly"):
        code, out, err = run_cli(nightly_args(inbox, lake, "--log-file", str(log)), capsys)
    assert code == 2
    assert "is busy: auditpipe nightly (pid" in err and "holds its lock" in err
    assert json.loads(log.read_text().splitlines()[-1])["event"] == "lock_busy"
    assert table_rows(lake, "SELECT count(*) FROM events") == [(0,)]
    code, _, _ = run_cli(nightly_args(inbox, lake), capsys)
    assert code == 0, "once the lock is free the next run works"


@pytest.mark.slow
def test_two_nightlies_started_together_do_not_both_run(inbox: Path, lake: Path) -> None:
    import subprocess
    import sys

    write_log(inbox / "a.jsonl", [event(f"e{i}") for i in range(200)])
    Lake.open(lake, create=True)
    args = [sys.executable, "-m", "auditpipe", *nightly_args(inbox, lake, "--json")]
    env = {**os.environ, "AUDITPIPE_TEST_PAUSE_AT": "locked:3"}
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lock = lake / "_auditpipe" / "lock"
    deadline = time.time() + 60
    while not (lock.exists() and "pid" in lock.read_text()) and time.time() < deadline:
        time.sleep(0.05)  # until the first run holds the lock (it then pauses 3 s)
    second = run_subprocess(nightly_args(inbox, lake))
    out, _ = first.communicate(timeout=120)
    assert second.returncode == 2 and "busy" in second.stderr
    assert first.returncode == 0 and json.loads(out)["files"]["ingested"] == 1
    assert table_rows(lake, "SELECT count(*) FROM events") == [(200,)]


@pytest.mark.slow
def test_a_lock_left_by_a_killed_nightly_does_not_block_the_next(inbox: Path, lake: Path) -> None:
    write_log(inbox / "a.jsonl", [event("e1")])
    killed = run_subprocess(nightly_args(inbox, lake), env={"AUDITPIPE_TEST_KILL_AT": "locked"})
    assert killed.returncode == -9
    assert "nightly" in (lake / "_auditpipe" / "lock").read_text(), "its text is still there"
    rerun = run_subprocess(nightly_args(inbox, lake, "--json"))
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["files"]["ingested"] == 1


def test_files_kept_in_the_inbox_are_not_read_again_every_night(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditpipe.ingest.sources as sources

    write_log(inbox / "old.jsonl", [event("e1")])
    nightly(inbox, lake, capsys)
    hashed: list[str] = []
    real = sources.sha256_of

    def counting(path: Path, *args: Any, **kwargs: Any) -> str:
        hashed.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sources, "sha256_of", counting)
    code, summary, _ = nightly(inbox, lake, capsys)
    assert summary["files"]["skipped"] == 1 and "old.jsonl" not in hashed
    write_log(inbox / "old.jsonl", [event("e2")])  # rewritten in place: new content
    code, summary, _ = nightly(inbox, lake, capsys)
    assert "old.jsonl" in hashed and summary["files"]["ingested"] == 1


@pytest.mark.parametrize(
    "entry",
    [5, [1, 2], None, "abc", ["size", "mtime", "inode", "sha"], "STAMP+not-a-sha256"],
)
def test_a_hash_cache_edited_by_hand_is_ignored_not_fatal(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], entry: Any
) -> None:
    # An entry of another shape failed every later night with exit 2 ("unexpected internal
    # error: TypeError") until someone found and deleted the cache; one with the file's stamp
    # but no sha256 in it was believed.
    path = write_log(inbox / "a.jsonl", [event("e1")])
    assert nightly(inbox, lake, capsys)[0] == 0
    cache = lake / "_auditpipe" / "nightly" / "inbox-hashes.json"
    doc = json.loads(cache.read_text())
    if entry == "STAMP+not-a-sha256":
        st = path.stat()
        entry = [st.st_size, st.st_mtime_ns, st.st_ino, "not-a-sha256"]
    doc = {key: entry for key in doc}
    cache.write_text(json.dumps(doc))
    write_log(inbox / "b.jsonl", [event("e2")])
    code, summary, err = nightly(inbox, lake, capsys)
    assert code == 0, err
    assert {f["path"]: f["status"] for f in summary["files"]["list"]} == {
        "a.jsonl": "skipped",
        "b.jsonl": "ingested",
    }
    assert table_rows(lake, "SELECT event_id FROM events ORDER BY 1") == [("e1",), ("e2",)]
    assert all(len(v) == 4 for v in json.loads(cache.read_text()).values())


def test_two_inboxes_into_one_lake_each_keep_their_hashes(
    tmp_path: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One nightly per inbox, into one lake: each run dropped the other inbox's entries from
    # the hash cache, so every night read both inboxes whole again.
    inbox_a, inbox_b = tmp_path / "a", tmp_path / "b"
    write_log(inbox_a / "a.jsonl", [event("e1")])
    write_log(inbox_b / "b.jsonl", [event("e2")])
    nightly(inbox_a, lake, capsys)
    nightly(inbox_b, lake, capsys)
    hashed = counting_hashes(monkeypatch)
    for inbox in (inbox_a, inbox_b, inbox_a):
        code, summary, _ = nightly(inbox, lake, capsys)
        assert code == 0 and summary["files"]["skipped"] == 1
    assert hashed == []
    (inbox_b / "b.jsonl").unlink()  # a file gone from its inbox leaves the cache
    nightly(inbox_a, lake, capsys)
    cache = json.loads((lake / "_auditpipe" / "nightly" / "inbox-hashes.json").read_text())
    assert [Path(k).name for k in cache] == ["a.jsonl"]


def counting_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files read to be hashed, one entry per reading."""
    import auditpipe.ingest.sources as sources

    hashed: list[str] = []
    real = sources.sha256_of

    def counting(path: Path, *args: Any, **kwargs: Any) -> str:
        hashed.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sources, "sha256_of", counting)
    return hashed


def test_a_night_reads_each_new_file_once_to_hash_it(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's sha256 goes with the file to ingest, which does not hash it again."""
    write_log(inbox / "a.jsonl", [event("e1")])
    write_log(inbox / "sub" / "b.jsonl", [event("e2")])
    hashed = counting_hashes(monkeypatch)
    code, summary, _ = nightly(inbox, lake, capsys)
    assert code == 0 and summary["files"]["ingested"] == 2
    assert sorted(hashed) == ["a.jsonl", "b.jsonl"]


def test_a_file_changed_between_the_scan_and_its_ingest_is_hashed_again(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's sha256 is of the old content: ingest hashes the file it reads, and the lake
    records the new content under its own sha256."""
    import hashlib

    from auditpipe.nightly.inbox import HashCache

    path = write_log(inbox / "a.jsonl", [event("e1")])
    scanned = HashCache.sha256

    def then_rewritten(cache: HashCache, item: Any) -> str:
        sha = scanned(cache, item)
        write_log(item.path, [event("e1"), event("e2")])  # after the scan hashed it
        return sha

    monkeypatch.setattr(HashCache, "sha256", then_rewritten)
    hashed = counting_hashes(monkeypatch)
    code, summary, _ = nightly(inbox, lake, capsys)
    assert hashed == ["a.jsonl", "a.jsonl"], "hashed by the scan, then by ingest"
    assert summary["files"]["ingested"] == 1 and summary["rows"]["stored"] == 2
    entry = Lake.open(lake).manifest_entry(hashlib.sha256(path.read_bytes()).hexdigest())
    assert entry is not None and entry["status"] == "ingested"


@pytest.mark.parametrize(
    "edit",
    [
        {"night": None},
        {"planned_files": [{"path": "a.jsonl"}]},
        {"pending_dates": ["yesterday"]},
        {"baselines": [{"file": "x.parquet", "dates": ["2026-03-01"]}]},
    ],
)
def test_a_run_record_edited_by_hand_is_named_not_an_internal_error(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], edit: dict[str, Any]
) -> None:
    # An unfinished record of another shape failed every later night with "unexpected
    # internal error: KeyError: 'taken_at'" (or TypeError, ValueError), and each failed run
    # copied the damaged baselines into its own record, so removing the first did not help.
    write_log(inbox / "a.jsonl", [event("e1")])
    assert nightly(inbox, lake, capsys)[0] == 0
    (record,) = (lake / "_auditpipe" / "runs").glob("*.json")
    doc = {**json.loads(record.read_text()), "status": "running", **edit}
    record.write_text(json.dumps({k: v for k, v in doc.items() if v is not None}))
    write_log(inbox / "b.jsonl", [event("e2")])
    for _night in range(2):
        code, _, err = run_cli(nightly_args(inbox, lake), capsys)
        assert code == 2
        assert f"run record {record} is damaged: unexpected " in err
        assert "internal error" not in err
    record.rename(lake.parent / record.name)  # the hint: move it out of runs/
    code, summary, err = nightly(inbox, lake, capsys)
    assert code == 0, err
    assert table_rows(lake, "SELECT event_id FROM events ORDER BY 1") == [("e1",), ("e2",)]


@pytest.mark.parametrize(
    ("damage", "still_in_inbox"), [("{not json", True), ("{not json", False), ("[1, 2]", True)]
)
def test_a_damaged_manifest_entry_is_named_not_an_internal_error(
    inbox: Path,
    lake: Path,
    capsys: pytest.CaptureFixture[str],
    damage: str,
    still_in_inbox: bool,
) -> None:
    # "unexpected internal error: JSONDecodeError" (the scan looking up a kept file) or
    # "InvalidInputException: Malformed JSON ..." (the views), every night, naming no file
    # or only inside DuckDB's text; `status` too.
    write_log(inbox / "a.jsonl", [event("e1")])
    assert nightly(inbox, lake, capsys)[0] == 0
    (entry,) = (lake / "_auditpipe" / "manifest").glob("*.json")
    entry.write_text(damage)
    if not still_in_inbox:
        (inbox / "a.jsonl").unlink()
    write_log(inbox / "b.jsonl", [event("e2")])
    commands = [nightly_args(inbox, lake), ["status", "--lake", str(lake)]]
    for args in commands:  # status too: "[1, 2]" was a DuckDB binder error there
        code, _, err = run_cli(args, capsys)
        assert code == 2, err
        assert entry.name in err and "is damaged" in err, err
        assert "internal error" not in err and "restore" in err


def test_a_run_that_failed_is_completed_by_the_next_one(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditpipe.detect

    real = auditpipe.detect.run_detect

    def unavailable(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    write_log(inbox / "a.jsonl", [event("e1"), breach("e2")], bad_lines=1)
    monkeypatch.setattr(auditpipe.detect, "run_detect", unavailable)
    code, failed, err = nightly(inbox, lake, capsys, "--fail-on", "low")
    assert code == 2 and failed["status"] == "failed" and "No space left" in err
    assert table_rows(lake, "SELECT count(*) FROM events") == [(2,)], "ingest had committed"

    monkeypatch.setattr(auditpipe.detect, "run_detect", real)
    code, summary, _ = nightly(inbox, lake, capsys, "--fail-on", "low")
    assert code == 1, "the new finding still raises the alert"
    assert len(summary["resumed_runs"]) == 1
    (resumed,) = summary["files"]["list"]
    assert (resumed["status"], resumed["resumed"]) == ("ingested", True)
    assert summary["rows"] == {"read": 3, "stored": 2, "quarantined": 1, "duplicate": 0}
    assert summary["days_evaluated"] == ["2026-03-01"]
    assert (lake / "reports" / NIGHT / f"auditpipe-report-{NIGHT}.html").is_file()
    statuses = [r.status for r in nightly_runs(Lake.open(lake))]
    assert statuses == ["resumed", "completed"]


@pytest.mark.parametrize(
    "bad", [["--fail-on", "everything"], ["--settle-seconds", "soon"], ["--no-such-option"]]
)
def test_a_usage_error_with_json_still_prints_one_json_object(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], bad: list[str]
) -> None:
    """docs/nightly.md: --json prints one JSON object, also on errors; click's usage errors
    (found before the command runs) included."""
    code, out, err = run_cli(nightly_args(inbox, lake, "--json", *bad), capsys)
    assert code == 2 and "Traceback" not in err
    doc = json.loads(out)
    assert doc["status"] == "failed" and doc["exit_code"] == 2
    assert doc["error"] and doc["error"] in err


def test_a_usage_error_without_json_prints_nothing_on_stdout(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(nightly_args(inbox, lake, "--fail-on", "everything"), capsys)
    assert code == 2 and out == "" and "everything" in err


def test_links_in_the_inbox_are_moved_with_the_files_they_point_at(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A link beside its file (a provider's latest.jsonl) was moved after its target, or not
    # at all: the target had gone, so the link was "changed" and stayed behind pointing at
    # nothing, and every later night named it unreadable and exited 3.
    write_log(inbox / "a.jsonl", [event("e1")])
    (inbox / "b.jsonl").symlink_to("a.jsonl")
    (inbox / "c.jsonl").symlink_to("b.jsonl")  # a chain, in the order the scan sees it
    code, summary, _ = nightly(inbox, lake, capsys, "--move-processed")
    assert code == 0, summary
    assert summary["files"]["ingested"] == 1 and summary["files"]["moved"] == 3
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    for name in ("a.jsonl", "b.jsonl", "c.jsonl"):  # the links still lead to the file
        assert (inbox / "processed" / NIGHT / name).is_file()
    assert scan_inbox(inbox, settle_seconds=0).unreadable == []  # nothing for the next night


def test_a_report_killed_while_being_written_leaves_no_temporary_file(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A run killed (or Ctrl-C'd) while writing a report left its hidden temporary file in the
    # reports folder, and the rerun that wrote the report added none but removed none either.
    Lake.open(lake, create=True)
    night = lake / "reports" / NIGHT
    night.mkdir(parents=True)
    leftover = night / f".auditpipe-report-{NIGHT}.html.0123abcd.tmp"
    leftover.write_text("<html>half a rep")
    theirs = night / ".notes.tmp"  # not a report's: left alone
    theirs.write_text("mine")
    write_log(inbox / "a.jsonl", [event("e1")])
    code, summary, _ = nightly(inbox, lake, capsys)
    assert code == 0, summary
    assert sorted(p.name for p in night.iterdir()) == [
        ".notes.tmp",
        *(f"auditpipe-report-{NIGHT}.{ext}" for ext in ("html", "json", "md")),
    ]


def test_file_names_are_printed_as_they_are_never_as_markup_or_terminal_codes(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Providers name their files. The summary read names as rich markup: "a[/].jsonl.part"
    # stopped it with an internal error (exit 2) after the night's work, every night, and
    # "[red]b.jsonl.part" was listed as "b.jsonl.part"; an escape sequence reached the
    # operator's terminal as it was.
    write_log(inbox / "a[/].jsonl.part", [event("e1")])
    write_log(inbox / "[red]b.jsonl.part", [event("e2")])
    write_log(inbox / "c\x1b[2J[/].jsonl", [event("e3")])
    code, out, err = run_cli(nightly_args(inbox, lake), capsys)
    assert code == 0, err
    assert "waiting: a[/].jsonl.part" in out and "waiting: [red]b.jsonl.part" in out
    assert "c\\x1b[2J[/].jsonl" in out and "\x1b" not in out + err


def test_a_file_that_changed_after_its_ingest_is_not_moved_and_the_summary_says_why(
    inbox: Path, lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Left in the inbox (its new content is not what was ingested) with no word in the summary:
    # "0 moved", and nothing said of the file.
    from auditpipe.nightly import inbox as inbox_module

    write_log(inbox / "a.jsonl", [event("e1")])
    monkeypatch.setattr(inbox_module.InboxFile, "unchanged", lambda self: False)
    code, out, err = run_cli(nightly_args(inbox, lake, "--move-processed"), capsys)
    assert code == 0, err
    assert (inbox / "a.jsonl").is_file()
    assert "not moved to processed/: a.jsonl: it changed after it was ingested" in out
