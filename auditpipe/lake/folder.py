"""``Lake``: one lake folder opened: its marker (format, timezone), its lock, its commits.

The layout of the folder is ``layout``'s business and the commit protocol ``commit``'s; this
class ties them to one folder so commands pass a single object around.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..db import check_timezone
from ..errors import LakeError, LockError, read_only_hint
from ..i18n import _
from . import commit, layout
from .commit import Transaction, utc_now, write_json_atomic

LAKE_FORMAT = "auditpipe-lake"
# 2: the lake may hold account snapshots (the accounts table). An auditpipe of format 1 took
# their files for bad event rows (quarantined, and never ingested again: the manifest has
# them) and removed the real-name findings; it refuses a lake of a format above its own.
# Writers raise a format-1 lake to 2 (``_raise_format``); readers leave it as it is.
LAKE_VERSION = 2
DEFAULT_TIMEZONE = "Asia/Shanghai"


# _auditpipe/retention.json: {"cutoff": "YYYY-MM-DD"} (Lake.retention_cutoff)
RETENTION_FILE = "retention.json"


def today_in(timezone: str) -> dt.date:
    """Today's date in ``timezone`` (a lake's "today": event_dates are in its timezone)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(timezone)).date()


def _interrupted_creation(root: Path) -> bool:
    """True when ``root`` holds only what a killed ``Lake.open(create=True)`` can leave: an
    ``_auditpipe`` folder with no marker and nothing in it but the marker's temporary files.

    Creation writes the marker atomically, so such a folder never held data: it is safe to
    finish creating the lake there instead of refusing the folder as "not empty"."""
    entries = list(root.iterdir())
    if [e.name for e in entries] != [layout.META_DIR] or not entries[0].is_dir():
        return False
    return all(
        e.is_file() and e.name.startswith(".lake.json.") and e.name.endswith(".tmp")
        for e in entries[0].iterdir()
    )


