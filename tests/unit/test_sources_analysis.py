"""Statement analysis: columns read and written, subject, action kind, exports, fallbacks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.generate.dblogs import COLUMNS, SCHEMA_DDL, SUBJECT_KEYS
from auditpipe.sources.analysis import (
    DELETE,
    EXPORT,
    LONG_STATEMENT,
    OTHER,
    READ,
    WRITE,
    Mapping,
    analyse,
    condensed,
    data_fields,
    marked,
)
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


# Statement forms seen in real servers' logs (PostgreSQL 15 + pgaudit, MariaDB server_audit)
# that wrap, copy or only plan a query.


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("DECLARE cur CURSOR FOR SELECT id_card_no FROM accounts WHERE id = 4", "postgres"),
        (
            "DECLARE c BINARY NO SCROLL CURSOR WITH HOLD FOR\n SELECT id_card_no FROM accounts "
            "WHERE id = 4",
            "postgres",
        ),
        ("EXPLAIN ANALYZE SELECT id_card_no FROM accounts WHERE id = 4", "postgres"),
        ("EXPLAIN (ANALYZE, BUFFERS) SELECT id_card_no FROM accounts WHERE id = 4", "postgres"),
        ("EXPLAIN ANALYZE VERBOSE SELECT id_card_no FROM accounts WHERE id = 4", "postgres"),
        ("ANALYZE SELECT id_card_no FROM accounts WHERE id = 4", "mysql"),
        ("EXPLAIN ANALYZE SELECT id_card_no FROM accounts WHERE id = 4", "mysql"),
    ],
)
def test_a_cursor_or_an_executed_explain_reads_what_its_query_reads(sql: str, dialect: str) -> None:
    a = analyse(sql, dialect, MAPPING)
    assert a.parsed and a.kind == READ
    assert "accounts.id_card_no" in a.read and a.subject_literals == [0]


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("EXPLAIN SELECT id_card_no FROM accounts WHERE id = 4", "postgres"),
        ("EXPLAIN (FORMAT JSON) SELECT id_card_no FROM accounts", "postgres"),
        ("EXPLAIN (ANALYZE false) SELECT id_card_no FROM accounts", "postgres"),
        ("EXPLAIN SELECT id_card_no FROM accounts WHERE id = 4", "mysql"),
        ("DESCRIBE accounts", "mysql"),
        ("CREATE VIEW v AS SELECT id, real_name FROM accounts", "postgres"),
        ("CREATE OR REPLACE VIEW v AS SELECT id, real_name FROM accounts", "mysql"),
        (
            "CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW BEGIN UPDATE accounts SET "
            "city = 'x' WHERE id = NEW.account_id; END",
            "mysql",
        ),
        ("CREATE PROCEDURE p(IN i BIGINT) BEGIN SELECT mobile FROM accounts; END", "mysql"),
        ("CREATE INDEX i ON accounts (mobile)", "postgres"),
        ("ALTER TABLE accounts ADD COLUMN z int", "mysql"),
        ("DROP TABLE orders", "postgres"),
        ("GRANT SELECT (id, city) ON accounts TO kefu_li", "postgres"),
        ("/*ticket='T-1'*/ REVOKE ALL ON accounts FROM vendor_x", "mysql"),
        ("VACUUM accounts", "postgres"),
        ("ANALYZE accounts", "postgres"),
        ("ANALYZE TABLE accounts", "mysql"),
        ("OPTIMIZE TABLE accounts", "mysql"),
    ],
)
def test_planning_and_schema_statements_are_no_data_access(sql: str, dialect: str) -> None:
    a = analyse(sql, dialect, MAPPING)
    assert a.parsed and a.kind == OTHER and not a.read and not a.written


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE copy_ids AS SELECT id, id_card_no FROM accounts",
        "CREATE TEMP TABLE copy_ids AS SELECT id, id_card_no FROM accounts",
        "CREATE UNLOGGED TABLE copy_ids AS SELECT id, id_card_no FROM accounts",
        "CREATE MATERIALIZED VIEW copy_ids AS SELECT id, id_card_no FROM accounts",
        "SELECT id, id_card_no INTO TEMP copy_ids FROM accounts",
    ],
)
def test_copying_into_a_new_table_is_a_read_of_what_is_copied(sql: str) -> None:
    a = analyse(sql, "postgres", MAPPING)
    assert a.kind == READ and "accounts.id_card_no" in a.read and not a.narrowed


def test_create_or_replace_table_as_select_is_a_read_in_mysql() -> None:
    a = analyse("CREATE OR REPLACE TABLE c AS SELECT mobile FROM accounts", "mysql", MAPPING)
    assert a.kind == READ and a.read == ["accounts.mobile"]


def test_a_select_whose_cte_updates_is_a_write() -> None:
    a = analyse(
        "WITH u AS (UPDATE accounts SET mobile = '1' WHERE id = 3 RETURNING id) "
        "SELECT count(*) FROM u",
        "postgres",
        MAPPING,
    )
    assert a.kind == WRITE and a.written == ["accounts.mobile"] and a.subject_literals == [1]


def test_replace_into_writes_like_insert() -> None:
    for sql in (
        "REPLACE INTO accounts (id, mobile) VALUES (12, '1')",
        "/*ticket='T-9'*/ REPLACE LOW_PRIORITY INTO accounts (id, mobile) VALUES (12, '1')",
    ):
        a = analyse(sql, "mysql", MAPPING)
        assert a.parsed and a.kind == WRITE, sql
        assert a.written == ["accounts.id", "accounts.mobile"], sql


def test_a_stored_procedure_variable_logged_as_name_const_is_the_subject() -> None:
    # MariaDB logs `WHERE id = i` inside a procedure as NAME_CONST('i', <value>)
    a = analyse("SELECT mobile FROM accounts WHERE id = NAME_CONST('i',2)", "mysql", MAPPING)
    assert a.subject_literals == [1]  # literal 0 is the variable's name, 1 its value


def test_multi_table_delete_deletes_from_the_aliased_tables() -> None:
    one = analyse("DELETE a FROM accounts a WHERE a.id = 1", "mysql", MAPPING)
    assert one.kind == DELETE and one.subject_literals == [0]
    assert "accounts.id_card_no" in one.written and not any(w.startswith("a.") for w in one.written)
    two = analyse(
        "DELETE o FROM orders o JOIN accounts a ON a.id = o.account_id WHERE a.mobile = '1'",
        "mysql",
        MAPPING,
    )
    assert {w.split(".")[0] for w in two.written} == {"orders"}
    assert "accounts.mobile" in two.read


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT mobile FROM accounts WHERE id = i", "postgres"),  # a SQL function's body
        ("UPDATE accounts SET city = 'x' WHERE id = v_account", "postgres"),  # PL/pgSQL
        ("SELECT mobile FROM accounts WHERE id = @x", "mysql"),  # a user variable
    ],
)
def test_a_key_equal_to_a_routine_variable_narrows_to_one_unknown_subject(
    sql: str, dialect: str
) -> None:
    a = analyse(sql, dialect, MAPPING)
    assert a.narrowed and a.subject_variable
    assert not a.subject_literals and a.subject_param is None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a.mobile FROM accounts a JOIN orders o ON a.id = o.account_id",
        "SELECT mobile FROM accounts a, orders o WHERE a.id = account_id",  # a column: a join
        "SELECT mobile FROM accounts WHERE id = i OR city = 'x'",
        "SELECT mobile FROM accounts WHERE city = c",  # not a subject key
    ],
)
def test_a_join_column_or_a_variable_off_the_key_does_not_narrow(sql: str) -> None:
    assert not analyse(sql, "postgres", MAPPING).narrowed


# Views: providers often give a partner a view with the columns it may read.
VIEW_DDL = (
    SCHEMA_DDL
    + """
