"""The report's "Real-name registration" section: per provider, how compliant it is day by day.

Counted in DuckDB like every other section (``build.py``), from three sources:

- **posts**: the period's successful ``publish`` events by users (actor_type subject) at
  information service providers (provider_type iisp: the event's, else its provider's, as
  detect reads it), the posts the
  real-name requirement covers;
- **unverified posts**: the evidence of the stored ``real_name_unverified_publish`` findings
  (so this section always agrees with the findings; run detect after new data);
- **unknown posts**: posts by accounts that appear in no snapshot and no register or verify
  event anywhere in the lake: a data gap, reported here and never as a finding (it has no
  fine, must not trip ``--fail-on``, and shrinks as the provider delivers more data).

Verified posts are the rest; the daily **compliance rate** is verified / (verified +
unverified): posts by unknown accounts are left out of the rate and shown beside it.
Account ids are masked (``mask_id``) unless the report is unmasked; an identity is shown only as
``identity:`` and the first 8 hex digits of its keyed hash, a pseudonym that cannot be reversed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..detect.real_name import provider_types_sql
from ..lake.views import snapshot_evidence_id_sql
from .model import (
    InvalidVerification,
    RealNameDay,
    RealNameSection,
    SharedIdentity,
    UnverifiedPublisher,
)

if TYPE_CHECKING:
    from ..db import Database
    from ..detect.account_history import CachedHistory

UNVERIFIED_RULE = "real_name_unverified_publish"
INVALID_RULE = "real_name_invalid_verification"
SHARED_RULE = "real_name_shared_identity"
# how many accounts each list shows per provider (the findings list has every one)
LISTED = 20

_IN_PERIOD = (
    "event_date BETWEEN $since AND $until AND ($provider IS NULL OR provider_id = $provider)"
)

# Accounts the lake knows of, at any time: the same definition detect uses for "known".
KNOWN_ACCOUNTS = """
SELECT DISTINCT provider_id, account_id FROM (
    SELECT provider_id, account_id FROM accounts
    UNION ALL
    SELECT provider_id, coalesce(nullif(trim(subject_id), ''), actor_id)
    FROM events
    WHERE action IN ('register', 'verify')
)
WHERE account_id IS NOT NULL
"""


def stage_posts_sql(types: str) -> str:
    """``report_posts``: users' successful posts of the period, each with its provider type
    resolved as detect does, read once (the sections below all start from it). ``types``: a
    relation whose (provider_id, provider_type) rows are the types the events name: the
    events themselves, or the account history's distinct pairs (the same types, without
    scanning every event of the lake for them)."""
    in_period = _IN_PERIOD.replace("event_date", "e.event_date").replace(
        "provider_id", "e.provider_id"
    )
    return f"""
CREATE OR REPLACE TEMP TABLE report_posts AS
SELECT e.provider_id, e.event_date, e.event_id, e.actor_id,
       coalesce(e.provider_type, t.provider_type) AS provider_type
FROM events AS e
LEFT JOIN ({provider_types_sql(types)}) AS t ON t.provider_id = e.provider_id
WHERE {in_period}
  AND e.action = 'publish' AND e.actor_type = 'subject' AND e.outcome = 'success'
"""


def stage_known_sql(known: str) -> str:
    """``report_known_posters``: the accounts of ``known`` (a relation) that posted."""
    return f"""
CREATE OR REPLACE TEMP TABLE report_known_posters AS
SELECT k.provider_id, k.account_id
FROM {known} AS k
SEMI JOIN report_posts AS p ON p.provider_id = k.provider_id AND p.actor_id = k.account_id
"""


DAYS = f"""
WITH posts AS (SELECT * FROM report_posts WHERE provider_type = 'iisp'),
known AS (SELECT * FROM report_known_posters),
flagged AS (
    SELECT DISTINCT provider_id, unnest(evidence_event_ids) AS event_id
    FROM report_findings
    WHERE rule_id = '{UNVERIFIED_RULE}'
)
SELECT
    p.provider_id,
    p.event_date,
    count(*) AS posts,
    count(*) FILTER (WHERE k.account_id IS NOT NULL AND f.event_id IS NULL) AS verified_posts,
    count(*) FILTER (WHERE f.event_id IS NOT NULL) AS unverified_posts,
    count(*) FILTER (WHERE k.account_id IS NULL AND f.event_id IS NULL) AS unknown_posts,
    count(DISTINCT p.actor_id) FILTER (WHERE k.account_id IS NULL AND f.event_id IS NULL)
        AS unknown_accounts_day
