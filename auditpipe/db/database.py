"""Connecting to DuckDB, one way, and running every statement through one logged method.

Every part of auditpipe that uses DuckDB gets its connection from ``connect``: the settings
that decide what a query means (``TimeZone``) or what it may cost (``memory_limit``,
``threads``, where it spills) are set here and nowhere else. The ``Database`` it returns runs
each statement through ``execute``, which under ``--debug`` logs the SQL and its time (the
model is sqlite-utils' ``Database.execute``/``query``); ``connection`` is the DuckDB connection
itself for the few callers that hand it to users.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from ..errors import ConfigError
from ..i18n import _
from .spill import SpillFolder

if TYPE_CHECKING:
    import duckdb

    # What functions that only run SQL accept: auditpipe's Database, or a plain DuckDB
    # connection a user or a test made (both have ``execute``).
    SqlConnection: TypeAlias = "Database | duckdb.DuckDBPyConnection"

Parameters: TypeAlias = Sequence[Any] | dict[str, Any] | None

LOG = logging.getLogger("auditpipe.sql")

# DuckDB's own default is 80% of the machine's memory, for every connection: one ad-hoc query
# could starve everything else on the box. auditpipe's default is this much, or half of the
# memory when the machine has less than twice it; past it DuckDB spills to disk.
DEFAULT_MEMORY_LIMIT_BYTES = 2 * 1024**3


# Where a container sees its CPU quota: cgroup v2's "<quota> <period>" (or "max"), and v1's
# quota (-1 for none) beside its period.
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def usable_cpus() -> int:
    """The cores this process may use: its CPU affinity where the system has one (a container
    or ``taskset`` pinned to 2 of a host's 64 cores gets 2), else ``os.cpu_count``, and no more
    than a cgroup CPU quota allows (rounded up: a quota of 1.5 CPUs gets 2). Thread counts sized
    from the host's cores would oversubscribe the pinned or rationed ones."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux: no affinity to ask for
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, quota)
    return max(1, cpus)


def _cgroup_cpu_quota() -> int | None:
    """Whole CPUs the cgroup's quota allows, rounded up; None without a quota (or a cgroup)."""
    try:
        quota, period = CGROUP_CPU_MAX.read_text(encoding="ascii").split()[:2]
    except (OSError, ValueError):
        try:
            quota = CGROUP_V1_QUOTA.read_text(encoding="ascii").strip()
            period = CGROUP_V1_PERIOD.read_text(encoding="ascii").strip()
        except OSError:
            return None
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max": no quota
        return None
    if quota_us <= 0 or period_us <= 0:  # v1's -1: no quota
        return None
    return max(1, -(-quota_us // period_us))


# DuckDB's units for a memory limit: KB, MB ... are powers of 1000, KiB, MiB ... of 1024, a
# bare letter (1G) is a power of 1000 too.
_MEMORY_UNITS = {
    "b": 1,
    "byte": 1,
    "bytes": 1,
    **{p: 1000**n for n, p in enumerate(("k", "m", "g", "t"), 1)},
    **{p + "b": 1000**n for n, p in enumerate(("k", "m", "g", "t"), 1)},
    **{p + "ib": 1024**n for n, p in enumerate(("k", "m", "g", "t"), 1)},
}
_MEMORY_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]+)\s*")


def memory_limit_bytes(text: str) -> int | None:
    """The bytes a memory limit such as "2GB", "512MiB" or "1.5 GiB" stands for, as DuckDB
    reads it; None for anything else (a percentage, "none", a mistake DuckDB will name)."""
    found = _MEMORY_SIZE.fullmatch(text)
    if found is None:
        return None
    unit = _MEMORY_UNITS.get(found.group(2).lower())
    return None if unit is None else int(float(found.group(1)) * unit)