CREATE VIEW public.v_contacts AS
 SELECT accounts.id,
    accounts.real_name AS name,
    upper(accounts.mobile) AS phone
   FROM public.accounts;
CREATE VIEW public.v_names AS SELECT name FROM public.v_contacts;
CREATE VIEW public.v_all AS SELECT * FROM public.accounts a;
CREATE VIEW public.v_union AS SELECT id FROM accounts UNION SELECT account_id FROM orders;
"""
)
VIEWS = Mapping(
    schema=parse_ddl(VIEW_DDL, "postgres"),
    columns=COLUMNS,
    subject_keys=frozenset(SUBJECT_KEYS),
    protected_fields=frozenset(COLUMNS.values()),
)


def test_a_dump_s_views_keep_the_table_columns_they_expose() -> None:
    schema = VIEWS.schema
    assert schema.views["v_contacts"] == {
        "id": ["accounts.id"],
        "name": ["accounts.real_name"],
        "phone": ["accounts.mobile"],
    }
    assert schema.base_refs("v_names.name") == ["accounts.real_name"]  # a view of a view
    assert schema.columns("v_all") == schema.columns("accounts")
    assert "v_union" not in schema.views  # another shape: resolved from the log's tables


def test_mysqldump_s_wrapped_view_replaces_its_placeholder() -> None:
    ddl = (
        "CREATE TABLE `accounts` (`id` bigint, `real_name` varchar(50), `mobile` varchar(20));\n"
        "/*!50001 CREATE VIEW `v_contacts` AS SELECT \n 1 AS `id`,\n 1 AS `real_name`*/;\n"
        "/*!50001 CREATE ALGORITHM=UNDEFINED */\n"
        "/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n"
        "/*!50001 VIEW `v_contacts` AS select `accounts`.`id` AS `id`,"
        "`accounts`.`real_name` AS `real_name` from `accounts` */;\n"
    )
    schema = parse_ddl(ddl, "mysql")
    assert schema.views == {
        "v_contacts": {"id": ["accounts.id"], "real_name": ["accounts.real_name"]}
    }


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM v_contacts", {"real_name", "mobile"}),
        ("SELECT name FROM v_names", {"real_name"}),
        ("SELECT v.phone FROM v_contacts v JOIN orders o ON o.account_id = v.id", {"mobile"}),
        ("SELECT * FROM v_all WHERE id = 4", {"real_name", "mobile", "id_number", "password_hash"}),
    ],
)
def test_a_statement_on_a_view_touches_the_columns_the_view_exposes(
    sql: str, expected: set[str]
) -> None:
    a = analyse(sql, "postgres", VIEWS)
    assert {f for f in data_fields(a, VIEWS) if "." not in f} == expected
    assert "accounts" in a.tables


def test_a_view_s_key_column_narrows_to_the_subject() -> None:
    a = analyse("SELECT name FROM v_contacts WHERE id = 3", "postgres", VIEWS)
    assert a.subject_literals == [0] and a.read == ["accounts.id", "accounts.real_name"]


# pg_dump --schema-only writes a materialized view WITH NO DATA (PostgreSQL 15's output).
MATVIEW_DDL = (
    SCHEMA_DDL
    + """
