"""A ``*`` reads its own scope's tables only: never the enclosing query's, at any nesting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import analyse

from .test_sources_analysis import MAPPING

# (table, the column that joins it to the other table)
TABLES = {"accounts": "id", "orders": "account_id"}
OTHER_COLUMN = {"accounts": "mobile", "orders": "amount"}


def _all(table: str) -> set[str]:
    return {f"{table}.{c}" for c in MAPPING.schema.columns(table)}


# Shapes of a query over an outer table whose nested part holds a `*` over the inner table.
# {proj}: the outer projection; {oa}/{ia}: aliases; {oj}/{ij}: join columns; {oc}: a column.
# Each names, besides the star, only {outer}.{oj}, {outer}.{oc} (via {proj}) of the outer table.
SHAPES = {
    "exists": "SELECT {proj} FROM {outer} {oa} WHERE {oa}.{oj} = 1 AND EXISTS "
    "(SELECT * FROM {inner} {ia} WHERE {ia}.{ij} = {oa}.{oj})",
    "in_derived": "SELECT {proj} FROM {outer} {oa} WHERE {oa}.{oj} IN "
    "(SELECT {ia}.{ij} FROM (SELECT * FROM {inner}) {ia})",
    "in_nested": "SELECT {proj} FROM {outer} {oa} WHERE {oa}.{oj} IN (SELECT {ia}.{ij} FROM "
    "(SELECT {ia}2.* FROM (SELECT * FROM {inner}) {ia}2) {ia})",
    "from_derived": "SELECT {proj} FROM {outer} {oa} JOIN (SELECT * FROM {inner}) {ia} "
    "ON {ia}.{ij} = {oa}.{oj}",
    "cte": "WITH {ia} AS (SELECT * FROM {inner}) SELECT {proj} FROM {outer} {oa} "
    "JOIN {ia} ON {ia}.{ij} = {oa}.{oj}",
    "cte_exists": "WITH {ia} AS (SELECT * FROM {inner}) SELECT {proj} FROM {outer} {oa} "
    "WHERE EXISTS (SELECT * FROM {ia} WHERE {ia}.{ij} = {oa}.{oj})",
    "scalar": "SELECT {proj}, (SELECT count(*) FROM (SELECT * FROM {inner} {ia} "
    "WHERE {ia}.{ij} = {oa}.{oj}) s) FROM {outer} {oa}",
    "lateral": "SELECT {proj} FROM {outer} {oa} JOIN LATERAL "
    "(SELECT * FROM {inner} {ia} WHERE {ia}.{ij} = {oa}.{oj}) l ON TRUE",
    "cte_update": "WITH {ia} AS (SELECT * FROM {inner}) UPDATE {outer} SET {oc} = '1' "
    "FROM {ia} WHERE {ia}.{ij} = {outer}.{oj}",
    "update_join": "UPDATE {outer} {oa} JOIN (SELECT * FROM {inner}) {ia} "
    "ON {ia}.{ij} = {oa}.{oj} SET {oa}.{oc} = '1'",
}
POSTGRES_ONLY = {"cte_update"}
MYSQL_ONLY = {"update_join"}


@settings(max_examples=60, deadline=None)
@given(
    shape=st.sampled_from(sorted(SHAPES)),
    dialect=st.sampled_from(["postgres", "mysql"]),
    outer=st.sampled_from(sorted(TABLES)),
    inner=st.sampled_from(sorted(TABLES)),
    outer_star=st.booleans(),
    aliases=st.sampled_from([("a", "o"), ("o", "a"), ("t1", "t2")]),
)
def test_a_star_reads_only_the_tables_of_its_own_from(
    shape: str,
    dialect: str,
    outer: str,
    inner: str,
    outer_star: bool,
    aliases: tuple[str, str],
) -> None:
    if shape in (POSTGRES_ONLY if dialect == "mysql" else MYSQL_ONLY):
        return
    oa, ia = aliases
    oc = OTHER_COLUMN[outer]
    writes = shape in ("cte_update", "update_join")
    outer_star = outer_star and not writes
    proj = "*" if outer_star else f"{oa}.{oc}"
    sql = SHAPES[shape].format(
        proj=proj, outer=outer, inner=inner, oa=oa, ia=ia, oj=TABLES[outer], ij=TABLES[inner], oc=oc
    )
    a = analyse(sql, dialect, MAPPING)
    assert a.parsed, (sql, a.problem)
    # what the statement really reads: the inner table through its star, the outer table's
    # named columns, and the outer table whole only where the outer query's own `*` is
    expected = _all(inner) | {f"{outer}.{TABLES[outer]}"}
    if outer_star:
        expected |= _all(outer)
    elif not writes:
        expected.add(f"{outer}.{oc}")
    assert set(a.read) == expected, sql
    assert set(a.written) == ({f"{outer}.{oc}"} if writes else set()), sql


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
@pytest.mark.parametrize(
    "sql",
    [
        # the derived table's alias hides the outer table's alias of the same name
        "SELECT a.mobile FROM accounts a WHERE a.mobile IN "
        "(SELECT a.account_id FROM (SELECT account_id FROM orders) a)",
        "SELECT a.mobile FROM accounts a WHERE EXISTS "
        "(SELECT a.* FROM (SELECT account_id FROM orders) a)",
        "WITH a AS (SELECT account_id FROM orders) SELECT x.mobile FROM accounts x "
        "WHERE EXISTS (SELECT a.* FROM a)",
    ],
)
def test_an_alias_of_a_derived_table_hides_the_outer_alias(sql: str, dialect: str) -> None:
    a = analyse(sql, dialect, MAPPING)
    assert set(a.read) == {"accounts.mobile", "orders.account_id"}
