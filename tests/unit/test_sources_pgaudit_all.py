"""A real PostgreSQL 15 + pgaudit log with every class logged (``pgaudit.log = 'all,
-misc_set'``): the records of the classes beyond READ and WRITE (MISC, FUNCTION, DDL, ROLE)
stand beside and inside the data statements' records, and must not change what those become.
See tests/data/pgaudit_all/README.md for the server's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sources import events, log_reader, quarantined

DATA = Path(__file__).resolve().parents[1] / "data" / "pgaudit_all"
PREFIX = "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h %x %v %e "


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    read = log_reader(
        tmp_path_factory.mktemp("all"), "pgaudit", "stderr", f'log_line_prefix = "{PREFIX}"'
    )
    got, counters = read((DATA / "postgresql.log").read_bytes())
    assert counters.lines_quarantined == 0, quarantined(got)
    return got


def test_a_prepared_statement_executed_with_misc_logged_is_read_from_its_prepare(
    rows: list[dict],
) -> None:
    # SESSION,2,1,READ,SELECT with the PREPARE text and PARAMETER "2,1101…", then
    # SESSION,2,2,MISC,EXECUTE,,,"EXECUTE q(2, '1101…')": one event, as without MISC: the
    # prepared SELECT's column and $1's value, not every column of the table it names.
    (event,) = [e for e in events(rows) if "PREPARE" in e["extras"]["statement"]]
    assert (event["action"], event["subject_id"], event["data_fields"]) == (
        "view",
        "2",
        "id_number;accounts.city;accounts.id",
    )
    assert not event["extras"].get("resolved_from_tables_only")
    assert event["extras"]["statement"].endswith("EXECUTE q(?, ?);")


def test_no_statement_of_a_log_of_every_class_falls_back_to_its_tables(rows: list[dict]) -> None:
    assert [
        e["extras"]["statement"]
        for e in events(rows)
        if e["extras"].get("resolved_from_tables_only")
    ] == []
    assert "110101199003079999" not in str(rows)
