"""A multi-row ``INSERT … VALUES (…), (…), …`` writes one record per row: its
``record_count`` is the number of rows (the log's row count when it gives one), and its
``subject_id`` the subject key's value in the first row, as an ``IN`` list of several subjects
gives its first value and its length. PostgreSQL (plain and ``ON CONFLICT``) and MySQL
(plain, ``ON DUPLICATE KEY UPDATE``, ``REPLACE``); a statement server_audit cut inside its
VALUES list is resolved from its tables and never counts more rows than it wrote."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import LONG_STATEMENT, analyse, marked
from tests.support.sources import events, log_reader
from tests.unit.test_sources_analysis import MAPPING

PG = "2026-12-03 07:44:30.188 CST [2326] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,"
PG_SHAPES = {
    "plain": "INSERT INTO accounts (id, real_name) VALUES {rows}",
    "on_conflict": "INSERT INTO accounts (id, real_name) VALUES {rows} "
    "ON CONFLICT (id) DO UPDATE SET real_name = excluded.real_name",
    "no_column_list": "INSERT INTO accounts VALUES {wide}",
}
MY_SHAPES = {
    "plain": "INSERT INTO accounts (id, real_name) VALUES {rows}",
    "on_duplicate": "INSERT INTO accounts (id, real_name) VALUES {rows} "
    "ON DUPLICATE KEY UPDATE real_name = VALUES(real_name)",
    "replace": "REPLACE INTO accounts (id, real_name) VALUES {rows}",
    "orders": "INSERT INTO orders (amount, account_id) VALUES {swapped}",
}


def _statement(shape: str, ids: list[int]) -> str:
    return shape.format(
        rows=", ".join(f"({i}, 'N{i}')" for i in ids),
        wide=", ".join(f"({i}, 'u', 'N{i}', 'x', '1', 'h', 'c')" for i in ids),
        swapped=", ".join(f"(1.5, {i})" for i in ids),
    )


@pytest.fixture(scope="module")
def read_pg(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("pg"))


@pytest.fixture(scope="module")
def read_my(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("my"), "server_audit", None, "query_log_limit = 0")


@settings(max_examples=15, deadline=None)
@given(
    ids=st.lists(st.integers(1, 10**12), min_size=1, max_size=40),
    shape=st.sampled_from(sorted(PG_SHAPES)),
    logged_rows=st.none() | st.integers(0, 100),
)
def test_pgaudit_counts_every_row_an_insert_writes(
    read_pg,  # type: ignore[no-untyped-def]
    ids: list[int],
    shape: str,
    logged_rows: int | None,
) -> None:
    statement = _statement(PG_SHAPES[shape], ids)
    tail = "<none>" if logged_rows is None else f"<none>,{logged_rows}"
    got, _ = read_pg(f'{PG}TABLE,public.accounts,"{statement}",{tail}\n')
    (event,) = events(got)
    want = len(ids) if logged_rows is None else max(logged_rows, 1)  # the log's count wins
    assert (event["action"], event["subject_id"], event["record_count"]) == (
        "update",
        str(ids[0]),
        str(want),
    )


@settings(max_examples=15, deadline=None)
@given(
    ids=st.lists(st.integers(1, 10**12), min_size=1, max_size=40),
    shape=st.sampled_from(sorted(MY_SHAPES)),
)
def test_server_audit_counts_every_row_an_insert_writes(
    read_my,  # type: ignore[no-untyped-def]
    ids: list[int],
    shape: str,
) -> None:
    statement = _statement(MY_SHAPES[shape], ids).replace("'", "\\'")
    table = "orders" if shape == "orders" else "accounts"
    log = (
        f"20261202 16:06:09,vm,svc_app,localhost,5,18,WRITE,shop,{table},\n"
        f"20261202 16:06:09,vm,svc_app,localhost,5,18,QUERY,shop,'{statement}',0\n"
    )
    got, _ = read_my(log)
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == (
        "update",
        str(ids[0]),
        str(len(ids)),
    )


@settings(max_examples=15, deadline=None)
@given(values=st.lists(st.none() | st.integers(1, 10**9), min_size=1, max_size=12))
def test_bound_rows_take_the_first_bound_key_as_subject(
    read_pg,  # type: ignore[no-untyped-def]
    values: list[int | None],
) -> None:
    # VALUES ($1, $2), ($3, $4): the key of each row is a parameter; pgaudit logs a NULL one
    # as an empty field
    rows = ", ".join(f"(${2 * k + 1}, ${2 * k + 2})" for k in range(len(values)))
    params = ",".join(f"{'' if v is None else v},n" for v in values)
    statement = f"INSERT INTO accounts (id, real_name) VALUES {rows}"
    got, _ = read_pg(f'{PG}TABLE,public.accounts,"{statement}","{params}"\n')
    (event,) = events(got)
    told = [v for v in values if v is not None]
    assert event["subject_id"] == (str(told[0]) if told else None)
    assert event["record_count"] == str(len(values))


CUT_AT = 120


@pytest.fixture(scope="module")
def read_cut(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    limit = f"query_log_limit = {CUT_AT}"
    return log_reader(tmp_path_factory.mktemp("cut"), "server_audit", None, limit)


@settings(max_examples=15, deadline=None)
@given(ids=st.lists(st.integers(1, 10**6), min_size=2, max_size=30))
def test_a_cut_values_list_never_counts_more_rows_than_written(
    read_cut,  # type: ignore[no-untyped-def]
    ids: list[int],
) -> None:
    # server_audit cuts the statement at query_log_limit bytes: the ids' lengths put the cut
    # anywhere in a row, between rows, or past the end
    statement = _statement(MY_SHAPES["plain"], ids)
    cut = statement.replace("'", "\\'")[:CUT_AT]
    log = (
        "20261202 16:06:09,vm,svc_app,localhost,5,18,WRITE,shop,accounts,\n"
        f"20261202 16:06:09,vm,svc_app,localhost,5,18,QUERY,shop,'{cut}',0\n"
    )
    got, _ = read_cut(log)
    (event,) = events(got)
    assert 1 <= int(event["record_count"]) <= len(ids)


def test_a_very_long_insert_counts_the_rows_condensing_left_out() -> None:
    ids = list(range(1, 3001))
    sql = _statement(PG_SHAPES["on_conflict"], ids)
    assert len(marked(sql, "postgres")) > LONG_STATEMENT
    a = analyse(sql, "postgres", MAPPING)
    assert a.values_rows == len(ids)
    assert a.subject_literals[:1] == [0]


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 12),
    verb=st.sampled_from(["INSERT", "REPLACE", "insert", "Replace"]),
    priority=st.sampled_from(["", "LOW_PRIORITY ", "DELAYED ", "HIGH_PRIORITY "]),
    ignore=st.booleans(),
    into=st.booleans(),
)
def test_every_mysql_spelling_of_an_insert_counts_its_rows(
    n: int, verb: str, priority: str, ignore: bool, into: bool
) -> None:
    # INSERT [LOW_PRIORITY | DELAYED | HIGH_PRIORITY] [IGNORE] [INTO] t, REPLACE
    # [LOW_PRIORITY | DELAYED] [INTO] t: all write their rows
    if verb.upper() == "REPLACE" and (priority == "HIGH_PRIORITY " or ignore):
        return  # not REPLACE's syntax
    head = f"{verb} {priority}{'IGNORE ' if ignore else ''}{'INTO ' if into else ''}"
    sql = head + _statement("accounts (id, real_name) VALUES {rows}", list(range(1, n + 1)))
    a = analyse(sql, "mysql", MAPPING)
    assert a.parsed, a.problem
    assert (a.kind, a.values_rows, a.subject_literals[:1]) == ("write", n, [0])


@pytest.mark.parametrize("who", ["SYSTEM", "USER"])
def test_a_postgres_insert_overriding_the_identity_counts_its_rows(who: str) -> None:
    sql = f"INSERT INTO accounts (id, real_name) OVERRIDING {who} VALUE VALUES (1, 'a'), (2, 'b')"
    a = analyse(sql, "postgres", MAPPING)
    assert a.parsed, a.problem
    assert (a.kind, a.values_rows, a.subject_literals) == ("write", 2, [0, 2])


@settings(max_examples=10, deadline=None)
@given(counts=st.lists(st.integers(1, 5), min_size=2, max_size=4))
def test_inserts_sent_at_once_count_the_rows_of_all(
    read_my,  # type: ignore[no-untyped-def]
    counts: list[int],
) -> None:
    # a client's multi-statement query (server_audit logs it as one QUERY): each INSERT's rows
    ids = iter(range(1, sum(counts) + 1))
    statements = [
        _statement(MY_SHAPES["plain"], [next(ids) for _ in range(n)]).replace("'", "\\'")
        for n in counts
    ]
    log = (
        "20261202 16:06:09,vm,svc_app,localhost,5,18,WRITE,shop,accounts,\n"
        f"20261202 16:06:09,vm,svc_app,localhost,5,18,QUERY,shop,'{'; '.join(statements)}',0\n"
    )
    got, _ = read_my(log)
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == (
        "update",
        "1",
        str(sum(counts)),
    )
