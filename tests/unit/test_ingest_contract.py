"""Every form the contract accepts, taken from the contract's own data, and both sides of
every limit ingest applies.

``schemas/access_event.schema.json`` is read here as JSON, not through the code under test,
so a wrong alias table or a lost alias in ingest shows up as a row stored with the wrong
value. Each test ingests one file (or one per format) holding a row per case, and names every
case that went wrong at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import REPO
from tests.support.ingest import good, ingest, query, write_jsonl

SCHEMA = json.loads((REPO / "schemas" / "access_event.schema.json").read_text(encoding="utf-8"))
PROPERTIES: dict[str, dict[str, Any]] = SCHEMA["properties"]

UTC = dt.UTC
# The contract's range, [1990, 2100) in the lake's timezone (Asia/Shanghai, +08:00 then)
EARLIEST = dt.datetime(1989, 12, 31, 16, tzinfo=UTC)
LATEST = dt.datetime(2099, 12, 31, 16, tzinfo=UTC)
EPOCH_MS_FROM = 100_000_000_000  # x-forms: milliseconds when |n| is this or more


def spellings(alias: str) -> list[str]:
    """An alias as written, in upper case with spaces around, and with '_' as '-' or ' '
    (names match case-insensitively, ignoring surrounding spaces, '-' and ' ' read as '_')."""
    out = [alias, f"  {alias.upper()} "]
    if "_" in alias:
        out += [alias.replace("_", "-"), alias.replace("_", " ").title()]
    return out


ALIAS_CASES = [
    (name, written, canonical)
    for name, spec in PROPERTIES.items()
    for alias, canonical in spec.get("x-aliases", {}).items()
    for written in spellings(alias)
]
ENUM_CASES = [
    (name, value, value) for name, spec in PROPERTIES.items() for value in spec.get("enum", [])
]


def test_the_contract_has_aliases_to_test() -> None:
    assert len({(n, c) for n, _, c in ALIAS_CASES}) >= 20
    for name, _, canonical in ALIAS_CASES:
        assert canonical in PROPERTIES[name]["enum"], f"{name}: alias to unknown {canonical}"


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = sorted({key for row in rows for key in row})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_every_alias_and_enum_value_of_the_contract_is_stored_as_its_canonical_value(
    tmp_path: Path, fmt: str
) -> None:
    cases = ALIAS_CASES + ENUM_CASES
    rows = [
        good(event_id=f"case-{n}", **{name: written}) for n, (name, written, _) in enumerate(cases)
    ]
    path = (
        write_jsonl(tmp_path / "in.jsonl", rows)
        if fmt == "jsonl"
        else write_csv(tmp_path / "in.csv", rows)
    )
    result = ingest(tmp_path / "lake", path)
    enum_fields = [n for n, spec in PROPERTIES.items() if "enum" in spec]
    stored = {
        event_id: dict(zip(enum_fields, values, strict=True))
        for event_id, *values in query(
            tmp_path / "lake", f"SELECT event_id, {', '.join(enum_fields)} FROM events"
        )
    }
    wrong = []
    for n, (name, written, canonical) in enumerate(cases):
        got = stored.get(f"case-{n}", {}).get(name)
        if got != canonical:
            wrong.append(f"{name}={written!r} stored as {got!r}, not {canonical!r}")
    assert wrong == [], "\n".join(wrong)
    assert result.rows_quarantined == 0


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def ms(moment: dt.datetime) -> int:
    return int((moment - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


SECOND, MILLI = dt.timedelta(seconds=1), dt.timedelta(milliseconds=1)

# (event_time as written, the UTC instant stored, or None: quarantined as out of range)
TIME_LIMITS: list[tuple[Any, dt.datetime | None]] = [
    # epoch seconds at the 1990 and 2100 limits
    (ms(EARLIEST) // 1000, EARLIEST),
    (ms(EARLIEST) // 1000 - 1, None),
    (ms(LATEST) // 1000 - 1, LATEST - SECOND),
    (ms(LATEST) // 1000, None),
    # the seconds/milliseconds boundary: both sides are outside the range, as seconds
    # (year 5138) and as milliseconds (1973)
    (EPOCH_MS_FROM - 1, None),
    (EPOCH_MS_FROM, None),
    # milliseconds below 10**12 (1990-2001) are milliseconds, not seconds
    (ms(EARLIEST), EARLIEST),
    (ms(EARLIEST) - 1, None),
    (ms(instant("1995-06-15T12:30:45.123Z")), instant("1995-06-15T12:30:45.123Z")),
    (10**12 - 1, instant("2001-09-09T01:46:39.999Z")),
    (10**12, instant("2001-09-09T01:46:40Z")),
    (ms(LATEST) - 1, LATEST - MILLI),
    (ms(LATEST), None),
    (-1, None),
    (0, None),
    # ISO-8601 at the limits, with and without an offset (no offset: Asia/Shanghai, +08:00)
    ("1989-12-31T16:00:00Z", EARLIEST),
    ("1989-12-31T15:59:59Z", None),
    ("1990-01-01T00:00:00+08:00", EARLIEST),
    ("1989-12-31T23:59:59+08:00", None),
    ("1990-01-01 00:00:00", EARLIEST),
    ("1989-12-31 23:59:59", None),
    ("2099-12-31T15:59:59.999Z", LATEST - MILLI),
    ("2099-12-31T16:00:00Z", None),
    ("2099-12-31 23:59:59", LATEST - SECOND),
    ("2100-01-01 00:00:00", None),
]


def ingest_times(tmp_path: Path, values: list[Any]) -> dict[int, tuple[Any, Any]]:
    """Line number -> (stored instant or None, quarantine reason or None)."""
    rows = [good(event_id=f"t{n}", event_time=value) for n, value in enumerate(values)]
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    lake = tmp_path / "lake"
    has_events = any(lake.glob("events/*/*/*.parquet"))
    has_quarantine = any(lake.glob("quarantine/*.parquet"))
    stored = dict(query(lake, "SELECT line_number, event_time FROM events")) if has_events else {}
    reasons = (
        dict(query(lake, "SELECT line_number, reason FROM quarantine")) if has_quarantine else {}
    )
    return {n + 1: (stored.get(n + 1), reasons.get(n + 1)) for n in range(len(values))}


@pytest.mark.parametrize("as_text", [False, True], ids=["json number", "string of digits"])
def test_both_sides_of_every_event_time_limit(tmp_path: Path, as_text: bool) -> None:
    values = [str(v) if as_text and isinstance(v, int) else v for v, _ in TIME_LIMITS]
    got = ingest_times(tmp_path, values)
    wrong = []
    for line, (value, expected) in enumerate(
        zip(values, [e for _, e in TIME_LIMITS], strict=True), 1
    ):
        stored, reason = got[line]
        if expected is None:
            ok = stored is None and reason is not None and "outside 1990-2100" in reason
        else:
            ok = stored == expected and reason is None
        if not ok:
            wrong.append(f"{value!r}: stored {stored}, reason {reason!r}; expected {expected}")
    assert wrong == [], "\n".join(wrong)


@settings(max_examples=6, deadline=None)
@given(
    moments=st.lists(
        st.integers(ms(EARLIEST), ms(LATEST) - 1), min_size=20, max_size=60, unique=True
    )
)
def test_any_instant_in_range_written_as_epoch_seconds_or_milliseconds_is_that_instant(
    tmp_path_factory: pytest.TempPathFactory, moments: list[int]
) -> None:
    values: list[Any] = []
    expected = []
    for m in moments:
        values += [m, m // 1000, str(m)]
        exact = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=m)
        expected += [exact, exact.replace(microsecond=0), exact]
    got = ingest_times(tmp_path_factory.mktemp("epoch"), values)
    for line, (value, want) in enumerate(zip(values, expected, strict=True), 1):
        assert got[line] == (want, None), value


# (field, value written, stored value or None: quarantined with a reason naming the field)
VALUE_LIMITS: list[tuple[str, Any, Any]] = [
    ("record_count", 0, None),
    ("record_count", 1, 1),
    ("record_count", "1", 1),
    ("record_count", -1, None),
    ("amount", 0, Decimal("0")),
    ("amount", "0.0000", Decimal("0")),
    ("amount", "-0.0001", None),
    ("amount", "0.0001", Decimal("0.0001")),
    ("currency", "usd", "USD"),
    ("currency", "US", None),
    ("currency", "USDX", None),
    ("source_ip", "255.255.255.255", "255.255.255.255"),
    ("source_ip", "256.0.0.1", None),
    ("source_ip", "::1", "::1"),
]


def test_both_sides_of_every_value_limit(tmp_path: Path) -> None:
    rows = [
        good(event_id=f"v{n}", **{name: value}) for n, (name, value, _) in enumerate(VALUE_LIMITS)
    ]
    lake = tmp_path / "lake"
    ingest(lake, write_jsonl(tmp_path / "in.jsonl", rows))
    stored = {
        line: dict(zip(("record_count", "amount", "currency", "source_ip"), rest, strict=True))
        for line, *rest in query(
            lake, "SELECT line_number, record_count, amount, currency, source_ip FROM events"
        )
    }
    reasons = dict(query(lake, "SELECT line_number, reason FROM quarantine"))
    wrong = []
    for line, (name, value, expected) in enumerate(VALUE_LIMITS, 1):
        if expected is None:
            ok = line not in stored and name in (reasons.get(line) or "")
        else:
            ok = line in stored and stored[line][name] == expected
        if not ok:
            wrong.append(f"{name}={value!r}: {stored.get(line) or reasons.get(line)}")
    assert wrong == [], "\n".join(wrong)
