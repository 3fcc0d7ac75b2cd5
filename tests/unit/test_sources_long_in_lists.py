"""A read narrowed by a long IN list (or ANY(ARRAY[…])) counts every subject of the list when
the log gives no row count, however long the statement: the analysis condenses a long list
to parse it faster, and the subjects it left out still count. Real lines:
tests/data/long_in_lists/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import LONG_STATEMENT
from tests.support.sources import events, log_reader, quarantined

DATA = Path(__file__).resolve().parents[1] / "data" / "long_in_lists"


@pytest.fixture(scope="module")
def read_my(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("my"), "server_audit", None, "query_log_limit = 0")


@pytest.fixture(scope="module")
def read_pg(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("pg"))


@pytest.mark.parametrize(
    ("log", "reader"), [("server_audit.log", "read_my"), ("postgresql.log", "read_pg")]
)
def test_a_real_read_of_five_thousand_subjects_counts_them(
    request: pytest.FixtureRequest, log: str, reader: str
) -> None:
    text = (DATA / log).read_bytes()
    assert len(text) > LONG_STATEMENT  # the statement is condensed before it is parsed
    rows, _ = request.getfixturevalue(reader)(text)
    assert not quarantined(rows)
    (event,) = events(rows)
    assert (event["action"], event["data_fields"], event["record_count"]) == (
        "view",
        "mobile;real_name;accounts.id",
        "5000",
    )
    assert event["subject_id"] == "1"
    assert not event["extras"].get("unbounded")


@settings(max_examples=12, deadline=None)
@given(
    # lists of any length, most of them long enough for the statement to be condensed
    ids=st.tuples(st.integers(1, 10**12), st.integers(1, 9000), st.integers(1, 97)).map(
        lambda t: [t[0] + i * t[2] for i in range(t[1])]
    ),
    spaced=st.booleans(),
    array=st.booleans(),
)
def test_every_subject_of_an_in_list_counts_whatever_its_length(
    read_pg,  # type: ignore[no-untyped-def]
    ids: list[int],
    spaced: bool,
    array: bool,
) -> None:
    listed = (", " if spaced else ",").join(map(str, ids))
    where = f"id = ANY(ARRAY[{listed}])" if array else f"id IN ({listed})"
    statement = f"SELECT id_card_no FROM accounts WHERE {where} AND city <> 'bj';"
    log = (
        "2026-12-03 00:14:19.469 CST [13182] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,public.accounts,"{statement}",<none>\n'
    )
    rows, _ = read_pg(log)
    (event,) = events(rows)
    assert event["record_count"] == str(len(ids))
    assert event["subject_id"] == str(ids[0])
    assert event["action"] == "view"
