"""Atomic commits to the lake: staged files, the journal, roll-forward, and what readers see.

How a change becomes visible (``Transaction``): every new file is written and fsync'ed under
``staging/`` with the folders naming it, verified, then a journal naming every rename and delete
is written atomically; that journal write is the commit point. Applying it renames each staged
file into place (an atomic ``rename(2)`` per file, so a reader that globs
``events/**/*.parquet`` never meets a truncated file), deletes what it replaces, and writes
manifest entries last; the folders that changed (those receiving files and the parents of those
it made) are fsync'ed before the journal is removed, so a power cut loses no renamed file. A crash before the journal
leaves only staging litter, removed by the next ``recover()``; a crash after it is rolled forward
by the next ``recover()``, which every writing command runs under the lock before it starts.

Readers hold no lake lock: ``lake_files`` lists the lake as the pending journal leaves it, so a
reader never sees half a commit even while a writer is between two renames (or died there).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import functools
import json
import os
import posixpath
import shutil
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from ..errors import LakeError, OutputError
from ..i18n import _
from . import layout

if TYPE_CHECKING:
    from .folder import Lake

T = TypeVar("T")
P = ParamSpec("P")

CRASH_ENV = "AUDITPIPE_CRASH_AT"


def crash_point(name: str) -> None:
    """Testing hook: SIGKILL this process here when $AUDITPIPE_CRASH_AT names this point.

    The crash-safety tests use it to stop a run at exact moments (after staging, after the
    journal, between two renames); it costs one environment lookup otherwise.
    """
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), 9)


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


# fsync waits for the disk; several at once let the filesystem flush them in one journal
# commit (ext4: 40 small files and their folders in about a fifth of the time one by one).
FSYNC_THREADS = 16


def fsync_all(paths: Collection[Path], fsync: Callable[[Path], None] = fsync_file) -> None:
    """``fsync`` (``fsync_file`` or ``fsync_dir``) every path, several at a time; returns when
    all are done, raising the first error."""
    _several_at_a_time(fsync, paths)


def _several_at_a_time(call: Callable[[Path], None], paths: Collection[Path]) -> None:
    """``call`` on every path, up to ``FSYNC_THREADS`` at once (each mostly waits for the
    disk); returns when all are done, raising the first error."""
    if len(paths) < 2:
        for path in paths:
            call(path)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(FSYNC_THREADS, len(paths))) as pool:
        for _ in pool.map(call, paths):
            pass


def remove_tree(folder: Path) -> None:
    """Remove ``folder`` and everything in it, ignoring errors (``shutil.rmtree``'s
    ``ignore_errors``), with the folders of each depth removed several at a time.

    A commit leaves its staging folder as a tree of emptied partition folders (detect: one per
    provider and day). One rmdir at a time, each waits for the filesystem (ext4 mounted with
    ``discard``: 1-3 ms each, 40 folders 60-140 ms, a tenth of a small detect run); several at
    once share that wait, as in ``fsync_all`` (the same 40 folders in 6-13 ms)."""
    levels: dict[int, list[str]] = {}
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(dirpath, name))
        levels.setdefault(dirpath.count(os.sep), []).append(dirpath)
    for depth in sorted(levels, reverse=True):  # a folder's children go before it
        _several_at_a_time(_rmdir_quietly, [Path(d) for d in levels[depth]])
    shutil.rmtree(folder, ignore_errors=True)  # whatever the walk could not remove (links)


def _rmdir_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(path)


TMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one.

    The bytes go to a hidden temporary file beside ``path`` first. If writing fails (a full
    disk), the temporary file is removed before the error goes on; if the process is killed,
    ``recover()`` removes what is left in the folders it owns (``leftover_temporary_files``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except Exception as exc:  # a full disk; an interrupt is left to recover() like a kill
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not (exc.filename or exc.filename2):
            # write() and fsync() name no file: without one, a full disk was reported at the
            # lake even for a report written to a --reports folder on another file system.
            exc.filename = str(path)
        raise
    fsync_dir(path.parent)


def leftover_temporary_files(folder: Path, name: str | None = None) -> list[Path]:
    """``write_atomic``'s temporary files in ``folder`` (left by a killed writer); with
    ``name``, only those of the file of that name (``.<name>.<8 hex digits>.tmp``)."""
    if not folder.is_dir():
        return []
    prefix = None if name is None else f".{name}."
    return sorted(
        Path(e.path)
        for e in os.scandir(folder)
        if e.name.startswith(prefix or ".")
        and e.name.endswith(TMP_SUFFIX)
        and (prefix is None or len(e.name) == len(prefix) + 8 + len(TMP_SUFFIX))
        and e.is_file()
    )


def write_json_atomic(path: Path, doc: Any) -> None:
    write_atomic(path, (json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n").encode())


def verify_parquet(path: Path, expected_rows: int | None = None) -> int:
    """Open the footer of a staged Parquet file and check its row count; returns the count."""
    import pyarrow.parquet as pq

    try:
        rows = pq.read_metadata(path).num_rows
    except Exception as exc:  # pyarrow raises several types for a bad footer
        raise LakeError(
            _("staged file {path} is not readable Parquet: {exc}").format(path=path, exc=exc)
        ) from exc
    if expected_rows is not None and rows != expected_rows:
        raise LakeError(
            _("staged file {path} holds {rows} rows, expected {expected_rows}").format(
                path=path, rows=rows, expected_rows=expected_rows
            )
        )
    return rows


@dataclass
class Transaction:
    """A set of renames and deletes applied all-or-nothing (by roll-forward) to the lake.

    ``moves`` are (staged file, final path relative to the lake) pairs and ``deletes``
    relative paths, applied folder by folder (a folder's new files, then the ones they
    replace), then ``meta_moves`` (manifest/run records, staged likewise), so a manifest entry
    never points to files that are not yet in place.
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
        with self._aborted_on_error():
            write_json_atomic(staged, doc)
        self.meta_moves.append((staged, final_relpath))

    @contextlib.contextmanager
    def _aborted_on_error(self) -> Iterator[None]:
        """Drop what was staged when the block fails (a full disk), whether or not the caller
        aborts: a caller that did not (ingest's commit of a file) left an empty staging folder
        behind every time. After the commit point ``abort`` keeps what the journal needs."""
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.abort()
            raise

    def commit(self) -> None:
        with self._aborted_on_error():
            self._commit()

    def _commit(self) -> None:
        lake = self.lake
        staged = [path for path, _target in self.moves]
        fsync_all(staged)
        # And the folders naming them, up to the one holding the staging folder: after a power
        # cut a file's bytes are no use if its entry is lost, and the journal would then name
        # a file that is neither staged nor in place, which no roll-forward can finish.
        fsync_all(_folders_between(staged, lake.staging_dir.parent), fsync_dir)
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
        """Drop what this transaction staged, unless it is committed already (an error or a
        Ctrl-C while its journal was applied): the journal's roll-forward needs those files."""
        discard_staging(self.lake.root, self.lake.staging_dir / self.txn_id)


