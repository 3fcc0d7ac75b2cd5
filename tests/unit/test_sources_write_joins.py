"""An UPDATE or DELETE joined to another table (PostgreSQL's ``UPDATE … FROM``, ``DELETE …
USING``; MySQL's multi-table ``UPDATE a JOIN b``, ``UPDATE a, b``, ``DELETE a FROM a, b``) is
narrowed by a key of the joined table only where the two are linked, as a SELECT is: without
the link it writes every row of its target, and ``WHERE o.account_id = 5`` names no one
whose rows it changed."""

from __future__ import annotations

import pytest

from auditpipe.sources.analysis import analyse
from tests.unit.test_sources_analysis import MAPPING

SHAPES = [
    ("UPDATE accounts a SET mobile = 'x' FROM orders o WHERE {link}o.account_id = 5", "postgres"),
    ("DELETE FROM accounts a USING orders o WHERE {link}o.account_id = 5", "postgres"),
    ("UPDATE accounts a JOIN orders o ON {on} SET a.mobile = 'x' WHERE o.account_id = 5", "mysql"),
    ("UPDATE accounts a, orders o SET a.mobile = 'x' WHERE {link}o.account_id = 5", "mysql"),
    ("DELETE a FROM accounts a, orders o WHERE {link}o.account_id = 5", "mysql"),
    ("DELETE a FROM accounts a JOIN orders o ON {on} WHERE o.account_id = 5", "mysql"),
]


@pytest.mark.parametrize("shape, dialect", SHAPES)
@pytest.mark.parametrize("linked", [True, False])
def test_a_joined_key_narrows_a_write_only_through_a_link(
    shape: str, dialect: str, linked: bool
) -> None:
    sql = shape.format(
        link="o.account_id = a.id AND " if linked else "",
        on="o.account_id = a.id" if linked else "true",
    )
    a = analyse(sql, dialect, MAPPING)
    assert a.parsed, a.problem
    assert a.narrowed == linked, sql
    if linked:
        assert a.subject_literals  # (the 5)