CREATE MATERIALIZED VIEW public.mv_ids AS
 SELECT accounts.id,
    accounts.id_card_no
   FROM public.accounts
  WITH NO DATA;
"""
)


@pytest.mark.parametrize("data", ["WITH NO DATA", "WITH DATA", ""])
def test_a_dump_s_materialized_view_keeps_the_table_columns_it_copies(data: str) -> None:
    ddl = MATVIEW_DDL.replace("WITH NO DATA", data)
    mapping = Mapping(
        schema=parse_ddl(ddl, "postgres"),
        columns=COLUMNS,
        subject_keys=frozenset(SUBJECT_KEYS),
        protected_fields=frozenset(COLUMNS.values()),
    )
    assert mapping.schema.views["mv_ids"] == {
        "id": ["accounts.id"],
        "id_card_no": ["accounts.id_card_no"],
    }
    # a partner's SELECT * of it reads the ID numbers it holds (not the table name alone)
    a = analyse("SELECT * FROM mv_ids", "postgres", mapping)
    assert data_fields(a, mapping) == ["id_number", "accounts.id"]


# A hex or bit string in any place of a statement, in either dialect: the statement is read
# as with an ordinary string there (X'§0' was a hex string of bad digits to the parser).
HEX_PLACES = [
    "SELECT real_name FROM accounts WHERE mobile = {lit}",
    "UPDATE accounts SET password_hash = {lit} WHERE city = 'x'",
    "INSERT INTO accounts (id, mobile) VALUES (1, {lit})",
    "SELECT mobile FROM accounts WHERE city IN ('a', {lit}) AND id > 0",
    "SELECT {lit}, real_name FROM accounts",
]


@settings(max_examples=40, deadline=None)
@given(
    place=st.sampled_from(HEX_PLACES),
    dialect=st.sampled_from(["postgres", "mysql"]),
    prefix=st.sampled_from(["X", "x", "B", "b", "_binary X", "_binary "]),
    digits=st.text("0123456789abcdefABCDEF", max_size=12),
)
def test_a_hex_or_bit_string_is_read_like_any_string(
    place: str, dialect: str, prefix: str, digits: str
) -> None:
    if dialect == "postgres" and prefix.startswith("_"):
        return  # MySQL's introducers only
    hexed = analyse(place.format(lit=f"{prefix}'{digits}'"), dialect, MAPPING)
    plain = analyse(place.format(lit="'x'"), dialect, MAPPING)
    assert hexed.parsed, hexed.problem
    assert (hexed.kind, hexed.read, hexed.written) == (plain.kind, plain.read, plain.written)


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
@pytest.mark.parametrize("lit", ["X'3133'", "x'3133'", "B'01'", "_binary X'3133'"])
def test_a_key_equal_to_a_hex_string_narrows_to_one_subject_not_its_digits(
    lit: str, dialect: str
) -> None:
    """X'3133' is 12595 or '13' as the key's type says: narrowed, but the digits 3133 are
    no subject's id."""
    if dialect == "postgres" and lit.startswith("_"):
        return
    a = analyse(f"SELECT real_name FROM accounts WHERE id = {lit}", dialect, MAPPING)
    assert a.parsed and a.narrowed and a.subject_literals == [] and a.subject_variable


