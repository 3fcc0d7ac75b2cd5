"""The locality contract: a rule sees one provider and one day at a time.

Every built-in rule is local to one (provider_id, event_date) partition: its findings for a
partition depend only on that partition's events. The ``spark`` engine relies on it (each task
evaluates one partition alone) and so does any run over a subset of days (``--since``, the
nightly job's days). A rule breaks the contract when it combines rows of different partitions.
``locality_problems`` finds what it can see of that in the rule's SQL (parsed with sqlglot):

- reading anything but ``events``, ``protected_events``, ``in_scope_events``, the settings
  tables and its own CTEs (another table, a file, ``read_parquet(...)``);
- aggregating event rows without grouping by both provider_id and event_date (``GROUP BY ALL``
  and ``GROUP BY 1, 2`` stand for the projections they name);
- a window over event rows not partitioned by both;
- ``DISTINCT ON`` over event rows without both (one row of which partition?);
- joining two event relations without equating both keys (in the ON, or in the WHERE, which
  holds for every row a join keeps: a comma join);
- a subquery over event rows used as a value or in IN/EXISTS, unless it is tied to the outer
  row's provider_id and event_date (equalities between its own relations and an outer one, or
  both in the IN tuple);
- LIMIT over event rows (the first n rows of which partitions?).

A key counts only as the bare column: grouping or partitioning by ``date_trunc('week',
event_date)`` or ``month(event_date)`` spans days. An equality counts only as a condition that
must hold (a conjunct, not under OR or NOT) between two different relations' columns:
``x.event_date = x.event_date`` is true of every row and ties nothing.

It is a check of what can be seen, not a proof: the equivalence tests are the proof for the
built-in rules. A rule it cannot parse is reported, since it cannot be checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..i18n import N_, _
from .rules import Rule, RuleError

if TYPE_CHECKING:
    from sqlglot import exp

PARTITION_KEYS = ("provider_id", "event_date")
# Relations of rows that belong to one (provider_id, event_date) partition: the events and the
# terms over them, and the account snapshot rows of the day (real_name).
EVENT_RELATIONS = frozenset(
    {"events", "protected_events", "in_scope_events", "account_rows", "real_name_publishes"}
)
# Relations that are the same for every partition of a run: the settings, and the account
# timeline, built once per run from the whole lake (it is history, not a day's rows; a rule
# joins it on provider_id and account_id).
SETTINGS_RELATIONS = frozenset(
    {"detect_settings", "broker_watchlist", "currency_rates", "account_timeline", "provider_types"}
)
CONTRACT_HINT = N_(
    "group, partition and join by provider_id and event_date (docs/detect.md, 'The locality "
    "contract'), or disable the rule with disabled_rules in [detect]"
)


def locality_problems(sql: str) -> list[str]:
    """What in ``sql`` reads outside one (provider_id, event_date) partition; [] if nothing."""
    import sqlglot
    from sqlglot import exp

    try:
        tree: Any = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [_("its SQL cannot be parsed to check it ({error})").format(error=first)]
    ctes = {cte.alias_or_name.lower(): cte for cte in tree.find_all(exp.CTE)}
    event_like = set(EVENT_RELATIONS)
    # a CTE over event rows is itself event rows (CTEs are listed before their use)
    for name, cte in ctes.items():
        if _reads(cte.this, event_like):
            event_like.add(name)
    problems = [*_foreign_sources(tree, set(ctes))]
    for select in tree.find_all(exp.Select):
        if not _reads_directly(select, event_like):
            continue
        tied = _key_equalities(select.args.get("where"), inner=_own_relations(select))
        if not set(PARTITION_KEYS) <= tied:
            problems.extend(_aggregation(select))  # (else tied to one partition's row)
        problems.extend(_joins(select, event_like))
        if select.args.get("limit") is not None:
            problems.append(_("it takes a LIMIT of event rows, which picks rows across partitions"))
        distinct = select.args.get("distinct")
        on = distinct.args.get("on") if distinct is not None else None
        if on is not None and not set(PARTITION_KEYS) <= _bare_keys(on.expressions):
            problems.append(
                _(
                    "it keeps one row per {key} of event rows, not per provider_id and event_date"
                ).format(key=_short(on))
            )
    for window in tree.find_all(exp.Window):
        keys = _bare_keys(window.args.get("partition_by") or [])
        if not set(PARTITION_KEYS) <= keys:
            problems.append(
                _("the window {window} is not partitioned by provider_id and event_date").format(
                    window=_short(window)
                )
            )
    problems.extend(_subqueries(tree, event_like))
    return list(dict.fromkeys(problems))


def check_locality(rules: Sequence[Rule]) -> None:
    """``RuleError`` naming the first rule that breaks the locality contract."""
    for rule in rules:
        problems = locality_problems(rule.sql)
        if problems:
            raise RuleError(
                _("rule {id} ({source}) is not local to one provider and one day: ").format(
                    id=rule.id, source=rule.source
                )
                + "; ".join(problems),
                hint=_(CONTRACT_HINT) + _("; until then run detect with --engine duckdb"),
            )


def _bare_keys(expressions: Iterable[exp.Expression]) -> set[str]:
    """The names of the bare columns among ``expressions`` (grouping or partitioning keys):
    a column inside a function (``date_trunc('week', event_date)``) groups several values
    together, so it is no key."""
    from sqlglot import exp

    keys = set()
    for e in expressions:
        while isinstance(e, exp.Paren):
            e = e.this
        if isinstance(e, exp.Column):
            keys.add(e.name.lower())
    return keys


def _short(node: exp.Expression) -> str:
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 60 else text[:57] + "..."


def _source_tables(select: exp.Select) -> list[exp.Expression]:
    """The relations in this SELECT's own FROM and JOINs (not in nested queries)."""
    sources = []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is not None:
        sources.append(from_.this)
    sources.extend(join.this for join in select.args.get("joins") or [])
    return sources


