"""The locality contract: rules that read across providers or days are seen and refused."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from auditpipe.detect.locality import locality_problems
from auditpipe.detect.rules import read_rules

KEYS = ("provider_id", "event_date")
OTHERS = ("actor_id", "subject_id")
# every subset of the two partition keys plus some other column, in every order
KEY_SETS = [
    combo for n in range(0, 4) for combo in itertools.permutations(KEYS + OTHERS[:1], n) if combo
]


def is_local(keys: Sequence[str]) -> bool:
    return set(KEYS) <= set(keys)


@pytest.mark.parametrize("keys", KEY_SETS, ids=",".join)
def test_grouping_is_local_only_with_both_keys(keys: tuple[str, ...]) -> None:
    cols = ", ".join(keys)
    sql = (
        f"WITH g AS (SELECT {cols} FROM in_scope_events GROUP BY {cols} HAVING count(*) > 2) "
        f"SELECT e.* FROM in_scope_events e SEMI JOIN g USING ({cols})"
    )
    assert (locality_problems(sql) == []) is is_local(keys)


@pytest.mark.parametrize("keys", KEY_SETS, ids=",".join)
@pytest.mark.parametrize("spelling", ["ALL", "positions"])
def test_grouping_by_all_or_positions_is_local_only_with_both_keys(
    keys: tuple[str, ...], spelling: str
) -> None:
    """DuckDB's GROUP BY ALL (every projection that is not an aggregate) and GROUP BY 1, 2
    group by the columns they stand for: both keys there is local, and refusing it would
    refuse a rule that finds on Spark exactly what it finds on DuckDB."""
    cols = ", ".join(keys)
    group = "ALL" if spelling == "ALL" else ", ".join(str(i + 1) for i in range(len(keys)))
    sql = (
        f"WITH g AS (SELECT {cols}, count(*) AS n FROM in_scope_events GROUP BY {group} "
        f"HAVING count(*) > 2) SELECT e.* FROM in_scope_events e SEMI JOIN g USING ({cols})"
    )
    assert (locality_problems(sql) == []) is is_local(keys), locality_problems(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT e.* FROM in_scope_events e SEMI JOIN (SELECT *, count(*) AS n FROM events "
        "GROUP BY ALL) g USING (event_id, provider_id, event_date)",
        "SELECT e.* FROM in_scope_events e SEMI JOIN (SELECT x.*, count(*) AS n FROM events x "
        "GROUP BY ALL) g USING (event_id, provider_id, event_date)",
    ],
)
def test_grouping_by_all_of_every_column_is_local(sql: str) -> None:
    assert locality_problems(sql) == []


@pytest.mark.parametrize(
    "sql",
    [  # an aggregate's or a function's columns are no grouping keys, nor is a position past the end
        "WITH g AS (SELECT actor_id, max(provider_id), min(event_date) FROM events GROUP BY ALL) "
        "SELECT e.* FROM events e SEMI JOIN g USING (actor_id)",
        "WITH g AS (SELECT provider_id, month(event_date) AS event_date, actor_id FROM events "
        "GROUP BY ALL) SELECT e.* FROM events e SEMI JOIN g USING (provider_id, event_date, actor_id)",
        "WITH g AS (SELECT provider_id, month(event_date) AS d FROM events GROUP BY 1, 2) "
        "SELECT e.* FROM events e SEMI JOIN g ON g.provider_id = e.provider_id AND g.d = e.event_date",
        "WITH g AS (SELECT provider_id, event_date FROM events GROUP BY 1, 3) "
        "SELECT e.* FROM events e SEMI JOIN g USING (provider_id, event_date)",
    ],
)
def test_grouping_by_all_or_positions_of_no_bare_key_is_seen(sql: str) -> None:
    assert any("groups event rows without" in p for p in locality_problems(sql)), sql


@pytest.mark.parametrize("keys", KEY_SETS, ids=",".join)
def test_windows_are_local_only_partitioned_by_both_keys(keys: tuple[str, ...]) -> None:
    sql = (
        f"SELECT * FROM in_scope_events QUALIFY sum(record_count) OVER "
        f"(PARTITION BY {', '.join(keys)}) > 10"
    )
    assert (locality_problems(sql) == []) is is_local(keys)


@pytest.mark.parametrize("keys", KEY_SETS, ids=",".join)
def test_self_joins_are_local_only_on_both_keys(keys: tuple[str, ...]) -> None:
    on = " AND ".join(f"a.{k} = b.{k}" for k in keys)
    sql = f"SELECT a.* FROM in_scope_events a JOIN events b ON {on} WHERE b.action = 'export'"
    assert (locality_problems(sql) == []) is is_local(keys)


@pytest.mark.parametrize("keys", KEY_SETS, ids=",".join)
def test_correlated_subqueries_are_local_only_tied_by_both_keys(keys: tuple[str, ...]) -> None:
    tie = " AND ".join(f"x.{k} = e.{k}" for k in keys)
    sql = (
        "SELECT * FROM in_scope_events e WHERE record_count > "
        f"(SELECT avg(record_count) FROM events x WHERE {tie})"
    )
    assert (locality_problems(sql) == []) is is_local(keys)


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT * FROM read_parquet('/lake/events/*/*/*.parquet')", "READ_PARQUET"),
        ("SELECT * FROM 'lake/events/x.parquet'", "lake/events/x.parquet"),
        ("SELECT * FROM findings", "reads findings"),
        ("SELECT * FROM main.events", "main.events"),
        ("SELECT * FROM in_scope_events ORDER BY record_count DESC LIMIT 5", "LIMIT"),
        ("SELECT min(event_id) AS x FROM events", "aggregates all event rows"),
        (
            "SELECT * FROM in_scope_events WHERE actor_id IN "
            "(SELECT actor_id FROM events WHERE action = 'export')",
            "subquery",
        ),
        (
            "SELECT * FROM in_scope_events WHERE event_date = (SELECT max(event_date) FROM events)",
            "subquery",
        ),
        ("SELECT * FROM in_scope_events WHERE (", "cannot be parsed"),
    ],
)
def test_reads_outside_the_partition_are_named(sql: str, words: str) -> None:
    assert any(words in p for p in locality_problems(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM in_scope_events WHERE record_count > (SELECT bulk_threshold FROM detect_settings)",
        "SELECT * FROM in_scope_events WHERE lower(destination_party) IN (SELECT name FROM broker_watchlist)",
        "SELECT * FROM in_scope_events WHERE (provider_id, event_date, actor_id) IN "
        "(SELECT provider_id, event_date, actor_id FROM events WHERE action = 'export')",
        "SELECT * FROM in_scope_events e WHERE EXISTS (SELECT 1 FROM events x WHERE "
        "x.provider_id = e.provider_id AND x.event_date = e.event_date AND x.action = 'export')",
        "SELECT e.* FROM protected_events e JOIN currency_rates r ON r.currency = e.currency",
    ],
)
def test_local_reads_pass(sql: str) -> None:
    assert locality_problems(sql) == []


def test_every_builtin_rule_keeps_the_contract() -> None:
    rules = read_rules()
    assert rules and {r.id: locality_problems(r.sql) for r in rules} == {r.id: [] for r in rules}


# Rules that name both keys yet combine partitions: each passed the check and gave the Spark
# engine other findings than DuckDB on a generated lake (one partition per task).
@pytest.mark.parametrize(
    ("sql", "words"),
    [
        (  # one row per actor over every day: which day's row is kept depends on the days seen
            "SELECT DISTINCT ON (actor_id) * FROM in_scope_events ORDER BY actor_id, event_time",
            "one row per (actor_id)",
        ),
        (
            "SELECT DISTINCT ON (provider_id, actor_id) * FROM in_scope_events",
            "one row per",
        ),
        (  # a key inside a function spans days
            "SELECT * FROM in_scope_events QUALIFY count(*) OVER "
            "(PARTITION BY provider_id, actor_id, year(event_date), month(event_date)) >= 4",
            "not partitioned",
        ),
        (
            "WITH w AS (SELECT provider_id, date_trunc('week', event_date) AS week, actor_id "
            "FROM in_scope_events GROUP BY provider_id, date_trunc('week', event_date), actor_id "
            "HAVING count(*) > 3) SELECT e.* FROM in_scope_events e SEMI JOIN w "
            "ON w.provider_id = e.provider_id AND w.week = e.event_date AND w.actor_id = e.actor_id",
            "groups event rows without event_date",
        ),
        (  # a tie of the inner rows to themselves ties nothing
            "SELECT * FROM in_scope_events e WHERE e.record_count > (SELECT avg(x.record_count) "
            "FROM in_scope_events x WHERE x.provider_id = x.provider_id "
            "AND x.event_date = x.event_date)",
            "subquery",
        ),
        (
            "SELECT * FROM in_scope_events WHERE record_count > (SELECT avg(record_count) "
            "FROM events WHERE provider_id = provider_id AND event_date = event_date)",
            "subquery",
        ),
        (  # an equality under OR need not hold
            "SELECT a.* FROM in_scope_events a JOIN in_scope_events b ON (a.provider_id = "
            "b.provider_id AND a.event_date = b.event_date) OR a.actor_id = b.actor_id",
            "without equal provider_id and event_date",
        ),
        (
            "SELECT a.* FROM in_scope_events a JOIN events b ON a.provider_id = b.provider_id "
            "AND NOT (a.event_date = b.event_date)",
            "without equal event_date",
        ),
        (  # b and c tied to each other in the WHERE, neither to a
            "SELECT a.* FROM in_scope_events a, events b, events c WHERE b.provider_id = "
            "c.provider_id AND b.event_date = c.event_date AND a.actor_id = b.actor_id",
            "joins event rows to events AS b without equal provider_id and event_date",
        ),
    ],
)
def test_keys_named_but_not_kept_are_seen(sql: str, words: str) -> None:
    assert any(words in p for p in locality_problems(sql)), locality_problems(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT DISTINCT ON (provider_id, event_date, actor_id) * FROM in_scope_events",
        "SELECT DISTINCT * FROM in_scope_events",
        "SELECT * FROM in_scope_events QUALIFY row_number() OVER "
        "(PARTITION BY (provider_id), event_date, actor_id ORDER BY event_time) = 1",
        "SELECT a.* FROM in_scope_events a JOIN events b ON (a.provider_id = b.provider_id "
        "AND (a.event_date = b.event_date)) AND a.actor_id = b.actor_id",
    ],
)
def test_bare_keys_and_required_equalities_pass(sql: str) -> None:
    assert locality_problems(sql) == []


@pytest.mark.parametrize("keys", KEY_SETS, ids=",".join)
@pytest.mark.parametrize("join", ["comma", "cross", "on_actor"])
def test_joins_tied_in_the_where_clause_are_local_only_on_both_keys(
    keys: tuple[str, ...], join: str
) -> None:
    """An inner join's WHERE must hold for every row it keeps, as its ON must: a comma join
    tied by both keys in the WHERE is local (it was refused)."""
    tie = " AND ".join(f"a.{k} = b.{k}" for k in keys)
    source = {
        "comma": "in_scope_events a, events b",
        "cross": "in_scope_events a CROSS JOIN events b",
        "on_actor": "in_scope_events a JOIN events b ON a.actor_id = b.actor_id",
    }[join]
    sql = f"SELECT a.* FROM {source} WHERE {tie} AND b.action = 'export'"
    assert (locality_problems(sql) == []) is is_local(keys), locality_problems(sql)


@pytest.mark.parametrize(
    "sql",
    [  # the subquery's own relations tied to each other, not to the row: every partition's rows
        "SELECT * FROM events WHERE record_count > (SELECT count(*) FROM events a JOIN events b "
        "USING (provider_id, event_date) WHERE a.provider_id = b.provider_id "
        "AND a.event_date = b.event_date)",
        "SELECT * FROM events e WHERE EXISTS (SELECT 1 FROM events a JOIN events b "
        "ON a.provider_id = b.provider_id AND a.event_date = b.event_date "
        "WHERE a.provider_id = b.provider_id AND a.event_date = b.event_date "
        "AND a.actor_id = e.actor_id)",
        # two outer relations tied to each other tie nothing of the subquery's rows
        "SELECT e.* FROM events e JOIN events f USING (provider_id, event_date) WHERE "
        "e.record_count > (SELECT max(record_count) FROM events WHERE e.provider_id = "
        "f.provider_id AND e.event_date = f.event_date)",
    ],
)
def test_subqueries_tied_only_to_themselves_are_seen(sql: str) -> None:
    problems = locality_problems(sql)
    assert any("subquery" in p or "aggregates all" in p for p in problems), problems