FROM posts AS p
LEFT JOIN known AS k ON k.provider_id = p.provider_id AND k.account_id = p.actor_id
LEFT JOIN flagged AS f ON f.provider_id = p.provider_id AND f.event_id = p.event_id
GROUP BY ALL
ORDER BY p.provider_id, p.event_date
"""

UNKNOWN_ACCOUNTS = """
SELECT p.provider_id, count(DISTINCT p.actor_id) AS unknown_accounts
FROM report_posts AS p
ANTI JOIN report_known_posters AS k
    ON k.provider_id = p.provider_id AND k.account_id = p.actor_id
WHERE p.provider_type = 'iisp'
GROUP BY p.provider_id
"""

# Providers the section covers: those with judged posts, real-name findings or snapshots.
PROVIDERS = """
SELECT provider_id, list(DISTINCT provider_type ORDER BY provider_type)
    FILTER (WHERE provider_type IS NOT NULL) AS provider_types
FROM (
    SELECT provider_id, provider_type FROM report_posts
    UNION ALL
    SELECT provider_id, NULL FROM report_findings WHERE category = 'real_name'
    UNION ALL
    SELECT provider_id, NULL FROM accounts
    WHERE snapshot_date BETWEEN $since AND $until
      AND ($provider IS NULL OR provider_id = $provider)
)
GROUP BY provider_id
ORDER BY provider_id
"""

UNVERIFIED = f"""
SELECT
    provider_id,
    -- masked as the report masks actors (a shared mask numbered: queries.NUMBERING)
    any_value(actor_shown) AS account_id,
    count(*) AS days,
    sum(event_count) AS posts,
    min(first_seen) AS first_post,
    max(last_seen) AS last_post,
    row_number() OVER (PARTITION BY provider_id ORDER BY sum(event_count) DESC, actor_id) AS n,
    count(*) OVER (PARTITION BY provider_id) AS publishers
FROM report_findings
WHERE rule_id = '{UNVERIFIED_RULE}'
GROUP BY provider_id, actor_id
QUALIFY n <= {LISTED}
ORDER BY provider_id, n
"""

INVALID = f"""
WITH f AS (
    SELECT provider_id, actor_id, actor_shown, event_date,
           unnest(evidence_event_ids) AS evidence_id
    FROM report_findings
    WHERE rule_id = '{INVALID_RULE}'
),
rows AS (
    SELECT f.provider_id, f.actor_id, f.actor_shown, f.event_date, a.id_number_valid,
           a.id_number_problem,
           a.verification_method
    FROM f
    LEFT JOIN accounts AS a
        ON a.provider_id = f.provider_id
       AND a.snapshot_date = f.event_date
       AND {snapshot_evidence_id_sql("a")} = f.evidence_id
)
SELECT
    provider_id,
    -- masked as the report masks actors (a shared mask numbered: queries.NUMBERING)
    any_value(actor_shown) AS account_id,
    -- problem keys, joined by ',': the ingest check that failed, and/or no_method
    arg_max(
        concat_ws(',',
            CASE WHEN id_number_valid = false THEN coalesce(id_number_problem, 'format') END,
            CASE WHEN nullif(trim(verification_method), '') IS NULL THEN 'no_method' END),
        event_date
    ) AS problem,
    count(DISTINCT event_date) AS snapshots,
    max(event_date) AS last_snapshot,
    row_number() OVER (PARTITION BY provider_id ORDER BY max(event_date) DESC, actor_id) AS n,
    count(*) OVER (PARTITION BY provider_id) AS total
FROM rows
GROUP BY provider_id, actor_id
QUALIFY n <= {LISTED}
ORDER BY provider_id, n
"""

SHARED = f"""
SELECT
    provider_id,
    left(actor_id, length('identity:') + 8) || '…' AS identity,
    arg_max(subject_count, event_date) AS accounts,
    count(*) AS snapshots,
    max(event_date) AS last_snapshot,
    row_number() OVER (
        PARTITION BY provider_id ORDER BY arg_max(subject_count, event_date) DESC, actor_id
    ) AS n,
    count(*) OVER (PARTITION BY provider_id) AS total
