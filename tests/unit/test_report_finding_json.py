"""The findings' JSON written by DuckDB (``auditpipe.report.finding_json``, its control
characters' escapes then put in Python's case by ``finding_list.python_escapes``) is,
character for character, what ``json.dumps(FindingRow.to_dict(), ensure_ascii=False)`` writes
for the same row: any text (quotes, backslashes, every control character, non-ASCII, a backslash before
"u00"), NULLs, timestamps of any instant in timezones with half-hour, 45-minute, seconds (old
local mean time) and daylight-saving offsets, microseconds or none, exact amounts and maps.
And ``FindingList``, which keeps only that text, gives back the rows a DuckDB fetch gives, in
order (the same datetimes, fold and zone included, and exact amounts).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.db import Database, connect
from auditpipe.report.finding_json import FINDING_FIELDS, create_json_macros, finding_json_sql
from auditpipe.report.finding_list import fetch_findings, python_escapes
from auditpipe.report.model import FindingRow

TIMEZONES = [
    "Asia/Shanghai",
    "UTC",
    "America/New_York",
    "Europe/Dublin",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "Africa/Monrovia",
]

COLUMNS = """
    finding_id VARCHAR, rule_id VARCHAR, category VARCHAR, severity VARCHAR, provider_id VARCHAR,
    event_date DATE, actor_id VARCHAR, actor_type VARCHAR, destination_party VARCHAR,
    first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, event_count BIGINT, record_count BIGINT,
    subject_count BIGINT, data_classes VARCHAR[], data_categories VARCHAR[],
    proceeds_cny DECIMAL(18,2), unconverted_amounts MAP(VARCHAR, DECIMAL(18,4)), summary VARCHAR,
    evidence_count BIGINT, evidence_sample VARCHAR[], evidence_sql VARCHAR
