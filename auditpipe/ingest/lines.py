"""Split a byte stream into rows, in large batches, without a Python loop per row.

A batch is a zero-copy Arrow ``large_binary`` array over one big buffer (numpy finds the
newlines), plus each row's 1-based physical line number. Which newlines end a row is the
caller's ``row_ends`` (every newline for JSON Lines; for CSV only those outside quoted values,
see ``csv_quotes``), so a row's line number and text are exact whatever the quoting. A row
longer than ``max_line_bytes`` is never held whole: the reader keeps its first KiB as a sample,
drops the rest as it streams past, and reports it as ``Oversize``.

Text encodings: a UTF-8 byte-order mark at the start of the file is dropped (Windows tools
write one); a file that starts like UTF-16 or UTF-32 (a byte-order mark, or NUL bytes between
ASCII characters) is rejected whole with a reason saying how to convert it. Transcoding was
not chosen: line numbers and the quarantine's ``raw`` text would then describe bytes the
provider never sent, and UTF-16 logs are rare enough that one ``iconv`` is the better fix.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, TypeVar

import numpy as np
import pyarrow as pa

from ..errors import InputFileError

T = TypeVar("T")
SAMPLE_BYTES = 1024
NEWLINE = 10
UTF8_BOM = b"\xef\xbb\xbf"
RowEnds = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (bytes, newline positions) -> row ends


def size_text(n: int) -> str:
    """``n`` bytes in the largest unit that states it exactly ("16 MiB", "512 KiB", "1,000
    bytes"): a limit is a setting the reader compares with, so a reason naming it must give
    the number set, never a rounded one ("0 MiB" for a limit under 1 MiB)."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size:,} {unit}"
    return "1 byte" if n == 1 else f"{n:,} bytes"


@dataclass
class Oversize:
    line_number: int
    sample: bytes
    size_seen: int


@dataclass
class LineBatch:
    rows: pa.LargeBinaryArray  # each row's bytes, including its line ending
    line_numbers: pa.Int64Array
    oversize: list[Oversize] = field(default_factory=list)


class StreamError(Exception):
    """Reading the input stream failed (truncated or corrupt archive, I/O error)."""


def every_newline(data: np.ndarray, newlines: np.ndarray) -> np.ndarray:
    return newlines


# Formats that are not text, by the bytes they start with: a file of one of them named like a
# log (a Parquet export saved as .jsonl, a .csv that is an Excel workbook, a log compressed
# twice or compressed without the suffix saying so) would otherwise be split at whatever
# newline bytes it holds and quarantined as dozens of rows of binary noise.
BINARY_FORMATS = (
    (b"PAR1", "a Parquet file", "name it .parquet and ingest it again"),
    (
        b"\x1f\x8b",
        "gzip-compressed",
        "name it with .gz at the end (or decompress it, if it was compressed twice) "
        "and ingest it again",
    ),
    (
        b"\x28\xb5\x2f\xfd",
        "zstd-compressed",
        "name it with .zst at the end (or decompress it, if it was compressed twice) "
        "and ingest it again",
    ),
    (
        b"PK\x03\x04",
        "a ZIP archive (an Excel .xlsx workbook is one)",
        "unzip it, or save the sheet as CSV UTF-8, and ingest that",
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel .xls workbook (or another OLE2 document)",
        "save the sheet as CSV UTF-8 and ingest that",
    ),
    (
        b"BZh",
        "bzip2-compressed",
        "name it with .bz2 at the end (or decompress it, if it was compressed twice) "
        "and ingest it again",
    ),
    (
        b"\xfd7zXZ\x00",
        "xz-compressed",
        "name it with .xz at the end (or decompress it, if it was compressed twice) "
        "and ingest it again",
    ),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it and ingest the logs inside"),
)


def check_encoding(head: bytes) -> int:
    """Bytes to skip at the start of the file (a UTF-8 byte-order mark); raises
    InputFileError for UTF-16 and UTF-32 text, and for a file that is not text at all
    (``BINARY_FORMATS``)."""
    if head.startswith(UTF8_BOM):
        return len(UTF8_BOM)
    for magic, what, todo in BINARY_FORMATS:
        if head.startswith(magic) and not _text_like(head):
            raise InputFileError(
                f"the file is {what}, not text; auditpipe reads it by its name", hint=todo
            )
    sample = head[: min(len(head), 64) // 2 * 2]
    wide = head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        # ASCII text in UTF-16 without a byte-order mark: every other byte is NUL
        len(sample) >= 8
        and any(
            sample[zero::2].count(0) == len(sample) // 2 and 0 not in sample[1 - zero :: 2]
            for zero in (0, 1)
        )
    )
    if wide:
        raise InputFileError(
            "the file is UTF-16 or UTF-32 text; auditpipe reads UTF-8",
            hint="convert it first, keeping its suffix, e.g. "
            "iconv -f UTF-16 -t UTF-8 FILE.csv > FILE.utf8.csv",
        )
    return 0


def _text_like(head: bytes) -> bool:
    """The first bytes hold no NUL and decode as UTF-8 (a cut character at the end aside): a
    short signature such as ``BZh`` then starts a line of text, not an archive."""
    sample = head[:256]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3
    return True


def _read(stream: IO[bytes], size: int) -> bytes:
    try:
        return stream.read(size)
    except Exception as exc:  # pyarrow raises OSError / ArrowInvalid for bad archives
        raise StreamError(str(exc)) from exc


def _read_after(stream: IO[bytes], head: bytes, size: int) -> tuple[bytes | bytearray, int]:
    """``head`` followed by up to ``size`` bytes read from ``stream``, and how many were read
    (0 at the end). With ``readinto`` the bytes land after ``head`` in one buffer: joining
    ``head + block`` copied each whole batch once more (about 15 ms a 32 MiB batch)."""
    readinto = getattr(stream, "readinto", None)
    if readinto is None or not head:
        block = _read(stream, size)
        return (head + block if head else block), len(block)
    buf = bytearray(len(head) + size)
    buf[: len(head)] = head
    try:
        n = readinto(memoryview(buf)[len(head) :])
    except Exception as exc:  # as in _read
        raise StreamError(str(exc)) from exc
    if len(head) + n < len(buf):
        del buf[len(head) + n :]  # a short read (the end, or a decompressor's block)
    return buf, n


class _Splitter:
    """The state carried between blocks: the unfinished last row, the line number of its
    first byte, and an oversize row being streamed past."""

    def __init__(self, row_ends: RowEnds, max_line_bytes: int) -> None:
        self.row_ends = row_ends
        self.max_line_bytes = max_line_bytes
        self.carry = b""
        self.next_line = 1
        self.skipping: Oversize | None = None

    def skip_oversize(self, block: bytes, eof: bool) -> tuple[bytes | None, list[Oversize]]:
        """While an oversize row is being skipped: the rest of ``block`` after its end (None
        when the whole block belongs to it) and the finished Oversize, if it ended."""
        skipping = self.skipping
        assert skipping is not None
        if eof:
            self.skipping = None
            return b"", [skipping]
        end = block.find(b"\n")
        if end < 0:
            skipping.size_seen += len(block)
            return None, []
        skipping.size_seen += end
        self.skipping = None
        self.next_line += 1
        return block[end + 1 :], [skipping]

    def split(
        self, buf: bytes | bytearray, eof: bool, oversize: list[Oversize]
    ) -> LineBatch | None:
        """Cut ``buf`` (the carry followed by the bytes read) at row ends; keep the unfinished
        tail as the new carry."""
        data = np.frombuffer(buf, dtype=np.uint8)
        newlines = np.flatnonzero(data == NEWLINE)
        ends = self.row_ends(data, newlines) if len(newlines) else newlines
        starts: np.ndarray | None
        if eof:
            cut = len(buf)
            starts = np.concatenate(([0], ends + 1)).astype(np.int64)
            if starts[-1] >= cut:
                starts = starts[:-1]  # the file ended with a row end
        else:
            cut = int(ends[-1]) + 1 if len(ends) else 0
            starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if len(ends) else None
        batch = None
        if starts is not None and len(starts):
            lines = self.next_line + np.searchsorted(newlines, starts).astype(np.int64)
            batch = self._batch(buf, starts, cut, lines, oversize)
        elif oversize:
            batch = LineBatch(_empty_rows(), pa.array([], pa.int64()), oversize)
        self.next_line += int(np.searchsorted(newlines, cut))
        self.carry = bytes(buf[cut:])
        if len(self.carry) > self.max_line_bytes:
            # No row end within the limit: keep a sample and stream past the rest of the row.
            # For CSV an unbalanced quote lands here too; we resync at the next newline.
            self.skipping = Oversize(self.next_line, self.carry[:SAMPLE_BYTES], len(self.carry))
            self.next_line += self.carry.count(b"\n")
            self.carry = b""
        return batch

    def _batch(
        self,
        buf: bytes | bytearray,
        starts: np.ndarray,
        cut: int,
        lines: np.ndarray,
        oversize: list[Oversize],
    ) -> LineBatch:
        offsets = np.append(starts, cut).astype(np.int64)
        lengths = np.diff(offsets)
        rows = pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
        )
        too_long = np.flatnonzero(lengths > self.max_line_bytes)
        if len(too_long):  # rare: sample them, keep them out of the batch
            for i in too_long:
                s = int(starts[i])
                sample = bytes(buf[s : s + SAMPLE_BYTES])
                oversize.append(Oversize(int(lines[i]), sample, int(lengths[i])))
            keep = np.ones(len(starts), dtype=bool)
            keep[too_long] = False
            rows = rows.filter(pa.array(keep))  # type: ignore[assignment]
            lines = lines[keep]
        return LineBatch(rows, pa.array(lines, pa.int64()), oversize)


