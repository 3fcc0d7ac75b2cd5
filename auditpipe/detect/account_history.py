"""The account history the real-name timeline is built from, kept between runs.

An account's state at a post depends on observations from the whole lake (``real_name``):
verify and register events and snapshot rows of any day, even later ones (a snapshot's
``verified_at`` can speak for an earlier post, a later register event makes an account known).
Reading all of that on every run made a one-day detect cost more as the lake grew. So detect
keeps the *observations* of every file it has read, reduced to one winner per account and
instant, plus the provider types the events name, in ``_auditpipe/cache/account_history/``,
and on the next run reads only the files that arrived since:

- ``current.json``: the format version, the lake timezone (a snapshot's as-of moment depends
  on it), the generation folder holding the data, and every events and accounts file the data
  covers (lake-relative path and size);
- ``<generation>/observations.parquet`` (provider_id, account_id, since, verified,
  source_rank): at each instant the observation that wins there (an event beats a snapshot,
  failure beats success), including each known account's "not verified since the beginning of
  time" row;
- ``<generation>/provider_types.parquet`` (provider_id, provider_type): the distinct types.

Merging is exact: the winner of an instant over two sets of files is the winner of their two
winners, and the distinct types of the union are the union of the distinct types. A covered file
that is gone (or changed size: compaction, a repaired partition) makes the next run rebuild the
whole history, as does a damaged cache or another timezone or version. The cache is derived
data: it is written under the lake lock, published by renaming ``current.json`` (a crash leaves
the old or the new, both true), and deleting the folder only costs one full rebuild.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..db import Database, file_list, quote_literal, read_parquet_sql
from ..lake import layout
from ..lake.commit import write_json_atomic

VERSION = 1
OBSERVATIONS = "history_observations"  # temp tables this module leaves in the connection
PROVIDER_TYPES = "history_provider_types"

OBSERVATION_COLUMNS: list[tuple[str, str]] = [
    ("provider_id", "VARCHAR"),
    ("account_id", "VARCHAR"),
    ("since", "TIMESTAMP WITH TIME ZONE"),
    ("verified", "BOOLEAN"),
    ("source_rank", "INTEGER"),
]
TYPE_COLUMNS: list[tuple[str, str]] = [("provider_id", "VARCHAR"), ("provider_type", "VARCHAR")]

# The columns of events the history reads (never the wide ones).
EVENT_COLUMNS = "provider_id, provider_type, action, subject_id, actor_id, event_time, outcome"


def history_dir(root: Path) -> Path:
    return layout.meta_dir(root) / "cache" / "account_history"


@dataclass(frozen=True)
class HistoryUpdate:
    """What ``load_history`` did: files read this run, and whether it started from scratch."""

    files_read: int
    rebuilt: bool


def load_history(con: Database, root: Path) -> HistoryUpdate:
    """``history_observations`` and ``history_provider_types`` in ``con``, covering every events
    and accounts file of the lake: the cached history plus the files that arrived since it was
    written (all files when there is no usable cache). Saves the result when it read any file.
    """
    from .real_name import accounts_scan, observations_sql, winners_sql

    current = _lake_files(root)
    cached = _read_pointer(root, _timezone(con))
    base: Path | None = None
    if cached is not None and all(current.get(p) == size for p, size in cached[1].items()):
        base = cached[0]
        new = {p: s for p, s in current.items() if p not in cached[1]}
    else:
        new = dict(current)
    if not _create_tables(con, base):
        base, new = None, dict(current)
        _create_tables(con, None)
    if not new:
        return HistoryUpdate(0, rebuilt=False)
    event_files = [root / p for p in sorted(new) if p.startswith(layout.EVENTS + "/")]
    account_files = [root / p for p in sorted(new) if p.startswith(layout.ACCOUNTS + "/")]
    events = _events_scan(event_files)
    new_rows = observations_sql(events, accounts_scan(account_files))
    if base is not None:
        merged = winners_sql(f"(SELECT * FROM {OBSERVATIONS} UNION ALL ({new_rows}))")
        types = f"SELECT * FROM {PROVIDER_TYPES} UNION ALL "
    else:
        # Nothing cached (the tables are empty): the new winners are the history. Merging them
        # with nothing would aggregate them twice for the same rows (a tenth of a first run's
        # history time); winners_sql gives one row per account and instant either way.
        merged = f"SELECT {_casts(OBSERVATION_COLUMNS)} FROM ({new_rows})"
        types = ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {OBSERVATIONS} AS {merged}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {PROVIDER_TYPES} AS
        SELECT DISTINCT provider_id, provider_type FROM (
            {types}SELECT provider_id, provider_type FROM {events} WHERE provider_type IS NOT NULL
        )
        """
    )
    _save(con, root, current)
    return HistoryUpdate(len(new), rebuilt=base is None)


