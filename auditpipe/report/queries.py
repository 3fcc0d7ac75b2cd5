"""The report's SQL: each query over the lake's views (or the staged ``report_findings`` and
``report_evidence`` tables) names its columns after the model's fields, so ``build.py`` reads
every row by name. Parameters are bound (``$since``, ``$until``, ``$provider``...).
"""

from __future__ import annotations

from .masking import FINDING_MASKS, masked_by_value_sql

IN_PERIOD = (
    "event_date BETWEEN $since AND $until AND ($provider IS NULL OR provider_id = $provider)"
)

# Each provider's first and last day with anything to report: events, stored findings, or
# account snapshots (detect evaluates a snapshot's day, and its real-name findings are dated
# there, events or not).
LAKE_DAYS = """
SELECT provider_id, event_date AS day FROM events
UNION ALL SELECT provider_id, event_date FROM findings
UNION ALL SELECT provider_id, snapshot_date FROM accounts
"""
LAKE_PROVIDERS = f"""
SELECT provider_id, min(day), max(day)
FROM ({LAKE_DAYS})
GROUP BY provider_id
ORDER BY provider_id
"""
# Is there anything to report in the period: findings or snapshots (events are counted apart)?
PERIOD_HAS_FINDINGS_OR_SNAPSHOTS = """
SELECT EXISTS (
    SELECT 1 FROM findings
    WHERE event_date BETWEEN $since AND $until
      AND ($provider IS NULL OR provider_id = $provider)
) OR EXISTS (
    SELECT 1 FROM accounts
    WHERE snapshot_date BETWEEN $since AND $until
      AND ($provider IS NULL OR provider_id = $provider)
)
"""

# The period's events read once, counted per provider, day and input file: coverage and the
# provenance's input files (provenance.INPUT_FILES) both start from this small table.
STAGE_EVENT_FILES = f"""
CREATE OR REPLACE TEMP TABLE report_event_files AS
SELECT
    provider_id,
    event_date,
    source_sha256,
    count(*) AS events,
    sum(record_count) AS records,
    count(*) FILTER (WHERE outcome = 'failure') AS failed_events,
    min(event_time) AS first_event,
    max(event_time) AS last_event
FROM events
WHERE {IN_PERIOD}
GROUP BY ALL
"""

COVERAGE = """
WITH per AS (
    SELECT
        provider_id,
        coalesce(sum(events), 0)::BIGINT AS events,
        coalesce(sum(records), 0) AS records,
        coalesce(sum(failed_events), 0)::BIGINT AS failed_events,
        count(DISTINCT event_date) AS days_with_events,
        min(event_date) AS first_event_date,
        max(event_date) AS last_event_date,
        min(first_event) AS first_event,
        max(last_event) AS last_event,
        list(DISTINCT provider_id ORDER BY provider_id) AS providers,
        GROUPING(provider_id) AS is_total
    FROM report_event_files
    GROUP BY GROUPING SETS ((provider_id), ())
),
files AS (SELECT DISTINCT source_sha256 FROM report_event_files),
quarantined AS (
    SELECT q.provider_id, count(*) AS rows, GROUPING(q.provider_id) AS is_total
    FROM quarantine AS q
    SEMI JOIN files AS f ON f.source_sha256 = q.source_sha256
    WHERE $provider IS NULL OR q.provider_id = $provider OR q.provider_id IS NULL
    GROUP BY GROUPING SETS ((q.provider_id), ())
)
SELECT per.*, coalesce(q.rows, 0) AS quarantined_rows,
    coalesce((SELECT rows FROM quarantined WHERE is_total = 0 AND provider_id IS NULL), 0)
        AS quarantined_rows_no_provider
FROM per
LEFT JOIN quarantined AS q
    ON q.is_total = per.is_total AND q.provider_id IS NOT DISTINCT FROM per.provider_id
ORDER BY per.is_total DESC, per.provider_id
"""

