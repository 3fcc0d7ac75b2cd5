"""A multi-statement query whose statements call a function or fire a trigger: pgaudit logs
the body's statements under the statement id of the one that ran them, beside the whole
query's text. Each of the query's statements is still its own event, with its own subject,
columns and action, not all of the query's merged. Real lines:
tests/data/pgaudit_multi_statement_calls/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader, quarantined

DATA = Path(__file__).resolve().parents[1] / "data" / "pgaudit_multi_statement_calls"


@pytest.fixture(scope="module")
def got(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    read = log_reader(tmp_path_factory.mktemp("multi"))
    rows, counters = read((DATA / "postgresql.log").read_bytes())
    assert counters.lines_quarantined == 0, quarantined(rows)
    assert counters.lines_in_events == counters.lines_read == 17
    return {
        e["extras"]["statement_id"]: (
            e["action"],
            e["subject_id"],
            {f for f in e["data_fields"].split(";") if not f.startswith("orders.")},
        )
        for e in events(rows)
    }


def test_a_call_in_a_multi_statement_query_is_its_own_statement(got: dict) -> None:
    # SELECT get_id(1) \; SELECT real_name FROM accounts WHERE id = 2
    assert got["1"] == ("view", "1", {"id_number", "accounts.id"})  # the SQL function's argument
    assert got["2"] == ("view", "2", {"real_name", "accounts.id"})
    # SELECT real_name FROM accounts WHERE id = 3 \; SELECT get_mobile(4)
    assert got["3"] == ("view", "3", {"real_name", "accounts.id"})
    assert got["4"] == ("view", "4", {"mobile", "accounts.id"})  # the call's one literal
    # SELECT get_id(1) \; SELECT get_id(2)
    assert got["10"] == ("view", "1", {"id_number", "accounts.id"})
    assert got["11"] == ("view", "2", {"id_number", "accounts.id"})


def test_a_trigger_in_a_multi_statement_query_leaves_the_others_apart(got: dict) -> None:
    # UPDATE accounts … id = 1 (its trigger inserts into orders) \; DELETE FROM orders …
    # \; SELECT password_hash FROM accounts WHERE id = 2
    assert got["5"] == ("update", "1", {"accounts.city", "accounts.id"})
    assert got["6"][:2] == ("delete", "99")
    assert got["7"] == ("view", "2", {"password_hash", "accounts.id"})
    # SELECT mobile … id = 4 \; UPDATE accounts SET city = 'gz' WHERE id = 3 (trigger)
    assert got["8"] == ("view", "4", {"mobile", "accounts.id"})
    assert got["9"] == ("update", "3", {"accounts.city", "accounts.id"})


# The statements a query may hold, as pgaudit 1.7 logs them with log_rows on: a call's body
# record (its text, its PARAMETER) first, then the call's record with the query's text.
# (class, command, statement with {n}, body text or None, field, action)
KINDS = [
    ("READ", "SELECT", "SELECT real_name FROM accounts WHERE id = {n}", None, "real_name", "view"),
    (
        "READ",
        "SELECT",
        "SELECT get_id({n})",
        " SELECT id_card_no FROM accounts WHERE id = i ",
        "id_number",
        "view",
    ),
    (
        "WRITE",
        "UPDATE",
        "UPDATE accounts SET mobile = 'x' WHERE id = {n}",
        "INSERT INTO orders (account_id, amount) VALUES (NEW.id, 0)",
        "mobile",
        "update",
    ),
]
P = "2026-12-03 03:41:23.958 CST [5627] svc_app@postgres LOG:  AUDIT: "


@settings(max_examples=25, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(range(len(KINDS))), st.integers(1, 10**6)),
        min_size=2,
        max_size=4,
    )
)
def test_each_statement_of_a_query_with_calls_is_its_own_event(
    tmp_path_factory: pytest.TempPathFactory, picks: list[tuple[int, int]]
) -> None:
    query = " ; ".join(KINDS[k][2].format(n=n) for k, n in picks) + ";"
    quoted = '"' + query.replace('"', '""') + '"'
    lines = []
    for sid, (k, n) in enumerate(picks, 1):
        cls, command, _, body, _, _ = KINDS[k]
        if body is not None:  # the body's record: a trigger's INSERT, or a function's SELECT
            arg, table = (str(n), "accounts") if cls == "READ" else (",,,,," + str(n), "orders")
            verb = "SELECT" if cls == "READ" else "INSERT"
            lines.append(f'{P}SESSION,{sid},1,{cls},{verb},TABLE,public.{table},"{body}","{arg}",1')
        sub = 2 if body else 1
        lines.append(
            f"{P}SESSION,{sid},{sub},{cls},{command},TABLE,public.accounts,{quoted},<none>,1"
        )
    read = log_reader(tmp_path_factory.mktemp("q"))
    rows, _ = read("".join(line + "\n" for line in lines))
    got = {e["extras"]["statement_id"]: e for e in events(rows)}
    assert sorted(got, key=int) == [str(i) for i in range(1, len(picks) + 1)]
    for sid, (k, n) in enumerate(picks, 1):
        event = got[str(sid)]
        fields = {f for f in event["data_fields"].split(";") if "." not in f}
        assert (event["action"], event["subject_id"], fields) == (
            KINDS[k][5],
            str(n),
            {KINDS[k][4]},
        ), (query, sid, event["extras"]["statement"])


ERRORS = Path(__file__).resolve().parents[1] / "data" / "pgaudit_multi_statement_errors"


def test_the_statements_before_a_failed_one_ran_and_the_failed_one_is_its_own_event(
    tmp_path: Path,
) -> None:
    rows, counters = log_reader(tmp_path)((ERRORS / "postgresql.log").read_bytes())
    assert counters.lines_quarantined == 0, quarantined(rows)
    got = sorted(
        (e["outcome"], e["action"], e["subject_id"], e["data_fields"], e["extras"]["statement"])
        for e in events(rows)
    )
    assert got == sorted(
        [
            # the denied second statement of query 1: an attempt at subject 2's ID number
            (
                "failure",
                "view",
                "2",
                "id_number;accounts.id",
                "SELECT id_card_no FROM accounts WHERE id = ?",
            ),
            # the first statements of queries 1 and 2 ran: their reads happened (SELECT 1/0,
            # which failed, reads no table, and the third statement of query 2 never ran)
            (
                "success",
                "view",
                "1",
                "real_name;accounts.id",
                "SELECT real_name FROM accounts WHERE id = ?;",
            ),
            (
                "success",
                "view",
                "1",
                "real_name;accounts.id",
                "SELECT real_name FROM accounts WHERE id = ? ; SELECT id_card_no FROM accounts WHERE id = ?;",
            ),
            (
                "success",
                "view",
                "2",
                "real_name;accounts.id",
                "SELECT real_name FROM accounts WHERE id = ? ; SELECT ?/? ; SELECT user_name FROM accounts WHERE id = ?;",
            ),
        ]
    )
    assert counters.lines_read == counters.lines_in_events + counters.non_data_lines == 7


def test_without_log_rows_a_failed_query_still_has_each_statement_apart(tmp_path: Path) -> None:
    # log_rows off and no SQLSTATE: the log does not show whether the last logged statement
    # or the next one failed, so the last logged one is marked failed (as for a single
    # statement), but with its own columns and subject, not all the query's
    rows, _ = log_reader(tmp_path)((ERRORS / "postgresql-no-rows.log").read_bytes())
    got = sorted(
        (e["extras"]["statement_id"], e["outcome"], e["subject_id"], e["data_fields"])
        for e in events(rows)
    )
    assert got == [
        ("1", "failure", "1", "real_name;accounts.id"),
        ("2", "failure", "2", "real_name;accounts.id"),
        ("3", "success", "1", "real_name;accounts.id"),
    ]
