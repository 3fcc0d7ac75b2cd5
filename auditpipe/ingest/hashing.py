"""A file's sha256 while the file is staged, and whether the lake already holds its content.

Content identifies an input file: its sha256 names the manifest entry, and a file whose content
the lake holds is skipped. Hashing the benchmark's 1 GB file takes 0.5 s of CPU, which used to
come before the first batch was read. So the hash runs on a thread of its own (hashlib
releases the GIL on large updates) while staging starts; the pipeline asks ``InLake`` between
batches and while it waits for one, and once the hash shows the content is in the lake already
it interrupts the file's DuckDB queries and stops. Only the writing of staged Parquet files
waits for the hash, since every row carries it. A second ingest of a large file thus costs the
pipeline's work during the hash on top of the hash itself.

A sha256 the nightly job computed when it scanned the inbox comes with the file
(``SourceFile.hashed``) and is used, without reading the file again, while the file keeps the
size, mtime and inode it had then.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from . import sources
from .sources import SourceFile

# A file this small is hashed before staging starts, as all files once were: hashing it takes
# less than starting the file's DuckDB session (~35 ms against ~150 ms), so overlapping gains
# little, while a second ingest of it would pay for the session and its first batch.
HASH_FIRST_BYTES = 64 * 1024 * 1024


def file_sha256(source: SourceFile, limit: int | None = None) -> Future[str]:
    """The file's sha256: known at once when ``source`` carries one that still matches the
    file or the file is small, else computed on its own thread. The future holds any error
    reading the file. ``limit``: hash only that many bytes (see ``check_unchanged``)."""
    sha: Future[str] = Future()
    if source.hashed is not None and source.hashed.matches(source.path):
        sha.set_result(source.hashed.sha256)
        return sha

    def work() -> None:
        try:
            sha.set_result(sources.sha256_of(source.path, limit=limit))
        except BaseException as exc:  # raised where the sha256 is asked for
            sha.set_exception(exc)

    if _size(source) <= HASH_FIRST_BYTES:
        work()
    else:
        threading.Thread(target=work, name="auditpipe-hash", daemon=True).start()
    return sha


def _size(source: SourceFile) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 0  # hashed at once, which reports why the file cannot be read


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """The file's (inode, size, mtime): what changes when it is written or replaced."""
    try:
        st = path.stat()
    except OSError:
        return None  # the hash reports why it cannot be read
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def check_unchanged(path: Path, stamp: tuple[int, int, int] | None, sha: str) -> None:
    """Reject a file that changed between its hash and the end of its reading: its rows are
    not the content its sha256 names, and recording them under it would have that content,
    sent again, skipped unread. Rejected, it is read again, whole, by the next run.

    A file that only grew (a live log appended to) is kept: its sha256 names its first
    ``stamp`` size bytes (hashed with that limit), which are still the same and were all read,
    so the rows read hold that content and more; the next run reads the grown file again, its
    old rows duplicates. Checking that costs one more hash of those bytes, only then."""
    now = file_stamp(path)
    if stamp is not None and now == stamp:
        return
    grew = stamp is not None and now is not None and now[0] == stamp[0] and now[1] >= stamp[1]
    if not grew or sources.sha256_of(path, limit=stamp[1] if stamp else 0) != sha:
        raise InputFileError(
            f"{path} changed while it was read (it was written to or replaced meanwhile); "
            "nothing of it was published",
            hint="ingest it again once it is complete",
        )


def check_utf8_name(path: Path) -> None:
    """Reject a file whose name is not UTF-8 (a Chinese name saved in GBK, as a Windows zip
    or an FTP upload leaves it): the readers cannot open it by name, and the lake could not
    store it as its rows' source_file."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise InputFileError(
            "the file's name is not valid UTF-8, so it cannot be read or named in the lake",
            hint="rename it to UTF-8 and ingest it again; for a name saved in GBK: "
            "convmv -f GBK -t UTF-8 --notest FILE",
        ) from None


def known_sha256(sha: str) -> Future[str]:
    done: Future[str] = Future()
    done.set_result(sha)
    return done


# The content of a file of no bytes. Every empty file has it, so it names no delivery: an
# empty file is never "the same content" as another (a failed export beside an empty day of
# another provider), and is read on its own (ingested as no rows, or rejected when its kind
# cannot be empty: a compressed file, Parquet).
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class InLake:
    """Whether the lake holds a file's content (a manifest entry with status ingested). Asked
    by the staging threads between batches; the manifest is read once, when the hash is known."""

    def __init__(self, lake: Any, sha: Future[str]) -> None:
        self.lake = lake
        self.sha = sha
        self.entry: dict[str, Any] | None = None  # the manifest entry, when it holds the content
        self.asked = False
        self.lock = threading.Lock()

    def __call__(self, wait: bool = False) -> bool:
        """True when it does; False while the hash is still running, unless ``wait``."""
        from .pipeline import STATUS_INGESTED

        if not self.asked and (wait or self.sha.done()):
            with self.lock:
                if not self.asked:
                    sha = self.sha.result()
                    entry = None if sha == EMPTY_SHA256 else self.lake.manifest_entry(sha)
                    if entry and entry.get("status") == STATUS_INGESTED:
                        self.entry = entry
                    self.asked = True
        return self.entry is not None