@pytest.mark.parametrize(
    "sql, dialect",
    [
        ("SELECT real_name FROM accounts WHERE id = N'13'", "postgres"),
        ("SELECT real_name FROM accounts WHERE id = U&'13'", "postgres"),
        ("SELECT real_name FROM accounts WHERE id = N'13'", "mysql"),
        ("SELECT real_name FROM accounts WHERE id = _utf8mb4'13'", "mysql"),
        ("SELECT real_name FROM accounts WHERE id = _binary'13'", "mysql"),
    ],
)
def test_a_key_equal_to_a_national_or_introduced_string_is_the_subject(
    sql: str, dialect: str
) -> None:
    assert analyse(sql, dialect, MAPPING).subject_literals == [0]


LONG_SHAPES = [
    "INSERT INTO accounts (id, real_name, mobile) VALUES {rows} "
    "ON CONFLICT (id) DO UPDATE SET mobile = excluded.mobile",
    "SELECT real_name, mobile FROM accounts WHERE id IN ({ids}) AND city = 'x'",
    "SELECT o.amount FROM orders o WHERE o.account_id IN "
    "(SELECT id FROM accounts WHERE user_name IN ({names}))",
    "UPDATE accounts SET city = 'c' WHERE (id, user_name) IN ({pairs})",
]


@pytest.mark.parametrize("shape", LONG_SHAPES)
@pytest.mark.parametrize("n", [3, 3_000])
def test_a_very_long_statement_is_read_as_its_short_form(shape: str, n: int) -> None:
    # Over LONG_STATEMENT the lists are condensed before parsing (a 1.4 MB INSERT took 15 s
    # to parse): the same tables, columns, kind, narrowing and first subject literal.
    def sql(count: int) -> str:
        return shape.format(
            rows=", ".join(f"({i}, 'Name {i}', '1380013{i % 10000:04d}')" for i in range(count)),
            ids=", ".join(str(i) for i in range(count)),
            names=", ".join(f"'user{i}'" for i in range(count)),
            pairs=", ".join(f"({i}, 'user{i}')" for i in range(count)),
        )

    long, short = sql(n), sql(3)
    assert n == 3 or len(marked(long, "postgres")) > LONG_STATEMENT
    # what the parser reads no longer grows with the list
    assert len(condensed(marked(long, "postgres"))) < 1_000
    a, b = analyse(long, "postgres", MAPPING), analyse(short, "postgres", MAPPING)
    assert (a.parsed, a.kind, a.tables, a.read, a.written, a.narrowed) == (
        b.parsed,
        b.kind,
        b.tables,
        b.read,
        b.written,
        b.narrowed,
    )
    assert a.subject_literals[:1] == b.subject_literals[:1]


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("LOCK TABLES accounts READ", "mysql"),
        ("LOCK TABLES `accounts` READ /*!32311 LOCAL */, orders WRITE", "mysql"),
        ("UNLOCK TABLES", "mysql"),
        ("LOCK TABLE accounts IN ACCESS SHARE MODE", "postgres"),
        ("lock accounts", "postgres"),
    ],
)
def test_locking_tables_reads_no_data(sql: str, dialect: str) -> None:
    # mysqldump's LOCK TABLES fell back to the tables the log names: every protected column
    # of accounts counted as read, evidence of a read that never happened.
    result = analyse(sql, dialect, MAPPING)
    assert result.parsed and result.kind == OTHER and not result.read


def test_refreshing_a_materialized_view_reads_what_it_copies() -> None:
    # pgaudit logs REFRESH MATERIALIZED VIEW mv_ids as a READ of the table beneath it
    mapping = Mapping(
        schema=parse_ddl(MATVIEW_DDL, "postgres"),
        columns=COLUMNS,
        subject_keys=frozenset(SUBJECT_KEYS),
        protected_fields=frozenset(COLUMNS.values()),
    )
    for sql in (
        "REFRESH MATERIALIZED VIEW mv_ids;",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY public.mv_ids",
    ):
        a = analyse(sql, "postgres", mapping)
        assert a.parsed and a.kind == "read", a.problem
        assert data_fields(a, mapping) == ["id_number", "accounts.id"]
