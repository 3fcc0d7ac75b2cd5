"""Database audit records that reached a syslog file: the head syslog puts before them.

A server that logs to syslog (PostgreSQL's ``log_destination = 'syslog'``, MariaDB's
``server_audit_output_type = syslog``) hands each record to the local syslog daemon, which
writes it after a head of its own:

    Dec  1 16:09:58 dbhost postgres[14982]: [7-1] 2026-12-02 00:09:58.230 CST [14982] ...
    2026-12-01T16:09:58.230411+08:00 dbhost mysql-server_auditing:  vm,svc_app,...

(rsyslog's traditional format, local time with no year, and its RFC 3339 format, Debian's
default; a ``<PRI>`` as sent to /dev/log, with no host, is read too). rsyslog writes a control
character in a message as ``#`` and three octal digits (a tab is ``#011``).
"""

from __future__ import annotations

import os
import time
from typing import Any

# The head: an optional <PRI>, the time, an optional host, the ident with an optional [pid].
HEAD = (
    r"(?:<\d{1,3}>)?(?:(?P<bsd>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)"
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)))"
    r"(?: \S+)?? (?P<ident>[^\s:\[]+)(?:\[(?P<spid>\d+)\])?: "
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}


def file_year(file_name: str, timezone: str | None = None) -> tuple[int, int]:
    """(year, month) of the file's last change (now when it has no path): the year of the
    traditional syslog times, which print none. Taken in ``timezone``, the zone those times
    are read in (the source settings'), not this machine's: around New Year the two differ,
    and a server in Beijing writing "Jan  1 00:10:00" into a file last changed at 00:30 its
    time (16:30 UTC the day before) had its lines put a year early on a machine in UTC."""
    try:
        when = os.stat(file_name).st_mtime
    except OSError:
        when = time.time()
    if timezone is None:
        t = time.localtime(when)
        return t.tm_year, t.tm_mon
    import polars as pl  # its time zone database, as the times themselves are read with

    local = (
        pl.Series([int(when * 1_000_000)], dtype=pl.Int64)
        .cast(pl.Datetime("us", "UTC"))
        .dt.convert_time_zone(timezone)
    )
    return int(local.dt.year()[0]), int(local.dt.month()[0])


def bsd_as_iso(year_of: tuple[int, int], column: str = "bsd") -> Any:
    """A traditional time ('Dec  1 16:07:20') as 'YYYY-MM-DD HH:MM:SS' in the file's year;
    a month after the file's last change is the year before (a file spanning New Year)."""
    import polars as pl

    year, month = year_of
    month_no = (
        pl.col(column).str.slice(0, 3).replace_strict(_MONTHS, default=None, return_dtype=pl.Int32)
    )
    line_year = pl.when(month_no > month).then(pl.lit(year - 1)).otherwise(pl.lit(year))
    return pl.format(
        "{}-{}-{} {}",
        line_year.cast(pl.String),
        month_no.cast(pl.String).str.zfill(2),
        pl.col(column).str.slice(4, 2).str.strip_chars().str.zfill(2),
        pl.col(column).str.slice(7, 8),
    )


def iso_epoch_us(column: str = "iso") -> Any:
    """An RFC 3339 time as UTC epoch microseconds (text); null when it cannot be read."""
    import polars as pl

    return (
        pl.col(column)
        .str.replace(" ", "T")
        .str.replace("Z$", "+00:00")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_unit="us")
        .dt.epoch("us")
        .cast(pl.String)
    )


def unescape_control(text: Any) -> Any:
    """rsyslog's #ooo escapes of control characters undone (#011 is a tab)."""
    return text.str.replace_all("#011", "\t", literal=True)