def _folders_between(paths: Collection[Path], top: Path) -> set[Path]:
    """Every folder from each path's own up to ``top`` (included)."""
    folders: set[Path] = set()
    for path in paths:
        folder = path.parent
        while folder not in folders:
            folders.add(folder)
            if folder == top or folder == folder.parent:
                break
            folder = folder.parent
    return folders


def pending_commit(root: Path) -> tuple[dict[Path, Path], set[Path]]:
    """What committed-but-unfinished journals will change: (final path -> where its file is
    now: the staged file, or the final path itself once moved; paths still to be deleted).
    Reads the journals only."""
    to_move: dict[Path, Path] = {}
    to_delete: set[Path] = set()
    for journal in journal_files(root):
        try:
            doc = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written right now: not committed yet
        for src, dst in doc.get("moves", []):
            if (root / src).exists():
                to_move[(root / dst).resolve()] = (root / src).resolve()
            elif (root / dst).exists():
                to_move[(root / dst).resolve()] = (root / dst).resolve()
        to_delete |= {(root / rel).resolve() for rel in doc.get("deletes", [])}
    return to_move, to_delete


def discard_staging(root: Path, folder: Path) -> bool:
    """Remove ``folder`` (a staging folder) after a failure, unless a committed journal still
    names a file in it; returns whether it was removed.

    Code that stages files cleans up in ``finally`` or ``except`` blocks. When the error (a
    Ctrl-C, a full disk making a partition folder) comes after the commit point, the journal
    is written and its roll-forward needs every staged file it names: removing them would
    leave a half-applied commit that no ``recover()`` can finish. Such a folder is left to the
    next ``recover()``, which applies the journal and then clears staging."""
    target = folder.resolve()
    for source in _journal_sources(root):
        if source == target or target in source.parents:
            return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def _journal_sources(root: Path) -> set[Path]:
    """Every staged file that a committed journal names (moved into place or not)."""
    sources: set[Path] = set()
    for journal in journal_files(root):
        try:
            doc = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for src, _dst in [*doc.get("moves", []), *doc.get("meta_moves", [])]:
            sources.add((root / src).resolve())
    return sources


