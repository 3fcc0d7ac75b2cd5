"""What the real-name rules read besides a day's events: account snapshots and the timeline.

The real-name rules (``rules/real_name_*.sql``, issue 11) ask whether an account was verified at
the moment it published. That depends on what happened before the day being evaluated: verify
events of earlier days and account snapshots. So detect gives every task two more objects:

- ``account_timeline`` (provider_id, account_id, since, verified): for every *known* account, each
  moment its verification state changed, built ONCE per run on the driver from the whole lake
  (``TIMELINE_SQL``) and written to one Parquet file every task reads. A task's findings are
  then a function of its own partition and that file alone, so the ``duckdb`` and ``spark``
  engines find the same.
- ``account_rows``: the snapshot rows of the partition's own day (snapshot_date = event_date),
  shaped like event rows, so snapshot rules return rows the engine groups like any others.

The state at moment t (the rule agreed with the ingest side, docs/real-name.md):

- observations of an account: a ``verify`` event of it at e (outcome success = verified from e,
  failure = not verified from e); a snapshot row as of the END of its snapshot_date in the lake's
  timezone (status ``verified`` = verified, any other status = not verified); and a snapshot row
  with status ``verified`` and ``verified_at`` v no later than its as-of moment (verified from v);
- the latest observation at or before t decides (a verification at the very second of the post
  counts); at one instant an event beats a snapshot, and failure beats success;
- a known account with no observation at or before t is not verified; an account that appears
  in no snapshot and no register or verify event is *unknown*: the rule leaves its posts alone
  (the report counts them as a data gap).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from ..db import (
    Database,
    file_list,
    parquet_scan,
    quote_identifier,
    quote_literal,
)
from ..lake import layout, schema
from ..lake.schema import empty_select
from ..lake.views import snapshot_evidence_id_sql
from .account_history import OBSERVATIONS, PROVIDER_TYPES, load_history
from .rules import Rule

SNAPSHOT_KEY = layout.DATE_KEYS[layout.ACCOUNTS]
# What the accounts table holds (written by ingest, auditpipe.realname).
ACCOUNT_COLUMNS = schema.ACCOUNT_COLUMNS

PROVIDER_TYPE_COLUMNS: list[tuple[str, str]] = [
    ("provider_id", "VARCHAR"),
    ("provider_type", "VARCHAR"),
]
# The objects that read the timeline: a rule naming one of them needs it built.
TIMELINE_READERS = ("account_timeline", "real_name_publishes")
TIMELINE_COLUMNS: list[tuple[str, str]] = [
    ("provider_id", "VARCHAR"),
    ("account_id", "VARCHAR"),
    ("since", "TIMESTAMP WITH TIME ZONE"),
    ("verified", "BOOLEAN"),
]


def as_of_sql(alias: str) -> str:
    """The moment a snapshot describes: the end of its snapshot_date in the session's (the
    lake's) timezone, i.e. 00:00 of the next day."""
    return f"CAST({alias}.snapshot_date + 1 AS TIMESTAMP WITH TIME ZONE)"


# The account an event is about: subject_id, or actor_id when there is none.
_EVENT_ACCOUNT = "coalesce(nullif(trim(e.subject_id), ''), e.actor_id)"


def observations_sql(events: str, accounts: str) -> str:
    """The observations of accounts in the relations ``events`` and ``accounts`` (SQL text:
    view names or scans), one per account and instant: the one that wins there (an event beats
    a snapshot, failure beats success), with its ``source_rank`` so that the winners of two sets
    of files can be merged (``account_history``).

    Every known account has a "not verified" row at the beginning of time (rank 3), so an
    account with no observation before a post is not verified, while an unknown account has no
    row at all.
    """
    # One equality on action per scan of the events: DuckDB's Parquet reader applies it before
    # it reads the other columns, where an IN list would only serve to skip row groups (1.6x
    # the CPU). A verify event gives two rows from one scan: its account is known (rank 3) and,
    # when it succeeded or failed, its observation (rank 0).
    return winners_sql(f"""(
    SELECT provider_id, account_id, TIMESTAMPTZ '0001-01-01 00:00:00+00' AS since,
           false AS verified, 3 AS source_rank
    FROM (
        SELECT provider_id, account_id FROM {accounts}
        UNION ALL
        SELECT e.provider_id, {_EVENT_ACCOUNT} AS account_id
        FROM {events} AS e
        WHERE e.action = 'register'
    )
    UNION ALL
    SELECT e.provider_id, {_EVENT_ACCOUNT},
           CASE WHEN k.source_rank = 3 THEN TIMESTAMPTZ '0001-01-01 00:00:00+00'
                ELSE e.event_time END,
           k.source_rank = 0 AND e.outcome = 'success',
           k.source_rank
    FROM {events} AS e
    CROSS JOIN (VALUES (0), (3)) AS k(source_rank)
    WHERE e.action = 'verify' AND (k.source_rank = 3 OR e.outcome IN ('success', 'failure'))
    UNION ALL
    SELECT a.provider_id, a.account_id, {as_of_sql("a")},
           coalesce(a.verification_status = 'verified', false), 1
    FROM {accounts} AS a
    UNION ALL
    SELECT a.provider_id, a.account_id, a.verified_at, true, 2
    FROM {accounts} AS a
    WHERE a.verification_status = 'verified' AND a.verified_at <= {as_of_sql("a")}
)""")


