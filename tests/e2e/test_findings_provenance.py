"""Provenance survives ``nightly --move-processed``: a finding's evidence leads to the file
where it is now (found through its sha256), after one move or two, and a file that is gone is
said to be missing, never printed as a path that works."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from auditpipe.lake.locations import record_move, resolve_sources
from tests.support.nightly import breach, event, nightly_args, run_cli, table_rows, write_log

NIGHT, NEXT_NIGHT = "2026-03-05", "2026-03-06"
Capsys = pytest.CaptureFixture[str]


def _night(inbox: Path, lake: Path, capsys: Capsys, night: str = NIGHT) -> None:
    code, _, err = run_cli(
        nightly_args(inbox, lake, "--move-processed", "--date", night, "--fail-on", "none", "-q"),
        capsys,
    )
    assert code == 0, err


def _evidence(lake: Path, capsys: Capsys, *extra: str) -> tuple[dict, str, str]:
    (fid,) = [r[0] for r in table_rows(lake, "SELECT finding_id FROM findings")]
    code, out, err = run_cli(
        ["findings", "show", fid, "--lake", str(lake), "--format", "json", "--unmask", *extra],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    code, text, _ = run_cli(["findings", "show", fid, "--lake", str(lake), "--unmask"], capsys)
    assert code == 0
    (record,) = doc["evidence"]
    return record["source"], text, err


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def moved(tmp_path: Path, capsys: Capsys) -> tuple[Path, Path, Path, Path]:
    """(inbox, lake, where the log was delivered, where the night moved it)."""
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    delivered = write_log(inbox / "forum-a" / "day1.jsonl", [event("e1"), breach("e2")])
    _night(inbox, lake, capsys)
    return inbox, lake, delivered, inbox / "processed" / NIGHT / "forum-a" / "day1.jsonl"


def test_after_a_move_the_evidence_leads_to_the_moved_file_with_the_same_sha256(
    moved: tuple[Path, Path, Path, Path], capsys: Capsys
) -> None:
    inbox, lake, delivered, there = moved
    assert not delivered.exists() and there.is_file()
    source, text, err = _evidence(lake, capsys)
    assert source["file"] == str(there.resolve()) and source["status"] == "moved"
    assert Path(source["file"]).is_file()
    assert _sha256(Path(source["file"])) == source["sha256"]
    assert source["ingested_as"] == str(delivered.resolve())
    assert f"source       {there.resolve()}:2 (moved; ingested from {delivered.resolve()})" in text
    assert "Warning" not in err
    # the lake's events are not rewritten: source_file stays what ingest read
    assert table_rows(lake, "SELECT DISTINCT source_file FROM events") == [
        (str(delivered.resolve()),)
    ]


def test_the_nightly_html_report_shows_where_the_evidence_file_is_now(
    moved: tuple[Path, Path, Path, Path],
) -> None:
    _, lake, _, there = moved
    (html,) = (lake / "reports" / NIGHT).glob("*.html")
    page = html.read_text(encoding="utf-8")
    assert f"{there.resolve()}:2" in page
    assert "auditpipe findings show f-" in page and f"--lake {lake.resolve()}" in page


def test_a_file_moved_twice_is_found_where_it_went_last_then_where_it_was_before(
    moved: tuple[Path, Path, Path, Path], capsys: Capsys
) -> None:
    inbox, lake, delivered, first = moved
    # The provider delivers the same bytes again; the next night moves them too.
    shutil.copy2(first, delivered)
    _night(inbox, lake, capsys, NEXT_NIGHT)
    second = inbox / "processed" / NEXT_NIGHT / "forum-a" / "day1.jsonl"
    assert second.is_file() and not delivered.exists()
    source, _, _ = _evidence(lake, capsys)
    assert source["file"] == str(second.resolve()) and _sha256(second) == source["sha256"]
    second.unlink()  # someone cleans up the newest copy: the older one is still evidence
    source, _, _ = _evidence(lake, capsys)
    assert source["file"] == str(first.resolve()) and source["status"] == "moved"


def test_a_file_that_is_nowhere_is_reported_missing(
    moved: tuple[Path, Path, Path, Path], capsys: Capsys
) -> None:
    _, lake, delivered, there = moved
    there.unlink()
    source, text, err = _evidence(lake, capsys)
    assert source["file"] is None and source["status"] == "missing"
    assert f"{delivered.resolve()}:2 (MISSING: not there, and not where nightly moved it)" in text
    assert str(there.resolve()) not in text  # the dead path is not printed as the source
    assert "Warning: 1 source file(s) of this evidence are not where" in err


def test_a_different_file_at_the_recorded_place_is_not_taken_for_the_evidence(
    moved: tuple[Path, Path, Path, Path], capsys: Capsys
) -> None:
    _, lake, _, there = moved
    there.write_text("something else entirely\n", encoding="utf-8")
    source, text, _ = _evidence(lake, capsys)
    assert source["file"] is None and source["status"] == "changed"
    assert "CHANGED" in text


def test_a_move_recorded_but_not_done_still_finds_the_file_where_it_is(tmp_path: Path) -> None:
    """nightly records a move before the rename: a crash between the two loses nothing."""
    root = tmp_path / "lake"
    (root / "_auditpipe").mkdir(parents=True)
    source = tmp_path / "inbox" / "a.jsonl"
    source.parent.mkdir()
    source.write_text("x\n", encoding="utf-8")
    sha = _sha256(source)
    record_move(root, sha, source, tmp_path / "inbox" / "processed" / "a.jsonl", "run-1")
    (found,) = resolve_sources(root, [(sha, str(source.resolve()))], {sha: 2})
    assert found.path == str(source.resolve()) and found.status == "in place"
    assert found.looked_at[0] == str((tmp_path / "inbox" / "processed" / "a.jsonl").resolve())
