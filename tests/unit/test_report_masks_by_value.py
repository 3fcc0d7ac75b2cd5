"""The report stages its findings with each mask computed once per distinct value
(``masking.masked_by_value_sql``) and set in place (``queries.SHOW_FINDINGS``). What it shows
must be what masking every row in place shows (``masked_source_sql``, the definition the
findings commands use), numbered the same way, in the same rows and the same order."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.lake.schema import FINDING_COLUMNS, empty_select
from auditpipe.report import queries as q
from auditpipe.report.build import CATEGORIES, SEVERITIES, stage_findings
from auditpipe.report.masking import FINDING_MASKS, create_mask_macros, masked_source_sql
from auditpipe.report.model import Period

DAY = dt.date(2026, 3, 1)
PERIOD = Period(since=DAY, until=DAY, requested_since=None, requested_until=None)

# Values that mask differently (or not at all), share a mask (13812345678 and 13899995678 are
# both 138****5678), are NULL or empty, and summaries that hold them.
IDS = st.sampled_from(
    [None, "", "ab", "alice-01", "13812345678", "13899995678", "110105194912310021", "u7"]
)
PARTIES = st.sampled_from([None, "acme", "buyer 13812345678", "buyer 13899995678", "x 9"])
TYPES = st.sampled_from([None, "subject", "employee", "service"])


@st.composite
def findings(draw: st.DrawFn) -> dict[str, Any]:
    actor = draw(IDS)
    words = draw(st.lists(st.sampled_from(["read", "13812345678", "by", actor or "x"]), max_size=4))
    return {
        "actor_id": actor,
        "actor_type": draw(TYPES),
        "party": draw(PARTIES),
        "summary": draw(st.one_of(st.none(), st.just(" ".join(words)))),
        "provider": draw(st.sampled_from(["p1", "p2"])),
        "day": draw(st.sampled_from([DAY, DAY + dt.timedelta(days=1)])),  # the 2nd is outside
        "minute": draw(st.integers(0, 3)),
    }


@functools.cache
def _connection() -> Any:
    import duckdb

    con = duckdb.connect()
    create_mask_macros(con)
    return con


# The findings masked row by row, numbered, as the report staged them before (one statement
# over masked_source_sql); compared by finding id, the order checked apart.
REFERENCE = f"""
WITH masked AS (
    SELECT * FROM {masked_source_sql("findings", FINDING_MASKS)} WHERE {q.IN_PERIOD}
),
{q.NUMBERING}
SELECT f.* REPLACE (
    coalesce(n.numbered, f.actor_shown) AS actor_shown,
    coalesce(p.numbered, f.party_shown) AS party_shown
),
    list_position($severities, f.severity) AS severity_rank,
    list_position($categories, f.category) AS category_rank
FROM masked AS f
LEFT JOIN numbered AS n
    ON n.sharing > 1
   AND n.provider_id = f.provider_id
   AND n.actor_id IS NOT DISTINCT FROM f.actor_id
   AND n.actor_type IS NOT DISTINCT FROM f.actor_type
LEFT JOIN numbered_parties AS p
    ON p.sharing > 1 AND p.destination_party = f.destination_party
ORDER BY f.finding_id
"""


@settings(max_examples=30, deadline=None)
@given(st.lists(findings(), max_size=12), st.booleans())
def test_masks_by_value_show_what_masking_each_row_shows(
    rows: list[dict[str, Any]], unmask: bool
) -> None:
    con = _connection()
    con.execute("CREATE OR REPLACE TABLE findings AS " + empty_select(FINDING_COLUMNS))
    # inserted in an order that is not the ids' order: the staged table keeps the source's
    for n, f in reversed(list(enumerate(rows))):
        con.execute(
            "INSERT INTO findings (finding_id, rule_id, category, severity, provider_id, "
            "event_date, actor_id, actor_type, destination_party, first_seen, summary, "
            "evidence_event_ids, evidence_record_counts) "
            "VALUES ($id, 'r', 'selling', 'high', $provider, $day, $actor, $type, $party, "
            "$seen, $summary, ['e1'], [1])",
            {
                "id": f"f{n:02d}",
                "provider": f["provider"],
                "day": f["day"],
                "actor": f["actor_id"],
                "type": f["actor_type"],
                "party": f["party"],
                "seen": dt.datetime(2026, 3, 1, 8, f["minute"], tzinfo=dt.UTC),
                "summary": f["summary"],
            },
        )
    stage_findings(con, PERIOD, None, unmask=unmask)
    staged = con.execute("SELECT * FROM report_findings").fetchall()
    expected = con.execute(
        REFERENCE,
        {
            "since": DAY,
            "until": DAY,
            "provider": None,
            "unmask": unmask,
            "severities": SEVERITIES,
            "categories": CATEGORIES,
        },
    ).fetchall()
    assert sorted(staged, key=lambda r: r[0]) == expected
    in_period = con.execute(f"SELECT finding_id FROM findings WHERE event_date = '{DAY}'")
    assert [r[0] for r in staged] == [r[0] for r in in_period.fetchall()]
    names = [d[0] for d in con.execute("SELECT * FROM report_findings LIMIT 0").description]
    assert names[-5:] == [
        "actor_shown",
        "party_shown",
        "summary_shown",
        "severity_rank",
        "category_rank",
    ]
