"""A leap second (second 60) is quarantined with a reason that names it, in every spelling of
a time and every input kind; a zone name in brackets without an offset (``10:00:00[Asia/
Shanghai]``) is a local time of that zone, as the same name after a space is; a zone name
no time zone database knows is quarantined naming it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.ingest import good, ingest, query, write_jsonl

UTC = dt.UTC

# Second 60 in each spelling a time may take: the Z and an offset (RFC 3339, lower case
# too), a fraction, a space instead of the T, no zone (the lake's), a zone name after the
# clock or in brackets after the offset (Java) or alone, UTC after a space.
LEAP = [
    "2016-12-31T23:59:60Z",
    "2016-12-31t23:59:60z",
    "2016-12-31T23:59:60.5Z",
    "2017-01-01T07:59:60+08:00",
    "2016-12-31T23:59:60.5+08:00",
    "2016-12-31 23:59:60",
    "2016-12-31T23:59:60",
    "2016-12-31 23:59:60.999999",
    "2016-12-31 23:59:60 UTC",
    "2017-01-01 07:59:60 Asia/Shanghai",
    "2017-01-01T07:59:60+08:00[Asia/Shanghai]",
    "2017-01-01T07:59:60[Asia/Shanghai]",
    "2016-12-31T23:59:60Z[UTC]",
]
# What is not a date and time stays so, with or without a 60 in it.
NOT_TIMES = [
    "2016-13-31T23:59:60Z",
    "2016-12-31T23:60:60Z",
    "2016-12-31T24:59:60Z",
    "23:59:60",
    "2016-12-31T23:59:59+08:00:60",  # an offset out of range, not a leap second
]


def _reasons(lake: Path) -> dict[int, str]:
    return {n: r for n, r in query(lake, "SELECT line_number, reason FROM quarantine")}


def _check_leap(lake: Path, first_line: int) -> None:
    why = _reasons(lake)
    for i, text in enumerate(LEAP):
        reason = why.get(first_line + i, "")
        assert "second 60" in reason and "leap second" in reason, (text, reason)
        # the text as sent, not as respelled for reading (upper-case T and Z, no brackets)
        assert reason.startswith(f"event_time '{text}' has second 60"), (text, reason)
        assert "not a date and time" not in reason, (text, reason)
    for i, text in enumerate(NOT_TIMES):
        reason = why.get(first_line + len(LEAP) + i, "")
        assert "is not a date and time" in reason and "leap" not in reason, (text, reason)


def test_a_leap_second_is_quarantined_naming_it_in_json_lines(tmp_path: Path) -> None:
    # It was "is not a date and time": a data engineer looked for a typo in a real time.
    rows = [good(event_id=str(i), event_time=t) for i, t in enumerate(LEAP + NOT_TIMES)]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert (result.rows_stored, result.rows_quarantined) == (0, len(rows))
    _check_leap(tmp_path / "lake", 1)


def test_a_leap_second_is_quarantined_naming_it_in_csv_and_parquet(tmp_path: Path) -> None:
    times = LEAP + NOT_TIMES
    path = tmp_path / "in.csv"
    with path.open("w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["event_id", "event_time", "provider_id", "actor_id", "action", "data_fields"])
        w.writerows([str(i), t, "forum-a", "emp-1", "view", "phone"] for i, t in enumerate(times))
    pq.write_table(
        pa.table(
            {
                "event_id": [f"p{i}" for i in range(len(times))],
                "event_time": times,
                "provider_id": ["forum-b"] * len(times),
                "actor_id": ["emp-1"] * len(times),
                "action": ["view"] * len(times),
                "data_fields": ["phone"] * len(times),
            }
        ),
        tmp_path / "in.parquet",
    )
    lake = tmp_path / "lake"
    result = ingest(lake, path)
    assert (result.rows_stored, result.rows_quarantined) == (0, len(times))
    _check_leap(lake, 2)  # the header is line 1
    ingest(tmp_path / "lake2", tmp_path / "in.parquet")
    _check_leap(tmp_path / "lake2", 1)


def test_an_account_snapshot_time_of_second_60_is_quarantined_naming_it(tmp_path: Path) -> None:
    from tests.support.accounts import account, write_snapshot

    snap = write_snapshot(
        tmp_path / "forum-a-2026-03-01.accounts",
        [account(account_id="u1", verified_at="2016-12-31t23:59:60z")],
    )
    result = ingest(tmp_path / "lake", snap)
    assert result.rows_quarantined == 1
    ((reason,),) = query(tmp_path / "lake", "SELECT reason FROM quarantine")
    assert reason.startswith("verified_at '2016-12-31t23:59:60z' has second 60"), reason


BRACKETED = [
    # (text, the instant stored, or the words of the reason when quarantined)
    ("2026-03-01T10:00:00[Asia/Shanghai]", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
    ("2026-03-01T10:00[Asia/Shanghai]", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
    ("2026-03-01T10:00:00.25[asia/shanghai]", dt.datetime(2026, 3, 1, 2, 0, 0, 250000, UTC)),
    ("2026-03-01 10:00:00[UTC]", dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ("2026-03-01t10:00:00[Europe/London]", dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    ("2026-11-01T01:30:00[America/New_York]", dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ("2026-03-08T02:30:00[America/New_York]", "does not exist in America/New_York"),
    ("2026-03-01T10:00:00[CST]", "abbreviation"),
    ("2026-03-01T10:00:00[Mars/Olympus]", "Mars/Olympus"),
    ("2026-03-01 10:00:00 Mars/Olympus", "Mars/Olympus"),
    ("2026-03-01T10:00:00+08:00[Mars/Olympus]", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
    # ZonedDateTime.toString() of offset zone ids (Java 17's output: ZoneId.of("GMT+8") is
    # GMT+08:00), and a region of three parts
    ("2026-03-01T10:00+08:00[GMT+08:00]", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
    ("2026-03-01T10:00+05:30[UTC+05:30]", dt.datetime(2026, 3, 1, 4, 30, tzinfo=UTC)),
    ("2026-03-01T10:00:00.5+08:00[GMT+08:00]", dt.datetime(2026, 3, 1, 2, 0, 0, 500000, UTC)),
    (
        "2026-03-01T10:00-03:00[America/Argentina/Buenos_Aires]",
        dt.datetime(2026, 3, 1, 13, 0, tzinfo=UTC),
    ),
    ("2026-03-01T10:00:00[GMT+08:00]", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
]


def test_a_bracketed_zone_without_an_offset_is_a_local_time_of_that_zone(tmp_path: Path) -> None:
    # It was quarantined as "not a date and time"; an unknown zone's name was not said.
    rows = [good(event_id=str(i), event_time=t) for i, (t, _) in enumerate(BRACKETED)]
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    stored = dict(query(tmp_path / "lake", "SELECT event_id, event_time FROM events"))
    why = {
        n - 1: r for n, r in query(tmp_path / "lake", "SELECT line_number, reason FROM quarantine")
    }
    for i, (text, expected) in enumerate(BRACKETED):
        if isinstance(expected, str):
            assert expected in why.get(i, ""), (text, why.get(i), stored.get(str(i)))
            assert "not a date and time" not in why[i], (text, why[i])
        else:
            assert stored.get(str(i)) == expected, (text, why.get(i))
    unknown = [(t, why.get(i, "")) for i, (t, _) in enumerate(BRACKETED) if "Mars" in t]
    for text, reason in unknown[:2]:
        assert reason.startswith(f"event_time '{text}' names the time zone 'Mars/Olympus'"), (
            text,
            reason,
        )


def test_a_database_log_time_of_second_60_is_quarantined_naming_it(tmp_path: Path) -> None:
    # pgaudit's %m and server_audit's timestamp of a leap second read as "the log time could
    # not be read", which sent the engineer looking for a damaged line.
    from tests.support.sources import quarantined, read_log

    pg = (
        "2016-12-31 23:59:60.250 UTC [2001] svc_app@shop LOG:  AUDIT: SESSION,1,1,READ,SELECT,"
        "TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 1;,<none>,1\n"
        "2016-12-31 23:61:60.250 UTC [2001] svc_app@shop LOG:  AUDIT: SESSION,2,1,READ,SELECT,"
        "TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 1;,<none>,1\n"
    )
    rows, _ = read_log(tmp_path / "pg", pg)
    leap, other = (r["pre_error"] for r in quarantined(rows))
    assert "second 60" in leap and "leap second" in leap, leap
    assert "second 60" not in other, other
    audit = (
        "20170101 07:59:60,db1,kefu_li,10.0.0.7,12,40,QUERY,shop,"
        "'SELECT real_name FROM accounts WHERE id = 77',0\n"
    )
    rows, _ = read_log(
        tmp_path / "sa", audit, kind="server_audit", fmt=None, extra='timezone = "Asia/Shanghai"\n'
    )
    (row,) = quarantined(rows)
    assert "second 60" in row["pre_error"] and "leap second" in row["pre_error"], row


def test_a_percona_audit_time_of_second_60_is_quarantined_naming_it(tmp_path: Path) -> None:
    import json

    from tests.support.sources import events, quarantined, read_log

    def record(n: int, timestamp: str) -> str:
        return json.dumps(
            {
                "audit_record": {
                    "name": "Query",
                    "record": f"{n}_x",
                    "timestamp": timestamp,
                    "command_class": "select",
                    "connection_id": "37",
                    "status": 0,
                    "sqltext": "SELECT real_name FROM accounts WHERE id = 5",
                    "user": "kefu_li[kefu_li] @ localhost [10.0.0.7]",
                    "host": "localhost",
                    "ip": "10.0.0.7",
                    "db": "shop",
                }
            }
        )

    stamps = ["2016-12-31T23:59:60 UTC", "2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z"]
    log = "\n".join(record(i, t) for i, t in enumerate(stamps)) + "\n"
    rows, _ = read_log(tmp_path, log, kind="percona_audit_json", fmt=None)
    assert [e["event_time"] for e in events(rows)] == ["2016-12-31T23:59:59.000000Z"]
    for row in quarantined(rows):
        assert "second 60" in row["pre_error"] and "leap second" in row["pre_error"], row
    assert len(quarantined(rows)) == 2
