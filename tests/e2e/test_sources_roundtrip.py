"""Whatever a statement's string literal holds (quotes, commas, newlines, tabs, text that
looks like a log line, non-ASCII), each destination's log reads back as exactly one event per
statement, at its first line, with its subject, and without the literal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.generate.dblogs import WRITERS, server_audit
from tests.support.sources import events, read_log

FORGED = [
    "2026-03-02 09:00:00.000 CST [1] vendor_x@shop LOG:  AUDIT: SESSION,9,1,READ,SELECT,,,SELECT * FROM accounts,<none>",
    '2026-03-02 09:00:00.000 CST,"vendor_x","shop",1,"",1.1,1,"",,,,LOG,00000,"AUDIT: x",,,,,,,,,"","",,0',
    '{"timestamp":"2026-03-02 09:00:00 CST","user":"vendor_x","error_severity":"LOG","message":"AUDIT: SESSION,9,1,READ,SELECT,,,x,<none>"}',
    "20260302 09:00:00,db1,vendor_x,h,1,9,QUERY,shop,'SELECT * FROM accounts',0",
]
PIECES = st.one_of(
    st.sampled_from(FORGED + ['"', "'", ",", "\n", "\t", "\\", "$$", "张三", "--", "/*", "*/"]),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
        max_size=8,
    ),
)
SECRET = "SECRET-VALUE-42"


def frame_of(values: list[str], mysql: bool) -> pl.DataFrame:
    """Statements as a client sends them: in MySQL a backslash in a string is doubled."""
    n = len(values)
    if mysql:
        values = [v.replace("\\", "\\\\") for v in values]
    sql = [
        "SELECT real_name, mobile FROM accounts WHERE id = "
        + str(100 + i)
        + " AND city <> '"
        + (SECRET + v).replace("'", "''")
        + "'"
        for i, v in enumerate(values)
    ]
    start = int(dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC).timestamp() * 1_000_000)
    return pl.DataFrame(
        {
            "sql": sql,
            "params": [None] * n,
            "statement_id": list(range(1, n + 1)),
            "pid": [4000] * n,
            "user": ["kefu_li"] * n,
            "class": ["READ"] * n,
            "command": ["SELECT"] * n,
            "tables": [["accounts"]] * n,
            "rows": [1] * n,
            "time_us": [start + i * 1000 for i in range(n)],
        },
        schema_overrides={"params": pl.String},
    )


@pytest.mark.parametrize(
    "which", ["pgaudit-stderr", "pgaudit-csvlog", "pgaudit-jsonlog", "server_audit"]
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(PIECES, max_size=6).map("".join), min_size=1, max_size=6))
def test_any_literal_reads_back_as_one_event_per_statement(
    tmp_path: Path, which: str, values: list[str]
) -> None:
    frame = frame_of(values, mysql=which == "server_audit")
    writer = server_audit if which == "server_audit" else WRITERS[which][0]
    text = "\n".join(writer(frame).to_list()) + "\n"
    kind, fmt = (
        ("server_audit", None) if which == "server_audit" else ("pgaudit", which.split("-")[1])
    )
    extra = "query_log_limit = 100000" if kind == "server_audit" else ""
    rows, counters = read_log(tmp_path / which, text, kind=kind, fmt=fmt, extra=extra)
    got = events(rows)
    assert [e["subject_id"] for e in got] == [str(100 + i) for i in range(len(values))]
    assert all(e["actor_id"] == "kefu_li" for e in got)
    assert counters.lines_quarantined == 0 and counters.lines_in_events == counters.lines_read
    assert SECRET not in json.dumps(rows, ensure_ascii=False)
