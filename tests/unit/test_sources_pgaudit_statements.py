"""pgaudit records of one statement with several texts (a routine's sub-statements) and texts
of several statements (a multi-statement query): every statement in them counts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, read_log

P = "2026-03-02 09:00:00.123 CST [4242] kefu_li@shop LOG:  AUDIT: "

# A routine body's statements, narrowed by its variable i: (class, command, text, fields
# of the catalog it touches, action)
BODY = [
    ("WRITE", "UPDATE", "UPDATE accounts SET city = 'bj' WHERE id = i", set(), "update"),
    (
        "READ",
        "SELECT",
        "SELECT id_card_no        FROM accounts WHERE id = i",
        {"id_number"},
        "view",
    ),
    ("READ", "SELECT", "SELECT real_name FROM accounts WHERE id = i", {"real_name"}, "view"),
    ("WRITE", "UPDATE", "UPDATE accounts SET mobile = 'x' WHERE id = i", {"mobile"}, "update"),
    ("WRITE", "DELETE", "DELETE FROM orders WHERE account_id = i", set(), "delete"),
    (
        "READ",
        "SELECT",
        "SELECT password_hash FROM accounts WHERE id = i -- check",
        {"password_hash"},
        "view",
    ),
]
STRENGTH = ["view", "update", "delete"]


def _read(log: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        rows, _ = read_log(Path(tmp), log)
    assert all(r["pre_error"] is None for r in rows), rows
    return events(rows)


@settings(max_examples=25, deadline=None)
@given(
    body=st.lists(st.sampled_from(range(len(BODY))), min_size=1, max_size=4, unique=True),
    call_last=st.booleans(),  # with log_rows the call ends (and is logged) after its body
    subject=st.integers(1, 10**6),
)
def test_every_sub_statement_of_a_call_counts_in_its_event(
    body: list[int], call_last: bool, subject: int
) -> None:
    lines = [
        f'{BODY[i][0]},{BODY[i][1]},TABLE,public.accounts,{BODY[i][2]},"{subject},,,",1'
        for i in body
    ]
    call = f"READ,SELECT,,,SELECT touch(({subject})),<none>,1"
    lines = [*lines, call] if call_last else [call, *lines]
    log = "".join(f"{P}SESSION,1,{n},{line}\n" for n, line in enumerate(lines, 1))
    (event,) = _read(log)
    wanted = set().union(*(BODY[i][3] for i in body))
    fields = set(event["data_fields"].split(";"))
    assert wanted <= fields, (wanted, fields)
    assert event["action"] == max((BODY[i][4] for i in body), key=STRENGTH.index)
    # the body's statements are narrowed by i, whose value is the call's one literal
    assert event["subject_id"] == str(subject) and not event["extras"].get("unbounded")
    assert str(subject) not in event["extras"]["statement"]


COLUMNS = {"real_name": "real_name", "mobile": "mobile", "id_card_no": "id_number", "city": None}


@settings(max_examples=25, deadline=None)
@given(
    columns=st.lists(st.sampled_from(sorted(COLUMNS)), min_size=2, max_size=4),
    ids=st.lists(st.integers(1, 10**6), min_size=4, max_size=4),
    repeats=st.integers(1, 2),
    first_id=st.integers(1, 50),
)
def test_each_record_of_a_multi_statement_query_is_its_own_statement(
    columns: list[str], ids: list[int], repeats: int, first_id: int
) -> None:
    """psql -c "SELECT ...; SELECT ...": one record per statement under consecutive statement
    ids, each with the whole text (pgaudit before 17.0)."""
    text = "; ".join(
        f"SELECT {c} FROM accounts WHERE id = {i}"
        for c, i in zip(columns, ids[: len(columns)], strict=True)
    )
    n = len(columns)
    log = "".join(
        f"{P}SESSION,{first_id + k},1,READ,SELECT,TABLE,public.accounts,{text},<none>,1\n"
        for k in range(n * repeats)
    )
    got = _read(log)
    assert len(got) == n * repeats
    for k, event in enumerate(got):
        column, key = columns[k % n], ids[k % n]
        mapped = COLUMNS[column]
        assert event["subject_id"] == str(key) and event["action"] == "view"
        assert set(event["data_fields"].split(";")) == (
            {mapped, "accounts.id"} if mapped else {"accounts.id", f"accounts.{column}"}
        )


def test_a_multi_statement_query_with_a_statement_pgaudit_did_not_log_is_all_of_it() -> None:
    # pgaudit.log = 'read, write' does not log the SET: one record for two statements, so
    # which statement it is cannot be counted; it is both, merged (the SET touches nothing)
    text = "SET search_path = public; SELECT mobile FROM accounts WHERE id = 2"
    (event,) = _read(f"{P}SESSION,1,1,READ,SELECT,TABLE,public.accounts,{text},<none>,1\n")
    assert event["subject_id"] == "2" and event["data_fields"] == "mobile;accounts.id"
    # two SELECTs, one logged (the other failed to plan, say): both, narrowed to both ids
    text = "SELECT mobile FROM accounts WHERE id = 3; SELECT real_name FROM accounts WHERE id = 4"
    (event,) = _read(f"{P}SESSION,1,1,READ,SELECT,TABLE,public.accounts,{text},<none>,1\n")
    assert event["data_fields"] == "mobile;real_name;accounts.id"
    assert event["subject_id"] == "3" and event["record_count"] == "1"
    assert not event["extras"].get("unbounded")


def test_an_error_of_a_call_marks_its_event_failed() -> None:
    log = (
        f"{P}SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
        'SELECT real_name FROM accounts WHERE id = i,"5,,,",1\n'
        f"{P}SESSION,1,2,READ,SELECT,,,SELECT touch(5),<none>,1\n"
        "2026-03-02 09:00:00.200 CST [4242] kefu_li@shop ERROR:  division by zero\n"
        "2026-03-02 09:00:00.200 CST [4242] kefu_li@shop STATEMENT:  SELECT touch(5);\n"
    )
    (event,) = _read(log)
    assert event["outcome"] == "failure" and event["subject_id"] == "5"


# A trigger on accounts (AFTER UPDATE ... INSERT INTO orders (account_id, amount) VALUES
# (NEW.id, 0)): a real PostgreSQL 15 logs the trigger's INSERT as a sub-statement of the
# UPDATE, with the trigger's arguments as its parameters, by psql (the key a literal) and by
# pgbench -M extended (the key a bound parameter, logged with the UPDATE).
TRIGGERED = [
    '2026-12-02 12:30:11.061 CST [6482] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.orders,"INSERT INTO orders (account_id, amount) VALUES (NEW.id, 0)",",,,,,,,,,,,,,2",1\n'
    "2026-12-02 12:30:11.061 CST [6482] svc_app@postgres LOG:  AUDIT: SESSION,1,2,WRITE,UPDATE,TABLE,public.accounts,UPDATE accounts SET mobile = '13911112222' WHERE id = 2;,<none>,1\n",
    '2026-12-02 12:30:12.219 CST [6538] svc_app@postgres LOG:  AUDIT: SESSION,2,1,WRITE,INSERT,TABLE,public.orders,"INSERT INTO orders (account_id, amount) VALUES (NEW.id, 0)",",,,,,,,,,,,,,2",1\n'
    "2026-12-02 12:30:12.219 CST [6538] svc_app@postgres LOG:  AUDIT: SESSION,2,2,WRITE,UPDATE,TABLE,public.accounts,\"UPDATE accounts SET city = 'x,\"\"y' WHERE id = $1 AND mobile <> '13700000000';\",2,1\n",
]


@pytest.mark.parametrize("log", TRIGGERED, ids=["literal", "parameter"])
def test_a_trigger_s_insert_does_not_hide_the_subject_of_its_update(log: str) -> None:
    (event,) = _read(log)
    assert event["action"] == "update" and event["subject_id"] == "2"
    text = json.dumps(event, ensure_ascii=False)
    assert "13911112222" not in text and "13700000000" not in text
