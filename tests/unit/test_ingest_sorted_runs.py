"""The seen-keys hashes' sorted runs (ingest/sorted_runs.py): every value added is found in
exactly one run, each run is sorted, merging keeps the runs few, and a map that cannot be
resized in place is copied into a larger one without losing a value."""

from __future__ import annotations

import numpy as np
import pytest

from auditpipe.ingest import sorted_runs
from auditpipe.ingest.sorted_runs import SortedRuns


def added(runs: SortedRuns, batches: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(batches):
        new = rng.integers(0, 2**64, int(rng.integers(0, 3000)), dtype=np.uint64)
        runs.add(new)
        values.append(new)
    return np.sort(np.concatenate(values))


def check(runs: SortedRuns, expected: np.ndarray) -> None:
    held = list(runs.runs())
    assert all((run[1:] >= run[:-1]).all() for run in held)
    assert all(len(run) for run in held)  # an empty run would break the look-ups
    assert len(runs) == len(expected)
    assert np.array_equal(np.sort(np.concatenate(held)), expected)


def test_runs_hold_every_value_sorted_and_stay_few() -> None:
    runs = SortedRuns(capacity=16)  # grown many times over
    expected = added(runs, 200)
    check(runs, expected)
    sizes = [len(run) for run in runs.runs()]
    # Each run is more than twice the size of the next: O(log n) runs.
    assert all(a > 2 * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    assert len(sizes) <= 2 * np.log2(len(expected))
    runs.close()


def test_a_map_that_cannot_grow_in_place_is_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_mremap(buffer: object, size: int) -> None:
        raise SystemError("mmap: resizing not available--no mremap()")

    monkeypatch.setattr(sorted_runs, "_resize", no_mremap)
    runs = SortedRuns(capacity=16)
    expected = added(runs, 60, seed=1)
    check(runs, expected)
    runs.close()


def test_close_with_a_view_still_held_does_not_raise() -> None:
    runs = SortedRuns()
    runs.add(np.arange(10, dtype=np.uint64))
    view = next(runs.runs())
    runs.close()
    assert int(view[-1]) == 9


def test_a_view_still_held_does_not_stop_the_map_growing() -> None:
    """mmap refuses to resize while a numpy view of it lives (say one a look-up left in a
    reference cycle): the values are then copied into a larger map, none lost, and the old
    view keeps what it showed."""
    runs = SortedRuns(capacity=16)
    runs.add(np.arange(10, dtype=np.uint64))
    view = next(runs.runs())
    expected = np.sort(np.concatenate([np.arange(10, dtype=np.uint64), added(runs, 30, seed=2)]))
    check(runs, expected)
    assert int(view[-1]) == 9
    runs.close()