def journal_files(root: Path) -> list[Path]:
    """The committed journals waiting to be applied, oldest first."""
    return layout.json_files(layout.journal_dir(root))


# A reader's listing must not interleave with a commit being applied: it could see a folder
# before a rename and another after an unlink. Applying a journal holds this file's lock
# exclusively (milliseconds: renames and unlinks); a listing holds it shared. Readers never
# wait for a writer's whole run, only for the commit being applied at that moment.
COMMIT_LOCK = "commit.lock"

# What ``flock`` fails with on a file system that will not lock (NFS without its lock daemon,
# some FUSE and SMB mounts): ENOLCK, EOPNOTSUPP (= ENOTSUP on Linux), ENOSYS.
LOCKS_UNSUPPORTED = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})


@contextlib.contextmanager
def _applying(root: Path) -> Iterator[None]:
    path = layout.meta_dir(root) / COMMIT_LOCK
    with open(path, "a+b") as fh:  # the writer may create it
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield  # closing the file releases the lock, as does the process dying


@contextlib.contextmanager
def _listing_lock(root: Path) -> Iterator[None]:
    try:
        fd = os.open(layout.meta_dir(root) / COMMIT_LOCK, os.O_RDONLY)
    except OSError:
        yield  # no commit applied since this lake got the lock file, or no permission
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError as exc:
            if exc.errno not in LOCKS_UNSUPPORTED:
                raise
            # A file system without locks: no writer can work on it (``Lake.locked`` refuses),
            # so there is no commit to wait for.
        yield
    finally:
        os.close(fd)


def lake_files(lake_root: str | Path) -> dict[str, list[Path]]:
    """The Parquet files of every stored table, and the manifest entries (key
    ``"manifest"``), listed at one moment: the lake as a reader should see it.

    If a writer died in the middle of a commit (journal written, renames not all done), the
    lists are the lake as that commit leaves it: staged files not yet moved are listed in
    their place and files it deletes are left out, so a reader never sees half a commit.
    """
    root = Path(lake_root).resolve()
    with _listing_lock(root):
        pending = pending_commit(root)
        files = {t: _table_files(root, t, *pending) for t in layout.STORED_TABLES}
        files[MANIFEST] = layout.manifest_files(root)
    return files


MANIFEST = "manifest"


def table_files(lake_root: str | Path, table: str) -> list[Path]:
    """The Parquet files of one lake table as a reader should see them (see ``lake_files``),
    sorted; empty when none are written yet."""
    root = Path(lake_root).resolve()
    with _listing_lock(root):
        return _table_files(root, table, *pending_commit(root))


def _table_files(
    root: Path, table: str, to_move: dict[Path, Path], to_delete: set[Path]
) -> list[Path]:
    found = {p.resolve() for p in layout.stored_files(root, table)}
    if to_move or to_delete:
        folder = (root / table).resolve()
        found -= to_delete
        found |= {dst for dst in to_move if folder in dst.parents}
    return sorted(to_move.get(p, p) for p in found)


# How often a lock-free reader starts again when writers keep committing under it.
READ_ATTEMPTS = 5


def read_while_writers_commit(lake_root: str | Path, read: Callable[[], T]) -> T:
    """``read()``, started again if it fails while a writer changed the lake's files.

    Readers take no lock, so a writer may commit while they read: their snapshot of the lake
    (``table_files``) then names a file that compaction or detect has just replaced. Such a
    read fails (DuckDB or Arrow cannot open the file); it is retried on a new snapshot, up to
    ``READ_ATTEMPTS`` times. A failure while the files stayed the same is a real error and is
    raised at once. ``read`` must be safe to run again (write nothing a second run doubles).
    """
    root = Path(lake_root)
    for attempt in range(1, READ_ATTEMPTS + 1):
        before = _listing(root)
        try:
            return read()
        except OutputError:
            raise  # stdout failed: reading again would print twice, and fail again
        except Exception:
            if attempt == READ_ATTEMPTS or _listing(root) == before:
                raise
            time.sleep(0.05 * attempt)  # let the writer finish its commit
    raise AssertionError("unreachable")


