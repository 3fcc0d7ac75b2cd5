"""A pgaudit stderr log whose log_line_prefix names no process (neither %p nor %c), as a real
PostgreSQL 15 wrote it: thirteen statements of eleven sessions, most of them pgaudit's
statement 1 of their session, all in one second. Each is one event with an id of its own
(none counted as a duplicate of another), read with the user the prefix gives it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader

DATA = Path(__file__).resolve().parents[1] / "data" / "pgaudit_no_pid"
PREFIX = "%m %q%u@%d "


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(
        tmp_path_factory.mktemp("nopid"), "pgaudit", "stderr", f'log_line_prefix = "{PREFIX}"'
    )


def test_statements_of_sessions_without_a_process_id_stay_apart(read) -> None:  # type: ignore[no-untyped-def]
    rows, counters = read((DATA / "postgresql.log").read_bytes())
    got = [
        (e["actor_id"], e["action"], e["subject_id"], e["extras"]["statement"])
        for e in events(rows)
    ]
    assert len(got) == 13 and counters.lines_quarantined == 0
    assert len({e["event_id"] for e in events(rows)}) == 13
    assert [g[:3] for g in got if g[0] == "vendor_x"] == [
        ("vendor_x", "search", None),
        ("vendor_x", "view", "2"),
    ]
    svc = [g for g in got if g[0] == "svc_app"]
    assert [(a, s) for _, a, s, _ in svc] == [
        ("view", "1"),  # the ticketed read
        ("view", "2"),
        ("view", "1"),  # the join, its two relation lines one statement
        ("view", "2"),  # the prepared statement
        ("update", "2"),
        ("view", "1"),
        ("view", "1"),
    ]
    join = svc[2][3]
    assert join.startswith("SELECT o.amount") and ";" not in join.rstrip(";")


def test_the_same_log_read_again_gives_the_same_event_ids(read) -> None:  # type: ignore[no-untyped-def]
    text = (DATA / "postgresql.log").read_bytes()
    first = sorted(e["event_id"] for e in events(read(text)[0]))
    assert first == sorted(e["event_id"] for e in events(read(text)[0]))


# log_destination = 'syslog' with the same prefix: syslog's head names the process
# (postgres[PID]) that the prefix does not. Two sessions running the same statement in the
# same second are two events, with the ids the stderr destination gives them with %p.
SYSLOG = "".join(
    f"Dec  2 21:34:36 dbhost postgres[{pid}]: [1-1] 2026-12-02 21:34:36.{ms} CST "
    "svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
    "SELECT real_name FROM accounts WHERE id = 1;,<none>,1\n"
    for pid, ms in ((9434, 100), (9436, 200))
)


def test_a_syslog_record_s_process_id_stands_for_the_prefix_s(tmp_path: Path) -> None:
    from tests.support.sources import read_log

    rows, _ = read_log(tmp_path, SYSLOG, fmt="syslog", extra=f'log_line_prefix = "{PREFIX}"')
    assert [e["event_id"] for e in events(rows)] == [
        "pg:9434:2026-12-02T13:34:36:1",
        "pg:9436:2026-12-02T13:34:36:1",
    ]


def test_sources_check_does_not_warn_of_a_syslog_prefix_without_a_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.cli import run_main
    from tests.support.sources import write_source

    for fmt, warned in (("syslog", False), ("stderr", True)):
        settings = write_source(tmp_path / fmt, "pgaudit", fmt, f'log_line_prefix = "{PREFIX}"')
        code, out, _ = run_main(["sources", "check", str(settings)], capsys)
        assert code == 0 and ("neither %p nor %c" in out) == warned, (fmt, out)


LINE = (
    "2026-12-02 21:34:36.{ms:03d} CST {user}@shop LOG:  AUDIT: SESSION,{sid},1,READ,SELECT,"
    "TABLE,public.{table},{text},<none>,1\n"
)


@settings(max_examples=12, deadline=None)
@given(
    sessions=st.lists(
        st.tuples(st.sampled_from(["svc_app", "kefu_li", "vendor_x"]), st.integers(1, 3)),
        min_size=1,
        max_size=6,
    ),
    order=st.randoms(use_true_random=False),
)
def test_interleaved_sessions_without_a_process_id_give_one_event_a_statement(
    read, sessions: list[tuple[str, int]], order: Any
) -> None:  # type: ignore[no-untyped-def]
    # Sessions (a user, a number of statements) whose statements interleave at random, each
    # statement with a text of its own; a join logs one line per table (log_relation).
    queues = []
    n = 0
    for user, count in sessions:
        queue = []
        for sid in range(1, count + 1):
            n += 1
            tables = ["accounts", "orders"] if n % 2 else ["accounts"]
            text = f"SELECT real_name FROM accounts WHERE id = {n};"
            queue.append([(user, sid, t, text) for t in tables])
        queues.append(queue)
    lines = []
    while any(queues):
        queue = order.choice([q for q in queues if q])
        for user, sid, table, text in queue.pop(0):
            lines.append(LINE.format(ms=len(lines), user=user, sid=sid, table=table, text=text))
    rows, counters = read("".join(lines))
    got = events(rows)
    assert len(got) == n and len({e["event_id"] for e in got}) == n
    assert sorted(int(e["subject_id"]) for e in got) == list(range(1, n + 1))


# A real server's records (pgaudit's own regression script, log_line_prefix '%m %q%u@%d '):
# user1, with pgaudit.log_statement = off, read public.account as statement 1 of two
# sessions 0.8 s apart, each logged by object and by session audit (the table named as the
# generated schema's accounts here). The row counts differ.
NOT_LOGGED_TWICE = """\
2026-12-03 03:32:18.566 CST user1@postgres LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,public.accounts,<not logged>,<not logged>,1
2026-12-03 03:32:18.566 CST user1@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,<not logged>,<not logged>,1
2026-12-03 03:32:19.384 CST user1@postgres LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,public.accounts,<not logged>,<not logged>,3
2026-12-03 03:32:19.385 CST user1@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,<not logged>,<not logged>,3
"""


def test_records_of_one_statement_id_with_other_row_counts_are_two_statements(read) -> None:  # type: ignore[no-untyped-def]
    # The records of one statement (one per relation, object and session audit) share its
    # row count; a record of the same statement and sub-statement ids with another count is
    # another session's statement, even where the text (here <not logged>) cannot tell.
    rows, counters = read(NOT_LOGGED_TWICE.encode())
    got = sorted((e["record_count"], e["extras"]["log_lines"]) for e in events(rows))
    assert got == [("1", 2), ("3", 2)], got
    assert counters.lines_in_events == 4
