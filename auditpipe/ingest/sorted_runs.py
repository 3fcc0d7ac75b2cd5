"""Sorted runs of 64-bit values, one after the other in one growable buffer (for seen.py).

The runs are merged as they grow, like a log-structured tree (sizes roughly halving, so a
look-up searches O(log n) runs). Kept as separate numpy arrays, each merge concatenated the
runs it merged into a new array: for a moment the merged values were held twice, 42 MiB
more at the largest merge of a 4,000,000-key file, a transient that grew with the file.
Here the runs lie end to end in one anonymous memory map: a new run is written after the
last one, and a merge sorts the tail that holds the runs it merges, in place. Growing the
map reserves address space (``mremap`` on Linux moves no pages), so memory is the values
themselves, 8 bytes each, and nothing more. Where a map cannot be resized in place (no
``mremap``), it is copied into a larger one.
"""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Iterator

import numpy as np

ITEM = 8  # bytes per value (uint64)
_FLAGS = {"flags": mmap.MAP_PRIVATE} if hasattr(mmap, "MAP_PRIVATE") else {}


class SortedRuns:
    def __init__(self, capacity: int = 1 << 16) -> None:
        self.capacity = capacity  # values the map holds
        self.map = mmap.mmap(-1, capacity * ITEM, **_FLAGS)
        self.starts: list[int] = []  # where each run starts; the last one ends at ``size``
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def close(self) -> None:
        with contextlib.suppress(BufferError):  # a view still held frees the map with it
            self.map.close()

    def _values(self) -> np.ndarray:
        return np.frombuffer(self.map, dtype=np.uint64, count=self.size)

    def runs(self) -> Iterator[np.ndarray]:
        """Each run, a sorted view; no view may outlive the next ``add``."""
        values = self._values()
        ends = [*self.starts[1:], self.size]
        for start, end in zip(self.starts, ends, strict=True):
            yield values[start:end]

    def add(self, new: np.ndarray) -> None:
        """Add ``new`` (any order) as a run, then merge the last runs while the one before
        is at most twice the size of the merged tail."""
        if not len(new):
            return  # an empty run would break the look-ups
        self._reserve(self.size + len(new))
        start = self.size
        self.size += len(new)
        values = self._values()
        values[start:] = new
        while self.starts and (start - self.starts[-1]) <= 2 * (self.size - start):
            start = self.starts.pop()
        values[start:].sort()  # in place: the merged runs are never held twice
        self.starts.append(start)

    def _reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        capacity = max(needed, 2 * self.capacity)
        try:
            _resize(self.map, capacity * ITEM)
        except (OSError, SystemError, BufferError):
            # No mremap, or a view of the values is still alive somewhere (mmap refuses to
            # resize an exported buffer): a larger map, the values copied over; the old one
            # is freed with its last view.
            larger = mmap.mmap(-1, capacity * ITEM, **_FLAGS)
            larger[: self.size * ITEM] = self.map[: self.size * ITEM]
            with contextlib.suppress(BufferError):
                self.map.close()
            self.map = larger
        self.capacity = capacity


def _resize(buffer: mmap.mmap, size: int) -> None:
    buffer.resize(size)
