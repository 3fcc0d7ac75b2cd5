"""The inbox: which files are ready to ingest, which are still being written, and moving
processed files out of the way.

Naming follows ingest (``auditpipe.ingest.sources``): names starting with '.' or '_' are not
data and are ignored, files of kinds auditpipe does not read are listed but left alone. On top
of that a nightly run must not take a file a provider is still uploading, so a file is *waiting*
when its name ends like a partial download (``.part``, ``.tmp``, ...) or it was modified within
the last ``settle_seconds``; the next run takes it. A file the job cannot read (a link whose
target is missing or that loops, no read permission) is *unreadable*: named in the summary and
the log with why, left alone, and never a reason for the night to stop.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import N_, _
from ..lake import fsync_dir, write_json_atomic
from .settings import PARTIAL_SUFFIXES, PROCESSED_DIR

# Reasons are stored English (--json, the log, the run record); marked N_() so the summary
# for people says them in its language (nightly/render.py translates them when it prints).
LINKED_FOLDER = N_(
    "a link to a folder, which the inbox scan does not follow: "
    "move or link the files themselves into the inbox"
)
NOT_REGULAR = N_("not a regular file (a FIFO, device or socket)")


@dataclass(frozen=True)
class InboxFile:
    path: Path
    relpath: str  # relative to the inbox, '/'-separated
    size: int
    mtime_ns: int
    inode: int

    def unchanged(self) -> bool:
        """Still the file that was scanned (same size, mtime and inode)?"""
        try:
            st = self.path.stat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns, st.st_ino) == (self.size, self.mtime_ns, self.inode)


@dataclass
class InboxScan:
    ready: list[InboxFile] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)  # (relpath, why)
    unsupported: list[str] = field(default_factory=list)  # relpaths
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (relpath, why)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def check_inbox(inbox: Path) -> None:
    """A UsageError unless ``inbox`` is a folder."""
    if not inbox.is_dir():
        raise UsageError(
            _("inbox {inbox} is not a folder").format(inbox=inbox),
            hint=_("create it, or pass the folder providers drop their logs into with --inbox"),
        )


def scan_inbox(
    inbox: Path,
    settle_seconds: float,
    now: float | None = None,
    classifier: Any = None,
    exclude: Sequence[Path] = (),
) -> InboxScan:
    """Walk ``inbox`` (recursively, skipping ``processed/`` and hidden names), sorted by path.
    ``classifier`` tells the files auditpipe reads (default: the contract formats by suffix).

    Folders in ``exclude`` (the lake, the reports folder) and any folder holding a lake are
    not the inbox's, as with ingest: ``--inbox . --lake ./lake`` must not read the lake's own
    Parquet files back in as logs."""
    from ..ingest.sources import classify, is_lake

    classify = classifier or classify
    check_inbox(inbox)
    now = time.time() if now is None else now
    # Exact for any finite float: 1e300 seconds is a wait, not an OverflowError (1e300 * 1e9).
    settle_ns = int(Fraction(settle_seconds) * 10**9)
    now_ns = int(now * 1e9)
    skip = {p.resolve() for p in exclude}
    scan = InboxScan()

    def cannot_list(exc: OSError) -> None:
        # os.walk passes over a folder it cannot list (no permission: a provider's upload
        # folder of mode 700), and its logs were never taken, night after night, with exit 0.
        where = Path(exc.filename) if exc.filename else inbox
        if where == inbox:
            raise UsageError(
                _("cannot list inbox {inbox}: {strerror}").format(
                    inbox=inbox, strerror=exc.strerror or exc
                ),
                hint=_("run the job as a user who may read that folder, or fix its permissions"),
            )
        why = f"a folder it cannot list: {exc.strerror or exc}"
        scan.unreadable.append((where.relative_to(inbox).as_posix(), why))

    for root, dirs, files in os.walk(inbox, onerror=cannot_list):
        top = Path(root) == inbox
        dirs[:] = sorted(
            d
            for d in dirs
            if not _hidden(d)
            and not (top and d == PROCESSED_DIR)
            and (Path(root) / d).resolve() not in skip
            and not is_lake(Path(root) / d)
        )
        for d in [d for d in dirs if (Path(root) / d).is_symlink()]:
            # os.walk does not follow it (a link may loop): its logs were passed over in
            # silence, night after night, with exit 0.
            dirs.remove(d)
            rel = (Path(root) / d).relative_to(inbox).as_posix()
            scan.unreadable.append((rel, LINKED_FOLDER))
        for name in sorted(files):
            if _hidden(name):
                continue
            path = Path(root) / name
            rel = path.relative_to(inbox).as_posix()
            if name.lower().endswith(PARTIAL_SUFFIXES):
                scan.waiting.append((rel, N_("its name says it is still being written")))
                continue
            try:
                st = path.stat()
            except FileNotFoundError:
                if path.is_symlink():  # a log rotated away under a link to it
                    scan.unreadable.append((rel, N_("a link to a file that does not exist")))
                continue  # else removed between listing and stat: nothing to take
            except OSError as exc:  # a loop of links, a name too long, an I/O error
                scan.unreadable.append((rel, exc.strerror or str(exc)))
                continue
            if not path.is_file():  # a FIFO, a device, a socket: reading it could block
                if classify(path) is not None:  # named like a log: say why it is not taken
                    scan.unreadable.append((rel, NOT_REGULAR))
                else:
                    scan.unsupported.append(rel)
                continue
            age_ns = now_ns - st.st_mtime_ns
            if age_ns < -1e9:  # a clock set wrong where it was written, or a bad copy
                scan.waiting.append((rel, _future_mtime(-age_ns)))
                continue
            if age_ns < settle_ns:
                scan.waiting.append(
                    (rel, f"modified {max(age_ns, 0) / 1e9:.0f} s ago, may still be written")
                )
                continue
            if classify(path) is None:
                scan.unsupported.append(rel)
                continue
            if not os.access(path, os.R_OK):
                scan.unreadable.append((rel, N_("no permission to read it")))
                continue
            scan.ready.append(InboxFile(path, rel, st.st_size, st.st_mtime_ns, st.st_ino))
    return scan


def _future_mtime(ahead_ns: int) -> str:
    """Why a file modified "in the future" waits: it said "modified 0 s ago" night after
    night, with exit 0, when it is really waiting for the clock to reach its mtime."""
    ahead = ahead_ns / 1e9
    when = f"{ahead / 86400:.0f} day(s)" if ahead >= 86400 else f"{ahead:.0f} s"
    return (
        f"its modification time is {when} ahead of this machine's clock; it waits until then "
        "(if it is complete, `touch` it and it is taken next run)"
    )


def processed_destination(inbox: Path, night: str, relpath: str) -> Path:
    return inbox / PROCESSED_DIR / night / relpath


def move_processed(
    inbox: Path,
    night: str,
    item: InboxFile,
    sha256: str,
    before: Callable[[Path], None] | None = None,
) -> Path | None:
    """Move a committed file to ``<inbox>/processed/<night>/<relpath>``; the destination.

    ``before(destination)`` runs once the destination is chosen and before the file leaves its
    place (nightly records the move there, so provenance never points at a path the file has
    not reached yet while the place it left is forgotten).

    Returns None (and leaves the file) when it changed since it was scanned: the new content
    is not what was ingested, so it stays for the next run. A name already taken by another
    file in ``processed/`` gets the content hash added to its name rather than overwriting it.
    """
    from ..ingest.sources import sha256_of

    if not item.unchanged():
        return None
    dest = processed_destination(inbox, night, item.relpath)
    record = before or (lambda _dest: None)
    if dest.exists():
        if dest.is_file() and sha256_of(dest) == sha256:
            record(dest)
            item.path.unlink()  # the same bytes are already there
            fsync_dir(item.path.parent)
            return dest
        stem, dot, suffixes = dest.name.partition(".")
        dest = dest.with_name(f"{stem}.{sha256[:12]}{dot}{suffixes}")
        if dest.exists():  # same name and same hash: the same bytes
            record(dest)
            item.path.unlink()
            fsync_dir(item.path.parent)
            return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    record(dest)
    os.rename(item.path, dest)
    fsync_dir(dest.parent)
    fsync_dir(item.path.parent)
    return dest


class HashCache:
    """sha256 of inbox files, remembered by (path, size, mtime, inode) across runs.

    With ``--keep-processed`` the inbox grows night after night; without this every run would
    read every old file again just to learn that the lake has it. A file whose size, mtime or
    inode changed is hashed again. Kept in ``LAKE/_auditpipe/nightly/inbox-hashes.json``
    (written atomically under the lake lock); entries of files that left the inbox are dropped.
    Entries of another inbox (two nightly jobs, one per inbox, into one lake) are kept while
    their files exist: each job dropped the other's, and every night read both inboxes whole.
    """

    def __init__(self, path: Path, inbox: Path | None = None) -> None:
        self.path = path
        self.inbox = None if inbox is None else inbox.resolve()
        self._old: dict[str, list[Any]] = {}
        self._new: dict[str, list[Any]] = {}
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no cache yet, or a damaged one: hash everything again
        if isinstance(doc, dict):  # entries of another shape (edited by hand): hashed again
            self._old = {key: value for key, value in doc.items() if _valid_entry(value)}

    def sha256(self, item: InboxFile) -> str:
        from ..ingest.sources import sha256_of

        key = str(item.path.resolve())
        stamp = [item.size, item.mtime_ns, item.inode]
        cached = self._old.get(key)
        if cached is not None and cached[:3] == stamp and item.unchanged():
            sha = str(cached[3])
        else:
            sha = sha256_of(item.path)
            if not item.unchanged():  # written to while we read it: do not remember
                self._new.pop(key, None)
                return sha
        self._new[key] = [*stamp, sha]
        return sha

    def save(self) -> None:
        keep = dict(self._new)
        if self.inbox is not None:
            for key, entry in self._old.items():
                other = key not in keep and not Path(key).is_relative_to(self.inbox)
                if other and os.path.isfile(key):  # another inbox's file, still there
                    keep[key] = entry
        if keep != self._old:
            write_json_atomic(self.path, keep)


def _valid_entry(value: Any) -> bool:
    """``[size, mtime_ns, inode, sha256]`` as HashCache writes it."""
    return (
        isinstance(value, list)
        and len(value) == 4
        and all(type(v) is int for v in value[:3])
        and isinstance(value[3], str)
        and len(value[3]) == 64
        and all(c in "0123456789abcdef" for c in value[3])
    )