FROM report_findings
WHERE rule_id = '{SHARED_RULE}'
GROUP BY provider_id, actor_id
QUALIFY n <= {LISTED}
ORDER BY provider_id, n
"""


def _records(con: Database, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def rate(verified: int, unverified: int) -> float | None:
    """The compliance rate: verified / (verified + unverified), None with no judged posts."""
    judged = verified + unverified
    return verified / judged if judged else None


def real_name_sections(
    con: Database, params: dict[str, Any], history: CachedHistory | None = None
) -> list[RealNameSection]:
    """One section per provider with users' posts, real-name findings or snapshots in the
    period (``params``: since, until, provider, unmask); ``report_findings`` must be staged.

    ``history``: the lake's known accounts and provider types as detect's account history
    holds them for exactly the files the views read (``account_history.cached_history``);
    without it, or if it cannot be read (a detect replacing it meanwhile), the events and
    snapshots are scanned for them (``KNOWN_ACCOUNTS``, the events' types), with the same
    result."""
    import duckdb

    period = {k: v for k, v in params.items() if k in ("since", "until", "provider")}
    staged = False
    if history is not None:
        try:
            con.execute(stage_posts_sql(history.provider_types), period)
            con.execute(stage_known_sql(history.known_accounts))
            staged = True
        except duckdb.Error:
            pass  # the history was replaced meanwhile: scan instead
    if not staged:
        con.execute(stage_posts_sql("events"), period)
        con.execute(stage_known_sql(f"({KNOWN_ACCOUNTS})"))
    days: dict[str, list[RealNameDay]] = {}
    for r in _records(con, DAYS, params):
        days.setdefault(r["provider_id"], []).append(
            RealNameDay(
                event_date=r["event_date"],
                posts=r["posts"],
                verified_posts=r["verified_posts"],
                unverified_posts=r["unverified_posts"],
                unknown_posts=r["unknown_posts"],
                compliance_rate=rate(r["verified_posts"], r["unverified_posts"]),
            )
        )
    unknown = {
        r["provider_id"]: r["unknown_accounts"] for r in _records(con, UNKNOWN_ACCOUNTS, params)
    }
    unverified: dict[str, list[dict[str, Any]]] = {}
    for r in _records(con, UNVERIFIED, params):
        unverified.setdefault(r["provider_id"], []).append(r)
    invalid: dict[str, list[dict[str, Any]]] = {}
    for r in _records(con, INVALID, params):
        invalid.setdefault(r["provider_id"], []).append(r)
    shared: dict[str, list[dict[str, Any]]] = {}
    for r in _records(con, SHARED, params):
        shared.setdefault(r["provider_id"], []).append(r)
    sections = []
    for r in _records(con, PROVIDERS, params):
        p = r["provider_id"]
        per_day = days.get(p, [])
        verified = sum(d.verified_posts for d in per_day)
        flagged = sum(d.unverified_posts for d in per_day)
        types = list(r["provider_types"] or [])
        sections.append(
            RealNameSection(
                provider_id=p,
                provider_types=types,
                applies="iisp" in types or not types,
                posts=sum(d.posts for d in per_day),
                verified_posts=verified,
                unverified_posts=flagged,
                unknown_posts=sum(d.unknown_posts for d in per_day),
                compliance_rate=rate(verified, flagged),
                unverified_publishers=unverified[p][0]["publishers"] if p in unverified else 0,
                unknown_accounts=unknown.get(p, 0),
                invalid_verifications=invalid[p][0]["total"] if p in invalid else 0,
                shared_identities=shared[p][0]["total"] if p in shared else 0,
                days=per_day,
                unverified=[
                    UnverifiedPublisher(
                        account_id=u["account_id"],
                        days=u["days"],
                        posts=int(u["posts"]),
                        first_post=u["first_post"],
                        last_post=u["last_post"],
                    )
                    for u in unverified.get(p, [])
                ],
                invalid=[
                    InvalidVerification(
                        account_id=i["account_id"],
                        problem=i["problem"] or "",
                        snapshots=i["snapshots"],
                        last_snapshot=i["last_snapshot"],
                    )
                    for i in invalid.get(p, [])
                ],
                shared=[
                    SharedIdentity(
                        identity=s["identity"],
                        accounts=s["accounts"],
                        snapshots=s["snapshots"],
                        last_snapshot=s["last_snapshot"],
                    )
                    for s in shared.get(p, [])
                ],
            )
        )
    return sections
