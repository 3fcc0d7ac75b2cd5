"""Log times in a zone with daylight saving time: PostgreSQL prints log_timezone's
abbreviation of each instant (EDT, then EST once the clocks go back), so the local hour the
clocks pass twice is told apart by it. Times are read back to the instant they were printed
from, for random instants around the transitions of zones that keep daylight saving time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.pgaudit import TIME_FORMAT
from auditpipe.sources.times import to_utc
from tests.support.sources import events, read_log

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Europe/London"]
UTC = dt.UTC
# The hours around the 2026 transitions of those zones (the clocks going back and forward)
TRANSITIONS = [
    dt.datetime(2026, 11, 1, 6, tzinfo=UTC),
    dt.datetime(2026, 3, 8, 7, tzinfo=UTC),
    dt.datetime(2026, 10, 25, 1, tzinfo=UTC),
    dt.datetime(2026, 3, 29, 1, tzinfo=UTC),
    dt.datetime(2026, 4, 4, 16, tzinfo=UTC),
    dt.datetime(2026, 10, 3, 16, tzinfo=UTC),
]


def printed(instant: dt.datetime, zone: str) -> str:
    """The instant as PostgreSQL's %m prints it in log_timezone ``zone``."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d} {local.tzname()}"


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    around=st.sampled_from(TRANSITIONS),
    offsets=st.lists(st.integers(-7200_000, 7200_000), min_size=1, max_size=8),
)
def test_times_in_a_daylight_saving_zone_read_back_to_their_instant(
    zone: str, around: dt.datetime, offsets: list[int]
) -> None:
    instants = [around + dt.timedelta(milliseconds=ms) for ms in offsets]
    frame = pl.DataFrame({"time": [printed(i, zone) for i in instants]})
    got = to_utc(frame, "time", "utc", TIME_FORMAT, zone, "log")["utc"].to_list()
    assert got == [f"{i:%Y-%m-%dT%H:%M:%S.%f}Z" for i in instants]


# Two statements a server with log_timezone = 'America/New_York' logged at 01:30 local time
# on 2026-11-01, an hour apart: first in daylight saving time (EDT), then in standard time.
REPEATED_HOUR = (
    "2026-11-01 01:30:00.100 EDT [2001] svc_app@shop LOG:  AUDIT: SESSION,1,1,READ,SELECT,"
    "TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 1;,<none>,1\n"
    "2026-11-01 01:30:00.100 EST [2002] svc_app@shop LOG:  AUDIT: SESSION,1,1,READ,SELECT,"
    "TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 2;,<none>,1\n"
)


def test_the_repeated_hour_is_told_apart_by_the_zone_abbreviation(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, REPEATED_HOUR, extra='timezone = "America/New_York"\n')
    assert [e["event_time"] for e in events(rows)] == [
        "2026-11-01T05:30:00.100000Z",
        "2026-11-01T06:30:00.100000Z",
    ]


@settings(max_examples=25, deadline=None)
@given(
    zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/Berlin", "Asia/Tokyo"]),
    other=st.sampled_from(["Asia/Tokyo", "America/Los_Angeles", "Europe/Moscow", "Asia/Kolkata"]),
    instant=st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1), timezones=st.just(UTC)),
)
def test_an_abbreviation_of_another_zone_than_the_settings_one_refuses_the_file(
    zone: str, other: str, instant: dt.datetime
) -> None:
    # A log printed with log_timezone = 'Asia/Tokyo' (JST) and settings naming Asia/Shanghai
    # was read as Shanghai time, an hour away, without a word: the settings' zone was applied
    # whatever abbreviation the log printed.
    import pytest

    from auditpipe.errors import InputFileError

    text = printed(instant, other)
    token = text.rsplit(" ", 1)[1]
    if token.startswith(("+", "-")):
        return  # an offset: used as printed
    own = {instant.replace(month=m, day=1).astimezone(ZoneInfo(zone)).tzname() for m in (1, 7)}
    frame = pl.DataFrame({"time": [text]})
    if token in own:
        return  # the two zones share this abbreviation
    with pytest.raises(InputFileError, match=f"{token}.*{zone}"):
        to_utc(frame, "time", "utc", TIME_FORMAT, zone, "log")


def test_an_offset_no_clock_has_refuses_the_file() -> None:
    import pytest

    from auditpipe.errors import InputFileError

    frame = pl.DataFrame({"time": ["2026-03-01 10:00:00.100 +25", "2026-03-01 10:00:00.100 +08"]})
    with pytest.raises(InputFileError, match="'\\+25'"):
        to_utc(frame, "time", "utc", TIME_FORMAT, "Asia/Shanghai", "log")