def iter_line_batches(
    stream: IO[bytes],
    *,
    batch_bytes: int,
    max_line_bytes: int,
    row_ends: RowEnds = every_newline,
    quoted_newlines: bool = False,
) -> Iterator[LineBatch]:
    """``quoted_newlines`` is short for CSV's ``row_ends`` (csv_quotes.row_ends)."""
    if quoted_newlines:
        from .csv_quotes import row_ends as csv_row_ends

        row_ends = csv_row_ends
    splitter = _Splitter(row_ends, max_line_bytes)
    first = True
    while True:
        buf: bytes | bytearray
        if first or splitter.skipping is not None:
            block = _read(stream, batch_bytes)
            if first:
                block = block[check_encoding(block) :]
                first = False
            eof = not block
            oversize: list[Oversize] = []
            if splitter.skipping is not None:
                rest, oversize = splitter.skip_oversize(block, eof)
                if rest is None:
                    continue
                block = rest
            buf = splitter.carry + block if splitter.carry else block
        else:
            oversize = []
            buf, n = _read_after(stream, splitter.carry, batch_bytes)
            eof = n == 0
        batch = splitter.split(buf, eof, oversize)
        if batch is not None:
            yield batch
        if eof:
            return


class Cancelled(Exception):
    """The work was stopped by the ``cancel`` it was given (e.g. ``prefetch``'s)."""


