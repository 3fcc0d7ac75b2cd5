"""``findings list``: the stored findings that match filters, most serious first.

Filters combine with AND; severity means "at or above" (as ``--fail-on``). One query over the
``findings`` view, masked like the report unless ``unmask``; at most ``limit`` rows come back
(with the count of all that match), so the output stays bounded on any lake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import vocabulary
from ..report.masking import FINDING_MASKS, create_mask_macros, masked_source_sql

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..detect.rules import Rule
    from ..detect.settings import DetectSettings
    from ..lake import Lake

DEFAULT_LIMIT = 100

# The columns a listed finding has, in order (every output format uses these names).
LIST_COLUMNS = (
    "finding_id",
    "severity",
    "category",
    "rule_id",
    "provider_id",
    "event_date",
    "actor_id",
    "actor_type",
    "destination_party",
    "event_count",
    "record_count",
    "proceeds_cny",
    "summary",
)


@dataclass(frozen=True)
class FindingFilter:
    provider: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    category: str | None = None
    severity: str | None = None  # at or above
    rule: str | None = None

    def __post_init__(self) -> None:
        vocabulary.check_period(self.since, self.until)


@dataclass(frozen=True)
class FindingList:
    rows: list[tuple[Any, ...]]  # LIST_COLUMNS, in order
    matched: int  # how many findings match the filters (rows holds at most the limit)


def list_sql(source: str = "findings") -> str:
    """The listing query over ``source`` (``findings``, or the same with summaries in the
    current language: ``report.summaries.findings_source``)."""
    return f"""
WITH shown AS (
    SELECT *,
           list_position($severities, severity) AS severity_rank,
           list_position($categories, category) AS category_rank
    FROM {masked_source_sql(source, FINDING_MASKS)}
    WHERE ($provider IS NULL OR provider_id = $provider)
      AND ($since IS NULL OR event_date >= $since)
      AND ($until IS NULL OR event_date <= $until)
      AND ($category IS NULL OR category = $category)
      AND list_contains($at_or_above, severity)
      AND ($rule IS NULL OR rule_id = $rule)
)
SELECT finding_id, severity, category, rule_id, provider_id, event_date,
       actor_shown AS actor_id, actor_type, party_shown AS destination_party,
       event_count, record_count, coalesce(proceeds_cny, 0) AS proceeds_cny,
       coalesce(summary_shown, '') AS summary,
       count(*) OVER () AS matched
FROM shown
ORDER BY severity_rank DESC, event_date, provider_id, category_rank, rule_id, finding_id
LIMIT $limit
"""


def list_findings(
    lake: Lake,
    where: FindingFilter,
    *,
    limit: int | None = DEFAULT_LIMIT,
    unmask: bool = False,
    rules: Sequence[Rule] = (),
    settings: DetectSettings | None = None,
) -> FindingList:
    """The findings matching ``where``, most serious first; ``limit`` None for all. With the
    rules known now and the detect settings, summaries are in the current language where a
    rule gives its template in it (``report.summaries``); else as stored (English)."""
    from ..i18n import current_language
    from ..lake.views import connect_views
    from ..report.summaries import findings_source

    con = connect_views(lake)
    try:
        create_mask_macros(con)
        source = findings_source(con, rules, settings, current_language())
        params = {
            "provider": where.provider,
            "since": where.since,
            "until": where.until,
            "category": where.category,
            "at_or_above": list(vocabulary.at_or_above(where.severity or vocabulary.SEVERITIES[0])),
            "rule": where.rule,
            "severities": list(vocabulary.SEVERITIES),
            "categories": list(vocabulary.CATEGORIES),
            "unmask": unmask,
            "limit": limit,
        }
        rows = con.execute(list_sql(source), params).fetchall()
        if not rows and where.provider is not None:
            _check_provider(con, where.provider)
    finally:
        con.close()
    matched = int(rows[0][-1]) if rows else 0
    return FindingList([tuple(r[:-1]) for r in rows], matched)


def _check_provider(con: Any, provider: str) -> None:
    """A UsageError naming the lake's providers when ``provider`` has nothing in the lake, as
    the report gives: a mistyped provider must not read as a provider without findings."""
    from ..errors import UsageError
    from ..i18n import _
    from ..report.queries import LAKE_DAYS

    known = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT provider_id FROM ({LAKE_DAYS}) ORDER BY 1"
        ).fetchall()
    ]
    if provider not in known:
        raise UsageError(
            _("provider {provider!r} has no events in the lake").format(provider=provider),
            hint=_("providers in the lake: ") + ", ".join(known),
        )
