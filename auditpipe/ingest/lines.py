"""Split a byte stream into rows, in large batches, without a Python loop per row.

A batch is a zero-copy Arrow ``large_binary`` array over one big buffer (numpy finds the
newlines), plus each row's 1-based physical line number. For CSV a newline inside double
quotes does not end a row (RFC 4180 doubles quotes inside quoted fields, so the parity of the
quote count tells). A row longer than ``max_line_bytes`` is never held whole: the reader keeps
its first KiB as a sample, drops the rest as it streams past, and reports it as ``Oversize``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pyarrow as pa

SAMPLE_BYTES = 1024
NEWLINE, QUOTE = 10, 34


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


def _read(stream: IO[bytes], size: int) -> bytes:
    try:
        return stream.read(size)
    except Exception as exc:  # pyarrow raises OSError / ArrowInvalid for bad archives
        raise StreamError(str(exc)) from exc


def iter_line_batches(
    stream: IO[bytes],
    *,
    quoted_newlines: bool,
    batch_bytes: int,
    max_line_bytes: int,
    on_progress: Callable[[], None] | None = None,
) -> Iterator[LineBatch]:
    carry = b""
    next_line = 1  # physical line number of carry's first byte
    skipping: Oversize | None = None  # an oversize row being streamed past
    while True:
        block = _read(stream, batch_bytes)
        if on_progress:
            on_progress()
        eof = not block
        oversize: list[Oversize] = []
        if skipping is not None:
            if eof:
                oversize.append(skipping)
                if oversize:
                    yield LineBatch(_empty_rows(), pa.array([], pa.int64()), oversize)
                return
            end = block.find(b"\n")
            if end < 0:
                skipping.size_seen += len(block)
                continue
            skipping.size_seen += end
            oversize.append(skipping)
            skipping = None
            next_line += 1
            block = block[end + 1 :]
        buf = carry + block if carry else block
        data = np.frombuffer(buf, dtype=np.uint8)
        newlines = np.flatnonzero(data == NEWLINE)
        if quoted_newlines and len(newlines):
            quotes = np.flatnonzero(data == QUOTE)
            if len(quotes):
                outside = (np.searchsorted(quotes, newlines) % 2) == 0
                ends = newlines[outside]
            else:
                ends = newlines
        else:
            ends = newlines
        starts: np.ndarray | None
        if eof:
            cut = len(buf)
            starts = np.concatenate(([0], ends + 1)).astype(np.int64)
            if len(starts) and starts[-1] >= cut:
                starts = starts[:-1]  # the file ended with a newline
        else:
            cut = int(ends[-1]) + 1 if len(ends) else 0
            starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if len(ends) else None
        if starts is not None and len(starts):
            offsets = np.append(starts, cut).astype(np.int64)
            lengths = np.diff(offsets)
            lines = next_line + np.searchsorted(newlines, starts).astype(np.int64)
            too_long = np.flatnonzero(lengths > max_line_bytes)
            if len(too_long):  # rare: sample them, keep them out of the batch
                for i in too_long:
                    s = int(starts[i])
                    oversize.append(
                        Oversize(int(lines[i]), buf[s : s + SAMPLE_BYTES], int(lengths[i]))
                    )
                keep = np.ones(len(starts), dtype=bool)
                keep[too_long] = False
                rows = _take(buf, offsets, keep)
                lines = lines[keep]
            else:
                rows = pa.LargeBinaryArray.from_buffers(
                    pa.large_binary(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
                )
            yield LineBatch(rows, pa.array(lines, pa.int64()), oversize)
        elif oversize:
            yield LineBatch(_empty_rows(), pa.array([], pa.int64()), oversize)
        next_line += int(np.searchsorted(newlines, cut))
        if eof:
            return
        carry = buf[cut:]
        if len(carry) > max_line_bytes:
            # No row end within the limit: keep a sample and stream past the rest of the row.
            # For CSV an unbalanced quote lands here too; we resync at the next newline.
            skipping = Oversize(next_line, carry[:SAMPLE_BYTES], len(carry))
            next_line += carry.count(b"\n")
            carry = b""


def prefetch(batches: Iterator[LineBatch], depth: int = 2) -> Iterator[LineBatch]:
    """Read ahead in a thread: reading, decompressing and splitting the next batch overlaps
    DuckDB's work on this one (both release the GIL). ``depth`` batches at most are held."""
    import queue
    import threading

    slots: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                slots.put(("batch", batch))
            slots.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put(("error", exc))

    thread = threading.Thread(target=work, name="auditpipe-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = slots.get()
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(item, BaseException)
                raise item
            assert isinstance(item, LineBatch)
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting on a full queue
            try:
                slots.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


def _empty_rows() -> pa.LargeBinaryArray:
    return pa.array([], pa.large_binary())  # type: ignore[return-value]


def _take(buf: bytes, offsets: np.ndarray, keep: np.ndarray) -> pa.LargeBinaryArray:
    full = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
    )
    return full.filter(pa.array(keep))  # type: ignore[return-value]
