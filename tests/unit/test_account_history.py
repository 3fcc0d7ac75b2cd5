"""The account history kept between detect runs (``auditpipe.detect.account_history``): a
one-day detect on a long lake finds what a full detect finds for that day, whatever the cache
held; a run reads only the files that arrived since the last; a gone file or a damaged cache
rebuilds the history instead of trusting it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.detect.account_history import history_dir, load_history
from auditpipe.detect.session import open_connection
from auditpipe.lake import Lake
from tests.support.account_lakes import (
    account,
    publish_event,
    real_name_cases,
    register_event,
    write_accounts,
)
from tests.support.detect_lakes import DAY, at, event, make_lake, read_findings, write_events

DAYS = 6
LAST = DAY + dt.timedelta(days=DAYS - 1)


def _content(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [{k: v for k, v in f.items() if k != "detected_at"} for f in findings]
    return sorted(rows, key=lambda f: str(f["finding_id"]))


def _register(account_id: str, when: dt.datetime) -> dict[str, Any]:
    return register_event("forum-a", account_id, when)


def _history_cases() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The mixed real-name corpus over DAYS days, plus history that only other days tell: an
    account registered on the first day that posts on the last, one whose first snapshot
    (three days after its post) says it was verified before the post, and a selling event."""
    events, rows = real_name_cases(DAYS)
    events += [
        _register("old", at(DAY, 8)),
        publish_event("forum-a", "old", at(LAST, 9)),
        publish_event("forum-a", "told-late", at(DAY + dt.timedelta(days=1), 12)),
        event(
            provider_id="blog-b",
            action="transfer",
            destination_type="external",
            destination_party="datamart",
            amount=900,
            event_time=at(DAY + dt.timedelta(days=2), 11),
        ),
    ]
    rows.append(
        account(
            provider_id="forum-a",
            snapshot_date=DAY + dt.timedelta(days=4),
            account_id="told-late",
            verified_at=at(DAY + dt.timedelta(days=1), 10),
        )
    )
    return events, rows


def _lake(root: Path) -> Lake:
    lake = make_lake(root)
    events, rows = _history_cases()
    write_events(lake, events)
    write_accounts(lake, rows)
    return lake


def _copy(lake: Lake, root: Path) -> Lake:
    shutil.copytree(lake.root, root)
    shutil.rmtree(root / "findings", ignore_errors=True)
    shutil.rmtree(history_dir(root), ignore_errors=True)
    return Lake.open(root)


def test_one_day_detects_on_a_long_lake_find_what_a_full_detect_finds(tmp_path: Path) -> None:
    full = _lake(tmp_path / "full")
    run_detect(full, DetectSettings())
    expected = _content(read_findings(full))
    real_name_days = {f["event_date"] for f in expected if f["category"] == "real_name"}
    assert {DAY + dt.timedelta(days=1), LAST} <= real_name_days  # the history cases fire

    # each day alone, last first (as a nightly job catching up would not, and a user might)
    nightly = _copy(full, tmp_path / "nightly")
    for offset in reversed(range(DAYS)):
        day = DAY + dt.timedelta(days=offset)
        run_detect(nightly, DetectSettings(), since=day, until=day)
    assert _content(read_findings(nightly)) == expected

    # one day with no cache at all
    alone = _copy(full, tmp_path / "alone")
    run_detect(alone, DetectSettings(), since=LAST, until=LAST)
    assert _content(read_findings(alone)) == [f for f in expected if f["event_date"] == LAST]


def _load(lake: Lake) -> Any:
    with open_connection(DetectSettings(), lake.timezone) as con:
        return load_history(con, lake.root)


