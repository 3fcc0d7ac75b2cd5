"""Shared by the kinds: a log file as batches of decoded lines (Polars frames).

Lines come from ingest's byte splitter (large batches, numpy finds the newlines, a line over
the size limit is never held whole). Valid UTF-8 is decoded by Arrow in one call; the few
lines that are not are decoded with their bad bytes written ``\\xNN`` and flagged, so a
statement with a stray byte still becomes an event rather than vanishing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..ingest.lines import Oversize, iter_line_batches, prefetch, size_text

# Why the record holding a file's unterminated last line is quarantined (see TextBatch).
CUT_AT_END = (
    "the file ends inside this record (no newline after its last line): the log was still "
    "being written, or the copy was cut; ingest the complete file again (its other records "
    "are then counted as duplicates)"
)


@dataclass
class TextBatch:
    frame: Any  # polars: line_number i64, text str, bad_utf8 bool
    oversize: list[Oversize]
    # The file's last physical line, when no newline ends it (set on the last batch only).
    # A database server ends every record with a newline, so a last line without one is a
    # record cut short: a log copied while the server was writing it, or a cut file. Read
    # as whole, such a record would be an event with its statement, parameters or return
    # code cut, and its event id would then make the complete record, ingested later with
    # the whole file, a duplicate of the cut one.
    cut_line: int | None = None


def text_batches(
    stream: IO[bytes],
    *,
    quoted_newlines: bool,
    batch_bytes: int,
    max_line_bytes: int,
    non_utf8_encoding: str | None = "gb18030",
    byte_lengths: bool = False,
) -> Iterator[TextBatch]:
    """``byte_lengths``: also a column ``bytes``, each line's length in the file's bytes
    (line break excluded), for a format whose limits are in bytes (server_audit): a line
    that is not UTF-8 is decoded, and its text's UTF-8 length is then another number."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = prefetch(
        iter_line_batches(
            stream,
            quoted_newlines=quoted_newlines,
            batch_bytes=batch_bytes,
            max_line_bytes=max_line_bytes,
        )
    )
    for batch, final in with_last(lines):
        try:
            text = batch.rows.cast(pa.large_string())
            bad = pa.nulls(len(batch.rows), pa.bool_()).fill_null(False)
        except pa.ArrowInvalid:
            text, bad = _decode_batch(batch.rows, non_utf8_encoding)
        frame = pl.from_arrow(
            pa.table({"line_number": batch.line_numbers, "text": text, "bad_utf8": bad})
        )
        assert isinstance(frame, pl.DataFrame)
        frame = frame.select(
            "line_number",
            pl.col("text").str.strip_chars_end("\r\n"),
            "bad_utf8",
            *(
                # the line break's bytes are the same in every encoding read here
                [
                    (
                        pl.Series(pc.binary_length(batch.rows)).cast(pl.Int64)
                        - pl.col("text").str.len_bytes()
                        + pl.col("text").str.strip_chars_end("\r\n").str.len_bytes()
                    ).alias("bytes")
                ]
                if byte_lengths
                else []
            ),
        )
        yield TextBatch(frame, batch.oversize, _cut_line(batch) if final else None)


def _cut_line(batch: Any) -> int | None:
    """The physical line number of the batch's last row's last line when no newline ends
    it (the row may span lines: CSV's quoted newlines)."""
    if not len(batch.rows):
        return None
    last = batch.rows[-1].as_py()
    if last.endswith(b"\n"):
        return None
    return int(batch.line_numbers[-1].as_py()) + last.count(b"\n")


def cut_rows(frame: Any, cut_line: int | None) -> Any:
    """Per row of ``frame`` (line_number, and lines when a row spans several): whether it
    holds ``cut_line``."""
    import polars as pl

    if cut_line is None:
        return pl.lit(False)
    span = pl.col("lines") if "lines" in frame.columns else pl.lit(1, pl.Int64)
    return (pl.col("line_number") <= cut_line) & (pl.col("line_number") + span - 1 >= cut_line)


def cut_reason(cut_line: int | None) -> Any:
    """For the kinds whose cut record is unreadable anyway (JSON, CSV): a function giving,
    per unreadable row of a frame, ``CUT_AT_END`` for the row holding ``cut_line`` and
    ``reason`` for the others, so the operator is told to ingest the whole file again."""
    import polars as pl

    def why(frame: Any, reason: str) -> Any:
        if cut_line is None:
            return reason
        return pl.when(cut_rows(frame, cut_line)).then(pl.lit(CUT_AT_END)).otherwise(pl.lit(reason))

    return why


def _decode_batch(rows: Any, encoding: str | None) -> tuple[Any, Any]:
    """A batch holding lines that are not UTF-8: the UTF-8 lines as they are (Arrow finds the
    others, ingest/text.py), the others read in ``encoding`` all at once (GB18030 and the
    other multi-byte encodings never make a newline byte inside a character, so the lines,
    joined by newlines, decode as one text and split back), else line by line with their bad
    bytes written \\xNN. Every such line is flagged (``bad_utf8``), so a statement with a
    stray byte still becomes an event rather than vanishing. A UTF-8 line a server cut inside
    a character near its end (server_audit's query_log_limit is in bytes) is read as UTF-8,
    that character's bytes written \\xNN: read in ``encoding`` it would turn into other
    characters (``姓名`` into ``濮撳悕``)."""
    import numpy as np
    import pyarrow as pa

    from ..ingest.text import _put_rows, _text_except, not_utf8_rows

    at = not_utf8_rows(rows)
    lines = rows.take(pa.array(at, pa.int64())).to_pylist()
    cut = _cut_utf8(lines) if encoding else np.zeros(len(lines), dtype=bool)
    faulty = [line for line, c in zip(lines, cut, strict=True) if not c]
    decoded: list[str] | None = None
    if encoding:
        try:
            decoded = _split(b"".join(faulty).decode(encoding), len(faulty))
        except UnicodeDecodeError:
            decoded = None
    if decoded is None:
        decoded = [_decode(line, encoding) for line in faulty]  # only the lines not UTF-8
    if cut.any():
        rest = iter(decoded)
        decoded = [
            line.decode("utf-8", "backslashreplace") if c else next(rest)
            for line, c in zip(lines, cut, strict=True)
        ]
    text = _put_rows(_text_except(rows, at), at, pa.array(decoded, pa.large_string()))
    flags = np.zeros(len(rows), dtype=bool)
    flags[np.asarray(at, dtype=np.int64)] = True
    return text, pa.array(flags)


