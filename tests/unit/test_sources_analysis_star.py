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


# Statements that return rows to their caller with RETURNING (PostgreSQL; MariaDB 10.5+ for
# INSERT and DELETE): {target} is the table written, {ret} the RETURNING list.
RETURNING_SHAPES = {
    "update": "UPDATE {target} SET {set_col} = '1' WHERE {key} = 7 RETURNING {ret}",
    "update_alias": "UPDATE {target} t SET {set_col} = '1' WHERE t.{key} = 7 RETURNING {ret}",
    "delete": "DELETE FROM {target} WHERE {key} = 7 RETURNING {ret}",
    "insert": "INSERT INTO {target} ({set_col}) VALUES ('1') RETURNING {ret}",
    "insert_select": "INSERT INTO {target} ({set_col}) SELECT {set_col} FROM {target} "
    "WHERE {key} = 7 RETURNING {ret}",
    "cte": "WITH u AS (UPDATE {target} SET {set_col} = '1' WHERE {key} = 7 RETURNING {ret}) "
    "SELECT count(*) FROM u",
}


@settings(max_examples=40, deadline=None)
@given(
    shape=st.sampled_from(sorted(RETURNING_SHAPES)),
    dialect=st.sampled_from(["postgres", "mysql"]),
    target=st.sampled_from(sorted(TABLES)),
    form=st.sampled_from(["star", "qualified_star", "columns"]),
    picked=st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True),
)
def test_what_returning_hands_back_is_read(
    shape: str, dialect: str, target: str, form: str, picked: list[int]
) -> None:
    """RETURNING * is every column of the statement's table (as SELECT * is, from the
    schema), RETURNING t.* the table t names, RETURNING a, b those columns: all read by the
    caller, whatever the statement writes."""
    if dialect == "mysql" and shape == "cte":
        return  # MariaDB has no data-modifying CTE
    columns = MAPPING.schema.columns(target)
    named = [columns[i % len(columns)] for i in picked]
    qualifier = "t" if shape == "update_alias" else target
    ret = {"star": "*", "qualified_star": f"{qualifier}.*", "columns": ", ".join(named)}[form]
    sql = RETURNING_SHAPES[shape].format(
        target=target, set_col=OTHER_COLUMN[target], key=TABLES[target], ret=ret
    )
    result = analyse(sql, dialect, MAPPING)
    assert result.parsed, (sql, result.problem)
    returned = {f"{target}.{c}" for c in named} if form == "columns" else _all(target)
    assert returned <= set(result.read), (sql, sorted(returned - set(result.read)))


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_an_update_returning_star_names_the_protected_fields_it_hands_back(dialect: str) -> None:
    from auditpipe.sources.analysis import data_fields

    sql = "UPDATE accounts SET city = 'bj' WHERE id = 7 RETURNING *"
    result = analyse(sql, dialect, MAPPING)
    assert {"id_number", "mobile", "real_name"} <= set(data_fields(result, MAPPING))
    assert result.kind == "write" and result.subject_literals == [1]
