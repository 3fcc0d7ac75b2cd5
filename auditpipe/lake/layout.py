"""Where everything lives in a lake folder: tables, partitions, their folder names, file lists.

Layout (everything auditpipe-internal lives under ``_auditpipe/``, which readers never glob)::

    LAKE/
      events/provider_id=<p>/event_date=<YYYY-MM-DD>/part-<sha16>-<n>.parquet
      quarantine/part-<sha16>.parquet
      findings/provider_id=<p>/event_date=<YYYY-MM-DD>/part-<txn>-<n>.parquet   (detect)
      accounts/provider_id=<p>/snapshot_date=<YYYY-MM-DD>/part-<sha16>-<n>.parquet (snapshots)
      _auditpipe/lake.json               marker: format version, timezone
      _auditpipe/lock                    flock'ed by the process that writes
      _auditpipe/manifest/<sha256>.json  one entry per input file (the ingest log)
      _auditpipe/journal/<txn>.json      commit records, present only while a commit is applied
      _auditpipe/staging/<txn>/...       work in progress, invisible to readers
      _auditpipe/runs/<run_id>.json      what each run did (status, nightly)
      _auditpipe/identity.key            the secret of identity_hash (mode 0600, auditpipe.realname)
      _auditpipe/locations/<sha256>.json where nightly moved an input file (locations.py)
      _auditpipe/cache/account_history/  what detect read of the real-name history, kept between
                                         runs (derived data: deleting it costs one full read)

Partition folder names are written by DuckDB's ``PARTITION_BY``, which percent-encodes every
byte outside ``A-Z a-z 0-9 - . _ ~`` (so ``/``, ``*``, ``[`` and ``=`` never appear raw) and
the leading ``_`` of a value spelled ``__HIVE_DEFAULT_PARTITION__`` (the name that means NULL).
``partition_folder_name`` reproduces that, so a writer can predict a folder before DuckDB makes
it, and refuse values whose folder name the file system would reject.

Nothing here lists files through a pattern built from the lake's path: the lake folder may be
called ``lake[1]`` or ``audit*``, so listings walk directories and match only the names below it.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

LAKE_ENV = "AUDITPIPE_LAKE"
DEFAULT_LAKE = "lake"

META_DIR = "_auditpipe"
EVENTS = "events"
QUARANTINE = "quarantine"
FINDINGS = "findings"
ACCOUNTS = "accounts"
PARTITIONED_TABLES = (EVENTS, FINDINGS, ACCOUNTS)  # provider_id=<p>/<date key>=<d>/*.parquet
STORED_TABLES = (EVENTS, QUARANTINE, FINDINGS, ACCOUNTS)
PARTITION_KEYS = ("provider_id", "event_date")
# The date key of each partitioned table's second folder level.
DATE_KEYS = {EVENTS: "event_date", FINDINGS: "event_date", ACCOUNTS: "snapshot_date"}

# The longest file or folder name (in bytes) that common file systems accept (ext4, XFS, APFS,
# NTFS in UTF-16 units): a partition folder whose name would be longer cannot be written.
FOLDER_NAME_MAX_BYTES = 255

# What a hive reader takes for NULL; DuckDB escapes a real value spelled like this.
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def default_lake_path() -> Path:
    return Path(os.environ.get(LAKE_ENV) or DEFAULT_LAKE)


def lake_arg(root: str | os.PathLike[str]) -> str:
    """``--lake ROOT`` for a command line that a hint or a summary prints, quoted for the
    shell, so the line can be copied and run as it is (also from another shell or a ticket,
    where ``$AUDITPIPE_LAKE`` or the default ``./lake`` may point elsewhere)."""
    return f"--lake {shlex.quote(str(root))}"


def is_default_lake(root: str | os.PathLike[str]) -> bool:
    """True when ``root`` is ``./lake``, the folder used when neither --lake nor
    ``$AUDITPIPE_LAKE`` names one."""
    return Path(root) == Path(DEFAULT_LAKE) and not os.environ.get(LAKE_ENV)


def meta_dir(root: Path) -> Path:
    return root / META_DIR


def journal_dir(root: Path) -> Path:
    return meta_dir(root) / "journal"


def manifest_dir(root: Path) -> Path:
    return meta_dir(root) / "manifest"


def staging_dir(root: Path) -> Path:
    return meta_dir(root) / "staging"


def runs_dir(root: Path) -> Path:
    return meta_dir(root) / "runs"


# -- partition names ----------------------------------------------------------------------
def partition_folder_name(key: str, value: str) -> str:
    """``key=<value>`` as DuckDB's ``PARTITION_BY`` names the folder."""
    encoded = quote(value, safe="")
    if value == HIVE_NULL:
        encoded = "%5F" + encoded[1:]
    return f"{key}={encoded}"


def partition_value(folder_name: str) -> str | None:
    """The value a ``key=<value>`` folder name stands for (inverse of the above); None for the
    folder DuckDB writes for NULL. Decoded here rather than by a hive reader, since Arrow and
    Polars take the *escaped* spelling of ``__HIVE_DEFAULT_PARTITION__`` for NULL as well."""
    raw = folder_name.split("=", 1)[1]
    return None if raw == HIVE_NULL else unquote(raw)


