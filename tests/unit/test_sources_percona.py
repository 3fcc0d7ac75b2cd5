"""Percona Server audit_log JSON: Query records become events; others are counted."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.sources import events, quarantined, read_log


def record(**fields: object) -> str:
    base = {
        "name": "Query", "record": "4707_2026-03-02T01:00:00", "timestamp": "2026-03-02T01:00:00 UTC",
        "command_class": "select", "connection_id": "37", "status": 0,
        "sqltext": "SELECT real_name FROM accounts WHERE id = 5",
        "user": "kefu_li[kefu_li] @ localhost [10.0.0.7]", "host": "localhost",
        "os_user": "", "ip": "10.0.0.7", "db": "shop",
    }  # fmt: skip
    return json.dumps({"audit_record": {**base, **fields}}, ensure_ascii=False)


def test_query_records_are_events_and_connects_are_not(tmp_path: Path) -> None:
    log = "\n".join(
        [
            record(name="Connect", record="1_x", sqltext=""),
            record(),
            record(
                record="4708_x",
                status=1142,
                command_class="select",
                sqltext="SELECT id_card_no FROM accounts WHERE id = 6",
            ),  # fmt: skip
            record(
                record="4709_x",
                command_class="update",
                timestamp="2026-03-02T01:00:05Z",
                sqltext="/*ticket='T-9'*/ UPDATE accounts SET mobile = '13800138000' WHERE id = 7",
            ),  # fmt: skip
            record(record="4710_x", command_class="show_databases", sqltext="SHOW DATABASES"),
            "{broken 110101199003074514",
        ]
    )
    rows, counters = read_log(tmp_path, log + "\n", kind="percona_audit_json", fmt=None)
    view, denied, update = events(rows)
    assert view["subject_id"] == "5" and view["actor_id"] == "kefu_li" and view["action"] == "view"
    assert view["event_time"] == "2026-03-02T01:00:00.000000Z" and view["source_ip"] == "10.0.0.7"
    assert denied["outcome"] == "failure" and denied["extras"]["error_code"] == "1142"
    assert update["action"] == "update" and update["authorization_ref"] == "T-9"
    assert update["event_time"] == "2026-03-02T01:00:05.000000Z"
    (bad,) = quarantined(rows)
    assert "110101199003074514" not in bad["raw"]
    assert counters.non_data_lines == 2 and counters.events == 3
    assert "13800138000" not in json.dumps(rows)
