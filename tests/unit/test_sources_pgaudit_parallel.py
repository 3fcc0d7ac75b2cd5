"""A parallel query's AUDIT records: pgaudit (before 18) logs the statement in the leader and
again in each parallel worker, with no user. The workers' copies are counted as not data: the
leader's record is the statement (tests/data/pgaudit_parallel/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sources import events, quarantined, read_log

DATA = Path(__file__).resolve().parents[1] / "data" / "pgaudit_parallel"
PREFIX = "%m [%p] %q%u@%d "


@pytest.mark.parametrize(
    ("name", "fmt", "prefix", "n"),
    [
        ("postgresql.log", "stderr", PREFIX, 5),
        ("postgresql.csv", "csvlog", PREFIX, 5),
        ("postgresql.json", "jsonlog", PREFIX, 5),
        ("postgresql-backend-type.log", "stderr", "%s %m [%p:%b:%i] %Q %x/%v %e %u@%d:%a ", 7),
    ],
)
def test_a_parallel_worker_s_copy_of_the_audit_record_is_not_a_statement(
    tmp_path: Path, name: str, fmt: str, prefix: str, n: int
) -> None:
    rows, counters = read_log(
        tmp_path, (DATA / name).read_bytes(), fmt=fmt, extra=f'log_line_prefix = "{prefix}"'
    )
    assert quarantined(rows) == [] and counters.lines_quarantined == 0
    got = events(rows)
    assert len(got) == n and all(e["actor_id"] for e in got)
    (dump,) = [e for e in got if e["actor_id"] == "vendor_x"]
    assert dump["record_count"] == "2"  # the leader's ROWS, not a worker's 0


def test_a_record_without_a_user_that_no_session_logged_is_still_quarantined(
    tmp_path: Path,
) -> None:
    worker = next(
        line
        for line in (DATA / "postgresql.log").read_text(encoding="utf-8").splitlines()
        if "AUDIT" in line and "@postgres" not in line
    )
    rows, counters = read_log(tmp_path, worker + "\n", extra=f'log_line_prefix = "{PREFIX}"')
    assert events(rows) == [] and counters.lines_quarantined == 1
    assert "add %b to log_line_prefix" in quarantined(rows)[0]["pre_error"]


# Without %u in the prefix a session opened before the file began names no user either: its
# statement is quarantined (with the reason to add %u), never taken for a worker's copy of
# another session's record of the same text.
NO_USER_PREFIX = (
    "2026-12-02 21:57:19.800 CST [100] LOG:  connection authorized: user=svc_app "
    "database=postgres application_name=psql\n"
    "2026-12-02 21:57:19.868 CST [100] LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,"
    "public.accounts,SELECT * FROM accounts;,<none>,2\n"
    "2026-12-02 21:57:19.870 CST [200] LOG:  AUDIT: SESSION,7,1,READ,SELECT,TABLE,"
    "public.accounts,SELECT * FROM accounts;,<none>,2\n"
)


def test_without_user_in_the_prefix_a_session_s_statement_is_not_taken_for_a_copy(
    tmp_path: Path,
) -> None:
    rows, counters = read_log(tmp_path, NO_USER_PREFIX, extra='log_line_prefix = "%m [%p] "')
    assert [e["line_number"] for e in events(rows)] == [2]
    assert counters.lines_quarantined == 1 and "add %u" in quarantined(rows)[0]["pre_error"]