LAKE_TOTALS = """
SELECT
    (SELECT count(*) FROM quarantine) AS quarantined_rows_lake,
    (SELECT count(*) FILTER (WHERE status = 'ingested') FROM ingest_log) AS files_ingested,
    (SELECT count(*) FILTER (WHERE status = 'rejected') FROM ingest_log) AS files_rejected
"""


def report_findings_sql(source: str = "findings") -> str:
    """``report_findings``: the period's findings read from ``source`` (``findings``, or the
    same with summaries in the report's language: ``summaries.findings_source``), in its
    order, with the severity and category ranks; the columns as shown (actor_shown,
    party_shown, summary_shown) are NULL until ``SHOW_FINDINGS`` fills them."""
    return f"""
CREATE OR REPLACE TEMP TABLE report_findings AS
SELECT
    f.*,
    NULL::VARCHAR AS actor_shown,
    NULL::VARCHAR AS party_shown,
    NULL::VARCHAR AS summary_shown,
    list_position($severities, severity) AS severity_rank,
    list_position($categories, category) AS category_rank
FROM {source} AS f
WHERE {IN_PERIOD}
"""


# Masked ids that read the same (13812345678 and 13899995678 are both 138****5678) are told
# apart in a report by a number after the mask, ``138****5678 #1``, ``#2``, in the order the
# actors were first seen (then by id): the same actor has the same number in every table of the
# report. An id the mask leaves as it is gets none; unmasked reports need none. Destination
# parties likewise (``buyer 139****5678 #1``). CTEs over ``masked``, the period's findings
# with their masks (``SHOW_FINDINGS``).
NUMBERING = """actors AS (
    SELECT provider_id, actor_id, actor_type, any_value(actor_shown) AS shown,
           min(first_seen) AS first_seen
    FROM masked
    WHERE actor_shown IS DISTINCT FROM actor_id
    GROUP BY provider_id, actor_id, actor_type
),
numbered AS (
    SELECT provider_id, actor_id, actor_type,
           shown || ' #' || row_number() OVER (
               PARTITION BY provider_id, shown ORDER BY first_seen, actor_id, actor_type
           ) AS numbered,
           count(*) OVER (PARTITION BY provider_id, shown) AS sharing
    FROM actors
),
-- parties the same way, across providers (the top parties table groups them so)
parties AS (
    SELECT destination_party, any_value(party_shown) AS shown, min(first_seen) AS first_seen
    FROM masked
    WHERE party_shown IS DISTINCT FROM destination_party
    GROUP BY destination_party
),
numbered_parties AS (
    SELECT destination_party,
           shown || ' #' || row_number() OVER (
               PARTITION BY shown ORDER BY first_seen, destination_party
           ) AS numbered,
           count(*) OVER (PARTITION BY shown) AS sharing
    FROM parties
)"""

# The columns of ``report_findings`` as shown: masked unless ``$unmask`` (the masks computed
# once per distinct value: ``masked_by_value_sql``), and a shared mask numbered (``NUMBERING``). Set in
# place, by row id, so the table keeps its rows and their order: building it again with these
# columns cost a sort of every finding's row (0.17 s for 35,000) to keep that order.
SHOW_FINDINGS = f"""
UPDATE report_findings AS r
SET actor_shown = s.actor_shown, party_shown = s.party_shown, summary_shown = s.summary_shown
FROM (
    WITH masked AS (
{
    masked_by_value_sql(
        "(SELECT rowid AS finding_row, provider_id, actor_id, actor_type, destination_party, "
        "summary, first_seen FROM report_findings)",
        FINDING_MASKS,
    )
}
    ),
    {NUMBERING}
    SELECT
        f.finding_row,
        coalesce(n.numbered, f.actor_shown) AS actor_shown,
        coalesce(p.numbered, f.party_shown) AS party_shown,
        f.summary_shown
    FROM masked AS f
    LEFT JOIN numbered AS n
        ON n.sharing > 1
       AND n.provider_id = f.provider_id
       AND n.actor_id IS NOT DISTINCT FROM f.actor_id
       AND n.actor_type IS NOT DISTINCT FROM f.actor_type
    LEFT JOIN numbered_parties AS p
        ON p.sharing > 1 AND p.destination_party = f.destination_party
) AS s
WHERE r.rowid = s.finding_row
"""