def test_a_run_reads_only_the_files_that_arrived_since_the_last(tmp_path: Path) -> None:
    events, rows = _history_cases()
    early = [e for e in events if e["event_time"] < at(DAY + dt.timedelta(days=3), 0)]
    late = [e for e in events if e not in early]
    lake = make_lake(tmp_path / "lake")
    write_events(lake, early)
    write_accounts(lake, [r for r in rows if r["snapshot_date"] < DAY + dt.timedelta(days=3)])
    run_detect(lake, DetectSettings())
    assert _load(lake).files_read == 0  # nothing arrived since detect built the history

    # the rest arrives, including a snapshot that speaks for an earlier day's post
    before = {p for p in lake.root.rglob("*.parquet") if "_auditpipe" not in p.parts}
    write_events(lake, late)
    write_accounts(lake, [r for r in rows if r["snapshot_date"] >= DAY + dt.timedelta(days=3)])
    arrived = {p for p in lake.root.rglob("*.parquet") if "_auditpipe" not in p.parts} - before
    result = run_detect(lake, DetectSettings())
    assert result.days_evaluated
    rebuilt = _copy(lake, tmp_path / "rebuilt")
    run_detect(rebuilt, DetectSettings())
    assert _content(read_findings(lake)) == _content(read_findings(rebuilt))
    assert arrived and _load(lake).files_read == 0

    # what load_history reads after new files: exactly those
    write_events(lake, [publish_event("forum-a", "old", at(LAST, 10))])
    update = _load(lake)
    assert (update.files_read, update.rebuilt) == (1, False)


def test_a_gone_file_or_a_damaged_cache_rebuilds_the_history(tmp_path: Path) -> None:
    lake = _lake(tmp_path / "lake")
    run_detect(lake, DetectSettings())
    expected = _content(read_findings(lake))
    folder = history_dir(lake.root)

    (generation,) = [p for p in folder.iterdir() if p.is_dir()]
    (generation / "observations.parquet").write_bytes(b"not parquet")
    assert _load(lake).rebuilt
    (folder / "current.json").write_text("{", encoding="utf-8")
    assert _load(lake).rebuilt
    run_detect(lake, DetectSettings())
    assert _content(read_findings(lake)) == expected
    assert not _load(lake).rebuilt

    # a covered file replaced by another (compaction): rebuilt, and the findings follow
    register = next(lake.events_dir.glob("provider_id=forum-a/event_date=2026-03-01/*.parquet"))
    moved = register.with_name("part-compacted.parquet")
    register.rename(moved)
    assert _load(lake).rebuilt
    run_detect(lake, DetectSettings())
    assert _content(read_findings(lake)) == expected


def _real_name_report(lake: Lake) -> list[Any]:
    from auditpipe.config import Config
    from auditpipe.report import build_report

    return build_report(lake, config=Config(), unmask=True).real_name


def test_the_report_reads_known_accounts_and_types_from_the_history_only_when_it_covers_the_lake(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import auditpipe.report.build as report_build
    from auditpipe.detect import account_history

    used: list[bool] = []

    def spy(*args: Any) -> account_history.CachedHistory | None:
        found = account_history.cached_history(*args)
        used.append(found is not None)
        return found

    monkeypatch.setattr(report_build, "cached_history", spy)
    lake = _lake(tmp_path / "lake")
    run_detect(lake, DetectSettings())
    from_history = _real_name_report(lake)
    assert used == [True]
    shutil.rmtree(history_dir(lake.root))
    assert _real_name_report(lake) == from_history and used == [True, False]

    # a file detect has not read yet: the report scans, and a stranger becomes known
    run_detect(lake, DetectSettings())
    before = {s.provider_id: s.unknown_accounts for s in _real_name_report(lake)}
    write_events(
        lake,
        [_register("stranger", at(DAY, 7))],
    )
    after = {s.provider_id: s.unknown_accounts for s in _real_name_report(lake)}
    assert used[-2:] == [True, False]
    assert after["forum-a"] == before["forum-a"] - 1 and after["blog-b"] == before["blog-b"]


def test_a_report_of_one_day_types_its_posts_from_the_whole_lake_with_or_without_history(
    tmp_path: Path,
) -> None:
    from auditpipe.config import Config
    from auditpipe.report import build_report

    # news-d names its type (iisp) only on the first day; its posts of the last day name none
    lake = _lake(tmp_path / "lake")
    write_events(
        lake,
        [
            event(
                provider_id="news-d", action="login", provider_type="iisp", event_time=at(DAY, 9)
            ),
            publish_event("news-d", "nobody", at(LAST, 9)),
            publish_event("news-d", "nobody", at(LAST, 10)),
        ],
    )
    run_detect(lake, DetectSettings())

    def news_section(lake: Lake) -> Any:
        report = build_report(lake, config=Config(), since=LAST, until=LAST)
        (section,) = [s for s in report.real_name if s.provider_id == "news-d"]
        return section

    from_history = news_section(lake)
    assert from_history.provider_types == ["iisp"] and from_history.posts == 2
    shutil.rmtree(history_dir(lake.root))
    assert news_section(lake) == from_history