def _split(text: str, n: int) -> list[str] | None:
    """The ``n`` lines joined in ``text`` (each ends with its line break, the last perhaps
    not), or None when they do not split back into ``n`` (a line break inside a line)."""
    parts = text.split("\n")
    if parts and parts[-1] == "" and len(parts) == n + 1:
        parts.pop()
    return parts if len(parts) == n else None


# A UTF-8 line cut inside its last character: one bad sequence, among its last characters.
_CUT_TAIL = 16


def _cut_utf8(lines: list[bytes]) -> Any:
    """Per line: whether it is UTF-8 but for one bad sequence in its last ``_CUT_TAIL``
    characters (each bad sequence reads as one U+FFFD)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not lines:
        return np.zeros(0, dtype=bool)
    parts = _split(b"".join(lines).decode("utf-8", "replace"), len(lines))
    if parts is None:
        return np.zeros(len(lines), dtype=bool)
    replaced = pa.array(parts)
    tail = pc.utf8_slice_codeunits(replaced, start=-_CUT_TAIL)
    one = pc.and_(
        pc.equal(pc.count_substring(replaced, "\ufffd"), 1),
        pc.equal(pc.count_substring(tail, "\ufffd"), 1),
    )
    return one.to_numpy(zero_copy_only=False)


def _decode(line: bytes, encoding: str | None) -> str:
    """A line not UTF-8: in ``encoding``; when it is not that either, with its bad bytes
    written \\xNN, in the encoding that leaves fewer bad (a GBK statement cut inside its last
    character is GBK but for that character's first byte)."""
    utf8 = line.decode("utf-8", "backslashreplace")
    if encoding:
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            mine = line.decode(encoding, "backslashreplace")
            if mine.count("\\x") < utf8.count("\\x"):
                return mine
    return utf8


def oversize_frame(items: list[Oversize], limit: int) -> Any:
    import polars as pl

    return pl.DataFrame(
        {
            "line_number": [o.line_number for o in items],
            "sample": [o.sample.decode("utf-8", "backslashreplace") for o in items],
            "problem": [
                f"record is longer than the {size_text(limit)} line limit "
                f"({o.size_seen:,} bytes or more); only its first KiB is kept, scrubbed"
                for o in items
            ],
        },
        schema={"line_number": pl.Int64, "sample": pl.String, "problem": pl.String},
    )


def with_last(items: Iterator[Any]) -> Iterator[tuple[Any, bool]]:
    """Each item with whether it is the last one (a batch's open tail waits unless it is)."""
    sentinel = object()
    current = next(items, sentinel)
    while current is not sentinel:
        following = next(items, sentinel)
        yield current, following is sentinel
        current = following


def fold(frame: Any, key: str, columns: dict[str, tuple[Any, Any]]) -> Any:
    """Group ``frame`` by ``key`` into one row per key: ``columns`` maps each output column to
    (aggregation, expression for a key with a single row). Most log records and statements
    are a single row, so those skip the group-by (the costly part) and only the rest pay."""
    import polars as pl

    shared = frame.filter(pl.col(key).is_duplicated())
    single = frame.filter(~pl.col(key).is_duplicated()).select(
        pl.col(key), *[expr.alias(name) for name, (_, expr) in columns.items()]
    )
    grouped = shared.group_by(key).agg(*[agg.alias(name) for name, (agg, _) in columns.items()])
    return pl.concat([single, grouped], how="vertical_relaxed")


# Statement rows that are not events, in the shape events.to_events reads.
NO_TIME = "1970-01-01T00:00:00Z"  # not data: the time is never used


def _lines(frame: Any) -> Any:
    import polars as pl

    return pl.col("lines") if "lines" in frame.columns else pl.lit(1, pl.Int64).alias("lines")


def non_data_rows(records: Any) -> Any:
    """Records that are not audit records of data access: counted, never stored."""
    import polars as pl

    return records.select(
        "line_number",
        _lines(records),
        pl.lit(False).alias("data_access"),
        pl.lit("").alias("raw_head"),
        pl.lit(NO_TIME).alias("event_time"),
    )


def unreadable_rows(frame: Any, reason: Any, text: str = "text") -> Any:
    """Records that are not records of their format: quarantined with ``reason`` (text or a
    Polars expression); their text is scrubbed by events.to_events like any statement."""
    import polars as pl

    return frame.select(
        "line_number",
        _lines(frame),
        pl.lit("").alias("raw_head"),
        pl.col(text).alias("statement"),
        (pl.lit(reason) if isinstance(reason, str) else reason).alias("problem"),
    )


def oversize_rows(items: list[Oversize], limit: int) -> Any:
    """Lines over the size limit: quarantined with their first KiB (scrubbed)."""
    import polars as pl

    frame = oversize_frame(items, limit).rename({"sample": "text"})
    return unreadable_rows(frame, pl.col("problem"))
