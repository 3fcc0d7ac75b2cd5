"""A real MariaDB server_audit log across a server restart: the server numbers connections
and queries from the start again, so a (connection, query id) pair comes back. Each
occurrence is a statement of its own, with its own TABLE lines (tests/data/server_audit_restart/)."""

from __future__ import annotations

from pathlib import Path

from tests.support.sources import events, read_log

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
