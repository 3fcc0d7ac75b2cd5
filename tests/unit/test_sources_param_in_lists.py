"""A subject key compared with an IN list of bound parameters (``id IN ($1, $2)``, as drivers
send a list) narrows the statement to those subjects, as a list of literals does: a view, the
first parameter's value as subject_id, the list's length as record_count when the log gives
no row count; never an unbounded read. Real lines: tests/data/param_in_lists/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader, quarantined

DATA = Path(__file__).resolve().parents[1] / "data" / "param_in_lists"


@pytest.fixture(scope="module")
def read_my(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("my"), "server_audit", None, "query_log_limit = 0")


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("params"))


def test_real_parameter_lists_narrow_to_their_subjects(read) -> None:  # type: ignore[no-untyped-def]
    rows, _ = read((DATA / "postgresql.log").read_bytes())
    assert not quarantined(rows)
    got = [
        (e["action"], e["subject_id"], e["record_count"], bool(e["extras"].get("unbounded")))
        for e in sorted(events(rows), key=lambda e: e["line_number"])
    ]
    assert got == [
        ("view", "1", "2", False),  # id IN ($1, $2) with 1, 2: ROWS 2
        ("view", "2", "1", False),  # id IN ($1) with 2
        ("view", "1", "1", False),  # id IN ($1, $2, $3) AND city <> $4: ROWS 1
        ("update", "1", "2", False),  # UPDATE … WHERE id IN ($2, $3) with 1, 2
    ]


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(st.integers(1, 10**12), min_size=1, max_size=60),
    first=st.integers(1, 3),
    rows=st.booleans(),
)
def test_every_bound_subject_counts(
    read,  # type: ignore[no-untyped-def]
    ids: list[int],
    first: int,
    rows: bool,
) -> None:
    # parameters before the list ($1 … $first-1) are other values (a city)
    before = [f"city <> ${i}" for i in range(1, first)]
    listed = ", ".join(f"${first + i}" for i in range(len(ids)))
    where = " AND ".join([*before, f"id IN ({listed})"])
    statement = f"SELECT id_card_no FROM accounts WHERE {where}"
    params = ",".join(["sh"] * (first - 1) + [str(i) for i in ids])
    tail = f',"{params}",{len(ids)}' if rows else f',"{params}"'
    log = (
        "2026-12-03 00:27:22.173 CST [11936] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,public.accounts,"{statement}"{tail}\n'
    )
    got, _ = read(log)
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == (
        "view",
        str(ids[0]),
        str(len(ids)),
    )
    assert not event["extras"].get("unbounded")


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 80))
def test_a_mysql_list_of_placeholders_counts_its_subjects(read_my, n: int) -> None:  # type: ignore[no-untyped-def]
    # server_audit logs a binary-protocol prepared statement with its `?` as written (probed
    # on a real MariaDB 10.11): n subjects whose values the log does not give
    listed = ", ".join("?" * n)
    log = (
        "20261202 16:06:09,vm,svc_app,localhost,5,18,READ,shop,accounts,\n"
        f"20261202 16:06:09,vm,svc_app,localhost,5,18,QUERY,shop,"
        f"'SELECT mobile FROM accounts WHERE id IN ({listed})',0\n"
    )
    got, _ = read_my(log)
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == ("view", None, str(n))
    assert not event["extras"].get("unbounded")


@settings(max_examples=20, deadline=None)
@given(
    ids=st.lists(st.integers(1, 10**9), min_size=1, max_size=12),
    limit=st.integers(0, 15),
    bound=st.booleans(),
)
def test_a_list_read_with_a_row_limit_counts_at_most_the_limit(
    read,  # type: ignore[no-untyped-def]
    ids: list[int],
    limit: int,
    bound: bool,
) -> None:
    # WHERE id IN (…) LIMIT n returns at most n of the list's rows
    listed = ", ".join(f"${i + 1}" if bound else str(v) for i, v in enumerate(ids))
    statement = f"SELECT id_card_no FROM accounts WHERE id IN ({listed}) LIMIT {limit}"
    params = ",".join(str(i) for i in ids) if bound else "<none>"
    log = (
        "2026-12-03 00:27:22.173 CST [11936] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,public.accounts,"{statement}","{params}"\n'
    )
    got, _ = read(log)
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == (
        "view",
        str(ids[0]),
        str(max(min(len(ids), limit), 1)),
    )
