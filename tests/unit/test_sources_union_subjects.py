"""A UNION (or UNION ALL) of queries each narrowed to subjects returns the rows of all their
subjects: its subjects are those of every branch in order (the first the subject_id), and its
record count their number without a row count in the log, as one ``IN`` list of them all.
``… WHERE id = 1 UNION … WHERE id = 2`` is 2 records, not subject 1's one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import analyse
from tests.support.sources import events, log_reader
from tests.unit.test_sources_analysis import MAPPING


@settings(max_examples=40, deadline=None)
@given(
    branches=st.lists(st.integers(1, 4), min_size=2, max_size=6),
    all_rows=st.booleans(),
    dialect=st.sampled_from(["postgres", "mysql"]),
    bound=st.booleans(),
    wrapper=st.sampled_from(
        ["{q}", "({q})", "COPY ({q}) TO STDOUT", "INSERT INTO tmp_y {q}", "CREATE TABLE t AS {q}"]
    ),
)
def test_a_union_of_narrowed_queries_names_the_subjects_of_all(
    branches: list[int], all_rows: bool, dialect: str, bound: bool, wrapper: str
) -> None:
    counter = iter(range(1, 100))

    def values(n: int) -> str:
        return ", ".join(f"${next(counter)}" if bound else str(next(counter)) for _ in range(n))

    queries = [
        f"SELECT mobile FROM accounts WHERE id IN ({values(n)})"
        if n > 1
        else f"SELECT mobile FROM accounts WHERE id = {values(1)}"
        for n in branches
    ]
    if (bound or wrapper.startswith("COPY")) and dialect == "mysql":
        return  # $n and COPY are PostgreSQL's
    sql = wrapper.format(q=(" UNION ALL " if all_rows else " UNION ").join(queries))
    a = analyse(sql, dialect, MAPPING)
    assert a.narrowed
    total = sum(branches)
    if bound:
        assert a.subject_params == list(range(1, total + 1)) and a.subject_count == total
    else:
        assert a.subject_literals == list(range(total))


@pytest.fixture(scope="module")
def read_pg(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("pg"))


def test_a_union_of_two_users_rows_is_two_records(read_pg) -> None:  # type: ignore[no-untyped-def]
    p = "2026-12-03 07:44:30.193 CST [2326] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,"
    statement = (
        "SELECT mobile FROM accounts WHERE id = 7 UNION SELECT mobile FROM accounts WHERE id = 9"
    )
    got, _ = read_pg(f"{p}TABLE,public.accounts,{statement},<none>\n")
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == ("view", "7", "2")
    assert not event["extras"].get("unbounded")
