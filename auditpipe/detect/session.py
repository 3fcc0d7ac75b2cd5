"""The DuckDB session rules run in: settings tables, the scoped ``events`` view, the terms.

Objects a rule can use (documented in docs/detect.md, "Writing a rule"):

- ``events``: the lake's events, restricted to the days being evaluated;
- ``protected_events``, ``in_scope_events``: the shared terms, from ``rules/_terms.sql``;
- ``detect_settings``: one row of settings (bulk_threshold, protected_classes, ...);
- ``broker_watchlist(name)``: the watchlist, trimmed and lower-cased;
- ``account_rows``, ``account_timeline``, ``real_name_publishes``: what the real-name rules
  read (``real_name``);
- ``currency_rates(currency, cny_per_unit)``: the rate table of ``[penalty.rates]``.
- ``has_protected_class(items)``, ``has_credential_category(items)``: whether a list holds a
  protected class / a credential category (``_any_of_sql``).

Settings reach SQL only as bound parameters; file paths only through ``read_parquet_sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..db import Database, connect, quote_identifier, quote_literal, read_parquet_sql
from ..i18n import _
from ..lake.schema import EVENT_COLUMNS, empty_select
from ..vocabulary import severity_rank
from .real_name import create_account_views
from .rules import REQUIRED_COLUMNS, TERMS_FILE, Rule, RuleError
from .settings import DetectSettings


def open_connection(
    settings: DetectSettings, timezone: str, temp_dir: Path | None = None
) -> Database:
    """An in-memory DuckDB with the memory ceiling set and spilling into ``temp_dir``.

    Rules and grouping sort explicitly where order matters, so insertion order is not kept:
    that lets DuckDB stream more.
    """
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
    con = connect(
        timezone=timezone,
        temp_directory=temp_dir,
        memory_limit=settings.memory_limit,
        threads=settings.threads,
        keep_insertion_order=False,
    )
    # A run reads the footers of the same event files many times (each view bind with
    # union_by_name, then each scan): kept once per connection, they cost half. DuckDB checks
    # a file's modification time before it reuses a footer, and detect never rewrites a path.
    con.execute("SET parquet_metadata_cache = true")
    return con


def create_events_view(con: Database, files: Sequence[Path]) -> None:
    """``events`` over exactly these Parquet files of the lake (hive partition columns)."""
    _create_partitioned_view(con, "events", EVENT_COLUMNS, files)


def _create_partitioned_view(
    con: Database, name: str, columns: Sequence[tuple[str, str]], files: Sequence[Path]
) -> None:
    names = ", ".join(quote_identifier(n) for n, _ in columns)
    if files:
        body = f"SELECT {names} FROM {read_parquet_sql(files, hive=True)}"
    else:
        body = empty_select(list(columns))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_identifier(name)} AS\n{body}")


def create_detect_settings(con: Database, settings: DetectSettings) -> None:
    """``detect_settings``: one row of the settings rules and summaries read, bound as
    parameters (also what a report fills a summary in another language with)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE detect_settings AS
        SELECT
            $protected_classes::VARCHAR[] AS protected_classes,
            $credential_categories::VARCHAR[] AS credential_categories,
            $bulk_threshold::BIGINT AS bulk_threshold,
            $max_accounts_per_identity::BIGINT AS max_accounts_per_identity,
            $record_steps::BIGINT[] AS severity_record_steps,
            $proceeds_steps::DECIMAL(18, 2)[] AS severity_proceeds_steps_cny
        """,
        {
            "protected_classes": list(settings.protected_classes),
            "credential_categories": list(settings.credential_categories),
            "bulk_threshold": settings.bulk_threshold,
            "max_accounts_per_identity": settings.max_accounts_per_identity,
            "record_steps": list(settings.severity_record_steps),
            "proceeds_steps": [str(s) for s in settings.severity_proceeds_steps_cny],
        },
    )


def create_settings_tables(
    con: Database,
    settings: DetectSettings,
    rules: Sequence[Rule],
    watchlist: Sequence[str] = (),
) -> None:
    create_detect_settings(con, settings)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE broker_watchlist AS "
        "SELECT DISTINCT unnest($names::VARCHAR[]) AS name",
        {"names": list(watchlist)},
    )
    # The same lists as variables: _terms.sql reads them with getvariable(), which DuckDB
    # folds into constants, so the terms' filters reach the Parquet scan.
    for name, values in (
        ("protected_classes", settings.protected_classes),
        ("credential_categories", settings.credential_categories),
        ("broker_watchlist", watchlist),
    ):
        con.execute(f"SET VARIABLE {name} = $values::VARCHAR[]", {"values": list(values)})
    for macro, variable, values in (
        ("has_protected_class", "protected_classes", settings.protected_classes),
        ("has_credential_category", "credential_categories", settings.credential_categories),
    ):
        con.execute(
            f"CREATE OR REPLACE TEMP MACRO {macro}(items) AS {_any_of_sql(variable, len(values))}"
        )
    rates = sorted(settings.penalty.rates.items())
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE currency_rates AS
        SELECT unnest($codes::VARCHAR[]) AS currency,
               unnest($rates::VARCHAR[])::DECIMAL(18, 6) AS cny_per_unit
        """,
        {"codes": [c for c, _ in rates], "rates": [str(r) for _, r in rates]},
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE detect_rules AS
        SELECT unnest(range(len($ids::VARCHAR[]))) AS rule_index,
               unnest($ids::VARCHAR[]) AS rule_id,
               unnest($categories::VARCHAR[]) AS category,
               unnest($ranks::INTEGER[]) AS severity_rank,
               unnest($summaries::VARCHAR[]) AS summary_template
        """,
        {
            "ids": [r.id for r in rules],
            "categories": [r.category for r in rules],
            "ranks": [severity_rank(r.severity) for r in rules],
            "summaries": [r.summary for r in rules],
        },
    )


def _any_of_sql(variable: str, count: int) -> str:
    """Whether the list ``items`` holds any of the ``count`` values of the variable
    ``variable``: one ``list_contains`` per value, OR-ed. DuckDB pushes that into the Parquet
    scan (the other columns are then decoded only for the rows that pass) and runs it faster
    than ``has_any_of``, whose lambda it cannot push; the values stay bound parameters (the
    variable), only their number is in the text. Same result as ``has_any_of``, NULL included.
    """
    if not count:
        return "(CASE WHEN items IS NULL THEN NULL ELSE false END)"
    value = f"getvariable({quote_literal(variable)})"
    return (
        "(" + " OR ".join(f"list_contains(items, {value}[{i}])" for i in range(1, count + 1)) + ")"
    )


def create_terms(
    con: Database, account_files: Sequence[Path] = (), timeline: Path | None = None
) -> None:
    """Run ``rules/_terms.sql`` (``protected_events``, ``in_scope_events``,
    ``real_name_publishes``) after the account views it reads (``real_name``)."""
    create_account_views(con, account_files, timeline)
    con.execute(TERMS_FILE.read_text(encoding="utf-8"))


def check_rule_sql(con: Database, rule: Rule) -> None:
    """One SELECT that binds and returns ``REQUIRED_COLUMNS``; ``RuleError`` naming the file."""
    import duckdb

    try:
        statements = con.extract_statements(rule.sql)
    except duckdb.Error as exc:
        raise RuleError(
            _("rule {id} ({path}): the SQL does not parse: {first_line}").format(
                id=rule.id, path=rule.path, first_line=_first_line(exc)
            ),
            hint=_("fix the SQL after the header; try it with `auditpipe sql` on your lake"),
        ) from exc
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise RuleError(
            _("rule {id} ({path}): the body must be exactly one SELECT statement").format(
                id=rule.id, path=rule.path
            ),
            hint=_("a rule returns the events that fire it; it never changes anything"),
        )
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM ({rule.sql}) AS rule_rows").fetchall()
    except duckdb.Error as exc:
        raise RuleError(
            _("rule {id} ({path}): the SQL is not valid: {first_line}").format(
                id=rule.id, path=rule.path, first_line=_first_line(exc)
            ),
            hint=_(
                "rules select from events, protected_events or in_scope_events; see `auditpipe rules show selling`"
            ),
        ) from exc
    columns = {row[0] for row in described}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise RuleError(
            _("rule {id} ({path}): the SELECT does not return {items}").format(
                id=rule.id, path=rule.path, items=", ".join(missing)
            ),
            hint=_("return whole event rows, e.g. SELECT * FROM in_scope_events WHERE ..."),
        )


def check_rules(
    con: Database,
    settings: DetectSettings,
    rules: Sequence[Rule],
    watchlist: Sequence[str] = (),
) -> None:
    """Check every rule against an empty lake in ``con`` (fast: binding only, no data).

    Leaves the settings tables in place, so a run can go on to evaluate the rules in ``con``.
    """
    create_settings_tables(con, settings, rules, watchlist)
    create_events_view(con, [])
    create_terms(con)
    for rule in rules:
        check_rule_sql(con, rule)


def validate_rules_sql(rules: Sequence[Rule]) -> None:
    """Check every rule in a connection of its own (for ``load_rules``)."""
    settings = DetectSettings()
    # Binding does not depend on the timezone; UTC keeps it independent of the machine's.
    with open_connection(settings, "UTC") as con:
        check_rules(con, settings, rules)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
