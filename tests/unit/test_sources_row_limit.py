"""A read with its own row limit returns at most that many rows (docs/sources.md, "Unbounded
reads are bulk")."""

from __future__ import annotations

from pathlib import Path

from tests.support.sources import read_log

P = "2026-03-02 09:30:00.000 CST [5151] kefu_qian@shop LOG:  AUDIT: "

# A read with its own row limit (as DBeaver, Navicat and other clients add to every query a
# user runs: LIMIT 200) returns at most that many rows: a search of that many records, not an
# unbounded read; the bulk rule then counts it by its records like any other read.
LIMITED = [
    ("SELECT * FROM accounts LIMIT 200", "pgaudit", 200),
    ("SELECT * FROM accounts ORDER BY id LIMIT 50 OFFSET 1000", "pgaudit", 50),
    ("SELECT * FROM accounts FETCH FIRST 7 ROWS ONLY", "pgaudit", 7),
    ("SELECT * FROM accounts LIMIT 5000", "pgaudit", 5000),
    ("SELECT * FROM accounts LIMIT 0", "pgaudit", 1),
]
UNLIMITED = [
    "SELECT * FROM accounts LIMIT ALL",
    "SELECT * FROM accounts LIMIT $1",
    "SELECT * FROM accounts FETCH FIRST 10 PERCENT ROWS ONLY",
    "SELECT * FROM (SELECT * FROM accounts LIMIT 5) t, accounts b",  # b is whole
]


def _pg_line(n: int, sql: str, rows: str = "") -> str:
    quoted = '"' + sql.replace('"', '""') + '"'
    return f"{P}SESSION,{n},1,READ,SELECT,TABLE,public.accounts,{quoted},<none>{rows}\n"


def test_a_read_with_a_row_limit_is_a_search_of_that_many_records(tmp_path: Path) -> None:
    text = "".join(_pg_line(n, sql) for n, (sql, _, _) in enumerate(LIMITED, 1))
    text += "".join(_pg_line(n, sql) for n, sql in enumerate(UNLIMITED, len(LIMITED) + 1))
    rows, counters = read_log(tmp_path, text)
    by_line = {r["line_number"]: r for r in rows}
    for n, (sql, _, count) in enumerate(LIMITED, 1):
        event = by_line[n]
        assert event["action"] == "search" and int(event["record_count"]) == count, sql
        assert not event["extras"].get("unbounded"), sql
    for n, sql in enumerate(UNLIMITED, len(LIMITED) + 1):
        assert by_line[n]["extras"].get("unbounded") is True, sql
    assert counters.unbounded_reads == len(UNLIMITED)


def test_the_logged_row_count_wins_over_the_limit(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, _pg_line(1, "SELECT * FROM accounts LIMIT 200", ",37"))
    (event,) = rows
    assert int(event["record_count"]) == 37 and not event["extras"].get("unbounded")


def test_a_mysql_limit_with_an_offset_counts_its_rows(tmp_path: Path) -> None:
    text = (
        "20261201 23:20:53,vm,kefu_qian,localhost,5,19,QUERY,shop,"
        "'SELECT * FROM accounts LIMIT 1000, 200',0\n"
    )
    (event,) = read_log(tmp_path, text, kind="server_audit", fmt=None)[0]
    assert int(event["record_count"]) == 200 and not event["extras"].get("unbounded")