# One row per finding and evidence event, with that event's record_count.
REPORT_EVIDENCE = """
CREATE OR REPLACE TEMP TABLE report_evidence AS
SELECT
    finding_id, provider_id, event_date, category, severity, actor_id, actor_type,
    destination_party,
    unnest(evidence_event_ids) AS event_id,
    unnest(evidence_record_counts) AS record_count
FROM report_findings
"""

TOTALS = """
SELECT
    (SELECT count(*) FROM report_findings) AS findings,
    count(*) AS events,
    coalesce(sum(record_count), 0) AS records,
    (SELECT coalesce(sum(proceeds_cny) FILTER (WHERE category = 'selling'), 0)
        FROM report_findings) AS proceeds_cny,
    (SELECT count(DISTINCT provider_id) FROM report_findings) AS providers_with_findings,
    (SELECT count(*) FILTER (WHERE evidence_record_counts IS NULL) FROM report_findings)
        AS missing_counts
FROM (SELECT DISTINCT provider_id, event_id, record_count FROM report_evidence)
"""


def tally_sql(key: str, order: str) -> str:
    """Findings, distinct evidence events and their records per ``key`` (a column name)."""
    return f"""
WITH f AS (
    SELECT
        {key} AS key,
        count(*) AS findings,
        coalesce(sum(proceeds_cny) FILTER (WHERE category = 'selling'), 0) AS proceeds,
        histogram(severity) AS by_severity,
        histogram(category) AS by_category
    FROM report_findings
    GROUP BY {key}
),
e AS (
    SELECT key, count(*) AS events, coalesce(sum(record_count), 0) AS records
    FROM (SELECT DISTINCT {key} AS key, provider_id, event_id, record_count FROM report_evidence)
    GROUP BY key
)
SELECT f.key, f.findings, coalesce(e.events, 0) AS events, coalesce(e.records, 0) AS records,
       f.proceeds AS proceeds_cny, f.by_severity, f.by_category
FROM f
LEFT JOIN e ON e.key IS NOT DISTINCT FROM f.key
ORDER BY {order}
"""


PER_DAY = """
WITH f AS (
    SELECT event_date, category, count(*) AS findings
    FROM report_findings
    GROUP BY ALL
),
e AS (
    SELECT event_date, category, count(*) AS events, coalesce(sum(record_count), 0) AS records
    FROM (SELECT DISTINCT event_date, category, provider_id, event_id, record_count
          FROM report_evidence)
    GROUP BY ALL
)
SELECT f.event_date, f.category, f.findings, coalesce(e.events, 0) AS events,
       coalesce(e.records, 0) AS records
FROM f
LEFT JOIN e USING (event_date, category)
ORDER BY f.event_date, list_position($categories, f.category)
"""

# records_affected: as the penalty exposure counts them (penalty.py), without the evidence of
# real-name findings (posts, snapshot rows), so that the records chart adds up to the figure
# the report states as records affected.
DAY_TOTALS = """
WITH f AS (SELECT event_date, count(*) AS findings FROM report_findings GROUP BY ALL),
e AS (
    SELECT event_date, count(*) AS events, coalesce(sum(record_count), 0) AS records
    FROM (SELECT DISTINCT event_date, provider_id, event_id, record_count FROM report_evidence)
    GROUP BY ALL
),
a AS (
    SELECT event_date, coalesce(sum(record_count), 0) AS records_affected
    FROM (
        SELECT DISTINCT event_date, provider_id, event_id, record_count
        FROM report_evidence
        WHERE category <> $real_name
    )
    GROUP BY ALL
)
SELECT f.event_date, f.findings, coalesce(e.events, 0) AS events,
       coalesce(e.records, 0) AS records,
       coalesce(a.records_affected, 0) AS records_affected
FROM f
LEFT JOIN e USING (event_date)
LEFT JOIN a USING (event_date)
ORDER BY f.event_date
"""