def reads_lake(fn: Callable[Concatenate[Lake, P], T]) -> Callable[Concatenate[Lake, P], T]:
    """Decorate a lock-free reader whose first argument is the lake: see
    ``read_while_writers_commit``."""

    @functools.wraps(fn)
    def read(lake: Lake, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return read_while_writers_commit(lake.root, lambda: fn(lake, *args, **kwargs))

    return read


def _listing(root: Path) -> dict[str, list[Path]]:
    return lake_files(root)


def apply_journal(lake: Lake, journal: Path) -> None:
    """Apply (or finish applying) one committed journal. Idempotent."""
    with _applying(lake.root):
        _apply(lake, journal)


def _apply(lake: Lake, journal: Path) -> None:
    doc = json.loads(journal.read_text(encoding="utf-8"))
    touched: set[Path] = set()
    moves: dict[str, list[tuple[str, str]]] = {}
    for src, dst in doc["moves"]:
        moves.setdefault(posixpath.dirname(dst), []).append((src, dst))
    deletes: dict[str, list[str]] = {}
    for rel in doc["deletes"]:
        deletes.setdefault(posixpath.dirname(rel), []).append(rel)
    # Folder by folder, the new files go in and the files they replace go out right after:
    # a reader that globs the lake can see both only for the moment between the two, and a
    # crash leaves at most one folder holding both until the next writer rolls forward.
    for dirname in [*moves, *(d for d in deletes if d not in moves)]:
        for src, dst in moves.get(dirname, []):
            touched.update(_move(lake.root, src, dst))
            crash_point("between_moves")
        for rel in deletes.get(dirname, []):
            target = lake.root / rel
            if target.exists():
                target.unlink()
                touched.add(target.parent)
    crash_point("before_manifest")
    for src, dst in doc["meta_moves"]:
        touched.update(_move(lake.root, src, dst))
    fsync_all(touched, fsync_dir)
    journal.unlink()
    fsync_dir(journal.parent)
    remove_tree(lake.staging_dir / doc["txn_id"])


def _move(root: Path, src_rel: str, dst_rel: str) -> list[Path]:
    """Move one staged file into place; the folders whose entries changed, to be fsync'ed:
    the file's folder, and the parent of every folder made for it. A new partition folder's
    own entry lives in its parent, so without that parent's fsync a crash after the journal
    is gone could lose the folder, and every file moved into it, with nothing left to roll
    forward."""
    src, dst = root / src_rel, root / dst_rel
    changed = [dst.parent]
    if src.exists():
        made = dst.parent
        while not made.exists():
            changed.append(made.parent)
            made = made.parent
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    elif not dst.exists():
        raise LakeError(
            _("journal names {src_rel} but neither it nor {dst_rel} exists").format(
                src_rel=src_rel, dst_rel=dst_rel
            ),
            hint=_("the lake was changed by hand while a commit was pending; restore it"),
        )
    return changed


def recover(lake: Lake) -> list[str]:
    """Roll committed journals forward and drop uncommitted staging. Needs the lock."""
    done = []
    for journal in journal_files(lake.root):
        lake.apply_journal(journal)
        done.append(journal.stem)
    # A journal whose writer died before renaming it into place was never committed; and a
    # record, a location or the inbox hashes a writer was killed (or interrupted) writing left
    # its temporary file behind, which no later run looked at.
    for folder, dirs, files in os.walk(lake.meta_dir):
        dirs[:] = [d for d in dirs if Path(folder, d) != lake.staging_dir]
        for name in files:
            if name.startswith(".") and name.endswith(TMP_SUFFIX):
                Path(folder, name).unlink(missing_ok=True)
    if lake.staging_dir.is_dir():
        shutil.rmtree(lake.staging_dir, ignore_errors=True)
    return done


def _rel(root: Path, path: Path) -> str:
    return str(path.resolve().relative_to(root.resolve()))
