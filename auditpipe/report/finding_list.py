"""Every finding of a report, held as the JSON text DuckDB wrote for them (UTF-8 bytes).

A report can hold tens of thousands of findings, and a Python object per finding was most of
the JSON report's time. So one query hands over the count and every finding's JSON object
(``finding_json.py``), joined in report order into one text: the JSON document takes that text
as it is, and the formats meant for people, which list the first ``listed_findings``, parse
only those back into ``FindingRow`` objects. The text loses nothing: the times carry their
UTC offset and become datetimes in the report's timezone again, the amounts are exact, so
the rows are equal to those a row fetch from DuckDB gives (datetimes with the same
``ZoneInfo`` and fold, ``Decimal`` amounts with their scale).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo

from .finding_json import finding_json_sql
from .model import FindingRow

if TYPE_CHECKING:
    from ..db.database import SqlConnection

# Between two findings' objects: the JSON document's own indentation of its findings list.
SEPARATOR = b",\n    "


def fetch_findings(
    con: SqlConnection, rows: str, order: str, params: dict[str, Any], timezone: str
) -> FindingList:
    """The findings of ``rows`` (a query with FindingRow's columns, run with ``params``) in
    ``order``: DuckDB writes each one's JSON object (``finding_json``) as UTF-8 bytes, and
    they are joined here without a Python string of the text. (Joining them in DuckDB with
    string_agg kept three or four copies of the whole text alive at once: +190 MiB at 10M
    events against +80 MiB this way.)"""
    sql = f"SELECT encode({finding_json_sql('f')}) FROM ({rows}) AS f ORDER BY {order}"
    objects = con.execute(sql, params).fetchall()
    return FindingList(SEPARATOR.join(map(itemgetter(0), objects)), len(objects), timezone)


# In DuckDB's JSON only where a text held a control character (written \u001F where Python
# writes \u001f) or a backslash before "u00": rare in logs.
_ESCAPE = b"\\u00"


def python_escapes(objects: bytes) -> bytes:
    """``objects`` (JSON objects, one a line) with each line that holds "\\u00" written again
    by Python's json module: the same object, in the text json.dumps writes. Only those lines
    are parsed; the others stay the bytes DuckDB made."""
    parts: list[bytes] = []
    done = 0
    found = objects.find(_ESCAPE)
    while found != -1:
        start = objects.rfind(b"\n", 0, found) + 1
        end = objects.find(b"\n", found)
        end = len(objects) if end == -1 else end
        line = objects[start:end]
        body = line.strip().rstrip(b",")  # an object, its indentation and its comma around it
        left = line.index(body)
        again = json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
        parts += [objects[done:start], line[:left], again, line[left + len(body) :]]
        done = end
        found = objects.find(_ESCAPE, end)
    return b"".join([*parts, objects[done:]]) if parts else objects


class FindingList(Sequence[FindingRow]):
    """``count`` findings whose JSON objects, joined by ``SEPARATOR``, are ``objects`` (UTF-8);
    ``timezone``: the report's, in which their times were written."""

    def __init__(self, objects: bytes, count: int, timezone: str) -> None:
        self._objects = python_escapes(objects)
        self._count = count
        self._zone = ZoneInfo(timezone)
        self._rows: list[FindingRow] = []  # the first ones, parsed when first asked for

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> FindingRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[FindingRow]: ...

    def __getitem__(self, index: int | slice) -> FindingRow | list[FindingRow]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            return self._first(stop if step > 0 else self._count)[index]
        position = index + self._count if index < 0 else index
        if not 0 <= position < self._count:
            raise IndexError("finding index out of range")
        return self._first(position + 1)[position]

    def __iter__(self) -> Iterator[FindingRow]:
        return iter(self._first(self._count))

    def __eq__(self, other: object) -> bool:
        """Equal to a sequence of the same rows (a list of FindingRow, another FindingList)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a list

    def json_objects(self) -> bytes:
        """Every finding's JSON object, as ``json.dumps(row.to_dict(), ensure_ascii=False)``
        writes it, joined by ``SEPARATOR`` in report order, as UTF-8."""
        return self._objects

    def _first(self, n: int) -> list[FindingRow]:
        """The first ``n`` rows. An object never holds a line break (JSON escapes it in text),
        so the first ``n`` lines of the text are the first ``n`` objects."""
        if n > len(self._rows):
            lines = self._objects.split(b"\n", n)[:n]
            docs = json.loads(b"[" + b"\n".join(lines).rstrip(b",") + b"]")
            self._rows = [_row(doc, self._zone) for doc in docs]
        return self._rows[:n]


def _row(doc: dict[str, Any], zone: ZoneInfo) -> FindingRow:
    """The FindingRow ``to_dict`` wrote ``doc`` from."""
    return FindingRow(
        **{
            **doc,
            "event_date": dt.date.fromisoformat(doc["event_date"]),
            "first_seen": _time(doc["first_seen"], zone),
            "last_seen": _time(doc["last_seen"], zone),
            "proceeds_cny": Decimal(doc["proceeds_cny"]),
            "unconverted_amounts": {c: Decimal(a) for c, a in doc["unconverted_amounts"].items()},
        }
    )


def _time(text: str | None, zone: ZoneInfo) -> dt.datetime | None:
    # astimezone sets fold for a repeated hour, as DuckDB's datetimes have it
    return None if text is None else dt.datetime.fromisoformat(text).astimezone(zone)