"""

# every control character, the escapes, non-ASCII of every width, and text that looks escaped
TEXT = st.lists(
    st.one_of(
        st.characters(max_codepoint=0x7F),
        st.sampled_from(["é", "中", "\u2028", "\u2029", "\ufeff", "😀", "\\u00", "\\u001f"]),
    ),
    max_size=12,
).map("".join)
NULLABLE_TEXT = st.none() | TEXT
MICROS = st.integers(min_value=-2_500_000_000, max_value=4_200_000_000).flatmap(
    lambda s: st.sampled_from([0, 1, 500_000, 999_999]).map(lambda us: s * 1_000_000 + us)
)
MONEY = st.decimals(min_value=-(10**9), max_value=10**9, places=2)
AMOUNT = st.decimals(min_value=-(10**6), max_value=10**6, places=4)

ROW = st.tuples(
    TEXT,
    TEXT,
    TEXT,
    TEXT,
    TEXT,
    st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2200, 12, 31)),
    NULLABLE_TEXT,
    NULLABLE_TEXT,
    NULLABLE_TEXT,
    st.none() | MICROS,
    st.none() | MICROS,
    st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
    st.lists(NULLABLE_TEXT, max_size=3),
    st.lists(TEXT, max_size=2),
    MONEY,
    st.dictionaries(TEXT, AMOUNT, max_size=3),
    TEXT,
    st.integers(min_value=0, max_value=10**6),
    st.lists(TEXT, max_size=5),
    TEXT,
)


@pytest.fixture(scope="module")
def connections() -> dict[str, Database]:
    cons = {}
    for tz in TIMEZONES:
        con = connect(timezone=tz)
        create_json_macros(con)
        con.execute(f"CREATE TABLE t ({COLUMNS})")
        cons[tz] = con
    return cons


def _insert(con: Database, rows: list[tuple[Any, ...]]) -> None:
    con.execute("DELETE FROM t")
    con.connection.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, make_timestamptz(?::BIGINT), "
        "make_timestamptz(?::BIGINT), ?, ?, ?, ?, ?, ?, "
        "map(?::VARCHAR[], list_transform(?::VARCHAR[], lambda a: a::DECIMAL(18,4))), "
        "?, ?, ?, ?)",
        [(*r[:17], list(r[17]), [str(a) for a in r[17].values()], *r[18:]) for r in rows],
    )


def _python_json(row: tuple[Any, ...]) -> str:
    return json.dumps(FindingRow(*row).to_dict(), ensure_ascii=False)


def test_the_fields_are_finding_rows_in_to_dict_order() -> None:
    row = FindingRow(*[None] * len(FINDING_FIELDS))
    assert [name for name, _ in FINDING_FIELDS] == list(row.__dataclass_fields__)


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=30), tz=st.sampled_from(TIMEZONES))
def test_duckdb_writes_each_finding_as_python_json_dumps_does(
    connections: dict[str, Database], rows: list[tuple[Any, ...]], tz: str
) -> None:
    con = connections[tz]
    _insert(con, rows)
    names = ", ".join(name for name, _ in FINDING_FIELDS)
    fetched = con.execute(
        f"SELECT {names}, {finding_json_sql('t')} FROM t ORDER BY rowid"
    ).fetchall()
    written = [_python_json(row[:-1]).encode("utf-8") for row in fetched]
    assert [python_escapes(row[-1].encode("utf-8")) for row in fetched] == written
    # the report's query joins them, and the list made of that text gives the rows back
    findings = fetch_findings(con, "SELECT *, rowid AS n FROM t", "n", {}, tz)
    assert findings.json_objects() == b",\n    ".join(written)
    assert findings == [FindingRow(*row[:-1]) for row in fetched]


def test_python_escapes_rewrites_only_the_lines_where_duckdb_differs() -> None:
    texts = ["".join(chr(c) for c in range(32)) + '"\\/\x7f中\\u000B', "plain", "\x1f"]
    objects = [{"a": t, "n": [1, None], "m": {"k": t}} for t in texts]
    duckdb_text = ",\n    ".join(
        json.dumps(o, ensure_ascii=False, separators=(", ", ": "))
        .replace("\\u000b", "\\u000B")
        .replace("\\u001f", "\\u001F")
        for o in objects
    )
    python_text = ",\n    ".join(json.dumps(o, ensure_ascii=False) for o in objects)
    assert duckdb_text != python_text
    assert python_escapes(duckdb_text.encode("utf-8")) == python_text.encode("utf-8")
    assert python_escapes(b'{"a": "plain"}') == b'{"a": "plain"}'


def test_a_finding_list_gives_the_rows_duckdb_fetches_in_order(
    connections: dict[str, Database],
) -> None:
    con = connections["America/New_York"]
    con.execute("DELETE FROM t")
    # hours apart across the night the clocks go back: 01:30 comes twice (fold 0, then 1)
    con.execute(
        "INSERT INTO t SELECT 'f' || i, 'r', 'c', 's', 'p', DATE '2025-11-01' + i::INT, 'a' || i, "
        "'employee', NULL, TIMESTAMPTZ '2025-11-02 04:30:00.25+00' + to_hours(i), NULL, i, 1, 1, "
        "['x'], [], (i / 4)::DECIMAL(18,2), MAP {'USD': 1.5}, 'summary ' || i, 1, ['e' || i], "
        "'sql' FROM range(7) AS r(i)"
    )
    names = ", ".join(name for name, _ in FINDING_FIELDS)
    expected = [
        FindingRow(*row)
        for row in con.execute(f"SELECT {names} FROM t ORDER BY finding_id DESC").fetchall()
    ]
    findings = fetch_findings(con, "SELECT * FROM t", "finding_id DESC", {}, "America/New_York")
    assert len(findings) == 7 and bool(findings)
    assert findings[:3] == expected[:3] and findings[5] == expected[5]
    assert findings[-1] == expected[-1] and findings[2:100] == expected[2:]
    assert list(findings) == expected and findings == expected
    assert findings[::-2] == expected[::-2]
    assert [(f.first_seen.fold, f.first_seen.tzinfo) for f in findings] == [
        (f.first_seen.fold, f.first_seen.tzinfo) for f in expected
    ]
    assert {f.first_seen.fold for f in expected} == {0, 1}
    written = ",\n    ".join(json.dumps(f.to_dict(), ensure_ascii=False) for f in expected)
    assert findings.json_objects() == written.encode("utf-8")
    assert expected[-1].proceeds_cny == Decimal("0.00") and expected[-1].first_seen == dt.datetime(
        2025, 11, 2, 4, 30, 0, 250000, tzinfo=dt.UTC
    )
    with pytest.raises(IndexError):
        findings[7]


def test_an_empty_finding_list(connections: dict[str, Database]) -> None:
    con = connections["UTC"]
    con.execute("DELETE FROM t")
    findings = fetch_findings(con, "SELECT * FROM t", "finding_id", {}, "UTC")
    assert findings.json_objects() == b"" and findings == [] and not findings
    assert len(findings) == 0 and findings[:5] == []
