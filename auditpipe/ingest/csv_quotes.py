"""Where CSV rows end and how many columns each has, from the positions of quotes alone.

RFC 4180: a quoted value starts with ``"`` at the start of a field, doubles any ``"`` inside,
and ends with ``"`` before a comma, a line end or the end of the file. Newlines and commas
inside a quoted value do not end a row or a field.

For a well-formed batch the quotes simply pair up (1st opens, 2nd closes, ...), and numpy checks
that every pair sits where RFC 4180 puts it; this is the normal path and has no Python loop per
row. When a quote is out of place (a stray ``"`` inside an unquoted value, or text after a
closing quote), the batch's quotes are walked one by one instead: a quote that does not start
a field is taken literally, as most CSV readers do, and the row it is in is marked, so it is
quarantined with its own text and every other row keeps its exact line number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUOTE, COMMA, NEWLINE, CR = 34, 44, 10, 13
_FIELD_END = np.array([COMMA, NEWLINE, CR], dtype=np.uint8)


@dataclass
class QuoteSpans:
    """Quoted values as [open, close] byte positions (close = len(data) if unclosed), and the
    positions of quotes that are out of place."""

    opens: np.ndarray
    closes: np.ndarray
    stray: np.ndarray

    def outside(self, positions: np.ndarray) -> np.ndarray:
        """Which of ``positions`` lie outside every quoted value."""
        if not len(self.opens):
            return np.ones(len(positions), dtype=bool)
        i = np.searchsorted(self.opens, positions) - 1
        inside = (i >= 0) & (positions < self.closes[np.maximum(i, 0)])
        return ~inside


def quote_spans(data: np.ndarray) -> QuoteSpans:
    quotes = np.flatnonzero(data == QUOTE)
    opens, closes = quotes[0::2], quotes[1::2]
    if _well_formed(data, opens, closes):
        closes = np.append(closes, len(data)) if len(closes) < len(opens) else closes
        return QuoteSpans(opens, closes, np.array([], dtype=np.int64))
    return _walk(data, quotes)


def _well_formed(data: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> bool:
    n = len(data)
    if not len(opens):
        return True
    before = data[np.maximum(opens - 1, 0)]
    # An open follows a field boundary, or directly follows a closing quote ("" inside a value).
    after_close = np.zeros(len(opens), dtype=bool)
    after_close[1:] = opens[1:] - 1 == closes[: len(opens) - 1]
    open_ok = (opens == 0) | np.isin(before, _FIELD_END) | after_close
    if not open_ok.all():
        return False
    if not len(closes):
        return True
    nxt = closes + 1
    beyond = nxt >= n  # end of the data: the row is cut here or re-read with the next block
    following = data[np.minimum(nxt, n - 1)]
    before_open = np.zeros(len(closes), dtype=bool)
    m = min(len(closes), len(opens) - 1)
    before_open[:m] = nxt[:m] == opens[1 : m + 1]
    return bool((beyond | np.isin(following, _FIELD_END) | before_open).all())


def _walk(data: np.ndarray, quotes: np.ndarray) -> QuoteSpans:
    """The slow path, one step per quote (not per byte), for batches with a misplaced one."""
    n = len(data)
    opens: list[int] = []
    closes: list[int] = []
    stray: list[int] = []
    inside = False
    skip_next = False
    for p in quotes.tolist():
        if skip_next:
            skip_next = False
            continue
        if not inside:
            if p == 0 or data[p - 1] in (COMMA, NEWLINE, CR):
                opens.append(p)
                inside = True
            else:
                stray.append(p)
            continue
        nxt = int(data[p + 1]) if p + 1 < n else None
        if nxt == QUOTE:
            skip_next = True  # "" inside a quoted value
        elif nxt is None or nxt in (COMMA, NEWLINE, CR):
            closes.append(p)
            inside = False
        else:
            closes.append(p)  # text after a closing quote: taken as closing, row marked
            stray.append(p)
            inside = False
    if inside:
        closes.append(n)
    return QuoteSpans(
        np.array(opens, dtype=np.int64),
        np.array(closes, dtype=np.int64),
        np.array(stray, dtype=np.int64),
    )


def row_ends(data: np.ndarray, newlines: np.ndarray) -> np.ndarray:
    """The newlines that end a row (for lines.iter_line_batches)."""
    return newlines[quote_spans(data).outside(newlines)]


@dataclass
class RowShape:
    columns: np.ndarray  # per row: number of fields
    stray_quote: np.ndarray  # per row: holds a misplaced quote
    unclosed: np.ndarray  # per row: a quoted value never closed
    bare_cr: np.ndarray  # per row: a carriage return outside quotes not before a newline


def row_shapes(data: np.ndarray, offsets: np.ndarray) -> RowShape:
    """Fields per row and quoting faults, for rows ``data[offsets[i]:offsets[i+1]]``."""
    spans = quote_spans(data)
    commas = np.flatnonzero(data == COMMA)
    commas = commas[spans.outside(commas)]
    starts = offsets[:-1]
    per_row = np.diff(np.searchsorted(commas, offsets))
    stray = np.zeros(len(starts), dtype=bool)
    if len(spans.stray):
        stray[np.searchsorted(offsets, spans.stray, side="right") - 1] = True
    unclosed = np.zeros(len(starts), dtype=bool)
    if len(spans.closes) and spans.closes[-1] >= len(data):
        unclosed[np.searchsorted(offsets, spans.opens[-1], side="right") - 1] = True
    crs = np.flatnonzero(data == CR)
    crs = crs[spans.outside(crs)]
    crs = crs[(crs + 1 < len(data)) & (data[np.minimum(crs + 1, len(data) - 1)] != NEWLINE)]
    bare_cr = np.zeros(len(starts), dtype=bool)
    bare_cr[np.searchsorted(offsets, crs, side="right") - 1] = True
    return RowShape(per_row + 1, stray, unclosed, bare_cr)