TOP_ACTORS = """
WITH f AS (
    SELECT
        provider_id, actor_id, actor_type,
        any_value(actor_shown) AS shown,
        count(*) AS findings,
        list_sort(list_distinct(list(category_rank))) AS category_ranks,
        max(severity_rank) AS top_rank
    FROM report_findings
    GROUP BY provider_id, actor_id, actor_type
),
e AS (
    SELECT provider_id, actor_id, actor_type, count(*) AS events,
           coalesce(sum(record_count), 0) AS records
    FROM (SELECT DISTINCT provider_id, actor_id, actor_type, event_id, record_count
          FROM report_evidence)
    GROUP BY ALL
)
SELECT
    f.provider_id, f.shown AS actor_id, f.actor_type, f.findings,
    coalesce(e.events, 0) AS events, coalesce(e.records, 0) AS records,
    list_transform(f.category_ranks, lambda r: $categories[r]) AS categories,
    $severities[f.top_rank] AS top_severity
FROM f
LEFT JOIN e
    ON e.provider_id = f.provider_id
   AND e.actor_id IS NOT DISTINCT FROM f.actor_id
   AND e.actor_type IS NOT DISTINCT FROM f.actor_type
ORDER BY f.top_rank DESC, coalesce(e.records, 0) DESC, f.findings DESC, f.provider_id, f.shown
LIMIT $top_n
"""

TOP_PARTIES = """
WITH f AS (
    SELECT
        destination_party,
        any_value(party_shown) AS shown,
        list_sort(list_distinct(list(provider_id))) AS providers,
        count(*) AS findings,
        coalesce(sum(proceeds_cny) FILTER (WHERE category = 'selling'), 0) AS proceeds,
        list_sort(list_distinct(list(category_rank))) AS category_ranks,
        max(severity_rank) AS top_rank
    FROM report_findings
    WHERE destination_party IS NOT NULL
    GROUP BY destination_party
),
e AS (
    SELECT destination_party, count(*) AS events, coalesce(sum(record_count), 0) AS records
    FROM (SELECT DISTINCT destination_party, provider_id, event_id, record_count
          FROM report_evidence WHERE destination_party IS NOT NULL)
    GROUP BY ALL
)
SELECT
    f.shown AS destination_party, f.providers, f.findings, coalesce(e.events, 0) AS events,
    coalesce(e.records, 0) AS records, f.proceeds AS proceeds_cny,
    list_transform(f.category_ranks, lambda r: $categories[r]) AS categories,
    $severities[f.top_rank] AS top_severity
FROM f
LEFT JOIN e USING (destination_party)
ORDER BY f.top_rank DESC, f.proceeds DESC, coalesce(e.records, 0) DESC, f.findings DESC, f.shown
LIMIT $top_n
"""

# Every finding of the period as FindingRow's columns (masked), in report order: the findings
# list reads their JSON objects in this order (``finding_list.fetch_findings``).
FINDING_ROWS = """
SELECT
    finding_id, rule_id, category, severity, provider_id, event_date,
    actor_shown AS actor_id, actor_type, party_shown AS destination_party,
    first_seen, last_seen, event_count, record_count, subject_count,
    coalesce(data_classes, []) AS data_classes,
    coalesce(data_categories, []) AS data_categories,
    coalesce(proceeds_cny, 0) AS proceeds_cny,
    map(
        list_transform(coalesce(unconverted_amounts, []), lambda u: u.currency),
        list_transform(coalesce(unconverted_amounts, []), lambda u: u.amount)
    ) AS unconverted_amounts,
    coalesce(summary_shown, '') AS summary,
    len(coalesce(evidence_event_ids, [])) AS evidence_count,
    coalesce(evidence_event_ids[1:$evidence_ids], []) AS evidence_sample,
    replace($template, '<finding_id>', finding_id) AS evidence_sql,
    severity_rank,
    category_rank
FROM report_findings
"""
FINDINGS_ORDER = "severity_rank DESC, event_date, provider_id, category_rank, rule_id, finding_id"
