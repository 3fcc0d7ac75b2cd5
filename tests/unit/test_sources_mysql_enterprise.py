"""MySQL Enterprise Audit JSON: a pretty-printed array whose objects span lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.sources import events, quarantined, read_log


def pretty(objects: list[dict]) -> str:
    """As the server writes it: one array, each object indented over several lines."""
    body = ",\n".join(json.dumps(o, indent=2, ensure_ascii=False) for o in objects)
    return "[\n" + body + "\n]\n"


def query(n: int, sql: str, status: int = 0, command: str = "select", name: str = "Query") -> dict:
    return {
        "timestamp": f"2026-03-02 01:00:0{n}", "id": n, "class": "general", "event": "status",
        "connection_id": 11,
        "account": {"user": "kefu_li", "host": "localhost"},
        "login": {"user": "kefu_li", "os": "", "ip": "10.0.0.7", "proxy": ""},
        "general_data": {"command": name, "sql_command": command, "query": sql, "status": status},
    }  # fmt: skip


LOG = [
    {"timestamp": "2026-03-02 01:00:00", "id": 0, "class": "audit", "event": "startup", "connection_id": 0},
    query(1, "SELECT real_name FROM accounts WHERE id = 5"),
    query(2, "SELECT id_card_no FROM accounts WHERE note = '}{ \" \n [' AND id = 6", 1142),
    query(3, "/*ticket='T-1'*/ UPDATE accounts SET mobile = '13800138000' WHERE id = 7", 0, "update"),
    query(4, "SELECT real_name FROM accounts WHERE id = ?", 0, "select", "Prepare"),
    query(5, "SELECT real_name FROM accounts WHERE id = 8", 0, "select", "Execute"),
    {"timestamp": "2026-03-02 01:00:04", "id": 0, "class": "connection", "event": "disconnect", "connection_id": 11},
]  # fmt: skip


@pytest.mark.parametrize("batch_bytes", [1 << 20, 64])
def test_objects_over_several_lines_become_one_event_each(tmp_path: Path, batch_bytes: int) -> None:
    text = pretty(LOG)
    rows, counters = read_log(
        tmp_path, text, kind="mysql_audit_json", fmt=None, batch_bytes=batch_bytes
    )
    view, denied, update, executed = events(rows)
    assert view["subject_id"] == "5" and view["actor_id"] == "kefu_li" and view["action"] == "view"
    assert view["event_time"] == "2026-03-02T01:00:01.000000Z" and view["source_ip"] == "10.0.0.7"
    assert view["line_number"] == text.splitlines().index("{", 2) + 1
    assert denied["outcome"] == "failure" and denied["subject_id"] == "6"
    assert update["authorization_ref"] == "T-1" and update["action"] == "update"
    # a prepared statement run is a statement, its preparing is not
    assert executed["subject_id"] == "8" and executed["action"] == "view"
    assert not quarantined(rows) and counters.events == 4
    assert counters.lines_read == text.count("\n")
    assert "13800138000" not in json.dumps(rows)


def test_a_file_ending_inside_its_last_object_says_so(tmp_path: Path) -> None:
    """The server killed while writing, or a cut copy: the open object is quarantined as the
    file ending inside it, the objects before it are read."""
    text = pretty(LOG[:3])
    last = text.rindex("{\n")  # the last object opens here
    for cut in range(last + 2, len(text) - 4, 37):
        rows, counters = read_log(
            tmp_path / str(cut), text[:cut], kind="mysql_audit_json", fmt=None
        )
        assert len(events(rows)) == 1, text[:cut]
        (bad,) = quarantined(rows)
        assert bad["pre_error"].startswith("the file ends inside this record"), bad["pre_error"]
        assert counters.lines_read == text[:cut].count("\n") + (not text[:cut].endswith("\n"))
