"""Private spill folders: where a connection that names no folder lets DuckDB spill.

Each is a new folder in the system's temporary folder, removed when its connection closes (or
is collected, or at interpreter exit). A process killed before that (``kill -9``, the kernel's
out-of-memory killer) cannot remove it, and what DuckDB spilled there can be gigabytes. So the
first private folder a process makes also removes the folders of owners that are gone:

- the owner holds an exclusive ``flock`` on ``.owner.lock`` inside its folder for the
  folder's whole life. The kernel drops the lock when the process ends, however it ends, and
  a lock is seen across PID namespaces on the same file system, unlike a PID;
- the lock file is locked before it takes its name (a temporary name, locked, then renamed),
  so a folder whose ``.owner.lock`` can be locked by someone else is abandoned, never one being
  made; a folder without one (being made, or left by a version that did not lock) is left.

Locking is best effort: where ``fcntl`` is missing (not a POSIX system) or the temporary
folder's file system refuses locks, the folder is made without one (so it is never swept) and
the connection goes on; nothing is swept where ``fcntl`` is missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

PREFIX = "auditpipe-duckdb-"
LOCK = ".owner.lock"

_swept = False  # one sweep per process: the first private folder it makes


class SpillFolder:
    """A new private folder, locked as its owner's until ``remove``."""

    def __init__(self) -> None:
        global _swept
        if not _swept:
            _swept = True
            sweep_abandoned()
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX))
        self._fd: int | None = None
        if fcntl is not None:
            self._fd = _locked(self.path)

    def remove(self) -> None:
        """The folder and all DuckDB spilled into it, gone; the lock released."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        shutil.rmtree(self.path, ignore_errors=True)


def _locked(folder: Path) -> int | None:
    """``folder``'s lock file, made locked (an open descriptor), or None where the file system
    will not lock: the folder then has no lock file, so no sweep ever takes it."""
    assert fcntl is not None
    pending = folder / (LOCK + ".new")
    fd = os.open(pending, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(pending, folder / LOCK)
    except OSError:
        os.close(fd)
        with contextlib.suppress(OSError):
            pending.unlink()
        return None
    return fd


def sweep_abandoned(root: Path | None = None) -> list[Path]:
    """Remove the private folders under ``root`` (the temporary folder) whose owner is gone;
    returns them. Best effort: a folder it cannot open or lock is left as it is."""
    if fcntl is None:
        return []
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            fd = os.open(folder / LOCK, os.O_RDWR)
        except OSError:  # no lock file (being made, an older version), or not ours to open
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its owner is alive
            os.close(fd)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
        removed.append(folder)
    return removed
