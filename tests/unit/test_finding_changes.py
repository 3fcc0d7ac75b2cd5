"""One definition of an "updated" finding, shared by detect's diff and nightly's baseline:
a finding whose id is kept but any of whose content columns changed (everything but
finding_id and detected_at). Both sides must call the same change "updated"."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.detect import findings as fsql
from auditpipe.lake.views import connect_views
from auditpipe.nightly.baseline import compare_with_baseline, take_baseline
from auditpipe.penalty import DEFAULT_RATES_CNY, PenaltySettings
from tests.support.detect_lakes import DAY, event, make_lake, write_events

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}

# A different value of each stored type, as a SQL expression over the column COL.
_CHANGE_BY_TYPE = {
    "VARCHAR": "COL || 'x'",
    "TIMESTAMP WITH TIME ZONE": "COL + INTERVAL 1 MICROSECOND",
    "BIGINT": "COL + 1",
    "DATE": "COL + 1",
    "VARCHAR[]": "list_append(COL, 'x')",
    "BIGINT[]": "list_append(COL, 1)",
    "DECIMAL(18,2)": "COL + 0.01",
    "STRUCT(currency VARCHAR, amount DECIMAL(18,4))[]": (
        "list_append(COL, {'currency': 'XYZ', 'amount': 1})"
    ),
}

_BASE = {
    "VARCHAR": "'v'",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ '2026-03-01 02:00:00+00'",
    "BIGINT": "3",
    "DATE": "DATE '2026-03-01'",
    "VARCHAR[]": "['a']",
    "BIGINT[]": "[1]",
    "DECIMAL(18,2)": "12.50",
    "STRUCT(currency VARCHAR, amount DECIMAL(18,4))[]": "[]",
}

ALL_COLUMNS = [(n, t) for n, t in fsql.FINDING_FILE_COLUMNS + fsql.PARTITION_COLUMNS]


def _finding_table(con: object, name: str) -> None:
    cols = ", ".join(f"CAST({_BASE[t]} AS {t}) AS {n}" for n, t in ALL_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols}")  # type: ignore[attr-defined]


def _diff_status(con: object, new_expr: str = "", column: str = "") -> str:
    """detect's own diff (DIFF_FINDINGS) of one stored finding against a changed copy."""
    _finding_table(con, "old_findings")
    con.execute("ALTER TABLE old_findings ADD COLUMN filename VARCHAR")  # type: ignore[attr-defined]
    replace = f" REPLACE ({new_expr.replace('COL', column)} AS {column})" if column else ""
    con.execute(  # type: ignore[attr-defined]
        f"CREATE OR REPLACE TEMP TABLE new_findings AS SELECT *{replace} FROM old_findings"
    )
    con.execute("ALTER TABLE new_findings DROP COLUMN filename")  # type: ignore[attr-defined]
    con.execute(fsql.DIFF_FINDINGS)  # type: ignore[attr-defined]
    return con.execute("SELECT status FROM finding_status").fetchone()[0]  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("name,typ", fsql.CONTENT_COLUMNS, ids=[n for n, _ in fsql.CONTENT_COLUMNS])
def test_a_change_to_any_content_column_makes_the_finding_updated(name: str, typ: str) -> None:
    import duckdb

    con = duckdb.connect()
    assert _diff_status(con) == "unchanged"
    assert _diff_status(con, _CHANGE_BY_TYPE[typ], name) == "updated"


def test_content_is_every_column_but_the_id_and_the_detection_time() -> None:
    names = {n for n, _ in fsql.CONTENT_COLUMNS}
    assert names == {n for n, _ in ALL_COLUMNS} - {"finding_id", "detected_at"}


def test_a_new_detection_time_alone_leaves_the_finding_unchanged() -> None:
    import duckdb

    con = duckdb.connect()
    assert _diff_status(con, _CHANGE_BY_TYPE["TIMESTAMP WITH TIME ZONE"], "detected_at") == (
        "unchanged"
    )


def test_the_fingerprint_does_not_depend_on_the_session_timezone() -> None:
    import duckdb

    con = duckdb.connect()
    _finding_table(con, "f")
    prints = set()
    for zone in ("UTC", "Asia/Shanghai", "America/New_York"):
        con.execute(f"SET TimeZone = '{zone}'")
        prints.add(con.execute(f"SELECT {fsql.content_fingerprint_sql()} FROM f").fetchone())
    assert len(prints) == 1


def _changes_seen_by_both(tmp_path: Path, first: DetectSettings, second: DetectSettings) -> tuple:
    """(detect's updated count, nightly's updated count) when ``second`` re-detects the day
    that ``first`` detected, with nightly's snapshot taken in between."""
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(**SALE, amount=Decimal("100"), currency="USD")])
    run_detect(lake, first)
    con = connect_views(lake)
    try:
        with lake.locked("test"):
            baseline = take_baseline(lake, con, "run-1", [DAY])
        detected = run_detect(lake, second)
        nightly = compare_with_baseline(lake, con, [baseline], [DAY])
    finally:
        con.close()
    assert detected.new == 0 and not nightly.new_by_severity
    return detected.updated, sum(nightly.updated_by_severity.values())


def test_a_changed_penalty_rate_is_an_update_to_detect_and_to_nightly(tmp_path: Path) -> None:
    rates = {**DEFAULT_RATES_CNY, "USD": DEFAULT_RATES_CNY["USD"] + 1}
    changed = DetectSettings(penalty=PenaltySettings(rates=rates))
    assert _changes_seen_by_both(tmp_path, DetectSettings(), changed) == (1, 1)


def test_the_same_settings_again_are_unchanged_to_detect_and_to_nightly(tmp_path: Path) -> None:
    assert _changes_seen_by_both(tmp_path, DetectSettings(), DetectSettings()) == (0, 0)
