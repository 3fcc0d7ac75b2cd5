"""A statement that copies personal data into a table no column mapping covers (``INSERT INTO
tmp SELECT real_name, mobile FROM accounts``, MySQL's ``REPLACE INTO``) reads those columns
of the rows it selects: it is a read, narrowed or unbounded as its SELECT is, not a
modification of the users' data (docs/sources.md, "What each statement becomes")."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpipe.generate.dblogs import COLUMNS, SCHEMA_DDL, SUBJECT_KEYS
from auditpipe.sources.analysis import READ, WRITE, Mapping, analyse
from auditpipe.sources.schema import parse_ddl
from tests.support.sources import read_log

DDL = (
    SCHEMA_DDL
    + "\nCREATE TABLE public.accounts_archive (id bigint, real_name text, mobile text);\n"
)
MAPPING = Mapping(
    schema=parse_ddl(DDL, "postgres"),
    columns=COLUMNS,
    subject_keys=frozenset(SUBJECT_KEYS),
    protected_fields=frozenset(COLUMNS.values()),
)


@pytest.mark.parametrize(
    ("sql", "dialect", "kind", "narrowed"),
    [
        ("INSERT INTO tmp_y SELECT real_name, mobile FROM accounts", "postgres", READ, False),
        (
            "INSERT INTO accounts_archive SELECT id, real_name, mobile FROM accounts",
            "postgres",
            READ,
            False,
        ),
        (
            "INSERT INTO accounts_archive (id, mobile) SELECT id, mobile FROM accounts WHERE id = 4",
            "postgres",
            READ,
            True,
        ),
        ("INSERT INTO tmp_y SELECT real_name FROM accounts", "mysql", READ, False),
        ("REPLACE INTO tmp_y SELECT real_name, mobile FROM accounts", "mysql", READ, False),
        # writes a mapped column: a modification, as before
        (
            "INSERT INTO accounts (id, mobile) SELECT id + 1000, mobile FROM accounts",
            "postgres",
            WRITE,
            False,
        ),
        # copies no mapped column: a write of what it writes, as before
        ("INSERT INTO orders (account_id) SELECT id FROM accounts", "postgres", WRITE, False),
        ("INSERT INTO tmp_y VALUES ('a', 'b')", "postgres", WRITE, False),
    ],
)
def test_a_copy_of_mapped_columns_into_an_unmapped_table_is_a_read(
    sql: str, dialect: str, kind: str, narrowed: bool
) -> None:
    a = analyse(sql, dialect, MAPPING)
    assert a.parsed, a.problem
    assert (a.kind, a.narrowed) == (kind, narrowed)


P = "2026-03-02 09:30:00.000 CST [5151] kefu_qian@shop LOG:  AUDIT: "


def test_a_pgaudit_copy_of_every_users_mobile_is_an_unbounded_search(tmp_path: Path) -> None:
    text = (
        f"{P}SESSION,1,1,WRITE,INSERT,TABLE,public.tmp_y,"
        '"INSERT INTO tmp_y SELECT real_name, mobile FROM accounts",<none>\n'
        f"{P}SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
        '"INSERT INTO tmp_y SELECT real_name, mobile FROM accounts",<none>\n'
    )
    rows, counters = read_log(tmp_path, text)
    (event,) = rows
    assert event["action"] == "search" and event["extras"].get("unbounded") is True
    assert counters.unbounded_reads == 1
