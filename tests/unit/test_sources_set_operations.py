"""A set operation returns its branches' rows: a UNION (ALL) is narrowed to subjects only
when each of its branches that reads a table with mapped columns is, an EXCEPT when its first
branch is, an INTERSECT when one branch is. Otherwise it is an unbounded read, not a view of
the one subject a branch names. Real lines: tests/data/set_operations/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader, quarantined

DATA = Path(__file__).resolve().parents[1] / "data" / "set_operations"


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("setops"))


def test_the_real_set_operations_are_narrowed_only_when_their_rows_are(read) -> None:  # type: ignore[no-untyped-def]
    rows, _ = read((DATA / "postgresql.log").read_bytes())
    assert not quarantined(rows)
    got = [
        (e["action"], e["subject_id"], bool(e["extras"].get("unbounded")))
        for e in sorted(events(rows), key=lambda e: e["line_number"])
    ]
    assert got == [
        ("search", None, True),  # … WHERE id = 1 UNION SELECT mobile FROM accounts
        ("search", None, True),  # … UNION ALL … WHERE city = 'sh'
        ("search", None, True),  # SELECT mobile FROM accounts EXCEPT … WHERE id = 1
        ("view", "1", False),  # … WHERE id = 1 INTERSECT SELECT mobile FROM accounts
        ("view", "1", False),  # … WHERE id = 1 UNION … WHERE id = 2
    ]


NARROWED = st.integers(1, 10**6).map(lambda k: f"SELECT mobile FROM accounts WHERE id = {k}")
OPEN = st.sampled_from(
    [
        "SELECT mobile FROM accounts",
        "SELECT real_name FROM accounts WHERE city = 'bj'",
        "SELECT a.id_card_no FROM accounts a JOIN orders o ON o.account_id = a.id",
    ]
)
OTHER = st.just("SELECT CAST(amount AS text) FROM orders")  # no mapped column


@settings(max_examples=60, deadline=None)
@given(
    op=st.sampled_from(["UNION", "UNION ALL", "EXCEPT", "INTERSECT"]),
    left=st.one_of(NARROWED.map(lambda s: ("narrowed", s)), OPEN.map(lambda s: ("open", s))),
    right=st.one_of(
        NARROWED.map(lambda s: ("narrowed", s)),
        OPEN.map(lambda s: ("open", s)),
        OTHER.map(lambda s: ("other", s)),
    ),
)
def test_a_set_operation_is_narrowed_as_its_rows_are(
    read,  # type: ignore[no-untyped-def]
    op: str,
    left: tuple[str, str],
    right: tuple[str, str],
) -> None:
    statement = f"{left[1]} {op} {right[1]};"
    log = (
        "2026-12-03 00:21:43.650 CST [19109] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,public.accounts,"{statement}",<none>\n'
    )
    rows, _ = read(log)
    (event,) = events(rows)
    l_open, r_open = left[0] == "open", right[0] == "open"
    if op == "EXCEPT":
        narrowed = not l_open
    elif op == "INTERSECT":  # rows of both: one narrowed branch narrows them
        narrowed = "narrowed" in (left[0], right[0])
    else:
        narrowed = not (l_open or r_open)
    assert event["action"] == ("view" if narrowed else "search"), statement
    assert bool(event["extras"].get("unbounded")) == (not narrowed), statement


@pytest.mark.parametrize(
    ("statement", "action"),
    [
        # a set operation that only filters (in a WHERE subquery) returns no rows of its own
        (
            "SELECT mobile FROM accounts WHERE id = 1 AND id IN "
            "(SELECT id FROM accounts UNION SELECT 2);",
            "view",
        ),
        # a nested set operation is judged as its outer one's branch: INTERSECT with a
        # narrowed branch is narrowed whatever the other branch's UNION holds
        (
            "SELECT mobile FROM accounts WHERE id = 5 INTERSECT "
            "(SELECT mobile FROM accounts WHERE id = 6 UNION SELECT mobile FROM accounts);",
            "view",
        ),
        # … and a UNION with an EXCEPT branch returning every row but one is not
        (
            "SELECT mobile FROM accounts WHERE id = 5 UNION "
            "(SELECT mobile FROM accounts EXCEPT SELECT mobile FROM accounts WHERE id = 6);",
            "search",
        ),
        # a set operation as a derived table's body returns its rows to the outer query
        (
            "SELECT u.mobile FROM (SELECT mobile FROM accounts WHERE id = 1 UNION "
            "SELECT mobile FROM accounts) u;",
            "search",
        ),
    ],
)
def test_only_set_operations_whose_rows_are_returned_count(
    read,  # type: ignore[no-untyped-def]
    statement: str,
    action: str,
) -> None:
    log = (
        "2026-12-03 00:21:43.650 CST [19109] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,public.accounts,"{statement}",<none>\n'
    )
    rows, _ = read(log)
    (event,) = events(rows)
    assert event["action"] == action, statement
