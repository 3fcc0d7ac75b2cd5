"""Three successive nights of generated logs, with late and duplicate deliveries.

One generated corpus (3 days, 4 providers, JSON Lines, CSV and gzip, bad rows, re-sent rows,
planted breaches) is cut into three nightly deliveries by line position (the files are in
time order, so each night brings mostly one day and some of its neighbours), plus:

- night 2 re-sends a night-1 file byte for byte under another name (skipped, never counted);
- night 3 brings late events of day 1 held back from night 1 (day 1 is evaluated again), and a
  file repeating lines night 2 already delivered (every row a duplicate).

After each night the findings must equal those of detect run from scratch over every day of
the same events (incremental == batch), the rows must reconcile, every delivered file must be
in processed/, and the night's reports must cover the days that night evaluated. After the
last night the totals must match the generator's own accounting, row for row.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.nightly import FINDINGS_STABLE, nightly_args, run_cli, table_rows

pytestmark = pytest.mark.slow

LATE_LINES = 30
OVERLAP_LINES = 20


def _read_lines(path: Path) -> tuple[bytes | None, list[bytes]]:
    """(CSV header or None, data lines) of a generated file, as bytes (some are not UTF-8)."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    lines = [line for line in data.split(b"\n") if line.strip()]
    if ".csv" in path.name:
        return lines[0], lines[1:]
    return None, lines


def _write_lines(path: Path, header: bytes | None, lines: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"\n".join(([header] if header else []) + lines) + b"\n"
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)


def _deliveries(corpus: Path, staging: Path) -> list[list[Path]]:
    """Write the three nights' files under staging/night-N/ and list them per night."""
    nights: list[list[Path]] = [[], [], []]
    # The event logs only: account snapshots have their own tests (test_realname_*.py).
    for source in sorted(p for p in corpus.glob("*.*") if ".accounts." not in p.name):
        header, lines = _read_lines(source)
        cut1, cut2 = len(lines) // 3, 2 * len(lines) // 3
        chunks = [lines[:cut1], lines[cut1:cut2], lines[cut2:]]
        if source.name == "forum-a.jsonl":  # the provider holds back the end of day 1
            late = chunks[0][-LATE_LINES:]
            chunks[0] = chunks[0][:-LATE_LINES]
            target = staging / "night-3" / "late" / "forum-a-day1.jsonl"
            _write_lines(target, None, late)
            nights[2].append(target)
        if source.name == "blog-b.jsonl":  # another sends some of night 2 again in night 3
            target = staging / "night-3" / "again" / "blog-b.jsonl"
            _write_lines(target, None, chunks[1][:OVERLAP_LINES])
            nights[2].append(target)
        for night, chunk in enumerate(chunks):
            target = staging / f"night-{night + 1}" / source.name
            _write_lines(target, header, chunk)
            nights[night].append(target)
    resent = staging / "night-2" / "resend" / "blog-b.csv"
    resent.parent.mkdir(parents=True)
    shutil.copyfile(staging / "night-1" / "blog-b.csv", resent)
    nights[1].append(resent)
    return nights


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from auditpipe.generate import generate

    out = tmp_path_factory.mktemp("corpus")
    generate(out, rows=2000, seed=11, days=3, providers=2)
    return out, json.loads((out / "_expected" / "summary.json").read_text())


def _detect_from_scratch(lake: Path, reference: Path) -> None:
    """The nightly lake's events with its findings dropped, and detect run over every day."""
    from auditpipe.config import Config
    from auditpipe.detect import DetectSettings, run_detect
    from auditpipe.lake import Lake

    shutil.rmtree(reference, ignore_errors=True)
    shutil.copytree(lake, reference, ignore=shutil.ignore_patterns("findings", "reports"))
    run_detect(Lake.open(reference), DetectSettings.from_config(Config()))


def test_three_nights_with_late_and_duplicate_files(
    corpus: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated, expected = corpus
    nights = _deliveries(generated, tmp_path / "deliveries")
    inbox, lake, reference = tmp_path / "inbox", tmp_path / "lake", tmp_path / "reference"
    totals = {"read": 0, "stored": 0, "quarantined": 0, "duplicate": 0}
    for night, files in enumerate(nights, start=1):
        date = f"2026-03-0{night + 1}"
        for path in files:  # the providers drop this night's files
            target = inbox / path.relative_to(tmp_path / "deliveries")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        args = nightly_args(inbox, lake, "--json", "--move-processed", "--fail-on", "none")
        args[args.index("--date") + 1] = date
        code, out, err = run_cli(args, capsys)
        summary = json.loads(out)
        assert code == (3 if summary["rows"]["quarantined"] else 0), err

        # Every row read is accounted for; only the byte-identical re-send is skipped.
        rows = summary["rows"]
        assert rows["read"] == rows["stored"] + rows["quarantined"] + rows["duplicate"]
        for key in totals:
            totals[key] += rows[key]
        listed = {f["path"]: f["status"] for f in summary["files"]["list"]}
        skipped = sorted(p for p, s in listed.items() if s == "skipped")
        assert skipped == (["night-2/resend/blog-b.csv"] if night == 2 else [])
        assert all(s in ("ingested", "skipped") for s in listed.values())
        if night == 3:
            assert "2026-03-01" in summary["days_evaluated"], "late events re-evaluate day 1"
            (again,) = [
                f for f in summary["files"]["list"] if f["path"].startswith("night-3/again")
            ]
            assert again["rows_duplicate"] == OVERLAP_LINES and again["rows_stored"] == 0

        # Everything delivered was moved, nothing else is left in the inbox.
        left = [p for p in inbox.rglob("*") if p.is_file() and "processed" not in p.parts]
        assert left == []
        assert summary["files"]["moved"] == len(files)

        # Incremental detection (only the days that received events) == detect from scratch.
        _detect_from_scratch(lake, reference)
        assert table_rows(lake, FINDINGS_STABLE) == table_rows(reference, FINDINGS_STABLE)
        assert table_rows(lake, "SELECT count(*) FROM events") == [(totals["stored"],)]

        # The night's reports, covering the days it evaluated.
        folder = lake / "reports" / date
        assert sorted(p.name for p in folder.iterdir()) == [
            f"auditpipe-report-{date}.{ext}" for ext in ("html", "json", "md")
        ]
        report = json.loads((folder / f"auditpipe-report-{date}.json").read_text())
        days = summary["days_evaluated"]
        assert (report["period"]["since"], report["period"]["until"]) == (days[0], days[-1])
        in_period = table_rows(
            lake,
            f"SELECT count(*) FROM findings WHERE event_date BETWEEN '{days[0]}' AND '{days[-1]}'",
        )
        assert report["totals"]["findings"] == in_period[0][0]

    # After the last night: the generator's accounting, row for row.
    files = expected["files"]
    assert totals["read"] == sum(f["rows"] for f in files) + OVERLAP_LINES
    assert totals["quarantined"] == sum(f["bad_rows"] for f in files)
    assert totals["duplicate"] == sum(f["duplicate_rows"] for f in files) + OVERLAP_LINES
    assert totals["stored"] == sum(f["expected_stored"] for f in files)
    assert table_rows(lake, "SELECT count(*) FROM events") == [(totals["stored"],)]
