"""Log times to UTC, refusing to guess a zone.

PostgreSQL prints ``log_timezone``'s abbreviation (``CST`` for Asia/Shanghai, which is also US
Central), ``UTC``/``GMT`` or a numeric offset; MariaDB's server_audit prints local time with no
zone; Aurora prints epoch microseconds. A clear zone (UTC, GMT, Z, +08, -05:30) is used as
printed; anything else needs ``timezone`` in the source settings, and without it the whole
file is refused with a message saying what to set.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..errors import InputFileError

_OFFSET = re.compile(r"^([+-])(\d{1,2})(?::?(\d{2}))?$")
_UTC_NAMES = {"UTC", "GMT", "Z", "UT"}
# Second 60 of a minute, a leap second: polars reads it as 00 of the next minute, so an event
# of the leap second was stored after the events logged early in the next second. Such a time
# is quarantined (``TIME_PROBLEM``, which events.py takes as the row's reason), as the same
# time in an access log is (ingest.normalize.LEAP_SECOND).
_LEAP_SECOND = r"^\S+[ T]\d{1,2}:\d{2}:60(?:[.,]\d*)?(?:\D|$)"
TIME_PROBLEM = "time_problem"


def _without_leap_seconds(frame: Any, text_col: str, out_col: str) -> Any:
    """``out_col`` null where ``text_col`` is at second 60 and was read (as the next minute),
    and ``TIME_PROBLEM`` saying why."""
    import polars as pl

    # (polars reads only a real date and clock so: an hour 24 or minute 61 stays unread)
    leap = (
        pl.col(text_col).str.contains(_LEAP_SECOND).fill_null(False) & pl.col(out_col).is_not_null()
    )
    reason = pl.concat_str(
        pl.lit("the log time '"),
        pl.col(text_col),
        pl.lit(
            "' has second 60, a leap second, which the lake cannot store (its times, as Unix "
            "time, have no leap seconds); it is not moved to another second, which could "
            "change the order of the events around it: correct the time in the log as the "
            "system clock kept it (second 59.999999 of that minute or 00 of the next) and "
            "ingest the log again"
        ),
    )
    return frame.with_columns(
        pl.when(leap).then(None).otherwise(pl.col(out_col)).alias(out_col),
        pl.when(leap).then(reason).alias(TIME_PROBLEM),
    )


def _offset_minutes(token: str, where: str) -> int | None:
    if token.upper() in _UTC_NAMES:
        return 0
    m = _OFFSET.match(token)
    if not m:
        return None
    if int(m.group(2)) > 23 or int(m.group(3) or 0) > 59:
        raise InputFileError(
            f"{where}: its times carry the offset {token!r}, which no clock has (hours up to "
            "23, minutes up to 59): the log's times cannot be read",
            hint="check how the server prints its times (log_line_prefix, log_timezone)",
        )
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return -minutes if m.group(1) == "-" else minutes


@functools.cache
def _abbreviations(zone: str | None, year: int) -> frozenset[str]:
    """The abbreviations ``zone`` (every zone of the tz database, when None) goes by in
    ``year``: at the start of each month, which meets standard and daylight saving time."""
    import datetime as dt
    import zoneinfo

    zones = zoneinfo.available_timezones() if zone is None else {zone}
    names = set()
    for name in zones:
        try:
            tz = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        for month in range(1, 13):
            names.add(dt.datetime(year, month, 1, 12, tzinfo=tz).tzname() or "")
    return frozenset(names)


def _check_token(token: str, timezone: str, years: list[int], where: str) -> None:
    """Refuse ``token`` when the tz database names another zone by it and never ``timezone``
    in ``years``: the settings' timezone is not the log's (log_timezone = 'Asia/Tokyo'
    prints JST, which read as Asia/Shanghai is an hour off). A token the database does not
    know (an older tz database's name) is left to the settings, as before."""
    own = set().union(*(_abbreviations(timezone, y) for y in years))
    if token in own:
        return
    if any(token in _abbreviations(None, y) for y in years):
        raise InputFileError(
            f"{where}: its times carry the zone abbreviation {token!r}, which is not one of "
            f"the settings' timezone {timezone} ({', '.join(sorted(own))}): the log was "
            "written in another zone; set timezone to the log's IANA zone (its log_timezone)",
            hint=f"set timezone in the source settings to the zone whose times print {token}",
        )


def to_utc(
    frame: Any, text_col: str, out_col: str, fmt: str, timezone: str | None, where: str
) -> Any:
    """Add ``out_col`` (UTC time as ISO-8601 text with Z, null when unparseable) from a text
    column holding ``<time>[ <zone>]``. Work is per distinct zone token, never per row."""
    import polars as pl

    parts = frame.select(
        pl.col(text_col).str.extract(r"^(\S+ \S+)", 1).alias("_t"),
        pl.col(text_col).str.extract(r"^\S+ \S+ (\S+)$", 1).alias("_z"),
    )
    tokens = [t for t in parts["_z"].unique().to_list()]
    naive = parts["_t"].str.to_datetime(fmt, strict=False, time_unit="us")
    result = pl.Series(out_col, [None] * frame.height, dtype=pl.Datetime("us", "UTC"))
    for token in tokens:
        mask = parts["_z"].is_null() if token is None else parts["_z"] == token
        offset = _offset_minutes(token, where) if token is not None else None
        if offset is not None:
            local = naive - pl.duration(minutes=offset)
            converted = frame.select(local.alias("x"))["x"].dt.replace_time_zone("UTC")
        else:
            if timezone is None:
                raise _ambiguous(token, where)
            if token is not None:
                years = naive.filter(mask.fill_null(False)).dt.year().drop_nulls()
                # the first and the last year of the period (each costs 0.3 s for all zones)
                span = {y for y in (years.min(), years.max()) if y is not None and 1990 <= y < 2100}
                _check_token(token, timezone, sorted(span), where)
            converted = _in_zone(naive, mask, token, timezone)
        result = result.zip_with(~mask.fill_null(False), converted)
    converted = frame.with_columns(result.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").alias(out_col))
    return _without_leap_seconds(converted, text_col, out_col)


def _in_zone(naive: Any, mask: Any, token: str | None, timezone: str) -> Any:
    """``naive`` local times of ``timezone`` as UTC. A local time a zone's clocks pass twice
    (the hour repeated when daylight saving time ends: 01:30 in New York on 2026-11-01) is
    told apart by the abbreviation PostgreSQL prints beside it (``EDT`` the first pass,
    ``EST`` the second); without one (``token`` None) it is read as the first."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    def utc(ambiguous: str) -> Any:
        return naive.dt.replace_time_zone(
            timezone, ambiguous=ambiguous, non_existent="null"
        ).dt.convert_time_zone("UTC")

    first = utc("earliest")
    if token is None:
        return first
    second = utc("latest")
    twice = (first != second).fill_null(False) & mask.fill_null(False)
    if not twice.any():
        return first
    # One repeated time of this token's rows is enough: the zone's abbreviation of a pass is
    # the same at every transition.
    local = naive.filter(twice)[0]
    at = dt.datetime.combine(local.date(), local.time(), tzinfo=ZoneInfo(timezone))
    if at.replace(fold=1).tzname() == token and at.replace(fold=0).tzname() != token:
        return first.zip_with(~twice, second)
    return first


def naive_to_utc(
    frame: Any, text_col: str, out_col: str, fmt: str, timezone: str | None, where: str
) -> Any:
    """Times printed without any zone (server_audit): read in the settings' timezone."""

    if timezone is None:
        raise _ambiguous(None, where)
    parsed = (
        frame[text_col]
        .str.to_datetime(fmt, strict=False, time_unit="us")
        .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    converted = frame.with_columns(parsed.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").alias(out_col))
    return _without_leap_seconds(converted, text_col, out_col)


def _ambiguous(token: str | None, where: str) -> InputFileError:
    if token is None:
        what = "its times carry no timezone"
    else:
        what = f"its times carry the zone abbreviation {token!r}, which is ambiguous"
        if token.upper() == "CST":
            what += " (China Standard Time or US Central)"
    return InputFileError(
        f"{where}: {what}, and the source settings give no timezone: set timezone to the "
        "log's IANA zone (e.g. Asia/Shanghai) in the source settings",
        hint='set timezone = "Asia/Shanghai" (the IANA name of the log\'s zone) in the '
        "source settings",
    )
