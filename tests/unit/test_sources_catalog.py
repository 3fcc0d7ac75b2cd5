"""Statements on the servers' own catalogs (information_schema, pg_catalog, mysql,
performance_schema, sys) read no user's personal data: a statement reading only those is not
an event (counted as not data, as SELECT 1 is), for every reader alike; a catalog table is
never a user table of the same name; a statement joining a catalog to a user table is an
event with the user table's fields only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import Mapping, analyse, data_fields
from auditpipe.sources.schema import parse_ddl
from tests.support.audit_log import as_json, query
from tests.support.sources import events, read_log

# An application whose tables are named like catalog tables (mysql.user, information_schema
# .tables / .columns, pg_catalog's pg_settings is the user's only when it is not pg_catalog's).
APP_DDL = """
CREATE TABLE accounts (id bigint PRIMARY KEY, real_name text, id_card_no text);
CREATE TABLE "user" (id bigint PRIMARY KEY, mobile text, password_hash text);
CREATE TABLE tables (id bigint, id_card_no text);
CREATE TABLE columns (id bigint, real_name text);
"""
COLUMNS = {
    "accounts.real_name": "real_name",
    "accounts.id_card_no": "id_number",
    "user.mobile": "mobile",
    "user.password_hash": "password_hash",
    "tables.id_card_no": "id_number",
    "columns.real_name": "real_name",
}
MAPPING = Mapping(
    schema=parse_ddl(APP_DDL, "postgres"),
    columns=COLUMNS,
    subject_keys=frozenset({"accounts.id"}),
    protected_fields=frozenset(COLUMNS.values()),
)
CATALOG_TABLES = {
    "mysql": ["mysql.user", "information_schema.tables", "information_schema.columns",
              "performance_schema.threads", "sys.session", "INFORMATION_SCHEMA.TABLES",
              "`information_schema`.`columns`", "mysql.db"],
    "postgres": ["information_schema.tables", "information_schema.columns", "pg_catalog.pg_class",
                 "pg_class", "pg_stat_activity", "pg_catalog.pg_settings", "pg_toast.pg_toast_1",
                 '"information_schema"."columns"'],
}  # fmt: skip
SHAPES = [
    "SELECT * FROM {c}",
    "SELECT * FROM {c} x WHERE x.id = 1",
    "SELECT count(*) FROM {c}",
    "SELECT x.* FROM {c} x",
    "SELECT id, mobile, real_name FROM {c} WHERE id = 3",
    "SELECT * FROM (SELECT * FROM {c}) s",
    "WITH s AS (SELECT * FROM {c}) SELECT * FROM s",
    "SELECT * FROM {c} a JOIN {c} b ON a.id = b.id",
]


@settings(max_examples=40, deadline=None)
@given(
    dialect=st.sampled_from(["mysql", "postgres"]),
    shape=st.sampled_from(SHAPES),
    pick=st.integers(0, 7),
    with_user_table=st.booleans(),
)
def test_a_catalog_table_is_no_table_of_the_statement(
    dialect: str, shape: str, pick: int, with_user_table: bool
) -> None:
    catalog = CATALOG_TABLES[dialect][pick]
    sql = shape.format(c=catalog)
    if with_user_table:  # joined to a user table: that table's fields, and only those
        sql = f"SELECT a.real_name, q.* FROM accounts a JOIN ({sql}) q ON a.id = 1"
    result = analyse(sql, dialect, MAPPING)
    assert result.parsed, (sql, result.problem)
    fields = data_fields(result, MAPPING)
    if with_user_table:
        assert result.tables == ["accounts"], sql
        assert set(fields) == {"real_name", "accounts.id"}, (sql, fields)
    else:
        assert (result.tables, result.read, result.written, fields) == ([], [], [], []), sql


def test_a_pg_name_the_schema_defines_is_the_user_s_table() -> None:
    mapping = Mapping(
        schema=parse_ddl("CREATE TABLE pg_people (id bigint, real_name text);", "postgres"),
        columns={"pg_people.real_name": "real_name"},
        subject_keys=frozenset(),
        protected_fields=frozenset({"real_name"}),
    )
    result = analyse("SELECT real_name FROM pg_people", "postgres", mapping)
    assert data_fields(result, mapping) == ["real_name"]


PG = "2026-03-02 09:00:00.000 CST [500] svc_app@shop LOG:  AUDIT: SESSION,{n},1,READ,SELECT,"


def _pgaudit(n: int, objects: list[str], sql: str) -> str:
    return "".join(f"{PG.format(n=n)}TABLE,{o},{sql},<none>,1\n" for o in objects) or (
        f"{PG.format(n=n)},,{sql},<none>,1\n"
    )


SA = "20260302 09:00:00,db1,svc_app,10.0.0.9,12,"


def _server_audit(n: int, objects: list[str], sql: str) -> str:
    quoted = sql.replace("'", "\\'")
    lines = "".join(f"{SA}{n},READ,{o.replace('.', ',', 1)},\n" for o in objects)
    return lines + f"{SA}{n},QUERY,shop,'{quoted}',0\n"


def _percona(n: int, objects: list[str], sql: str) -> dict:
    return query(record=f"{4700 + n}_2026-03-02T01:00:00", sqltext=sql)


READERS = {
    "pgaudit": (_pgaudit, "stderr", "".join),
    "server_audit": (_server_audit, None, "".join),
    "percona_audit_json": (_percona, None, as_json),
}
# (catalog statement, the tables a server logs it reading): as a real PostgreSQL 15 with
# pgaudit and a real MariaDB 10.11 with server_audit logged them
CATALOG_ONLY = {
    "pgaudit": [
        ("SELECT count(*) FROM information_schema.tables",
         ["information_schema.tables", "pg_catalog.pg_namespace", "pg_catalog.pg_class"]),
        ("SELECT relname FROM pg_catalog.pg_class LIMIT 1", ["pg_catalog.pg_class"]),
        ("SELECT * FROM pg_stat_activity LIMIT 1",
         ["pg_catalog.pg_stat_activity", "pg_catalog.pg_database", "pg_catalog.pg_authid"]),
    ],
    "mysql": [
        ("SELECT count(*) FROM information_schema.tables", []),
        ("SELECT user FROM mysql.user LIMIT 1", ["mysql.global_priv", "mysql.table_stats"]),
        ("SELECT * FROM performance_schema.threads LIMIT 1", ["performance_schema.threads"]),
    ],
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_catalog_only_statement_is_counted_not_data_by_every_reader(
    tmp_path: Path, kind: str
) -> None:
    write, fmt, join = READERS[kind]
    statements = CATALOG_ONLY["pgaudit" if kind == "pgaudit" else "mysql"]
    user = ("SELECT real_name FROM accounts WHERE id = 2", ["shop.accounts"])
    if kind == "pgaudit":
        user = (user[0], ["public.accounts"])
    records = [write(n, objects, sql) for n, (sql, objects) in enumerate([*statements, user], 1)]
    rows, counters = read_log(tmp_path, join(records), kind=kind, fmt=fmt)
    (event,) = events(rows)
    assert event["data_fields"] == "real_name;accounts.id" and event["subject_id"] == "2"
    assert counters.events == 1 and counters.lines_quarantined == 0
    assert counters.non_data_lines == counters.lines_read - event["extras"].get("log_lines", 1)
    assert "unresolved" not in json.dumps(rows)
