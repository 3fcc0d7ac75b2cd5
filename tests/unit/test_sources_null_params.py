"""A subject key compared with a list whose values include NULL: a NULL matches no row, so
the subject is the first value that is not NULL and the records are the values that are not
(the log's row count when it gives one); a list of NULL alone still narrows (to no one). This
holds wherever the NULL is: a bound parameter pgaudit logs as an empty field (a real
PostgreSQL 15 logged ``id IN ($1, $2)`` bound to NULL and 2 with PARAMETER ``",2"``), a
literal ``NULL`` in an ``IN`` list, an ``OR`` of comparisons or ``= ANY(ARRAY[…])``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import analyse
from tests.support.sources import events, log_reader
from tests.unit.test_sources_lookup_keys import MAPPING as LOOKUP_MAPPING

PG = "2026-12-03 07:44:30.193 CST [2326] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,"


@pytest.fixture(scope="module")
def read_pg(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("pg"))


@pytest.fixture(scope="module")
def read_my(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("my"), "server_audit", None, "query_log_limit = 0")


SUPPRESSED = -1  # a value pgaudit did not log (log_parameter_max_size): not NULL, not told


def _expected(values: list[int | None], logged_rows: int | None) -> tuple[str | None, str]:
    present = [v for v in values if v is not None]
    told = [v for v in present if v != SUPPRESSED]
    count = max(logged_rows, 1) if logged_rows is not None else max(len(present), 1)
    return (str(told[0]) if told else None), str(count)


LIST_FORMS = {
    "in": lambda xs: f"id IN ({', '.join(xs)})",
    "or": lambda xs: "(" + " OR ".join(f"id = {x}" for x in xs) + ")",
}


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(
        st.none() | st.just(SUPPRESSED) | st.integers(1, 10**12), min_size=1, max_size=8
    ),
    first=st.integers(1, 3),
    form=st.sampled_from(sorted(LIST_FORMS)),
    logged_rows=st.none() | st.integers(0, 9),
)
def test_a_null_parameter_anywhere_in_the_list_names_no_one(
    read_pg,  # type: ignore[no-untyped-def]
    values: list[int | None],
    first: int,
    form: str,
    logged_rows: int | None,
) -> None:
    # parameters before the list ($1 … $first-1) are other values (a city)
    listed = LIST_FORMS[form]([f"${first + i}" for i in range(len(values))])
    where = " AND ".join([*(f"city <> ${i}" for i in range(1, first)), listed])
    statement = f"SELECT real_name FROM accounts WHERE {where}"
    shown = {None: "", SUPPRESSED: "<long param suppressed>"}
    params = ",".join(["sh"] * (first - 1) + [shown.get(v, str(v)) for v in values])
    tail = f'"{params}"' if logged_rows is None else f'"{params}",{logged_rows}'
    got, _ = read_pg(f'{PG}TABLE,public.accounts,"{statement}",{tail}\n')
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == (
        "view",
        *_expected(values, logged_rows),
    )
    assert not event["extras"].get("unbounded")


LITERAL_FORMS = {
    "in": lambda xs: f"id IN ({', '.join(xs)})",
    "or": lambda xs: "(" + " OR ".join(f"id = {x}" for x in xs) + ")",
    "any": lambda xs: f"id = ANY(ARRAY[{', '.join(xs)}])",
}


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.none() | st.integers(1, 10**12), min_size=1, max_size=8),
    form=st.sampled_from(sorted(LITERAL_FORMS)),
    dialect=st.sampled_from(["postgres", "mysql"]),
)
def test_a_null_literal_anywhere_in_the_list_names_no_one(
    read_pg,  # type: ignore[no-untyped-def]
    read_my,  # type: ignore[no-untyped-def]
    values: list[int | None],
    form: str,
    dialect: str,
) -> None:
    if dialect == "mysql" and form == "any":
        return  # PostgreSQL's arrays only
    listed = LITERAL_FORMS[form](["NULL" if v is None else str(v) for v in values])
    statement = f"SELECT real_name FROM accounts WHERE {listed}"
    if dialect == "postgres":
        got, _ = read_pg(f'{PG}TABLE,public.accounts,"{statement}",<none>\n')
    else:
        got, _ = read_my(
            "20261202 16:06:09,vm,svc_app,localhost,5,18,READ,shop,accounts,\n"
            f"20261202 16:06:09,vm,svc_app,localhost,5,18,QUERY,shop,'{statement}',0\n"
        )
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == (
        "view",
        *_expected(values, None),
    )
    assert not event["extras"].get("unbounded")


def test_a_null_bound_to_the_one_key_parameter_is_no_subject(read_pg) -> None:  # type: ignore[no-untyped-def]
    # as a real PostgreSQL 15 logged EXECUTE s(NULL) of `WHERE id = $1`: an empty PARAMETER
    statement = "PREPARE s(bigint) AS SELECT real_name FROM accounts WHERE id = $1;"
    got, _ = read_pg(f"{PG}TABLE,public.accounts,{statement},,0\n")
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == ("view", None, "1")
    assert not event["extras"].get("unbounded")


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.none() | st.integers(10**10, 10**11), min_size=1, max_size=6),
    form=st.sampled_from(sorted(LITERAL_FORMS)),
)
def test_a_null_in_a_lookup_list_is_no_user(values: list[int | None], form: str) -> None:
    # a lookup key (mobile) compared with a list holding NULL: narrowed to the users of its
    # other values, never an unbounded read
    listed = LITERAL_FORMS[form](["NULL" if v is None else f"'{v}'" for v in values]).replace(
        "id", "mobile"
    )
    a = analyse(f"SELECT real_name FROM accounts WHERE {listed}", "postgres", LOOKUP_MAPPING)
    assert a.narrowed and a.subject_literals == []
    told = sum(1 for v in values if v is not None)
    assert max(a.subject_count, 1) == max(told, 1)  # (the record count: at least 1)
