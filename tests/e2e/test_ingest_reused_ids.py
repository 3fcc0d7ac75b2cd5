"""An event_id the lake holds on another day is not the same event: a provider whose ids repeat
(reset daily, per file or per server). Such rows still count as duplicates (the contract makes
(provider_id, event_id) an event's identity), but ingest counts them apart
(``rows_duplicate_of_another_day``) and says what to do, and so does nightly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.ingest.messages import DUPLICATES_OF_ANOTHER_DAY
from tests.support.cli import run_main
from tests.support.ingest import good, ingest, write_jsonl

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]


def _row(event_id: str, day: str, provider: str = "forum-a") -> dict[str, Any]:
    return good(event_id=event_id, event_time=f"{day}T10:00:00+08:00", provider_id=provider)


def _expected(first: list[tuple[str, str]], second: list[tuple[str, str]]) -> int:
    """A plain model: the first delivery of an id is stored (within the first file, then the
    lake); of the second file's first deliveries, those whose id is stored on another day."""
    stored: dict[str, str] = {}
    for event_id, day in first:
        stored.setdefault(event_id, day)
    seen: set[str] = set()
    n = 0
    for event_id, day in second:
        if event_id in seen:
            continue
        seen.add(event_id)
        n += event_id in stored and stored[event_id] != day
    return n


rows = st.lists(st.tuples(st.sampled_from(["1", "2", "3", "4"]), st.sampled_from(DAYS)), max_size=8)


@settings(max_examples=8, deadline=None)
@given(first=rows, second=rows)
def test_duplicates_of_an_event_stored_on_another_day_are_counted_apart(
    tmp_path_factory: Any, first: list[tuple[str, str]], second: list[tuple[str, str]]
) -> None:
    tmp = tmp_path_factory.mktemp("reused")
    # another provider with the same ids on every day: a key is the provider's and the id
    other = [_row(i, d, "blog-b") for i in "1234" for d in DAYS]
    ingest(tmp / "lake", write_jsonl(tmp / "a.jsonl", [_row(*r) for r in first] + other))
    result = ingest(tmp / "lake", write_jsonl(tmp / "b.jsonl", [_row(*r) for r in second]))
    [f] = result.files
    assert f.reconciles
    assert f.counters.get(DUPLICATES_OF_ANOTHER_DAY, 0) == _expected(first, second)


def test_ingest_and_nightly_say_what_to_do_about_ids_used_again(
    tmp_path: Path, capsys: Any
) -> None:
    lake = str(tmp_path / "lake")
    first = write_jsonl(tmp_path / "day1.jsonl", [_row("1", DAYS[0]), _row("2", DAYS[0])])
    code, _, err = run_main(["ingest", "--lake", lake, str(first)], capsys)
    assert code == 0, err
    # the same ids the next day (a counter reset at midnight), and a true re-delivery
    again = [_row("1", DAYS[1]), _row("2", DAYS[1]), _row("2", DAYS[0])]
    second = write_jsonl(tmp_path / "day2.jsonl", again)
    code, out, err = run_main(["ingest", "--lake", lake, "--json", str(second)], capsys)
    assert code == 0, err
    [entry] = json.loads(out)["files"]
    assert entry["rows_duplicate"] == 3
    assert entry["counters"][DUPLICATES_OF_ANOTHER_DAY] == 2
    code, _, err = run_main(["ingest", "--lake", lake, str(first), str(second)], capsys)
    assert code == 0  # both already ingested: nothing to say about them
    write_jsonl(tmp_path / "inbox" / "day3.jsonl", [_row("1", DAYS[2])])
    args = ["nightly", "--inbox", str(tmp_path / "inbox"), "--lake", lake, "--settle-seconds", "0"]
    code, out, err = run_main([*args, "--fail-on", "none"], capsys)
    assert code == 0, err
    assert "day3.jsonl: 1 rows have the event_id of an event the lake holds on another day" in out
    assert "leave event_id out" in out