def _is_event_relation(node: exp.Expression, event_like: set[str]) -> bool:
    from sqlglot import exp

    if isinstance(node, exp.Table):
        return not node.args.get("db") and node.name.lower() in event_like
    return _reads(node, event_like)


def _reads(node: exp.Expression, event_like: set[str]) -> bool:
    from sqlglot import exp

    return any(
        not t.args.get("db") and t.name.lower() in event_like for t in node.find_all(exp.Table)
    )


def _reads_directly(select: exp.Select, event_like: set[str]) -> bool:
    return any(_is_event_relation(s, event_like) for s in _source_tables(select))


def _foreign_sources(tree: exp.Expression, cte_names: set[str]) -> Iterable[str]:
    from sqlglot import exp

    allowed = EVENT_RELATIONS | SETTINGS_RELATIONS | cte_names
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):  # read_parquet(...) and friends
            yield _("it reads {table}, outside the events it is given").format(table=_short(table))
        elif table.args.get("db") or table.name.lower() not in allowed:
            yield _("it reads {table}, outside the events it is given").format(
                table=table.sql(dialect="duckdb")
            )


def _keys(missing: Sequence[str]) -> str:
    """The partition keys a rule leaves out, as words ("provider_id and event_date")."""
    if len(missing) == 2:
        return _("{first} and {second}").format(first=missing[0], second=missing[1])
    return ", ".join(missing)


def _aggregation(select: exp.Select) -> Iterable[str]:
    from sqlglot import exp

    group = select.args.get("group")
    if group is not None:
        keys = _grouping_keys(select, group)
        missing = [k for k in PARTITION_KEYS if k not in keys]
        if missing:
            yield _("it groups event rows without {keys}").format(keys=_keys(missing))
        return
    for projection in [*select.expressions, select.args.get("having")]:
        if projection is None:
            continue
        for agg in projection.find_all(exp.AggFunc):
            if isinstance(agg.parent, exp.Window) or agg.find_ancestor(exp.Select) is not select:
                continue  # a window (checked below) or a nested query (checked on its own)
            yield _("it aggregates all event rows with {aggregate}").format(aggregate=_short(agg))
            return


def _grouping_keys(select: exp.Select, group: exp.Group) -> set[str]:
    """The bare columns ``group`` groups by, DuckDB's spellings included: ``GROUP BY ALL``
    stands for every projection without an aggregate (``*`` and ``x.*`` for every column,
    both keys among them), ``GROUP BY 2`` for the second projection."""
    from sqlglot import exp

    def unaliased(p: exp.Expression) -> exp.Expression:
        return p.this if isinstance(p, exp.Alias) else p

    projections = select.expressions
    if group.args.get("all"):
        if any(p.is_star for p in projections):
            return set(PARTITION_KEYS)
        return _bare_keys(unaliased(p) for p in projections if not p.find(exp.AggFunc))
    named: list[exp.Expression] = []
    for e in group.expressions:
        if isinstance(e, exp.Literal) and e.is_int:
            position = int(e.name)
            if 1 <= position <= len(projections):
                named.append(unaliased(projections[position - 1]))
        else:
            named.append(e)
    return _bare_keys(named)