def default_memory_limit() -> str:
    """``DEFAULT_MEMORY_LIMIT_BYTES``, or half of physical memory if that is smaller."""
    limit = DEFAULT_MEMORY_LIMIT_BYTES
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 0
    if physical > 0:
        limit = min(limit, physical // 2)
    return f"{limit // 1024**2}MiB"


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a statement is logged, not to the stream that
    was current when ``--debug`` was read: an in-process runner (tests, notebooks) swaps and
    closes stderr between commands, and a handler holding the old one would fail."""

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def log_statements(stream: IO[str] | None = None, enabled: bool = True) -> None:
    """Show every statement auditpipe runs, with its time, on stderr (``--debug``);
    ``enabled=False`` stops showing them.

    Calling it again replaces the handler it installed before, so repeated commands in one
    process log each statement once."""
    for old in [h for h in LOG.handlers if getattr(h, "_auditpipe_debug", False)]:
        LOG.removeHandler(old)
    if not enabled:
        LOG.setLevel(logging.NOTSET)
        return
    handler: logging.Handler = _CurrentStderr() if stream is None else logging.StreamHandler(stream)
    handler._auditpipe_debug = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG)


def connect(
    *,
    timezone: str,
    temp_directory: Path | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    keep_insertion_order: bool = True,
) -> Database:
    """An in-memory DuckDB with auditpipe's settings.

    ``timezone``: how TIMESTAMPTZ values show and how they turn into dates; the lake's own
    timezone for anything a user sees, 'UTC' for internal probes. ``threads``: DuckDB's
    workers (``usable_cpus()`` when not given). ``memory_limit``: DuckDB's
    ceiling (``default_memory_limit()`` when not given). ``temp_directory``: where
    DuckDB spills (DuckDB makes it when it first spills); by default a private folder of its own
    (never the working directory, which may be inside the lake), removed on close, or by a
    later process if this one is killed first (``db/spill.py``). ``keep_insertion_order=False`` lets DuckDB
    stream more for queries that sort explicitly wherever order matters.
    """
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit or default_memory_limit()
    }
    # DuckDB's own default is every core of the host, whatever the process's affinity or
    # cgroup quota (a container pinned or rationed to 2 of 64 cores still got 64 threads): the
    # cores this process may use instead, unless the caller (a [detect] threads setting) says.
    config["threads"] = threads or usable_cpus()
    if not keep_insertion_order:
        config["preserve_insertion_order"] = False
    # by default a private folder, locked as this process's (db/spill.py: a killed process's
    # folder is removed by the next process that makes one)
    spill = SpillFolder() if temp_directory is None else None
    if spill is not None:
        temp_directory = spill.path
    config["temp_directory"] = str(temp_directory)
    try:
        con = duckdb.connect(":memory:", config=config)
    except BaseException as exc:
        if spill is not None:
            spill.remove()
        if isinstance(exc, (duckdb.InvalidInputException, duckdb.ParserException)):
            raise ConfigError(
                _("DuckDB refused a setting: {splitlines}").format(
                    splitlines=str(exc).splitlines()[0]
                ),
                hint=_('write memory limits like "2GB" or "512MiB", threads as a whole number'),
            ) from exc
        raise
    # The private spill folder goes on close, or when a caller that handed the raw connection
    # on (``auditpipe.connect``) lets it be collected.
    cleanup = weakref.finalize(con, spill.remove) if spill is not None else None
    db = Database(con, cleanup)
    # DuckDB draws its own progress bar on stdout for long queries: stdout is for data.
    db.execute("SET enable_progress_bar = false")
    # TimeZone needs the ICU extension, loaded only once the connection exists: so SET, bound.
    try:
        db.execute("SET TimeZone = ?", [timezone])
    except duckdb.Error as exc:
        db.close()
        raise ConfigError(
            _("DuckDB does not know the timezone {timezone!r}: {splitlines}").format(
                timezone=timezone, splitlines=str(exc).splitlines()[0]
            ),
            hint=_(
                'if a lake was created with it, set "timezone" in its _auditpipe/lake.json to the IANA name it stands for (for example Etc/UTC); new lakes refuse such names'
            ),
        ) from exc
    return db


class Database:
    """A DuckDB connection whose statements all pass through ``execute`` (logged, timed)."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        cleanup: weakref.finalize[Any, Any] | None = None,
    ) -> None:
        self.connection = connection
        self._cleanup = cleanup

    def execute(self, sql: str, parameters: Parameters = None) -> duckdb.DuckDBPyConnection:
        """Run one statement (or several, without parameters); fetch from what it returns."""
        start = time.perf_counter()
        try:
            return self.connection.execute(sql, parameters)
        finally:
            if LOG.isEnabledFor(logging.DEBUG):
                elapsed = (time.perf_counter() - start) * 1000
                LOG.debug("%.1f ms\n%s", elapsed, _display(sql, parameters))

    def query(self, sql: str, parameters: Parameters = None) -> list[tuple[Any, ...]]:
        """Every row of one query."""
        return self.execute(sql, parameters).fetchall()

    def sql(self, sql: str) -> duckdb.DuckDBPyRelation:
        """A lazy relation; DuckDB runs it when it is read, so only its text is logged."""
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("relation\n%s", sql)
        return self.connection.sql(sql)

    def register(self, name: str, data: object) -> None:
        """Make a Python object (Arrow table or dataset) readable as ``name``."""
        self.connection.register(name, data)

    def extract_statements(self, sql: str) -> list[duckdb.Statement]:
        return list(self.connection.extract_statements(sql))

    def close(self) -> None:
        self.connection.close()
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _display(sql: str, parameters: Parameters) -> str:
    text = sql.strip()
    return f"{text}\n-- parameters: {parameters!r}" if parameters else text
