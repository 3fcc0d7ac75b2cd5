"""Every finding of a report, held column-wise as the Arrow table one query returned.

A report can hold tens of thousands of findings, and a Python object per finding was most of
the JSON report's time. So the findings stay columns: the JSON document takes each finding's
JSON object as DuckDB wrote it (``finding_json.py``), and the formats meant for people, which
list the first ``listed_findings``, turn only those into ``FindingRow`` objects. Rows are made
by DuckDB from the Arrow columns, in the report's timezone, so they hold exactly the values a
row fetch from the report's own connection gave.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, overload

from .model import FindingRow

if TYPE_CHECKING:
    import pyarrow as pa

JSON_COLUMN = "finding_json"
ROW_FIELDS = [f.name for f in fields(FindingRow)]


class FindingList(Sequence[FindingRow]):
    """The findings of ``table`` (FindingRow's fields and ``finding_json``, in report order);
    ``timezone``: the report's, in which the timestamps become datetimes."""

    def __init__(self, table: pa.Table, timezone: str) -> None:
        if table.column_names != [*ROW_FIELDS, JSON_COLUMN]:
            raise AssertionError(
                f"report findings columns {table.column_names} are not FindingRow's fields "
                f"and {JSON_COLUMN}"
            )
        self._table = table
        self._timezone = timezone
        self._rows: list[FindingRow] | None = None

    def __len__(self) -> int:
        return self._table.num_rows

    @overload
    def __getitem__(self, index: int) -> FindingRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[FindingRow]: ...

    def __getitem__(self, index: int | slice) -> FindingRow | list[FindingRow]:
        if self._rows is not None:
            return self._rows[index]
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return self._all()[index]
            return self._make_rows(start, max(stop - start, 0))
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("finding index out of range")
        return self._make_rows(position, 1)[0]

    def __iter__(self) -> Iterator[FindingRow]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        """Equal to a sequence of the same rows (a list of FindingRow, another FindingList)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and self._all() == list(other)

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a list

    def json_objects(self) -> list[str]:
        """Each finding's JSON object, as ``json.dumps(row.to_dict(), ensure_ascii=False)``
        writes it, in report order."""
        objects: list[str] = self._table.column(JSON_COLUMN).to_pylist()
        return objects

    def _all(self) -> list[FindingRow]:
        if self._rows is None:
            self._rows = self._make_rows(0, len(self))
        return self._rows

    def _make_rows(self, start: int, length: int) -> list[FindingRow]:
        if length == 0:
            return []
        from ..db import connect

        part = self._table.select(ROW_FIELDS).slice(start, length)
        with connect(timezone=self._timezone) as con:
            con.register("report_finding_rows", part)
            rows = con.execute("SELECT * FROM report_finding_rows").fetchall()
        return [FindingRow(*row) for row in rows]