def file_partition(path: Path) -> tuple[str | None, dt.date | None]:
    """(provider_id, event_date) of a file of ``events`` or ``findings``, from its folders."""
    day = partition_value(path.parent.name)
    return partition_value(path.parent.parent.name), dt.date.fromisoformat(day) if day else None


def provider_folder_fits(provider_id: str) -> bool:
    """Whether the provider's partition folder name is within ``FOLDER_NAME_MAX_BYTES``."""
    name = partition_folder_name("provider_id", provider_id)
    return len(name.encode("utf-8")) <= FOLDER_NAME_MAX_BYTES


def partition_dir(root: Path, table: str, provider_id: str, event_date: dt.date) -> Path:
    """The folder of one (provider_id, date) partition of a partitioned table."""
    if table not in PARTITIONED_TABLES:
        raise ValueError(f"{table} is not a partitioned lake table")
    return (
        root
        / table
        / partition_folder_name("provider_id", provider_id)
        / partition_folder_name(DATE_KEYS[table], event_date.isoformat())
    )


# -- listings -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Partition:
    """One (provider_id, event_date) folder of a partitioned table and its Parquet files
    (for ``accounts``, ``event_date`` is the snapshot_date)."""

    provider_id: str
    event_date: dt.date
    folder: Path
    files: tuple[Path, ...]

    def relpaths(self, root: Path) -> list[str]:
        return [f.relative_to(root).as_posix() for f in self.files]


def _subdirs(folder: Path, key: str) -> Iterator[Path]:
    if not folder.is_dir():
        return
    prefix = key + "="
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(prefix) and entry.is_dir():
            yield Path(entry.path)


def parquet_files(folder: Path) -> list[Path]:
    """The ``*.parquet`` files directly in ``folder``, sorted (none when it is missing).

    Names starting with ``.`` or ``_`` are not the lake's (auditpipe writes ``part-*``): they
    are skipped, as Spark and Hadoop skip them and as ingest skips such inputs, so a hidden
    copy, a macOS ``._part-....parquet`` resource fork or an ``_tmp.parquet`` left in a
    partition is neither read as data (doubled rows, or a "damaged lake file") nor merged
    into the lake by ``compact``."""
    if not folder.is_dir():
        return []
    return sorted(
        Path(e.path)
        for e in os.scandir(folder)
        if e.name.endswith(".parquet") and not e.name.startswith((".", "_")) and e.is_file()
    )


def list_partitions(
    root: Path, table: str = EVENTS, days: Iterable[dt.date] | None = None
) -> list[Partition]:
    """The partitions of ``table`` holding Parquet files, sorted by provider then day.

    ``days`` keeps only those event_dates. Folders whose date does not parse were not written
    by auditpipe, and readers skip them too.
    """
    wanted = None if days is None else set(days)
    parts: list[Partition] = []
    for provider_dir in _subdirs(root / table, "provider_id"):
        provider = partition_value(provider_dir.name)
        if provider is None:
            continue  # a NULL provider: auditpipe never writes one
        for day_dir in _subdirs(provider_dir, DATE_KEYS[table]):
            try:
                day = dt.date.fromisoformat(partition_value(day_dir.name) or "")
            except ValueError:
                continue
            if wanted is not None and day not in wanted:
                continue
            files = tuple(parquet_files(day_dir))
            if files:
                parts.append(Partition(provider, day, day_dir, files))
    return parts


def partition_days(root: Path, table: str) -> set[dt.date]:
    """The event_dates of ``table`` that hold Parquet files."""
    return {p.event_date for p in list_partitions(root, table)}


def files_of_days(root: Path, table: str, days: Sequence[dt.date]) -> list[Path]:
    """The Parquet files of ``table`` on these days, day by day, as absolute paths."""
    by_day: dict[dt.date, list[Path]] = {}
    for part in list_partitions(root, table, days):
        by_day.setdefault(part.event_date, []).extend(part.files)
    return [f.resolve() for day in days for f in by_day.get(day, [])]


def stored_files(root: Path, table: str) -> list[Path]:
    """Every Parquet file of ``table`` on disk now, sorted (no journal applied: see
    ``commit.table_files`` for what a reader should see)."""
    if table in PARTITIONED_TABLES:
        return sorted(f for p in list_partitions(root, table) for f in p.files)
    return parquet_files(root / table)


def manifest_files(root: Path) -> list[Path]:
    """The manifest entries (``_auditpipe/manifest/*.json``), sorted."""
    return json_files(manifest_dir(root))


def run_files(root: Path) -> list[Path]:
    """The run records (``_auditpipe/runs/*.json``), sorted by name."""
    return json_files(runs_dir(root))


def json_files(folder: Path) -> list[Path]:
    """The ``*.json`` files directly in ``folder``, sorted (none when it is missing)."""
    if not folder.is_dir():
        return []
    return sorted(Path(e.path) for e in os.scandir(folder) if e.name.endswith(".json"))