def _key_equalities(
    condition: exp.Expression | None,
    *,
    inner: set[str] | None = None,
    joined: tuple[str, set[str]] | None = None,
) -> set[str]:
    """Partition keys that ``condition`` requires equal between two relations: an equality
    of two columns of the same name and different qualifiers, among the conditions joined by
    AND (one under OR or NOT need not hold). ``inner``: the qualifiers of a query's own
    relations (an unqualified column is one of them); only an equality between one of them
    and an outer relation ties the query's rows to the outer row. ``joined``: (a joined
    relation, the relations joined before it); only equalities between a column of the one and
    of one of the others count (a WHERE tying that join)."""
    from sqlglot import exp

    found: set[str] = set()
    if condition is None:
        return found
    for eq in _conjuncts(condition):
        if not isinstance(eq, exp.EQ):
            continue
        left, right = eq.this, eq.expression
        if not (
            isinstance(left, exp.Column)
            and isinstance(right, exp.Column)
            and left.name.lower() == right.name.lower() in PARTITION_KEYS
        ):
            continue
        tables = (left.table.lower(), right.table.lower())
        if tables[0] == tables[1]:
            continue  # x.k = x.k holds for every row
        if inner is not None and (tables[0] in inner or not tables[0]) == (
            tables[1] in inner or not tables[1]
        ):
            continue  # both the query's own, or both outer: nothing ties its rows to the row
        if joined is not None and not (
            (tables[0] == joined[0] and tables[1] in joined[1])
            or (tables[1] == joined[0] and tables[0] in joined[1])
        ):
            continue
        found.add(left.name.lower())
    return found


def _own_relations(select: exp.Select) -> set[str]:
    """The names a SELECT's own FROM and JOINs give their relations (aliases, else names)."""
    return {s.alias_or_name.lower() for s in _source_tables(select)}


def _conjuncts(condition: exp.Expression) -> Iterable[exp.Expression]:
    """The conditions ``condition`` (an ON or WHERE) joins with AND, through parentheses."""
    from sqlglot import exp

    while isinstance(condition, exp.Paren | exp.Where):
        condition = condition.this
    if isinstance(condition, exp.And):
        yield from _conjuncts(condition.this)
        yield from _conjuncts(condition.expression)
    else:
        yield condition


def _joins(select: exp.Select, event_like: set[str]) -> Iterable[str]:
    from_ = select.args.get("from_") or select.args.get("from")
    left_events = from_ is not None and _is_event_relation(from_.this, event_like)
    earlier = {from_.this.alias_or_name.lower()} if from_ is not None else set()
    for join in select.args.get("joins") or []:
        joined = join.this.alias_or_name.lower()
        before, earlier = set(earlier), earlier | {joined}
        if not (left_events and _is_event_relation(join.this, event_like)):
            left_events = left_events or _is_event_relation(join.this, event_like)
            continue
        keys = {i.name.lower() for i in join.args.get("using") or []}
        keys |= _key_equalities(join.args.get("on"))
        # the WHERE holds for every row a join keeps, as its ON does (a comma join): an
        # equality there with a relation joined before ties this one
        keys |= _key_equalities(select.args.get("where"), joined=(joined, before))
        missing = [k for k in PARTITION_KEYS if k not in keys]
        if missing:
            yield _("it joins event rows to {relation} without equal {keys}").format(
                relation=_short(join.this), keys=_keys(missing)
            )


def _subqueries(tree: exp.Expression, event_like: set[str]) -> Iterable[str]:
    """Subqueries over event rows used as values or in IN / EXISTS must be tied to the row."""
    from sqlglot import exp

    for node in tree.find_all(exp.In, exp.Exists, exp.Subquery):
        if isinstance(node, exp.Subquery) and isinstance(
            node.parent, exp.From | exp.Join | exp.In | exp.Exists
        ):
            continue  # a derived table is checked as a SELECT; IN/EXISTS below
        query = node.args.get("query") if isinstance(node, exp.In) else node.this
        if query is None or not _reads(query, event_like):
            continue
        if isinstance(node, exp.In):
            left = node.this
            items = left.expressions if isinstance(left, exp.Tuple) else [left]
            names = {c.name.lower() for c in items if isinstance(c, exp.Column)}
            if set(PARTITION_KEYS) <= names:
                continue
        inner = query if isinstance(query, exp.Select) else query.find(exp.Select)
        where = inner.args.get("where") if inner is not None else None
        own = _own_relations(inner) if inner is not None else set()
        if set(PARTITION_KEYS) <= _key_equalities(where, inner=own):
            continue
        yield _(
            "the subquery {query} reads event rows of other partitions "
            "(tie it to the row's provider_id and event_date)"
        ).format(query=_short(query))