def winners_sql(observations: str) -> str:
    """One row per account and instant of ``observations`` (provider_id, account_id, since,
    verified, source_rank): the lowest source_rank wins, then failure (verified false).
    An aggregate, not DISTINCT ON: its ORDER BY would be dropped inside a union."""
    return f"""
SELECT provider_id, account_id, since,
       min(source_rank * 2 + verified::INTEGER) % 2 = 1 AS verified,
       min(source_rank * 2 + verified::INTEGER) // 2 AS source_rank
FROM {observations}
WHERE account_id IS NOT NULL AND since IS NOT NULL
GROUP BY provider_id, account_id, since
"""


def timeline_sql(observations: str) -> str:
    """One row per change of an account's verification state (``TIMELINE_COLUMNS``), from
    ``observations`` (one winner per account and instant, ``observations_sql``)."""
    return f"""
SELECT provider_id, account_id, since, verified
FROM (
    SELECT *, lag(verified) OVER (PARTITION BY provider_id, account_id ORDER BY since) AS before
    FROM {observations}
)
WHERE before IS DISTINCT FROM verified
ORDER BY provider_id, account_id, since
"""


def account_partitions(root: Path, days: Sequence[dt.date] | None = None) -> list[layout.Partition]:
    """The snapshot partitions holding Parquet files (of ``days`` when given); a partition's
    ``event_date`` is its snapshot_date."""
    return layout.list_partitions(root, layout.ACCOUNTS, days)


def snapshot_days(root: Path) -> set[dt.date]:
    return layout.partition_days(root, layout.ACCOUNTS)


def accounts_scan(files: Sequence[Path]) -> str:
    """The accounts in ``files`` with ``ACCOUNT_COLUMNS`` (missing columns read as NULL)."""
    if not files:
        return f"({empty_select(ACCOUNT_COLUMNS)})"
    names = ", ".join(
        f"CAST({quote_identifier(n)} AS {t}) AS {quote_identifier(n)}" for n, t in ACCOUNT_COLUMNS
    )
    scan = parquet_scan(file_list(files), hive=True, date_key=SNAPSHOT_KEY)
    return f"(SELECT {names} FROM {scan})"


def reads_timeline(rules: Sequence[Rule]) -> bool:
    """Whether a rule reads the timeline (directly or through real_name_publishes): building it
    scans the verify and register events of the whole lake, a cost a run without such a rule
    (every real-name rule disabled) does not pay."""
    return any(name in rule.sql for rule in rules for name in TIMELINE_READERS)


def provider_types_sql(events: str) -> str:
    """One row per provider: its type (``provider_types``), from the types its events carry.

    The type is a property of the provider, so a post whose own event leaves provider_type
    empty takes its provider's; a provider whose events name both types gets NULL (its untyped
    posts are not judged: which requirement applies cannot be told).
    """
    return f"""
SELECT provider_id,
       CASE WHEN count(DISTINCT provider_type) = 1 THEN min(provider_type) END AS provider_type
FROM {events}
WHERE provider_type IS NOT NULL
GROUP BY provider_id
"""


def provider_types_file(timeline: Path) -> Path:
    """Where ``write_timeline`` puts the provider types: beside the timeline."""
    return timeline.with_name("provider_types.parquet")


def write_timeline(con: Database, root: Path, days: Sequence[dt.date], target: Path) -> None:
    """Build the timeline into the Parquet file ``target``, sorted by provider and account,
    and the provider types beside it (``provider_types_file``), from the observations of every
    event and snapshot of the providers that have events or snapshots on ``days`` (the others'
    history is of no use to this run), whatever their day. The observations come from the
    account history kept between runs (``account_history``): only files that arrived since the
    last run are read."""
    providers = {p.provider_id for p in layout.list_partitions(root, layout.EVENTS, days)}
    providers |= {p.provider_id for p in account_partitions(root, days)}
    load_history(con, root)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE run_providers AS SELECT unnest($p::VARCHAR[]) AS provider_id",
        {"p": sorted(providers)},
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    for sql, path in (
        (
            timeline_sql(f"(FROM {OBSERVATIONS} SEMI JOIN run_providers USING (provider_id))"),
            target,
        ),
        (
            provider_types_sql(
                f"(FROM {PROVIDER_TYPES} SEMI JOIN run_providers USING (provider_id))"
            ),
            provider_types_file(target),
        ),
    ):
        con.execute(
            f"COPY ({sql}) TO {quote_literal(str(path))} (FORMAT parquet, COMPRESSION zstd)"
        )


def create_account_views(
    con: Database, account_files: Sequence[Path], timeline: Path | None
) -> None:
    """``account_timeline`` (from the run's timeline file) and ``account_rows`` (the snapshot
    rows of the task's partitions, shaped like event rows) in ``con``."""
    for name, path, columns in (
        ("account_timeline", timeline, TIMELINE_COLUMNS),
        (
            "provider_types",
            provider_types_file(timeline) if timeline else None,
            PROVIDER_TYPE_COLUMNS,
        ),
    ):
        if path is not None and path.exists():
            body = f"SELECT * FROM read_parquet({file_list([path])})"
        else:
            body = empty_select(columns)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {body}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW account_rows AS
        SELECT
            a.provider_id,
            a.snapshot_date AS event_date,
            {snapshot_evidence_id_sql("a")} AS event_id,
            {as_of_sql("a")} AS event_time,
            a.account_id AS actor_id,
            'subject' AS actor_type,
            a.account_id AS subject_id,
            1::BIGINT AS record_count,
            ['identity'] AS data_classes,
            ['id_document'] AS data_categories,
            NULL::VARCHAR AS destination_party,
            NULL::DECIMAL(18, 4) AS amount,
            NULL::VARCHAR AS currency,
            a.* EXCLUDE (provider_id)
        FROM {accounts_scan(account_files)} AS a
        """
    )
