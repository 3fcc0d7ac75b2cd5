"""CSV outputs never carry a formula: text cells starting with =, +, -, @, a tab or a carriage
return get a leading single quote (OWASP), in report CSV and in `auditpipe sql --format csv`,
and the Python and SQL forms of the rule agree on every string."""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.cli import cli
from auditpipe.outputs import CSV_FORMULA_STARTS, neutralise_csv_cell, neutralise_csv_sql
from tests.support.report_lakes import base_event, build_lake

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\tx", "\rx"]
texts = st.text(alphabet=st.sampled_from([*CSV_FORMULA_STARTS, "'", "a", "1", " ", "é", "\n"]))


@given(texts)
def test_a_neutralised_cell_never_starts_like_a_formula_and_keeps_its_text(value: str) -> None:
    cell = neutralise_csv_cell(value)
    assert not cell.startswith(CSV_FORMULA_STARTS)
    if value.startswith(CSV_FORMULA_STARTS):
        assert cell == "'" + value
    else:
        assert cell == value


@functools.cache
def _con() -> Any:
    """One connection for every example of the test below (each replaces its table ``t``)."""
    import duckdb

    return duckdb.connect()


@settings(max_examples=60, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_the_sql_rule_is_the_python_rule(values: list[str]) -> None:
    con = _con()
    con.execute("CREATE OR REPLACE TABLE t AS SELECT unnest($v::VARCHAR[]) AS v", {"v": values})
    got = [r[0] for r in con.execute(f"SELECT {neutralise_csv_sql('v')} FROM t").fetchall()]
    assert sorted(got) == sorted(neutralise_csv_cell(v) for v in values)
    assert con.execute(f"SELECT {neutralise_csv_sql('NULL::VARCHAR')}").fetchone() == (None,)


@pytest.fixture(scope="module")
def hostile_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sale to a party whose name is a formula: fires the selling rule."""
    root = tmp_path_factory.mktemp("hostile")
    sale = base_event(
        event_id="sale-1",
        action="transfer",
        destination_type="external",
        destination_party=HOSTILE[0],
        amount=100,
        currency="CNY",
        data_fields=["password"],
    )
    return build_lake(root, [sale], rules=None).root


def test_report_csv_neutralises_a_formula_party_name(hostile_lake: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--lake", str(hostile_lake), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows, "the sale is a finding"
    parties = {r["destination_party"] for r in rows}
    assert "'" + HOSTILE[0] in parties
    for row in rows:
        for value in row.values():
            assert not value.startswith(CSV_FORMULA_STARTS), value


def test_sql_csv_neutralises_text_and_keeps_numbers(hostile_lake: Path) -> None:
    values = ", ".join("'" + v.replace("'", "''") + "'" for v in HOSTILE)
    query = f"SELECT unnest([{values}]) AS t, -5 AS n, '-5' AS s"
    result = CliRunner().invoke(cli, ["sql", "--lake", str(hostile_lake), "--format", "csv", query])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows[0] == ["t", "n", "s"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in HOSTILE]
    assert {r[1] for r in rows[1:]} == {"-5"}, "a number column stays a number"
    assert {r[2] for r in rows[1:]} == {"'-5"}, "a text column is text"


def test_sql_csv_neutralises_column_names_a_pivot_takes_from_the_data(hostile_lake: Path) -> None:
    """PIVOT turns data values (here a destination party from a provider's log) into column
    names: the header row is cells too, and a spreadsheet runs a formula there as well."""
    query = (
        "PIVOT (SELECT destination_party, record_count FROM events) "
        "ON destination_party USING sum(record_count)"
    )
    result = CliRunner().invoke(cli, ["sql", "--lake", str(hostile_lake), "--format", "csv", query])
    assert result.exit_code == 0, result.output
    header = next(csv.reader(io.StringIO(result.stdout, newline="")))
    assert header == ["'" + HOSTILE[0]]
    for name in header:
        assert not name.startswith(CSV_FORMULA_STARTS), name
