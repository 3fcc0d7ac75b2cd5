"""From rule hits to findings, in SQL: grouping, ids, severity, summaries, and the diff.

One finding per (rule_id, provider_id, actor_id, event_date, destination_party). Its
finding_id is ``f-`` + 24 hex digits of md5 over the JSON array of those five values, so the
same finding keeps its id across runs whatever else arrives in the lake.

Severity (docs/detect.md, "Severity"): points for the data (2 when a credential category is touched,
else 1 for any protected class), for the volume (one per ``severity_record_steps`` reached by
record_count) and for the proceeds (1 for any payment, one more per
``severity_proceeds_steps_cny`` reached); 0-1 points is low, 2-3 medium, 4-5 high, 6 or more
critical, and never below the rule's own severity.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..db import parquet_scan, quote_identifier, quote_literal
from ..lake.schema import FINDING_FILE_COLUMNS, PARTITION_COLUMNS, empty_select
from ..vocabulary import severity_list_sql
from .summary import ENGLISH, fill_sql, phrase_columns_sql

# What an "updated" finding is, the one definition detect's diff and nightly's baseline share:
# a finding that keeps its finding_id but of which anything a reader is told has changed -
# severity, category, counts, evidence, data touched, proceeds in CNY (so a changed penalty
# rate updates it), unconverted amounts, first/last seen or the summary. Only the bookkeeping
# columns are left out: finding_id (equal by construction) and detected_at (when auditpipe first
# saw it). A compliance officer re-reads an updated finding, so any change to its content counts.
NOT_CONTENT = ("finding_id", "detected_at")
CONTENT_COLUMNS: list[tuple[str, str]] = [
    (n, t) for n, t in FINDING_FILE_COLUMNS + PARTITION_COLUMNS if n not in NOT_CONTENT
]


def content_fingerprint_sql(alias: str | None = None) -> str:
    """An md5 over a finding's content columns (``CONTENT_COLUMNS``): two versions of a finding
    differ in content exactly when their fingerprints differ.

    Each column is cast to its stored type, and times are taken as UTC microseconds, so the
    fingerprint of a stored finding, of a fresh one and of a snapshot taken by another process
    (another session TimeZone) agree when the content does.
    """
    prefix = f"{alias}." if alias else ""
    fields = []
    for name, typ in CONTENT_COLUMNS:
        value = f"CAST({prefix}{quote_identifier(name)} AS {typ})"
        if typ.startswith("TIMESTAMP"):
            value = f"epoch_us({value})"
        fields.append(f"{quote_literal(name)}: {value}")
    return "md5(to_json({" + ", ".join(fields) + "}))"


def content_struct_sql(alias: str) -> str:
    """A finding's content columns (``CONTENT_COLUMNS``) as one struct, each cast to its stored
    type: two versions of a finding in one session differ in content exactly when their
    structs are DISTINCT (NULLs, lists and instants compare as the fingerprint's JSON does).
    Comparing the structs costs a third of comparing ``content_fingerprint_sql`` (no JSON text,
    no md5); the fingerprint is for comparing with a value stored elsewhere (nightly)."""
    fields = ", ".join(
        f"{quote_literal(n)}: CAST({alias}.{quote_identifier(n)} AS {t})"
        for n, t in CONTENT_COLUMNS
    )
    return "{" + fields + "}"


HITS_TABLE = """
CREATE OR REPLACE TEMP TABLE rule_hits (
    rule_id VARCHAR,
    provider_id VARCHAR,
    event_date DATE,
    event_id VARCHAR,
    event_time TIMESTAMP WITH TIME ZONE,
    actor_id VARCHAR,
    actor_type VARCHAR,
    subject_id VARCHAR,
    record_count BIGINT,
    data_classes VARCHAR[],
    data_categories VARCHAR[],
    destination_party VARCHAR,
    amount DECIMAL(18, 4),
    currency VARCHAR
)
"""


_HIT_COLUMNS = """
    provider_id, event_date, event_id, event_time, actor_id, actor_type, subject_id,
    coalesce(record_count, 1), data_classes, data_categories, destination_party,
    amount, upper(coalesce(nullif(trim(currency), ''), 'CNY'))"""


def rule_rows_sql(rule_sqls: Sequence[str]) -> str:
    """One query returning every rule's rows, tagged with the rule id (``rule_hits`` rows).

    ``in_scope_events`` is materialised once for all rules (DuckDB pushes the rules' filters
    into it, so it keeps only rows some rule can use); each rule is a CTE over it, tagged with
    its position in ``detect_rules``. The rules' SQL is code from rule files, not data.
    """
    ctes = "".join(f",\nrule_{i} AS (\n{sql}\n)" for i, sql in enumerate(rule_sqls))
    selects = "\nUNION ALL\n".join(
        f"SELECT {i} AS rule_index,{_HIT_COLUMNS}\nFROM rule_{i}" for i in range(len(rule_sqls))
    )
    return f"""
WITH in_scope_events AS MATERIALIZED (SELECT * FROM temp.main.in_scope_events){ctes}
SELECT r.rule_id, h.* EXCLUDE (rule_index)
FROM (
{selects}
) AS h
JOIN detect_rules AS r USING (rule_index)
"""


# The largest value of the finding columns that add events up: a total past it (events that
# each claim up to the contract's limits) is stored as it, "at least this much", rather than
# failing detect with an overflow (docs/detect.md, "Severity").
BIGINT_MAX = "9223372036854775807"  # record_count BIGINT
PROCEEDS_MAX = "9999999999999999.99"  # proceeds_cny DECIMAL(18,2)
AMOUNT_MAX = "99999999999999.9999"  # unconverted_amounts[].amount DECIMAL(18,4)

BUILD_FINDINGS = (
    """
CREATE OR REPLACE TEMP TABLE new_findings AS
WITH hits AS (
    -- a user rule may return an event twice (e.g. through a join): it counts once
    SELECT DISTINCT ON (h.rule_id, h.provider_id, h.event_id) h.*, r.cny_per_unit AS rate
    FROM rule_hits AS h
    LEFT JOIN currency_rates AS r ON r.currency = h.currency
),
grouped AS (
    SELECT
        rule_id, provider_id, actor_id, event_date, destination_party,
        min(actor_type) AS actor_type,
        min(event_time) AS first_seen,
        max(event_time) AS last_seen,
        count(*) AS event_count,
        least(sum(record_count), {BIGINT_MAX}) AS record_count,
        count(DISTINCT subject_id) AS subject_count,
        list_sort(list_distinct(flatten(list(data_classes)))) AS data_classes,
        list_sort(list_distinct(flatten(list(data_categories)))) AS data_categories,
        -- one sorted list of (time, id, records), split below: cheaper than two ordered lists
        list_sort(list({'t': event_time, 'id': event_id, 'n': record_count})) AS evidence,
        -- widened first: DECIMAL(18,4) * DECIMAL(18,6) overflows 18 digits from CNY 1e8 on;
        -- to the fen, half up, except that a payment below one fen is one fen: a paid sale
        -- never reads as one without proceeds (docs/detect.md, "Penalty exposure"); a total
        -- past the column is stored as its largest value, "at least this" (PROCEEDS_MAX)
        CASE
            WHEN sum(amount::DECIMAL(38, 4) * rate) FILTER (WHERE amount > 0 AND rate IS NOT NULL) > 0
            THEN least(
                greatest(
                    round(
                        sum(amount::DECIMAL(38, 4) * rate)
                            FILTER (WHERE amount > 0 AND rate IS NOT NULL),
                        2
                    ),
                    0.01
                ),
                {PROCEEDS_MAX}
            )
            ELSE 0
        END::DECIMAL(18, 2) AS proceeds_cny
    FROM hits
    GROUP BY rule_id, provider_id, actor_id, event_date, destination_party
),
unconverted AS (
    SELECT
        rule_id, provider_id, actor_id, event_date, destination_party,
        list({'currency': currency, 'amount': amount} ORDER BY currency)
            ::STRUCT(currency VARCHAR, amount DECIMAL(18, 4))[] AS unconverted_amounts
    FROM (
        SELECT rule_id, provider_id, actor_id, event_date, destination_party, currency,
               least(sum(amount), {AMOUNT_MAX}) AS amount
        FROM hits
        WHERE amount > 0 AND rate IS NULL
        GROUP BY ALL
    )
    GROUP BY ALL
),
scored AS (
    SELECT
        g.*,
        coalesce(u.unconverted_amounts, []) AS unconverted_amounts,
        r.category,
        r.severity_rank AS rule_severity_rank,
        r.summary_template,
        list_has_any(g.data_categories, s.credential_categories) AS has_credential,
        CASE
            WHEN list_has_any(g.data_categories, s.credential_categories) THEN 2
            WHEN list_has_any(g.data_classes, s.protected_classes) THEN 1
            ELSE 0
        END
        + (g.record_count >= s.severity_record_steps[1])::INTEGER
        + (g.record_count >= s.severity_record_steps[2])::INTEGER
        + (g.record_count >= s.severity_record_steps[3])::INTEGER
        + (g.proceeds_cny > 0 OR len(coalesce(u.unconverted_amounts, [])) > 0)::INTEGER
        + (g.proceeds_cny >= s.severity_proceeds_steps_cny[1])::INTEGER
        + (g.proceeds_cny >= s.severity_proceeds_steps_cny[2])::INTEGER
            AS severity_points,
        s.protected_classes,
        s.bulk_threshold,
        s.max_accounts_per_identity
    FROM grouped AS g
    JOIN detect_rules AS r USING (rule_id)
    CROSS JOIN detect_settings AS s
    LEFT JOIN unconverted AS u
        ON u.rule_id = g.rule_id
       AND u.provider_id = g.provider_id
       AND u.actor_id IS NOT DISTINCT FROM g.actor_id
       AND u.event_date = g.event_date
       AND u.destination_party IS NOT DISTINCT FROM g.destination_party
),
phrased AS (
    SELECT
        *,{PHRASES}
    FROM scored
)
SELECT
    'f-' || substr(
        md5(to_json([rule_id, provider_id, actor_id, CAST(event_date AS VARCHAR), destination_party])),
        1, 24
    ) AS finding_id,
    rule_id,
    category,
    {SEVERITY_LIST}[
        greatest(
            CASE
                WHEN severity_points >= 6 THEN 4
                WHEN severity_points >= 4 THEN 3
                WHEN severity_points >= 2 THEN 2
                ELSE 1
            END,
            rule_severity_rank
        )
    ] AS severity,
    actor_id,
    actor_type,
    first_seen,
    last_seen,
    event_count,
    record_count,
    subject_count,
    data_classes,
    data_categories,
    destination_party,
    proceeds_cny,
    unconverted_amounts,
    list_transform(evidence, lambda x: x.id) AS evidence_event_ids,
    list_transform(evidence, lambda x: x.n) AS evidence_record_counts,
    {SUMMARY} AS summary,
    provider_id,
    event_date
FROM phrased
""".replace("{SEVERITY_LIST}", severity_list_sql())
    .replace("{BIGINT_MAX}", BIGINT_MAX)
    .replace("{PROCEEDS_MAX}", PROCEEDS_MAX)
    .replace("{AMOUNT_MAX}", AMOUNT_MAX)
    .replace("{PHRASES}", phrase_columns_sql(ENGLISH))
    .replace("{SUMMARY}", fill_sql(ENGLISH, "summary_template"))
)


def old_findings_sql(files_sql: str | None) -> str:
    """``old_findings``: the stored findings of the evaluated days, with their file names."""
    cols = ", ".join(
        f"CAST({quote_identifier(n)} AS {t}) AS {quote_identifier(n)}"
        for n, t in FINDING_FILE_COLUMNS + PARTITION_COLUMNS
    )
    if files_sql is None:
        return "CREATE OR REPLACE TEMP TABLE old_findings AS " + empty_select(
            [*FINDING_FILE_COLUMNS, *PARTITION_COLUMNS, ("filename", "VARCHAR")]
        )
    return (
        f"CREATE OR REPLACE TEMP TABLE old_findings AS SELECT {cols}, filename "
        f"FROM {parquet_scan(files_sql, hive=True, filename=True)}"
    )


# Status of every finding of the evaluated days: new, updated, unchanged or removed; the
# stored rows to write keep the first detected_at of a finding that already existed.
DIFF_FINDINGS = f"""
CREATE OR REPLACE TEMP TABLE finding_status AS
SELECT
    coalesce(n.finding_id, o.finding_id) AS finding_id,
    coalesce(n.provider_id, o.provider_id) AS provider_id,
    coalesce(n.event_date, o.event_date) AS event_date,
    coalesce(n.severity, o.severity) AS severity,
    CASE
        WHEN o.finding_id IS NULL THEN 'new'
        WHEN n.finding_id IS NULL THEN 'removed'
        WHEN {content_struct_sql("n")} IS DISTINCT FROM {content_struct_sql("o")} THEN 'updated'
        ELSE 'unchanged'
    END AS status,
    o.detected_at AS old_detected_at
FROM new_findings AS n
FULL OUTER JOIN (SELECT DISTINCT ON (finding_id) * FROM old_findings) AS o
    ON n.finding_id = o.finding_id
"""

# Partitions whose files must be replaced: anything in them is new, updated or removed.
CHANGED_PARTITIONS = """
CREATE OR REPLACE TEMP TABLE changed_partitions AS
SELECT DISTINCT provider_id, event_date FROM finding_status WHERE status <> 'unchanged'
UNION
-- a stored partition holding a finding twice (never written by auditpipe) is rewritten clean
SELECT provider_id, event_date FROM old_findings GROUP BY provider_id, event_date, finding_id
HAVING count(*) > 1
"""


def rows_to_write_sql() -> str:
    """The rows of the partitions to replace, as they are stored (unordered: the COPY that
    writes them sorts)."""
    return f"""
{_stored_rows_sql()}
SEMI JOIN changed_partitions AS c
    ON c.provider_id = n.provider_id AND c.event_date = n.event_date
"""


def findings_after_run_sql() -> str:
    """Every finding of the evaluated days as the lake holds it once the run is committed (the
    ``findings`` view's columns): what the run computed, with the first detected_at of a
    finding that already existed. A stored partition whose content differed from this in any
    way was rewritten, so this equals its files, content for content, without reading them."""
    return _stored_rows_sql()


def _stored_rows_sql() -> str:
    cols = ", ".join(
        "coalesce(s.old_detected_at, (SELECT detected_at FROM run_clock)) AS detected_at"
        if n == "detected_at"
        else f"CAST(n.{quote_identifier(n)} AS {t}) AS {quote_identifier(n)}"
        for n, t in FINDING_FILE_COLUMNS + PARTITION_COLUMNS
    )
    return f"""
SELECT {cols}
FROM new_findings AS n
JOIN finding_status AS s USING (finding_id)"""
