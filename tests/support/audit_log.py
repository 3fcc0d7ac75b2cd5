"""Percona Server's audit_log records written in each of its formats, as the plugin writes
them (its audit_log.cc: format strings and escape rules), for the tests and the benchmark of
the readers (tests/unit/test_sources_audit_log_formats.py, benchmarks/bench_percona.py)."""

from __future__ import annotations

import json

FIELDS = ["name", "record", "timestamp", "command_class", "connection_id", "status", "sqltext",
          "user", "host", "os_user", "ip", "db"]  # fmt: skip
CONNECT_FIELDS = ["name", "record", "timestamp", "connection_id", "status", "user", "priv_user",
                  "os_login", "proxy_user", "host", "ip", "db"]  # fmt: skip


def query(**fields: object) -> dict[str, object]:
    base = {
        "name": "Query", "record": "4707_2026-03-02T01:00:00",
        "timestamp": "2026-03-02T01:00:00 UTC", "command_class": "select",
        "connection_id": "37", "status": 0,
        "sqltext": "SELECT real_name FROM accounts WHERE id = 5",
        "user": "kefu_li[kefu_li] @ localhost [10.0.0.7]", "host": "localhost",
        "os_user": "", "ip": "10.0.0.7", "db": "shop",
    }  # fmt: skip
    return {**base, **fields}


def connect(**fields: object) -> dict[str, object]:
    base = {
        "name": "Connect", "record": "4706_2026-03-02T01:00:00",
        "timestamp": "2026-03-02T00:59:59 UTC", "connection_id": "37", "status": 0,
        "user": "kefu_li", "priv_user": "kefu_li", "os_login": "", "proxy_user": "",
        "host": "localhost", "ip": "10.0.0.7", "db": "shop",
    }  # fmt: skip
    return {**base, **fields}


def xml_escape(value: object) -> str:
    out = []
    for ch in str(value):
        if ch == "\0":
            out.append("?")
        elif ord(ch) < 32:
            out.append(f"&#{ord(ch)};")
        else:
            out.append({"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}.get(ch, ch))
    return "".join(out)


def csv_escape(value: object) -> str:
    return str(value).replace('"', '""')


def names(record: dict[str, object]) -> list[str]:
    return FIELDS if "command_class" in record else CONNECT_FIELDS


def as_json(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps({"audit_record": r}, ensure_ascii=False) + "\n" for r in records)


def as_old(records: list[dict[str, object]]) -> str:
    body = "".join(
        "<AUDIT_RECORD\n"
        + "".join(f'  {k.upper()}="{xml_escape(r[k])}"\n' for k in names(r))
        + "/>\n"
        for r in records
    )
    return '<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n' + body + "</AUDIT>\n"


def as_new(records: list[dict[str, object]], record_tag: str = "RECORD") -> str:
    def element(k: str, v: object) -> str:
        tag = record_tag if k == "record" else k.upper()
        return f"  <{tag}>{xml_escape(v)}</{tag}>\n"

    body = "".join(
        "<AUDIT_RECORD>\n" + "".join(element(k, r[k]) for k in names(r)) + "</AUDIT_RECORD>\n"
        for r in records
    )
    return '<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n' + body + "</AUDIT>\n"


def as_csv(records: list[dict[str, object]]) -> str:
    def cell(k: str, v: object) -> str:
        return str(v) if k == "status" else f'"{csv_escape(v)}"'

    return "".join(",".join(cell(k, r[k]) for k in names(r)) + "\n" for r in records)
