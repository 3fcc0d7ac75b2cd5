"""A subject key compared as part of a row value, as ORMs write composite keys and lists of
them (``(id, city) IN ((1, 'a'), (2, 'b'))``, ``(city, id) = ('a', 1)``), narrows the
statement to the key's values in the rows, as ``id IN (1, 2)`` does: a view of subject 1 (the
first), 2 records without a row count; never an unbounded read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import LONG_STATEMENT, analyse, marked
from tests.support.sources import events, log_reader
from tests.unit.test_sources_analysis import MAPPING


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(st.none() | st.integers(1, 10**9), min_size=1, max_size=8),
    first=st.booleans(),
    dialect=st.sampled_from(["postgres", "mysql"]),
    equal=st.booleans(),
)
def test_a_key_in_a_row_value_narrows_to_its_values(
    ids: list[int | None], first: bool, dialect: str, equal: bool
) -> None:
    if equal:
        ids = ids[:1]

    def row(i: int | None) -> str:
        value = "NULL" if i is None else str(i)
        return f"({value}, 'c')" if first else f"('c', {value})"

    columns = "(id, city)" if first else "(city, id)"
    rows = ", ".join(row(i) for i in ids)
    where = f"{columns} = {row(ids[0])}" if equal else f"{columns} IN ({rows})"
    a = analyse(f"SELECT real_name FROM accounts WHERE {where}", dialect, MAPPING)
    assert a.parsed and a.narrowed
    # the statement's literals in order: each row's 'c' and its value (a NULL is none)
    marks, k = [], 0
    for i in ids:
        k += 0 if first else 1
        if i is not None:
            marks.append(k)
            k += 1
        k += 1 if first else 0
    assert a.subject_literals == marks


@pytest.fixture(scope="module")
def read_pg(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("pg"))


def test_a_row_value_list_gives_its_first_subject_and_its_records(read_pg) -> None:  # type: ignore[no-untyped-def]
    p = "2026-12-03 07:44:30.193 CST [2326] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,"
    statement = "SELECT real_name FROM accounts WHERE (city, id) IN (('a', 7), ('b', 8), ('c', 9))"
    got, _ = read_pg(f'{p}TABLE,public.accounts,"{statement}",<none>\n')
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == ("view", "7", "3")
    assert not event["extras"].get("unbounded")
    # bound: (id, city) IN (($1, $2), ($3, $4)) with a NULL first key
    statement = "SELECT real_name FROM accounts WHERE (id, city) IN (($1, $2), ($3, $4))"
    got, _ = read_pg(f'{p}TABLE,public.accounts,"{statement}",",a,8,b"\n')
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == ("view", "8", "1")


@pytest.mark.parametrize("first", [True, False])
def test_a_very_long_row_value_list_keeps_every_subject(first: bool) -> None:
    # over LONG_STATEMENT a list of rows is condensed to its first row before parsing; the
    # rows it left out are still subjects (record_count without a row count)
    n = 3_000
    rows = ", ".join(f"({i}, 'city{i}')" if first else f"('city{i}', {i})" for i in range(n))
    columns = "(id, city)" if first else "(city, id)"
    sql = f"SELECT real_name FROM accounts WHERE {columns} IN ({rows})"
    assert len(marked(sql, "postgres")) > LONG_STATEMENT
    a = analyse(sql, "postgres", MAPPING)
    key = 0 if first else 1
    assert a.narrowed and a.subject_literals == [2 * k + key for k in range(n)]
