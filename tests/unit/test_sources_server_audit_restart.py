"""A real MariaDB server_audit log across a server restart: the server numbers connections
and queries from the start again, so a (connection, query id) pair comes back. Each
occurrence is a statement of its own, with its own TABLE lines (tests/data/server_audit_restart/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader, read_log

DATA = Path(__file__).resolve().parents[1] / "data" / "server_audit_restart"


def test_a_connection_and_query_id_reused_after_a_restart_is_another_statement(
    tmp_path: Path,
) -> None:
    rows, counters = read_log(
        tmp_path, (DATA / "server_audit.log").read_bytes(), kind="server_audit", fmt=None
    )
    got = [
        (e["event_id"], e["actor_id"], e["action"], e["subject_id"], e["data_fields"])
        for e in events(rows)
    ]
    # connection 4's query 2 was CREATE DATABASE before the restart (not data), and
    # svc_app's SELECT mobile ... WHERE id = 2 after it
    assert ("my:vm:4:2:20261202 13:38:26", "svc_app", "view", "2", "mobile;accounts.id") in got
    assert len(got) == 7 and counters.lines_quarantined == 0


@settings(max_examples=12, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(4, 5), st.integers(2, 3)), min_size=1, max_size=8))
def test_each_occurrence_of_a_connection_and_query_id_is_a_statement(
    tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[int, int]]
) -> None:
    # Statements under (connection, query id) pairs drawn from a few, so that they come back
    # as after restarts; each with its TABLE line, then its QUERY line naming its own subject.
    read = log_reader(tmp_path_factory.mktemp("pairs"), "server_audit", None)
    text = "".join(
        f"20261202 13:38:{n:02d},vm,svc_app,localhost,{conn},{qid},READ,shop,accounts,\n"
        f"20261202 13:38:{n:02d},vm,svc_app,localhost,{conn},{qid},QUERY,shop,"
        f"'SELECT mobile FROM accounts WHERE id = {n}',0\n"
        for n, (conn, qid) in enumerate(pairs, start=1)
    )
    rows, counters = read(text)
    assert sorted(int(e["subject_id"]) for e in events(rows)) == list(range(1, len(pairs) + 1))
    assert counters.lines_quarantined == 0
