"""A subject key compared with a value narrows a query only when the query's tables with
personal data (or subject keys) are joined to one another: a second table, or a second
instance of the same one, joined without a condition linking it (``JOIN accounts b ON
true``, a comma join with no equality) returns every one of its rows, so the query is an
unbounded read, not a view of the one subject."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sources import events, log_reader


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("joins"))


@pytest.mark.parametrize(
    ("statement", "action"),
    [
        # joined by the key: narrowed
        (
            "SELECT o.amount, a.mobile FROM orders o JOIN accounts a ON a.id = o.account_id "
            "WHERE o.account_id = 1",
            "view",
        ),
        (
            "SELECT a.mobile FROM accounts a, orders o WHERE o.account_id = a.id AND a.id = 1",
            "view",
        ),
        ("SELECT a.mobile FROM accounts a JOIN orders o USING (id) WHERE a.id = 1", "view"),
        # unqualified columns that only one of the tables has
        (
            "SELECT mobile FROM accounts JOIN orders ON account_id = accounts.id WHERE account_id = 1",
            "view",
        ),
        # a table without personal data or keys joined any way: narrowed
        ("SELECT a.mobile FROM accounts a CROSS JOIN pg_settings s WHERE a.id = 1", "view"),
        # a predicate subquery with a cartesian product only filters
        (
            "SELECT mobile FROM accounts WHERE id = 1 AND city IN "
            "(SELECT a.city FROM accounts a, accounts b)",
            "view",
        ),
        # not joined: every row of the other table
        ("SELECT b.mobile FROM accounts a JOIN accounts b ON true WHERE a.id = 1", "search"),
        ("SELECT b.mobile FROM accounts a, accounts b WHERE a.id = 1", "search"),
        ("SELECT a.mobile FROM orders o JOIN accounts a ON true WHERE o.account_id = 1", "search"),
        ("SELECT a.mobile FROM orders o CROSS JOIN accounts a WHERE o.account_id = 1", "search"),
        (
            "SELECT a.mobile FROM orders o JOIN accounts a ON a.id = o.account_id "
            "OR true WHERE o.account_id = 1",
            "search",
        ),
    ],
)
def test_a_key_narrows_only_the_tables_joined_to_it(
    read,  # type: ignore[no-untyped-def]
    statement: str,
    action: str,
) -> None:
    log = (
        "2026-12-03 00:21:43.650 CST [19109] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,public.accounts,"{statement};",<none>\n'
    )
    rows, _ = read(log)
    (event,) = events(rows)
    assert event["action"] == action, statement
    assert bool(event["extras"].get("unbounded")) == (action == "search"), statement


def test_a_natural_join_links_its_tables(read) -> None:  # type: ignore[no-untyped-def]
    log = (
        "2026-12-03 00:21:43.650 CST [19110] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        "SELECT,TABLE,public.accounts,SELECT a.mobile FROM accounts a NATURAL JOIN orders o "
        "WHERE a.id = 1;,<none>\n"
    )
    rows, _ = read(log)
    (event,) = events(rows)
    assert event["action"] == "view"


def test_real_joins(read) -> None:  # type: ignore[no-untyped-def]
    data = Path(__file__).resolve().parents[1] / "data" / "join_narrowing" / "postgresql.log"
    rows, _ = read(data.read_bytes())
    got = [
        (e["action"], e["subject_id"], bool(e["extras"].get("unbounded")))
        for e in sorted(events(rows), key=lambda e: e["line_number"])
    ]
    assert got == [("search", None, True), ("search", None, True), ("view", "1", False)]
