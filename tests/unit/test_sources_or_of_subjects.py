"""A condition that ORs subject key comparisons together (``id = 1 OR id = 2``, as ORMs
write a list) narrows the statement to those subjects, as ``id IN (1, 2)`` does; an OR with
any other comparison, or one under NOT, does not. Real lines:
tests/data/or_of_subjects/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader, quarantined

DATA = Path(__file__).resolve().parents[1] / "data" / "or_of_subjects"


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("or"))


def test_real_ors_of_subjects(read) -> None:  # type: ignore[no-untyped-def]
    rows, _ = read((DATA / "postgresql.log").read_bytes())
    assert not quarantined(rows)
    got = [
        (e["action"], e["subject_id"], bool(e["extras"].get("unbounded")))
        for e in sorted(events(rows), key=lambda e: e["line_number"])
    ]
    assert got == [
        ("view", "1", False),  # ("accounts"."id" = 1 OR "accounts"."id" = 2)
        ("view", "1", False),  # (id = 1 OR id = 2) AND city <> 'xx'
        ("search", None, True),  # id = 1 OR city = 'sh'
        ("search", None, True),  # NOT (id = 1 OR id = 2)
        ("view", "1", False),  # ("accounts"."id" = $1 OR "accounts"."id" = $2) with 1, 2
    ]


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(st.integers(1, 10**9), min_size=2, max_size=8),
    params=st.booleans(),
    parens=st.booleans(),
    extra=st.sampled_from(["", " AND city <> 'x'", " OR city = 'x'"]),
    negated=st.booleans(),
)
def test_an_or_of_subject_comparisons_narrows_to_them(
    read,  # type: ignore[no-untyped-def]
    ids: list[int],
    params: bool,
    parens: bool,
    extra: str,
    negated: bool,
) -> None:
    values = [f"${i + 1}" for i in range(len(ids))] if params else [str(i) for i in ids]
    ored = " OR ".join(f"id = {v}" for v in values)
    if parens or negated or extra:
        ored = f"({ored})"
    where = f"NOT {ored}" if negated else ored
    statement = f"SELECT mobile FROM accounts WHERE {where}{extra}"
    param = f'"{",".join(map(str, ids))}"' if params else "<none>"
    log = (
        "2026-12-03 00:32:40.778 CST [4035] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,public.accounts,"{statement}",{param}\n'
    )
    got, _ = read(log)
    (event,) = events(got)
    narrowed = not negated and not extra.startswith(" OR")
    if narrowed:
        assert (event["action"], event["subject_id"], event["record_count"]) == (
            "view",
            str(ids[0]),
            str(len(ids)),
        ), statement
    else:
        assert (event["action"], event["subject_id"]) == ("search", None), statement
        assert event["extras"].get("unbounded")


@pytest.fixture(scope="module")
def read_my(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("my"), "server_audit", None, "query_log_limit = 0")


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 20))
def test_an_or_of_mysql_placeholders_narrows_to_as_many_subjects(read_my, n: int) -> None:  # type: ignore[no-untyped-def]
    ored = " OR ".join(["id = ?"] * n)
    log = (
        "20261202 16:06:09,vm,svc_app,localhost,5,18,READ,shop,accounts,\n"
        f"20261202 16:06:09,vm,svc_app,localhost,5,18,QUERY,shop,"
        f"'SELECT mobile FROM accounts WHERE {ored}',0\n"
    )
    got, _ = read_my(log)
    (event,) = events(got)
    assert (event["action"], event["subject_id"], event["record_count"]) == ("view", None, str(n))
    assert not event["extras"].get("unbounded")
