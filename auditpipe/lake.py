"""The lake folder: layout, the marker that makes a folder a lake, the lock, and atomic commits.

Layout (everything auditpipe-internal lives under ``_auditpipe/``, which readers never glob)::

    LAKE/
      events/provider_id=<p>/event_date=<YYYY-MM-DD>/part-<sha16>-<n>.parquet
      quarantine/part-<sha16>.parquet
      findings/...                       (written by detect)
      _auditpipe/lake.json               marker: format version, timezone
      _auditpipe/lock                    flock'ed by the process that writes
      _auditpipe/manifest/<sha256>.json  one entry per input file (the ingest log)
      _auditpipe/journal/<txn>.json      commit records, present only while a commit is applied
      _auditpipe/staging/<txn>/...       work in progress, invisible to readers
      _auditpipe/runs/<run_id>.json      what each run did (status, nightly)

How a change becomes visible (``Transaction``): every new file is written and fsync'ed under
``staging/``, verified, then a journal naming every rename and delete is written atomically; that
journal write is the commit point. Applying it renames each staged file into place (an atomic
``rename(2)`` per file, so a reader that globs ``events/**/*.parquet`` never meets a truncated
file), deletes what it replaces, and writes manifest entries last. A crash before the journal
leaves only staging litter, removed by the next ``recover()``; a crash after it is rolled forward
by the next ``recover()``, which every writing command runs under the lock before it starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LakeError, LockError

LAKE_FORMAT = "auditpipe-lake"
LAKE_VERSION = 1
DEFAULT_TIMEZONE = "Asia/Shanghai"
LAKE_ENV = "AUDITPIPE_LAKE"
DEFAULT_LAKE = "lake"


CRASH_ENV = "AUDITPIPE_CRASH_AT"


def crash_point(name: str) -> None:
    """Testing hook: SIGKILL this process here when $AUDITPIPE_CRASH_AT names this point.

    The crash-safety tests use it to stop a run at exact moments (after staging, after the
    journal, between two renames); it costs one environment lookup otherwise.
    """
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), 9)


def default_lake_path() -> Path:
    return Path(os.environ.get(LAKE_ENV) or DEFAULT_LAKE)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id(prefix: str) -> str:
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}-{stamp}-{uuid.uuid4().hex[:8]}"


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories
        fsync_file(path)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_json_atomic(path: Path, doc: Any) -> None:
    write_atomic(path, (json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n").encode())


def verify_parquet(path: Path, expected_rows: int | None = None) -> int:
    """Open the footer of a staged Parquet file and check its row count; returns the count."""
    import pyarrow.parquet as pq

    try:
        rows = pq.read_metadata(path).num_rows
    except Exception as exc:  # pyarrow raises several types for a bad footer
        raise LakeError(f"staged file {path} is not readable Parquet: {exc}") from exc
    if expected_rows is not None and rows != expected_rows:
        raise LakeError(f"staged file {path} holds {rows} rows, expected {expected_rows}")
    return rows


@dataclass
class Transaction:
    """A set of renames and deletes applied all-or-nothing (by roll-forward) to the lake.

    ``moves`` are (staged file, final path relative to the lake) pairs applied first, then
    ``deletes`` (relative paths), then ``meta_moves`` (manifest/run records, staged likewise),
    so a manifest entry never points to files that are not yet in place.
    """

    lake: Lake
    txn_id: str = field(default_factory=lambda: new_id("txn"))
    moves: list[tuple[Path, str]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    meta_moves: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def staging(self) -> Path:
        path = self.lake.staging_dir / self.txn_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def add_file(self, staged: Path, final_relpath: str) -> None:
        self.moves.append((staged, final_relpath))

    def delete(self, relpath: str) -> None:
        self.deletes.append(relpath)

    def add_json(self, final_relpath: str, doc: Any) -> None:
        staged = self.staging / "meta" / final_relpath.replace("/", "__")
        write_json_atomic(staged, doc)
        self.meta_moves.append((staged, final_relpath))

    def commit(self) -> None:
        lake = self.lake
        for staged, _ in self.moves:
            fsync_file(staged)
        doc = {
            "txn_id": self.txn_id,
            "moves": [[_rel(lake.root, s), d] for s, d in self.moves],
            "deletes": list(self.deletes),
            "meta_moves": [[_rel(lake.root, s), d] for s, d in self.meta_moves],
            "committed_at": utc_now().isoformat(),
        }
        crash_point("before_journal")
        write_json_atomic(lake.journal_dir / f"{self.txn_id}.json", doc)  # the commit point
        crash_point("after_journal")
        lake.apply_journal(lake.journal_dir / f"{self.txn_id}.json")

    def abort(self) -> None:
        shutil.rmtree(self.lake.staging_dir / self.txn_id, ignore_errors=True)


def pending_commit(root: Path) -> tuple[dict[Path, Path], set[Path]]:
    """See ``Lake.pending_commit``; reads the journals only (no lock needed)."""
    to_move: dict[Path, Path] = {}
    to_delete: set[Path] = set()
    journal_dir = root / "_auditpipe" / "journal"
    for journal in sorted(journal_dir.glob("*.json")) if journal_dir.is_dir() else []:
        try:
            doc = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written right now: not committed yet
        for src, dst in doc.get("moves", []):
            if (root / src).exists():
                to_move[(root / dst).resolve()] = (root / src).resolve()
        to_delete |= {(root / rel).resolve() for rel in doc.get("deletes", [])}
    return to_move, to_delete


def _interrupted_creation(root: Path) -> bool:
    """True when ``root`` holds only what a killed ``Lake.open(create=True)`` can leave: an
    ``_auditpipe`` folder with no marker and nothing in it but the marker's temporary files.

    Creation writes the marker atomically, so such a folder never held data: it is safe to
    finish creating the lake there instead of refusing the folder as "not empty"."""
    entries = list(root.iterdir())
    if [e.name for e in entries] != ["_auditpipe"] or not entries[0].is_dir():
        return False
    return all(
        e.is_file() and e.name.startswith(".lake.json.") and e.name.endswith(".tmp")
        for e in entries[0].iterdir()
    )


def _rel(root: Path, path: Path) -> str:
    return str(path.resolve().relative_to(root.resolve()))


class Lake:
    def __init__(self, root: Path, meta: dict[str, Any]) -> None:
        self.root = root
        self.meta = meta
        self._lock_depth = 0
        self._lock_fh: Any = None

    # -- layout -------------------------------------------------------------------------
    @property
    def events_dir(self) -> Path:
        return self.root / "events"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def findings_dir(self) -> Path:
        return self.root / "findings"

    @property
    def meta_dir(self) -> Path:
        return self.root / "_auditpipe"

    @property
    def manifest_dir(self) -> Path:
        return self.meta_dir / "manifest"

    @property
    def journal_dir(self) -> Path:
        return self.meta_dir / "journal"

    @property
    def staging_dir(self) -> Path:
        return self.meta_dir / "staging"

    @property
    def runs_dir(self) -> Path:
        return self.meta_dir / "runs"

    @property
    def timezone(self) -> str:
        return str(self.meta.get("timezone", DEFAULT_TIMEZONE))

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, create: bool = False, timezone: str | None = None
    ) -> Lake:
        """Open the lake at ``path``; with ``create``, make one in a missing or empty folder.

        ``timezone`` is fixed when the lake is created (event_date partitions depend on it);
        asking for a different one later is an error rather than a silently mixed lake.
        """
        root = Path(path)
        marker = root / "_auditpipe" / "lake.json"
        if root.exists() and not root.is_dir():
            raise LakeError(f"lake path {root} is a file, not a folder", hint="pass a folder")
        if marker.is_file():
            try:
                meta = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise LakeError(f"lake marker {marker} is unreadable: {exc}") from exc
            if meta.get("format") != LAKE_FORMAT:
                raise LakeError(f"{marker} does not describe an auditpipe lake")
            if meta.get("version", 0) > LAKE_VERSION:
                raise LakeError(
                    f"lake {root} was written by a newer auditpipe (format {meta['version']})",
                    hint="upgrade auditpipe",
                )
            lake = cls(root, meta)
            if timezone and timezone != lake.timezone:
                raise LakeError(
                    f"lake {root} was created with timezone {lake.timezone}, not {timezone}",
                    hint="event_date partitions depend on it; use a new lake for another timezone",
                )
            return lake
        if root.is_dir() and any(root.iterdir()) and not _interrupted_creation(root):
            raise LakeError(
                f"{root} is not an auditpipe lake (no _auditpipe/lake.json) and is not empty",
                hint="point --lake at an existing lake, or at a new or empty folder to create one",
            )
        if not create:
            raise LakeError(
                f"no lake at {root}",
                hint=f"create one with: auditpipe ingest PATH --lake {root}",
            )
        meta = {
            "format": LAKE_FORMAT,
            "version": LAKE_VERSION,
            "timezone": timezone or DEFAULT_TIMEZONE,
            "created_at": utc_now().isoformat(),
        }
        try:
            root.mkdir(parents=True, exist_ok=True)
            write_json_atomic(marker, meta)
        except OSError as exc:
            raise LakeError(f"cannot create a lake at {root}: {exc.strerror}") from exc
        return cls(root, meta)

    # -- locking ------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, purpose: str) -> Iterator[None]:
        """Hold the lake's write lock; re-entrant within this Lake object.

        An ``flock`` dies with its process, so a lock left by a killed run is never stale:
        the next run takes it at once and ``recover()`` tidies what the dead run left.
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.meta_dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.meta_dir / "lock", "a+")  # noqa: SIM115 (held until the block ends)
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise LockError(
                f"lake {self.root} is busy: {holder} holds its lock",
                hint="wait for that run to finish; a killed run releases the lock by itself",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"auditpipe {purpose} (pid {os.getpid()}, since {utc_now():%Y-%m-%d %H:%M:%SZ})")
        fh.flush()
        self._lock_fh, self._lock_depth = fh, 1
        try:
            self.recover()
            yield
        finally:
            self._lock_depth = 0
            with contextlib.suppress(OSError):
                fh.truncate(0)
            fh.close()  # closing releases the flock
            self._lock_fh = None

    # -- commits ------------------------------------------------------------------------
    def transaction(self) -> Transaction:
        return Transaction(self)

    def apply_journal(self, journal: Path) -> None:
        """Apply (or finish applying) one committed journal. Idempotent."""
        doc = json.loads(journal.read_text(encoding="utf-8"))
        touched: set[Path] = set()
        for src, dst in doc["moves"]:
            touched.add(self._move(src, dst))
            crash_point("between_moves")
        for rel in doc["deletes"]:
            target = self.root / rel
            if target.exists():
                target.unlink()
                touched.add(target.parent)
        crash_point("before_manifest")
        for src, dst in doc["meta_moves"]:
            touched.add(self._move(src, dst))
        for folder in touched:
            fsync_dir(folder)
        journal.unlink()
        fsync_dir(journal.parent)
        shutil.rmtree(self.staging_dir / doc["txn_id"], ignore_errors=True)

    def _move(self, src_rel: str, dst_rel: str) -> Path:
        src, dst = self.root / src_rel, self.root / dst_rel
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
        elif not dst.exists():
            raise LakeError(
                f"journal names {src_rel} but neither it nor {dst_rel} exists",
                hint="the lake was changed by hand while a commit was pending; restore it",
            )
        return dst.parent

    def recover(self) -> list[str]:
        """Roll committed journals forward and drop uncommitted staging. Needs the lock."""
        done = []
        if self.journal_dir.is_dir():
            for journal in sorted(self.journal_dir.glob("*.json")):
                self.apply_journal(journal)
                done.append(journal.stem)
            # A journal whose writer died before renaming it into place was never committed.
            for unfinished in self.journal_dir.glob(".*.tmp"):
                unfinished.unlink(missing_ok=True)
        if self.staging_dir.is_dir():
            shutil.rmtree(self.staging_dir, ignore_errors=True)
        return done

    # -- manifest -----------------------------------------------------------------------
    def manifest_entry(self, sha256: str) -> dict[str, Any] | None:
        path = self.manifest_dir / f"{sha256}.json"
        if not path.is_file():
            return None
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def manifest_entries(self) -> list[dict[str, Any]]:
        if not self.manifest_dir.is_dir():
            return []
        return [
            json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(self.manifest_dir.glob("*.json"))
        ]

    def pending_commit(self) -> tuple[dict[Path, Path], set[Path]]:
        """What committed-but-unfinished journals will change, for readers that must not see
        half a commit: (final path -> staged path still to be moved there, paths still to be
        deleted). Empty unless a writer died mid-commit and no writer has run since."""
        return pending_commit(self.root)

    def has_events(self) -> bool:
        return any(self.events_dir.glob("*/*/*.parquet"))
