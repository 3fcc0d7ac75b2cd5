"""A key compared with a value narrows its own query's rows, not those of a second relation
whose mapped values reach the output: a scalar subquery in the output list, or a CTE or
derived table joined without a link. ``SELECT (SELECT string_agg(mobile, ',') FROM accounts)
FROM accounts WHERE id = 1`` returns every user's mobile; it is an unbounded read, not a view
of user 1 (docs/sources.md, "Unbounded reads are bulk")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.generate.dblogs import COLUMNS, SCHEMA_DDL, SUBJECT_KEYS
from auditpipe.sources.analysis import Mapping, analyse
from auditpipe.sources.schema import parse_ddl

MAPPING = Mapping(
    schema=parse_ddl(SCHEMA_DDL, "postgres"),
    columns=COLUMNS,
    subject_keys=frozenset(SUBJECT_KEYS),
    protected_fields=frozenset(COLUMNS.values()),
    lookup_keys=frozenset({"accounts.mobile"}),
)

# A narrowed query with a second relation whose mapped values reach the output: narrowed only
# when that relation is narrowed too (its own key, a link to the narrowed query). The outer key
# narrows the outer rows, not a scalar subquery's, a CTE's or a derived table's.
INNER_BODIES = [
    # (the inner query reading mobiles, whether it is narrowed)
    ("SELECT string_agg(b.mobile, ',') FROM accounts b", False),
    ("SELECT max(b.mobile) FROM accounts b WHERE b.real_name LIKE 'Z%'", False),
    ("SELECT b.mobile FROM accounts b WHERE b.id = 2", True),
    ("SELECT b.mobile FROM accounts b WHERE b.mobile = '139'", True),  # a lookup key
    ("SELECT count(*) FROM accounts b", True),  # no mapped column read
]
CORRELATED = [
    ("SELECT b.mobile FROM accounts b WHERE b.id = a.id", True),
    ("SELECT b.mobile FROM accounts b WHERE b.id = a.id + 1", True),
    ("SELECT b.mobile FROM accounts b WHERE b.id <> a.id", False),
]


@settings(max_examples=120, deadline=None)
@given(
    body=st.sampled_from(INNER_BODIES + CORRELATED),
    form=st.sampled_from(
        [
            "SELECT a.real_name, ({q}) FROM accounts a WHERE a.id = 1",
            "SELECT a.real_name, coalesce(({q}), '') AS x FROM accounts a WHERE a.id = 1",
            "SELECT ({q}) AS x FROM accounts a WHERE a.id = 1",
            "SELECT a.real_name, CASE WHEN a.id > 0 THEN ({q}) END FROM accounts a WHERE a.id = 1",
            "SELECT a.real_name, t.* FROM accounts a, LATERAL ({q}) t WHERE a.id = 1",
            "SELECT a.real_name, t.* FROM accounts a CROSS JOIN LATERAL ({q}) t WHERE a.id = 1",
        ]
    ),
)
def test_a_scalar_subquery_in_the_output_must_be_narrowed_itself(
    body: tuple[str, bool], form: str
) -> None:
    query, narrowed = body
    a = analyse(form.format(q=query), "postgres", MAPPING)
    assert a.parsed, a.problem
    assert a.narrowed is narrowed, form.format(q=query)


@settings(max_examples=40, deadline=None)
@given(
    body=st.sampled_from(INNER_BODIES),
    form=st.sampled_from(
        [
            "WITH t AS ({q}) SELECT a.real_name, t.* FROM accounts a, t WHERE a.id = 1",
            "WITH t AS ({q}) SELECT a.real_name, t.* FROM accounts a CROSS JOIN t WHERE a.id = 1",
            "SELECT a.real_name, t.* FROM accounts a, ({q}) t WHERE a.id = 1",
            "SELECT a.real_name, t.* FROM accounts a JOIN ({q}) t ON true WHERE a.id = 1",
        ]
    ),
)
def test_a_cte_or_derived_table_joined_without_a_link_must_be_narrowed_itself(
    body: tuple[str, bool], form: str
) -> None:
    query, narrowed = body
    a = analyse(form.format(q=query), "postgres", MAPPING)
    assert a.parsed, a.problem
    assert a.narrowed is narrowed, form.format(q=query)


@pytest.mark.parametrize(
    "sql",
    [
        "WITH t AS (SELECT mobile FROM accounts) "
        "SELECT a.real_name FROM accounts a JOIN t ON t.mobile = a.mobile WHERE a.id = 1",
        "SELECT t.mobile FROM (SELECT * FROM accounts) t JOIN accounts a ON a.id = t.id "
        "WHERE a.id = 1",
        "SELECT a.mobile FROM accounts a WHERE a.id = 1 AND a.mobile IN (SELECT mobile FROM accounts)",
        "SELECT a.mobile, (SELECT o.amount FROM orders o WHERE o.account_id = a.id LIMIT 1) "
        "FROM accounts a WHERE a.id = 1",
    ],
)
def test_unnarrowed_reads_linked_to_a_narrowed_table_or_only_filtering_stay_narrowed(
    sql: str,
) -> None:
    assert analyse(sql, "postgres", MAPPING).narrowed


# A key comparison narrows only where it restricts the rows read: a conjunct of the WHERE (or
# of an inner join's ON), or of a subquery that restricts them in turn. Each wrapper takes a
# condition on accounts `a` and says whether the result still restricts a's rows by it.
KEYS = ["a.id = 5", "a.id IN (5, 6)", "a.mobile = '13900000000'", "a.id = 5 OR a.id = 6"]
WRAPPERS = [
    ("{c}", True),
    ("({c})", True),
    ("({c}) AND a.city = 'x'", True),
    ("a.city = 'x' AND ({c})", True),
    ("a.id IN (SELECT {x}.id FROM accounts {x} WHERE ({c_b}))", True),
    ("EXISTS (SELECT 1 FROM accounts {x} WHERE {x}.id = a.id AND ({c_b}))", True),
    ("({c}) IS NULL", False),
    ("coalesce({c}, true)", False),
    ("({c}) = false", False),
    ("CASE WHEN ({c}) THEN true ELSE true END", False),
    ("NOT ({c})", False),
    ("({c}) OR a.city = 'x'", False),
    ("EXISTS (SELECT 1 FROM accounts {x} WHERE ({c_b}))", False),  # true for every row alike
    ("NOT EXISTS (SELECT 1 FROM accounts {x} WHERE {x}.id = a.id AND ({c_b}))", False),
    ("1 = (SELECT count(*) FROM accounts {x} WHERE ({c_b}))", False),
]


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(KEYS),
    wrappers=st.lists(st.sampled_from(WRAPPERS), min_size=1, max_size=2),
)
def test_a_key_comparison_narrows_only_where_it_restricts_the_rows_read(
    key: str, wrappers: list[tuple[str, bool]]
) -> None:
    condition, restricts = key, True
    for level, (wrapper, keeps) in enumerate(wrappers):
        alias = f"s{level}"  # the subquery's own alias, new at each level
        inner = condition.replace("a.", f"{alias}.")
        condition = wrapper.format(c=condition, c_b=inner, x=alias)
        restricts = restricts and keeps
    sql = f"SELECT a.real_name FROM accounts a WHERE {condition}"
    a = analyse(sql, "postgres", MAPPING)
    assert a.parsed, (sql, a.problem)
    assert a.narrowed is restricts, sql


@pytest.mark.parametrize(
    ("sql", "narrowed"),
    [
        (
            "SELECT a.mobile FROM accounts a JOIN orders o ON o.account_id = a.id AND o.account_id = 5",
            True,
        ),
        (
            "SELECT a.mobile FROM accounts a LEFT JOIN orders o ON o.account_id = a.id AND o.account_id = 5",
            False,
        ),
        (
            "SELECT a.mobile FROM accounts a LEFT JOIN orders o ON o.account_id = a.id WHERE a.id = 5",
            True,
        ),
        (
            "SELECT a.mobile FROM orders o RIGHT JOIN accounts a ON o.account_id = a.id AND o.account_id = 5",
            False,
        ),
    ],
)
def test_the_on_of_an_outer_join_narrows_none_of_its_preserved_rows(
    sql: str, narrowed: bool
) -> None:
    a = analyse(sql, "postgres", MAPPING)
    assert a.parsed and a.narrowed is narrowed


@pytest.mark.parametrize(
    "nest",
    [
        "SELECT * FROM ({q}) t{i}",  # derived tables
        "SELECT a.real_name, ({q}) FROM accounts a WHERE a.id = 1",  # scalar subqueries
        "WITH c{i} AS ({q}) SELECT * FROM c{i}",  # CTEs
        "SELECT mobile FROM accounts WHERE id = 2 UNION ({q})",  # set operations
    ],
)
def test_the_narrowing_checks_grow_with_the_nesting_not_exponentially(
    nest: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each check asks whether the queries nested in its own are narrowed; asked afresh, the
    # work doubled with each level (14 derived tables took 26 s, 30 would take days). Counted,
    # not timed: the subject search may run a bounded number of times per nested query (12
    # levels: a few hundred calls before, 2,000 and more, in seconds, not a hang, when it
    # doubles).
    import auditpipe.sources.analysis as analysis

    calls = 0
    find = analysis._find_subject

    def counted(*args: object) -> None:
        nonlocal calls
        calls += 1
        find(*args)

    monkeypatch.setattr(analysis, "_find_subject", counted)
    depth = 12
    query = "SELECT mobile, id FROM accounts WHERE id = 1"
    for i in range(depth):
        query = nest.format(q=query, i=i)
    a = analyse(query, "postgres", MAPPING)
    assert a.parsed, a.problem
    assert calls <= 8 * depth, calls
