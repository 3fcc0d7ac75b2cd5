"""The parts of building a report, on an in-memory DuckDB with a hand-made ``findings`` table
(no lake): staging masks and ranks findings, totals count each evidence event once however
many findings it is behind, and the evidence command quotes the lake's path."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.lake.schema import FINDING_COLUMNS, empty_select
from auditpipe.report.build import (
    evidence_sql_template,
    finding_sections,
    finding_totals,
    stage_findings,
)
from auditpipe.report.masking import create_mask_macros
from auditpipe.report.model import Period
from auditpipe.vocabulary import CATEGORIES

DAY = dt.date(2026, 3, 1)
PERIOD = Period(since=DAY, until=DAY, requested_since=None, requested_until=None)
RECORDS = {f"e{i}": 10**i for i in range(6)}  # distinct powers: any double count shows


@functools.cache
def _connection() -> Any:
    """One in-memory DuckDB with the masking macros, for every example."""
    import duckdb

    con = duckdb.connect()
    create_mask_macros(con)
    return con


def _con(findings: list[dict[str, Any]]) -> Any:
    con = _connection()
    con.execute("CREATE OR REPLACE TABLE findings AS " + empty_select(FINDING_COLUMNS))
    for n, f in enumerate(findings):
        con.execute(
            "INSERT INTO findings (finding_id, rule_id, category, severity, provider_id, "
            "event_date, actor_id, actor_type, destination_party, proceeds_cny, "
            "evidence_event_ids, evidence_record_counts, summary) "
            "VALUES ($id, 'r', $category, $severity, 'p1', $day, 'emp1', 'employee', "
            "'acme', $proceeds, $ids, $counts, 's')",
            {
                "id": f"f{n}",
                "category": f["category"],
                "severity": f.get("severity", "high"),
                "day": DAY,
                "proceeds": f.get("proceeds", 0),
                "ids": f["events"],
                "counts": [RECORDS[e] for e in f["events"]],
            },
        )
    stage_findings(con, PERIOD, None, unmask=False)
    return con


def test_an_event_behind_two_findings_counts_once_in_the_totals() -> None:
    con = _con(
        [
            {"category": "selling", "events": ["e1"], "proceeds": 100},
            {"category": "illegal_use", "events": ["e1", "e2"]},
        ]
    )
    totals, missing = finding_totals(con)
    assert (totals.findings, totals.events, totals.records) == (2, 2, 10 + 100)
    assert totals.proceeds_cny == Decimal(100) and totals.providers_with_findings == 1
    assert missing == 0
    by_category = {t.key: t for t in finding_sections(con, 10)["by_category"]}
    assert (by_category["selling"].events, by_category["selling"].records) == (1, 10)
    assert (by_category["illegal_use"].events, by_category["illegal_use"].records) == (2, 110)


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(CATEGORIES), st.sets(st.sampled_from(sorted(RECORDS)), min_size=1)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_totals_are_the_distinct_evidence_events_and_their_records(
    findings: list[tuple[str, set[str]]],
) -> None:
    con = _con([{"category": c, "events": sorted(e)} for c, e in findings])
    totals, _ = finding_totals(con)
    distinct = set().union(*(e for _, e in findings))
    assert totals.findings == len(findings)
    assert totals.events == len(distinct)
    assert totals.records == sum(RECORDS[e] for e in distinct)
    sections = finding_sections(con, 10)
    for tally in sections["by_category"]:
        mine = set().union(*(e for c, e in findings if c == tally.key))
        assert (tally.events, tally.records) == (len(mine), sum(RECORDS[e] for e in mine))
    assert sum(d.findings for d in sections["day_totals"]) == len(findings)


def test_staged_findings_are_masked_unless_asked() -> None:
    con = _con([{"category": "selling", "events": ["e1"]}])
    con.execute("UPDATE findings SET destination_party = 'buyer 13812345678'")
    stage_findings(con, PERIOD, None, unmask=False)
    assert con.execute("SELECT party_shown FROM report_findings").fetchone() == (
        "buyer 138****5678",
    )
    stage_findings(con, PERIOD, None, unmask=True)
    assert con.execute("SELECT party_shown FROM report_findings").fetchone() == (
        "buyer 13812345678",
    )


@pytest.mark.parametrize("root", ["/srv/lake", "/srv/my lake", "/srv/it's"])
def test_the_evidence_command_quotes_the_lake_path_for_a_shell(root: str) -> None:
    import shlex

    template = evidence_sql_template(Path(root))
    words = shlex.split(template.replace("<finding_id>", "f-1"))
    assert words[:4] == ["auditpipe", "sql", "--lake", root]
    assert words[4] == "SELECT * FROM finding_evidence WHERE finding_id = 'f-1'"
