"""An event_id of an event of another day (earlier in the file or in the lake) is not the same
event: a provider whose ids repeat (reset daily, per file or per server). Such rows still count as duplicates (the contract makes
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


def _other_day(lake: dict[str, str], rows: list[tuple[str, str]]) -> int:
    """A plain model: a file's repeats (of an earlier row of the file, or of the key its first
    row has in the lake) whose day differs from the day of the delivery they repeat."""
    first: dict[str, str] = {}
    n = 0
    for event_id, day in rows:
        if event_id in first:
            n += first[event_id] != day
            continue
        first[event_id] = day
        n += event_id in lake and lake[event_id] != day
    return n


def _stored(rows: list[tuple[str, str]]) -> dict[str, str]:
    stored: dict[str, str] = {}
    for event_id, day in rows:
        stored.setdefault(event_id, day)
    return stored


rows = st.lists(st.tuples(st.sampled_from(["1", "2", "3", "4"]), st.sampled_from(DAYS)), max_size=8)


@settings(max_examples=8, deadline=None)
@given(first=rows, second=rows)
def test_repeats_of_an_id_on_another_day_are_counted_apart_in_the_file_and_the_lake(
    tmp_path_factory: Any, first: list[tuple[str, str]], second: list[tuple[str, str]]
) -> None:
    tmp = tmp_path_factory.mktemp("reused")
    # another provider with the same ids on one day each, after the first file's rows: a key
    # is the provider's and the id
    other = [_row(i, d, "blog-b") for i, d in zip("1234", DAYS * 2, strict=False)]
    one = ingest(tmp / "lake", write_jsonl(tmp / "a.jsonl", [_row(*r) for r in first] + other))
    two = ingest(tmp / "lake", write_jsonl(tmp / "b.jsonl", [_row(*r) for r in second]))
    for result, rows, lake in ((one, first, {}), (two, second, _stored(first))):
        [f] = result.files
        assert f.reconciles
        assert f.counters.get(DUPLICATES_OF_ANOTHER_DAY, 0) == _other_day(lake, rows), rows


def test_ingest_and_nightly_say_what_to_do_about_ids_used_again(
    tmp_path: Path, capsys: Any
) -> None:
    lake = str(tmp_path / "lake")
    first = write_jsonl(tmp_path / "day1.jsonl", [_row(i, DAYS[0]) for i in "123"])
    code, _, err = run_main(["ingest", "--lake", lake, str(first)], capsys)
    assert code == 0, err
    # the same ids the next day (a counter reset at midnight), one of them twice, and a true
    # re-delivery of a stored event
    again = [_row("1", DAYS[1]), _row("2", DAYS[1]), _row("1", DAYS[1]), _row("3", DAYS[0])]
    second = write_jsonl(tmp_path / "day2.jsonl", again)
    code, out, err = run_main(["ingest", "--lake", lake, "--json", str(second)], capsys)
    assert code == 0, err
    [entry] = json.loads(out)["files"]
    assert entry["rows_duplicate"] == 4
    assert entry["counters"][DUPLICATES_OF_ANOTHER_DAY] == 2
    code, _, err = run_main(["ingest", "--lake", lake, str(first), str(second)], capsys)
    assert code == 0  # both already ingested: nothing to say about them
    write_jsonl(tmp_path / "inbox" / "day3.jsonl", [_row("1", DAYS[2])])
    args = ["nightly", "--inbox", str(tmp_path / "inbox"), "--lake", lake, "--settle-seconds", "0"]
    code, out, err = run_main([*args, "--fail-on", "none"], capsys)
    assert code == 0, err
    assert "day3.jsonl: 1 rows have the event_id of an event of another day" in out
    assert "leave event_id out" in out
