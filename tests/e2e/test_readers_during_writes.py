"""auditpipe's own readers succeed while a writer replaces the files they are reading.

Readers take no lock: ``sql``, ``report`` and ``status`` list the lake's files, then read them.
The deterministic tests let compaction commit exactly between the two (the worst moment: every
file the reader listed is gone); the last one runs queries in a loop while compact works.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest

import auditpipe.report.build as report_build
import auditpipe.sql.run as sql_run
import auditpipe.status as status_module
from auditpipe.compact import CompactSettings, compact_lake, list_partitions
from auditpipe.lake import Lake
from auditpipe.status import lake_status
from tests.support.cli import run_main
from tests.support.detect_lakes import DAY, at, event, make_lake, write_events

DAYS = [DAY - dt.timedelta(days=d) for d in range(1, 13)]
FILES_PER_DAY = 3


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = make_lake(tmp_path / "lake")
    for n in range(FILES_PER_DAY):  # each call adds one file to every partition
        write_events(
            lake,
            [
                event(event_id=f"e{n}-{d}", event_time=at(day, hour=9 + n))
                for d, day in enumerate(DAYS)
            ],
        )
    return lake


EVENTS = len(DAYS) * FILES_PER_DAY


def _compact_once_after(lake: Lake, real: Any) -> Any:
    """``real`` wrapped so that its first call is followed by a whole compaction."""
    calls = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value = real(*args, **kwargs)
        if not calls:
            calls.append(1)
            compact_lake(lake, CompactSettings(today=DAY))
        return value

    return wrapped


def test_sql_succeeds_when_every_file_it_listed_is_compacted_away(
    lake: Lake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_run, "connect", _compact_once_after(lake, sql_run.connect))
    code, out, err = run_main(
        ["sql", "--lake", str(lake.root), "--format", "json", "SELECT count(*) AS n FROM events"],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out) == [{"n": EVENTS}]  # printed once, complete
    assert all(len(p.files) == 1 for p in list_partitions(lake))  # compaction did happen


def test_the_report_succeeds_when_every_file_it_listed_is_compacted_away(
    lake: Lake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        report_build, "create_views", _compact_once_after(lake, report_build.create_views)
    )
    code, out, err = run_main(["report", "--lake", str(lake.root), "--format", "json"], capsys)
    assert code == 0, err
    assert json.loads(out)["coverage"]["events"] == EVENTS


def test_status_succeeds_when_every_file_it_listed_is_compacted_away(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        status_module, "create_views", _compact_once_after(lake, status_module.create_views)
    )
    status = lake_status(lake, today=DAY)
    # counted again, events and files alike, from the lake as the compaction left it
    assert (status.events, status.event_files, status.partitions) == (EVENTS, len(DAYS), len(DAYS))


def test_a_real_error_is_not_retried(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["sql", "--lake", str(lake.root), "SELECT nope FROM events"], capsys)
    assert code == 2 and "nope" in err


@pytest.mark.slow
def test_queries_in_a_loop_all_succeed_while_compact_runs(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    done = threading.Event()
    failures: list[BaseException] = []

    def compact() -> None:
        try:
            compact_lake(lake, CompactSettings(today=DAY))
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            failures.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=compact)
    writer.start()
    answers = []
    while not done.is_set() or not answers:
        code, out, err = run_main(
            [
                "sql",
                "--lake",
                str(lake.root),
                "--format",
                "csv",
                "SELECT count(*) AS n FROM events",
            ],
            capsys,
        )
        assert code == 0, err
        answers.append(out)
    writer.join()
    assert not failures
    assert set(answers) == {f'"n"\n{EVENTS}\n'}


def test_a_session_opened_before_a_compaction_says_to_refresh(lake: Lake) -> None:
    """The prompt and auditpipe.connect() do not retry (a session is one snapshot); a query over
    files compact replaced since fails with a hint, and .refresh (refresh_views) mends it."""
    import io

    from auditpipe.errors import SqlError
    from auditpipe.sql import connect, refresh_views
    from auditpipe.sql.output import write_result
    from auditpipe.sql.query import run_sql

    con = connect(lake)
    try:
        compact_lake(lake, CompactSettings(today=DAY))
        relation = run_sql(con, "SELECT count(*) FROM events").relation
        assert relation is not None
        with pytest.raises(SqlError) as raised:
            write_result(relation, "csv", output=None, stream=io.BytesIO())
        assert raised.value.hint and ".refresh" in raised.value.hint
        refresh_views(con, lake)
        assert con.execute("SELECT count(*) FROM events").fetchone() == (EVENTS,)
    finally:
        con.close()
