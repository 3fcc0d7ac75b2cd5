"""The default engine: everything in this process, as one group (the task itself is DuckDB)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from . import TaskFunction


class DuckDBEngine:
    name = "duckdb"
    partitioned = False
    in_process = True
    task_threads = None  # the one task may use every core

    def run_tasks(
        self, task: TaskFunction, items: Sequence[Any], *, together: bool = True
    ) -> Iterator[bytes]:
        """One call over every item (DuckDB parallelises inside it and spills past its
        limit), or with ``together=False`` one call per item, lazily."""
        if together:
            if items:
                yield task(list(items))
            return
        for item in items:
            yield task([item])

    def close(self) -> None:
        pass