@dataclass(frozen=True)
class CachedHistory:
    """Relations over the cached history, for a reader whose files it covers exactly."""

    known_accounts: str  # (provider_id, account_id): the accounts with any observation
    provider_types: str  # (provider_id, provider_type): the distinct types the events name


def cached_history(
    root: Path, timezone: str, listed: dict[str, list[Path]]
) -> CachedHistory | None:
    """The cache's known accounts and provider types, when it covers exactly the events and
    accounts files of ``listed`` (a reader's listing, ``lake_files``); None when it does not
    (the reader scans the events instead). Read-only: a reader never writes the cache."""
    cached = _read_pointer(root, timezone)
    if cached is None:
        return None
    generation, covered = cached
    resolved = root.resolve()
    files: dict[str, int] = {}
    for table in (layout.EVENTS, layout.ACCOUNTS):
        for path in listed.get(table, []):
            try:
                files[path.relative_to(resolved).as_posix()] = path.stat().st_size
            except (OSError, ValueError):
                return None
    if files != covered:
        return None
    observations = f"read_parquet({file_list([generation / 'observations.parquet'])})"
    types = f"read_parquet({file_list([generation / 'types.parquet'])})"
    return CachedHistory(
        known_accounts=f"(SELECT DISTINCT provider_id, account_id FROM {observations})",
        provider_types=f"(SELECT provider_id, provider_type FROM {types})",
    )


def _lake_files(root: Path) -> dict[str, int]:
    """Every events and accounts Parquet file: lake-relative path -> size in bytes."""
    found: dict[str, int] = {}
    for table in (layout.EVENTS, layout.ACCOUNTS):
        for partition in layout.list_partitions(root, table):
            for f in partition.files:
                with contextlib.suppress(OSError):  # gone since the listing: not covered
                    found[f.relative_to(root).as_posix()] = f.stat().st_size
    return found


def _timezone(con: Database) -> str:
    row = con.execute("SELECT current_setting('TimeZone')").fetchone()
    return str(row[0]) if row else ""


def _read_pointer(root: Path, timezone: str) -> tuple[Path, dict[str, int]] | None:
    """(generation folder, covered files) of a usable cache, else None."""
    folder = history_dir(root)
    try:
        doc = json.loads((folder / "current.json").read_text(encoding="utf-8"))
        generation = folder / str(doc["generation"])
        files = {str(p): int(s) for p, s in doc["files"].items()}
        usable = (
            doc.get("version") == VERSION
            and doc.get("timezone") == timezone
            and generation.parent == folder
            and all((generation / f"{n}.parquet").is_file() for n in ("observations", "types"))
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no cache yet, or a damaged one: rebuild
    return (generation, files) if usable else None


def _create_tables(con: Database, base: Path | None) -> bool:
    """The two tables, from the generation folder ``base`` or empty; False when a cached file
    cannot be read (the caller rebuilds)."""
    import duckdb

    for table, name, columns in (
        (OBSERVATIONS, "observations", OBSERVATION_COLUMNS),
        (PROVIDER_TYPES, "types", TYPE_COLUMNS),
    ):
        names = _casts(columns)
        empty = f"SELECT {names} FROM (SELECT {', '.join(f'NULL AS {n}' for n, _ in columns)}) "
        empty += "WHERE false"
        source = empty
        if base is not None:
            source = f"SELECT {names} FROM read_parquet({file_list([base / f'{name}.parquet'])})"
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {source}")
        except duckdb.Error:
            return False
    return True


def _casts(columns: Sequence[tuple[str, str]]) -> str:
    """Each column cast to its type: what the history tables hold, however they were made."""
    return ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in columns)


def _events_scan(files: Sequence[Path]) -> str:
    if not files:
        return (
            "(SELECT NULL::VARCHAR AS provider_id, NULL::VARCHAR AS provider_type, "
            "NULL::VARCHAR AS action, NULL::VARCHAR AS subject_id, NULL::VARCHAR AS actor_id, "
            "NULL::TIMESTAMPTZ AS event_time, NULL::VARCHAR AS outcome WHERE false)"
        )
    return f"(SELECT {EVENT_COLUMNS} FROM {read_parquet_sql(files, hive=True)})"


def _save(con: Database, root: Path, covered: dict[str, int]) -> None:
    folder = history_dir(root)
    generation = f"g-{uuid.uuid4().hex[:16]}"
    target = folder / generation
    target.mkdir(parents=True, exist_ok=True)
    for table, name in ((OBSERVATIONS, "observations"), (PROVIDER_TYPES, "types")):
        path = quote_literal(str(target / f"{name}.parquet"))
        con.execute(f"COPY {table} TO {path} (FORMAT parquet, COMPRESSION zstd)")
    write_json_atomic(
        folder / "current.json",
        {
            "version": VERSION,
            "timezone": _timezone(con),
            "generation": generation,
            "files": covered,
        },
    )
    for old in folder.iterdir():  # earlier generations (and leftovers of a crashed save)
        if old.is_dir() and old.name != generation:
            shutil.rmtree(old, ignore_errors=True)
