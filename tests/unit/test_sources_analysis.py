"""Statement analysis: columns read and written, subject, action kind, exports, fallbacks."""

from __future__ import annotations

import pytest

from auditpipe.generate.dblogs import COLUMNS, SCHEMA_DDL, SUBJECT_KEYS
from auditpipe.sources.analysis import DELETE, EXPORT, READ, WRITE, Mapping, analyse, data_fields
from auditpipe.sources.schema import parse_ddl

MAPPING = Mapping(
    schema=parse_ddl(SCHEMA_DDL, "postgres"),
    columns=COLUMNS,
    subject_keys=frozenset(SUBJECT_KEYS),
    protected_fields=frozenset(COLUMNS.values()),
)
ALL_ACCOUNTS = {"id_number", "mobile", "password_hash", "real_name"}


def fields(sql: str, dialect: str = "postgres") -> set[str]:
    return {f for f in data_fields(analyse(sql, dialect, MAPPING), MAPPING) if "." not in f}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM accounts",
        "SELECT a.* FROM accounts a JOIN orders o ON o.account_id = a.id",
        "WITH c AS (SELECT * FROM accounts) SELECT id FROM c",
        "SELECT * FROM (SELECT * FROM public.accounts) s",
        "COPY accounts TO STDOUT",
        "TRUNCATE accounts",
        "DELETE FROM accounts WHERE id = 1",
    ],
)
def test_star_whole_table_forms_touch_every_mapped_column(sql: str) -> None:
    assert fields(sql) == ALL_ACCOUNTS


def test_predicates_count_as_reads() -> None:
    assert fields("SELECT id FROM accounts WHERE mobile = '1'") == {"mobile"}
    assert fields(
        "SELECT o.amount FROM orders o WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = o.account_id AND a.real_name LIKE 'Z%')"
    ) == {"real_name"}


def test_update_and_upsert_write_their_set_columns() -> None:
    a = analyse("UPDATE accounts SET id_card_no = 'x' WHERE id = 3", "postgres", MAPPING)
    assert a.kind == WRITE and a.written == ["accounts.id_card_no"] and a.subject_literals == [1]
    up = analyse(
        "INSERT INTO accounts (id, mobile) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET mobile = excluded.mobile",
        "postgres",
        MAPPING,
    )
    assert up.kind == WRITE and "accounts.mobile" in up.written


def test_subject_from_literal_in_list_and_parameter() -> None:
    assert analyse(
        "SELECT mobile FROM accounts WHERE id = 7", "postgres", MAPPING
    ).subject_literals == [0]
    assert analyse(
        "SELECT mobile FROM accounts WHERE id IN (1, 2, 3)", "postgres", MAPPING
    ).subject_literals == [0, 1, 2]
    assert (
        analyse(
            "PREPARE p(bigint) AS SELECT mobile FROM accounts WHERE id = $1", "postgres", MAPPING
        ).subject_param
        == 1
    )
    assert analyse(
        "SELECT o.amount FROM orders o WHERE o.account_id = 4", "postgres", MAPPING
    ).narrowed


def test_or_and_non_key_equalities_do_not_narrow() -> None:
    assert not analyse(
        "SELECT mobile FROM accounts WHERE id = 7 OR city = 'x'", "postgres", MAPPING
    ).narrowed
    assert not analyse("SELECT mobile FROM accounts WHERE city = 'x'", "postgres", MAPPING).narrowed


def test_exports_keep_the_path_literal() -> None:
    pg = analyse("COPY (SELECT id, mobile FROM accounts) TO '/tmp/x.csv'", "postgres", MAPPING)
    assert (
        pg.kind == EXPORT
        and pg.export_literal == 0
        and pg.read == ["accounts.id", "accounts.mobile"]
    )
    my = analyse(
        "SELECT real_name FROM accounts WHERE id = 5 INTO OUTFILE '/tmp/x'", "mysql", MAPPING
    )
    assert my.kind == EXPORT and my.export_literal == 1 and my.subject_literals == [0]
    my2 = analyse("SELECT real_name INTO OUTFILE '/tmp/x' FROM accounts", "mysql", MAPPING)
    assert my2.kind == EXPORT and my2.read == ["accounts.real_name"]


def test_copy_from_and_load_data_are_writes() -> None:
    assert analyse("COPY accounts FROM '/tmp/in.csv'", "postgres", MAPPING).kind == WRITE
    load = analyse("LOAD DATA INFILE '/tmp/in.csv' INTO TABLE accounts", "mysql", MAPPING)
    assert load.kind == WRITE and "accounts.id_card_no" in load.written


def test_delete_and_read_kinds() -> None:
    assert analyse("DELETE FROM accounts WHERE id = 2", "postgres", MAPPING).kind == DELETE
    assert analyse("SELECT 1", "postgres", MAPPING).kind == READ


def test_unparseable_and_cut_statements_say_so() -> None:
    assert not analyse("SELEKT ((", "postgres", MAPPING).parsed
    assert not analyse("SELECT real_name FROM accounts WHERE id = 'cut", "postgres", MAPPING).parsed
