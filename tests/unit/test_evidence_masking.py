"""Every column of an evidence record is masked: whatever text column of an event an identifier
sits in, whatever surrounds it, no output of the evidence (findings show text/JSON/CSV, the
records the HTML report draws) contains it unless unmasked."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.db import connect
from auditpipe.findings_view.output import (
    evidence_csv_sql,
    evidence_json_sql,
    evidence_text_sql,
)
from auditpipe.lake.schema import EVENT_COLUMNS, FINDING_COLUMNS, empty_select
from auditpipe.report.evidence import EVENT_FIELDS, EVIDENCE_ROWS, stage_evidence
from auditpipe.report.masking import (
    EVIDENCE_MASKS,
    FINDING_MASKS,
    create_mask_macros,
    masked_source_sql,
)

TYPES = dict(EVENT_COLUMNS)
# A hash auditpipe computed over a whole file: not from the audited data.
NOT_AUDITED_TEXT = {"source_sha256"}
# The event id is shown as stored, as the report prints it (docs/reports.md, Masking): it is
# what the evidence is looked up with.
TEXT_COLUMNS = sorted(
    {c for c in EVENT_FIELDS if TYPES[c] in ("VARCHAR", "VARCHAR[]")} - NOT_AUDITED_TEXT
)


def test_every_text_column_an_evidence_record_shows_has_a_mask() -> None:
    masked = {column for _, column, _ in EVIDENCE_MASKS}
    assert set(TEXT_COLUMNS) <= masked, set(TEXT_COLUMNS) - masked
    assert ("event_id", "event_id", None) in EVIDENCE_MASKS  # shown as stored


class _NoLake:
    """What stage_evidence asks of a lake: a root with no locations, no manifest entries."""

    root = Path("/nonexistent-auditpipe-test-lake")

    def manifest_entry(self, sha256: str) -> None:
        return None


_CON: list[Any] = []


def _con() -> Any:
    if not _CON:
        con = connect(timezone="Asia/Shanghai")
        create_mask_macros(con)
        con.execute("CREATE TABLE events AS " + empty_select(EVENT_COLUMNS))
        con.execute("CREATE TABLE findings AS " + empty_select(FINDING_COLUMNS))
        _CON.append(con)
    return _CON[0]


identifiers = st.one_of(
    st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True),  # resident ID
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),  # mobile number
    st.from_regex(r"[1-9][0-9]{15,18}", fullmatch=True),  # bank card
)
around = st.text(alphabet=string.ascii_letters + " -_/:.", max_size=8)


def _outputs(con: Any, unmask: bool) -> str:
    stage_evidence(
        con,
        _NoLake(),  # type: ignore[arg-type]
        "SELECT finding_id, provider_id, event_date, evidence_event_ids FROM findings",
        unmask=unmask,
    )
    # the three output formats in one query: the view, and its masks, planned once
    projections = ", ".join((evidence_text_sql(), evidence_json_sql(), evidence_csv_sql()))
    texts = [repr(r) for r in con.execute(f"SELECT {projections} FROM evidence_shown").fetchall()]
    texts += [repr(r) for r in con.execute(EVIDENCE_ROWS).fetchall()]
    return "\n".join(texts)


cases = st.tuples(
    st.sampled_from(TEXT_COLUMNS),
    identifiers,
    around,
    around,
    st.sampled_from(["employee", "subject", "partner"]),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cases, min_size=1, max_size=12))
def test_an_identifier_in_any_evidence_column_is_masked(
    placed: list[tuple[str, str, str, str, str]],
) -> None:
    """Each case is one evidence event with an identifier in one column, surrounded by other
    text; the events are the evidence of one finding, shown together."""
    con = _con()
    con.execute("DELETE FROM events")
    con.execute("DELETE FROM findings")
    ids = []
    for n, (column, identifier, before, after, actor_type) in enumerate(placed):
        value = f"{before}{identifier}{after}"
        row: dict[str, Any] = {c: "x" for c in TEXT_COLUMNS}
        row["event_id"] = f"e-{n}"
        row.update(actor_type=actor_type, source_sha256="ab" * 32, line_number=3, record_count=1)
        row.update({c: ["x"] for c in TEXT_COLUMNS if TYPES[c] == "VARCHAR[]"})
        row[column] = [value] if TYPES[column] == "VARCHAR[]" else value
        values = ", ".join(f"${n} AS {n}" for n in row)
        con.execute(
            f"INSERT INTO events BY NAME SELECT {values}, TIMESTAMPTZ '2026-03-01 10:00:00+08' "
            "AS event_time, 'p' AS provider_id, DATE '2026-03-01' AS event_date",
            row,
        )
        ids.append(row["event_id"])
    con.execute(
        "INSERT INTO findings BY NAME SELECT 'f-1' AS finding_id, 'p' AS provider_id, "
        "DATE '2026-03-01' AS event_date, $ids AS evidence_event_ids",
        {"ids": ids},
    )
    masked = _outputs(con, unmask=False)
    assert [case for case in placed if case[1] in masked] == []
    unmasked = _outputs(con, unmask=True)
    assert [case for case in placed if case[1] not in unmasked] == []  # the records carry them


texts = st.one_of(
    st.none(), st.builds(lambda b, i, a: f"{b}{i}{a}", around, identifiers, around), around
)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(texts, texts, texts, texts, st.sampled_from(["employee", "subject", None])),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_masks_computed_together_equal_masks_computed_in_place(
    rows: list[tuple[str | None, str | None, str | None, str | None, str | None]], unmask: bool
) -> None:
    """The two ways masked_source_sql writes the same masks (a list per kind of mask, or each
    column in place) show the same values, the summary's own-id replacement included."""
    con = _con()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t (actor_id VARCHAR, destination_party VARCHAR, "
        "summary VARCHAR, subject_id VARCHAR, actor_type VARCHAR, data_fields VARCHAR[], "
        "system VARCHAR)"
    )
    for actor, party, summary, subject, actor_type in rows:
        con.execute(
            "INSERT INTO t VALUES ($1, $2, $3 || coalesce($1, ''), $4, $5, [$2, $4], $3)",
            [actor, party, summary, subject, actor_type],
        )
    masks = (
        *FINDING_MASKS,
        *[m for m in EVIDENCE_MASKS if m[0] in ("subject_id", "data_fields", "system")],
    )
    flag = "true" if unmask else "false"
    together = con.execute(f"SELECT * FROM {masked_source_sql('t', masks, flag)}").fetchall()
    in_place = con.execute(
        f"SELECT * FROM {masked_source_sql('t', masks, flag, together=False)}"
    ).fetchall()
    assert sorted(together, key=repr) == sorted(in_place, key=repr)
