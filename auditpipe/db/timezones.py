"""Which timezone names auditpipe can use: those both Python and DuckDB know.

A lake's timezone is fixed when it is created and every later command sets it on DuckDB
(``SET TimeZone``). Python's ``zoneinfo`` reads the system's tz database, which also holds names
DuckDB's ICU data does not (``posixrules``, ``localtime``, ``right/UTC``, ``posix/...``); a lake
created with one of those could never be queried. So a name is checked against both.
"""

from __future__ import annotations

import functools

from ..errors import ConfigError
from ..i18n import _


@functools.cache
def engine_timezones() -> frozenset[str]:
    """Every timezone name DuckDB accepts for ``SET TimeZone``."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        return frozenset(
            str(r[0]) for r in con.execute("SELECT name FROM pg_timezone_names()").fetchall()
        )
    finally:
        con.close()


def check_timezone(name: str) -> str:
    """``name`` if Python and DuckDB both know it; else ``ConfigError`` saying which does not."""
    import zoneinfo

    hint = "use an IANA name such as Asia/Shanghai, Europe/Berlin or Etc/UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(_("unknown timezone {name!r}").format(name=name), hint=hint) from None
    if name not in engine_timezones():
        raise ConfigError(
            _(
                "timezone {name!r} is known to this system but not to DuckDB, which auditpipe queries the lake with"
            ).format(name=name),
            hint=hint,
        )
    return name