CANCEL_POLL_SECONDS = 0.05  # how often a waiting ``prefetch`` caller asks ``cancel``


def prefetch(
    batches: Iterator[T], depth: int = 1, cancel: Callable[[], bool] | None = None
) -> Generator[T, None, None]:
    """Read ahead in a thread: producing the next item (reading, decompressing, splitting,
    or a DuckDB query) overlaps the caller's work on this one (both release the GIL).

    At most ``depth`` items are ahead of the caller, the one being produced included: the
    thread starts on the next item only when the caller takes one. (A bounded queue alone
    would let one more wait in a blocked ``put``; with batches of tens of MiB each, every
    item ahead is memory.) Neither side keeps a reference to an item it has handed on, so a
    batch is freed as soon as the caller is done with it.

    ``cancel``, when given, is asked before each item is handed on and every
    ``CANCEL_POLL_SECONDS`` while the caller waits for one; when it says True the caller gets
    ``Cancelled``. It is asked again while the thread finishes its item, for a ``cancel``
    that interrupts the work as the pipeline's does (``pipeline._interrupting``)."""
    import queue
    import threading

    slots: queue.Queue[tuple[str, object]] = queue.Queue()
    room = threading.Semaphore(depth)
    stop = threading.Event()

    def work() -> None:
        try:
            items = iter(batches)
            while True:
                room.acquire()
                if stop.is_set():
                    return
                try:
                    item = next(items)
                except StopIteration:
                    slots.put(("end", None))
                    return
                slots.put(("batch", item))
                del item
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put(("error", exc))

    def take() -> tuple[str, object]:
        if cancel is None:
            return slots.get()
        while not cancel():
            try:
                return slots.get(timeout=CANCEL_POLL_SECONDS)
            except queue.Empty:
                pass
        raise Cancelled

    thread = threading.Thread(target=work, name="auditpipe-reader", daemon=True)
    thread.start()
    try:
        while True:
            got = list(take())
            if got[0] == "end":
                return
            if got[0] == "error":
                assert isinstance(got[1], BaseException)
                raise got[1]
            room.release()
            yield got.pop()  # type: ignore[misc]
    finally:
        stop.set()
        room.release()  # wake a reader waiting for room; it sees stop and ends
        thread.join(None if cancel is None else CANCEL_POLL_SECONDS)
        while thread.is_alive():  # ``cancel`` may stop the thread's work: the pipeline's does
            cancel()  # type: ignore[misc]
            thread.join(CANCEL_POLL_SECONDS)


def _empty_rows() -> pa.LargeBinaryArray:
    return pa.array([], pa.large_binary())  # type: ignore[return-value]