class Lake:
    def __init__(self, root: Path, meta: dict[str, Any]) -> None:
        self.root = root
        self.meta = meta
        self._lock_depth = 0
        self._lock_fh: Any = None

    # -- layout -------------------------------------------------------------------------
    @property
    def events_dir(self) -> Path:
        return self.root / layout.EVENTS

    @property
    def quarantine_dir(self) -> Path:
        return self.root / layout.QUARANTINE

    @property
    def findings_dir(self) -> Path:
        return self.root / layout.FINDINGS

    @property
    def meta_dir(self) -> Path:
        return layout.meta_dir(self.root)

    @property
    def manifest_dir(self) -> Path:
        return layout.manifest_dir(self.root)

    @property
    def journal_dir(self) -> Path:
        return layout.journal_dir(self.root)

    @property
    def staging_dir(self) -> Path:
        return layout.staging_dir(self.root)

    @property
    def runs_dir(self) -> Path:
        return layout.runs_dir(self.root)

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
        root = Path(path).expanduser()  # as Arrow and DuckDB read a path starting with '~'
        marker = layout.meta_dir(root) / "lake.json"
        if root.exists() and not root.is_dir():
            raise LakeError(
                _("lake path {root} is a file, not a folder").format(root=root),
                hint=_("pass a folder"),
            )
        _refuse_partition_named_parent(root)
        if marker.is_file():
            try:
                meta = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise LakeError(
                    _("lake marker {marker} is unreadable: {exc}").format(marker=marker, exc=exc)
                ) from exc
            if meta.get("format") != LAKE_FORMAT:
                raise LakeError(
                    _("{marker} does not describe an auditpipe lake").format(marker=marker)
                )
            if meta.get("version", 0) > LAKE_VERSION:
                raise LakeError(
                    _("lake {root} was written by a newer auditpipe (format {meta})").format(
                        root=root, meta=meta["version"]
                    ),
                    hint=_("upgrade auditpipe"),
                )
            lake = cls(root, meta)
            if timezone and timezone != lake.timezone:
                raise LakeError(
                    _("lake {root} was created with timezone {timezone}, not {timezone2}").format(
                        root=root, timezone=lake.timezone, timezone2=timezone
                    ),
                    hint=_(
                        "event_date partitions depend on it; use a new lake for another timezone"
                    ),
                )
            return lake
        if root.is_dir() and any(root.iterdir()) and not _interrupted_creation(root):
            raise LakeError(
                _(
                    "{root} is not an auditpipe lake (no _auditpipe/lake.json) and is not empty"
                ).format(root=root),
                hint=_(
                    "point --lake at an existing lake, or at a new or empty folder to create one"
                ),
            )
        if not create:
            raise _missing_lake(root)
        # Every later command sets this timezone on DuckDB: refuse a name it would reject.
        check_timezone(timezone or DEFAULT_TIMEZONE)
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
            raise LakeError(
                _("cannot create a lake at {root}: {strerror}").format(
                    root=root, strerror=exc.strerror
                ),
                hint=read_only_hint()
                if exc.errno == errno.EROFS
                else _("pass a --lake whose parent folder exists and that you may write to"),
            ) from exc
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
        try:
            self.meta_dir.mkdir(parents=True, exist_ok=True)
            fh = open(self.meta_dir / "lock", "a+")  # noqa: SIM115 (held until the block ends)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise LakeError(
                _(
                    "cannot take the lock of lake {root}: {strerror} ({path}); auditpipe "
                    "{purpose} writes to the lake"
                ).format(
                    root=self.root,
                    strerror=exc.strerror,
                    path=exc.filename or self.meta_dir / "lock",
                    purpose=purpose,
                ),
                hint=read_only_hint()
                if exc.errno == errno.EROFS
                else _(
                    "run it as a user who can write to the lake folder (status, report, sql "
                    "and findings only read it)"
                ),
            ) from exc
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise LockError(
                _("lake {root} is busy: {holder} holds its lock").format(
                    root=self.root, holder=holder
                ),
                hint=_("wait for that run to finish; a killed run releases the lock by itself"),
            ) from None
        except OSError as exc:
            fh.close()
            if exc.errno not in commit.LOCKS_UNSUPPORTED:
                raise
            raise LakeError(
                _(
                    "the file system of lake {root} does not support file locks ({strerror}); "
                    "auditpipe {purpose} needs one to keep two writers apart"
                ).format(root=self.root, strerror=exc.strerror, purpose=purpose),
                hint=_(
                    "put the lake on a local disk (or an NFS mount with its lock service "
                    "running); status, report, sql and findings still read it"
                ),
            ) from exc
        fh.seek(0)
        fh.truncate()
        holder = f"auditpipe {purpose} (pid {os.getpid()}, since {utc_now():%Y-%m-%d %H:%M:%SZ})"
        try:
            # Straight to the file, unbuffered: a line the disk has no room for is left out
            # (the flock guards the lake; the line only names its holder for the next one),
            # where it stopped `compact --retain-days`, the remedy for a full disk, at its start.
            os.write(fh.fileno(), holder.encode())
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                fh.close()
                raise
            with contextlib.suppress(OSError):
                os.ftruncate(fh.fileno(), 0)
        self._lock_fh, self._lock_depth = fh, 1
        try:
            self.recover()
            self._raise_format()
            yield
        finally:
            self._lock_depth = 0
            with contextlib.suppress(OSError):
                fh.truncate(0)
            fh.close()  # closing releases the flock
            self._lock_fh = None

    def _raise_format(self) -> None:
        """Mark a lake of an older format as this one's (under the lock, before any write)."""
        if self.meta.get("version", 0) >= LAKE_VERSION:
            return
        meta = {**self.meta, "version": LAKE_VERSION}
        write_json_atomic(self.meta_dir / "lake.json", meta)
        self.meta = meta

    # -- commits ------------------------------------------------------------------------
    def transaction(self) -> Transaction:
        return Transaction(self)

    def apply_journal(self, journal: Path) -> None:
        """Apply (or finish applying) one committed journal. Idempotent."""
        commit.apply_journal(self, journal)

    def recover(self) -> list[str]:
        """Roll committed journals forward and drop uncommitted staging. Needs the lock."""
        return commit.recover(self)

    # -- manifest -----------------------------------------------------------------------
    def manifest_entry(self, sha256: str) -> dict[str, Any] | None:
        path = self.manifest_dir / f"{sha256}.json"
        if not path.is_file():
            return None
        return _manifest_doc(path)

    def manifest_entries(self) -> list[dict[str, Any]]:
        return [_manifest_doc(p) for p in layout.manifest_files(self.root)]

    def pending_commit(self) -> tuple[dict[Path, Path], set[Path]]:
        """What committed-but-unfinished journals will change, for readers that must not see
        half a commit: (final path -> staged path still to be moved there, paths still to be
        deleted). Empty unless a writer died mid-commit and no writer has run since."""
        return commit.pending_commit(self.root)

    def has_events(self) -> bool:
        return bool(layout.list_partitions(self.root, layout.EVENTS))

    # -- retention ----------------------------------------------------------------------
    @property
    def retention_cutoff(self) -> dt.date | None:
        """The first day whose events retention kept (``compact --retain-days``): the days
        before it lost the events their findings were computed from, so detect leaves them
        alone. None when retention never deleted anything. Written by the same commit as the
        deletion (``RETENTION_FILE``)."""
        path = self.meta_dir / RETENTION_FILE
        if not path.is_file():
            return None
        try:
            return dt.date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["cutoff"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LakeError(
                _(
                    "{path} is damaged ({error}): it records the first day whose events "
                    "retention kept"
                ).format(path=path, error=exc),
                hint=_(
                    'restore it from a backup, or write {{"cutoff": "YYYY-MM-DD"}} in it: the '
                    "day of the last `auditpipe compact --retain-days N` minus N days"
                ),
            ) from exc


def _manifest_doc(path: Path) -> dict[str, Any]:
    """A manifest entry; a LakeError naming it when it is damaged (``lake.manifest``), where
    it was an "unexpected internal error: JSONDecodeError" that named no file, every night."""
    from . import manifest

    return manifest.entry(path)


def _refuse_partition_named_parent(root: Path) -> None:
    """A folder of the lake's path named like one of its partitions (``provider_id=x``,
    ``event_date=...``, ``snapshot_date=...``, in any case) is refused: hive readers (DuckDB's
    read_parquet, which detect, report, status and the printed views use) take every
    ``key=value`` folder of a file's path for a partition, the first of a name winning, so
    every event would read as that folder's provider or day."""
    keys = {*layout.PARTITION_KEYS, *layout.DATE_KEYS.values()}
    for folder in root.resolve().parts:
        if folder.split("=", 1)[0].lower() in keys and "=" in folder:
            raise LakeError(
                _(
                    "the lake {root} is inside a folder named {folder}, like the lake's own "
                    "partitions: DuckDB and other hive readers would take that for every "
                    "event's {key}"
                ).format(root=root, folder=folder, key=folder.split("=", 1)[0]),
                hint=_("move the lake, or rename that folder (without '=')"),
            )


def _missing_lake(root: Path) -> LakeError:
    """No lake at ``root``: how to create one, and, when ``root`` is only the default
    ``./lake``, how to point auditpipe at the lake the user meant."""
    create = _("create one with: {command}").format(
        command=f"auditpipe ingest PATH {layout.lake_arg(root)}"
    )
    if layout.is_default_lake(root):
        return LakeError(
            _(
                "no lake at ./{root}, the default lake folder (no --lake given, {variable} not set)"
            ).format(root=root, variable=layout.LAKE_ENV),
            hint=_("pass --lake DIR, or set {variable}=DIR, to use your lake; or {create}").format(
                variable=layout.LAKE_ENV, create=create
            ),
        )
    return LakeError(_("no lake at {root}").format(root=root), hint=create)
