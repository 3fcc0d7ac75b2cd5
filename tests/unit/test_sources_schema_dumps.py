"""Schema dumps with the CREATE TABLE shapes MariaDB and MySQL write that sqlglot does not
parse whole: partitions, system versioning, column attributes. Every table keeps its columns
(a table dropped from the schema made `sources check` report its mapped columns as missing,
and its statements fall back to the tables the log names)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpipe.sources.schema import parse_ddl

DATA = Path(__file__).resolve().parents[1] / "data" / "mariadb_dump"


def test_a_real_mariadb_dump_keeps_its_partitioned_table() -> None:
    schema = parse_ddl((DATA / "schema.sql").read_text(encoding="utf-8"), "mysql")
    assert schema.tables["part_t"] == ["id", "at", "mobile"]
    assert schema.types["part_t.id"] == "number" and schema.types["part_t.mobile"] == "text"
    assert {"accounts", "orders", "customer data", "v_contacts"} <= schema.tables.keys()


COLUMNS = "(`id` bigint(20) DEFAULT NULL, `mobile` varchar(20) DEFAULT NULL)"


@pytest.mark.parametrize(
    "tail",
    [
        # MariaDB 10.11's mysqldump
        " ENGINE=InnoDB DEFAULT CHARSET=latin1\n PARTITION BY RANGE (year(`at`))\n"
        "(PARTITION `p0` VALUES LESS THAN (2026) ENGINE = InnoDB,\n"
        " PARTITION `p1` VALUES LESS THAN MAXVALUE ENGINE = InnoDB)",
        # MySQL 5.7's, in a versioned comment
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4\n/*!50100 PARTITION BY RANGE (year(`at`))\n"
        "(PARTITION p0 VALUES LESS THAN (2026) ENGINE = InnoDB) */",
        " ENGINE=InnoDB PARTITION BY HASH (`id`) PARTITIONS 4",
        " ENGINE=InnoDB PARTITION BY LIST COLUMNS(`mobile`) (PARTITION p VALUES IN ('1'))",
        " ENGINE=InnoDB WITH SYSTEM VERSIONING",
    ],
)
def test_table_options_sqlglot_does_not_parse_keep_the_columns(tail: str) -> None:
    schema = parse_ddl(f"CREATE TABLE `t` {COLUMNS}{tail};\n", "mysql")
    assert schema.tables == {"t": ["id", "mobile"]}


def test_column_attributes_sqlglot_does_not_parse_keep_the_columns() -> None:
    ddl = (
        "CREATE TABLE `t` (`id` bigint, `mobile` varchar(20) INVISIBLE, `doc` blob COMPRESSED,"
        " `m8` varchar(20) /*!80023 INVISIBLE */, `invisible` int) ENGINE=InnoDB;\n"
    )
    assert parse_ddl(ddl, "mysql").tables == {"t": ["id", "mobile", "doc", "m8", "invisible"]}


def test_a_real_pg_dump_keeps_a_table_whose_column_types_sqlglot_does_not_parse() -> None:
    text = (DATA.parent / "pg_dump" / "schema.sql").read_text(encoding="utf-8")
    schema = parse_ddl(text, "postgres")
    assert schema.tables["kyc"] == ["account_id", "flags", "session_len", "id_card_no", "id_photo"]
    assert schema.types["kyc.account_id"] == "number" and schema.types["kyc.id_card_no"] == "text"
    assert "kyc.session_len" not in schema.types  # an interval is not an INT
    assert schema.tables["partitioned log 2026"] == ["id", "at", "mobile"]


@pytest.mark.parametrize(
    ("column", "type_class"),
    [
        ("b bit varying(5)", "number"),
        ("iv interval DAY TO SECOND(3)", None),
        ("m text COMPRESSION lz4", "text"),
        ('"Real Name" character varying(20) COMPRESSION pglz NOT NULL', "text"),
    ],
)
def test_a_column_sqlglot_does_not_parse_keeps_its_table(column: str, type_class: str) -> None:
    ddl = f"CREATE TABLE public.t (id bigint, {column}, CONSTRAINT c CHECK ((id > 0)));\n"
    schema = parse_ddl(ddl, "postgres")
    name = column.split(" ")[0].strip('"').lower() if column[0] != '"' else "real name"
    assert schema.tables == {"t": ["id", name]}
    assert schema.types.get(f"t.{name}") == type_class


def test_a_mysql_column_list_of_unknown_types_keeps_its_columns_not_its_keys() -> None:
    ddl = (
        "CREATE TABLE `t` (`id` bigint, `x` weird_type(3) FOO, PRIMARY KEY (`id`), KEY `k` (`x`),"
        " UNIQUE KEY `u` (`x`), CONSTRAINT `f` FOREIGN KEY (`id`) REFERENCES `o` (`id`));\n"
    )
    assert parse_ddl(ddl, "mysql").tables == {"t": ["id", "x"]}


def test_a_pg_table_that_inherits_has_its_parents_columns_first() -> None:
    text = (DATA.parent / "pg_dump" / "inherits.sql").read_text(encoding="utf-8")
    schema = parse_ddl(text, "postgres")
    assert schema.tables["vip_contacts"] == ["id", "mobile", "note", "level"]
    assert schema.types["vip_contacts.mobile"] == "text"


@pytest.mark.parametrize(
    ("export", "dialect", "table", "columns"),
    [
        ("mariadb_columns.csv", "mysql", "accounts",
         ["id", "user_name", "real_name", "id_card_no", "mobile", "password_hash", "city"]),
        ("mariadb_columns.csv", "mysql", "users", ["id", "mobile"]),
        ("pg_columns.csv", "postgres", "attributes", ["id", "mobile"]),
    ],
)  # fmt: skip
def test_a_whole_information_schema_export_leaves_out_the_servers_own_tables(
    tmp_path: Path, export: str, dialect: str, table: str, columns: list[str]
) -> None:
    from auditpipe.sources.schema import load_schema

    schema = load_schema(DATA.parent / "columns_csv" / export, dialect)
    assert schema.tables[table] == columns  # not performance_schema.accounts' USER, HOST ...
    assert "user" not in schema.tables  # mysql.user


def test_a_dump_of_all_databases_leaves_out_the_server_s_own() -> None:
    text = (DATA / "all_databases.sql").read_text(encoding="utf-8")
    schema = parse_ddl(text, "mysql")
    assert schema.tables == {"event": ["id", "mobile"], "servers": ["id", "real_name"]}
    qualified = "CREATE TABLE mysql.user (host char(60));\nCREATE TABLE app.user (id int);\n"
    assert parse_ddl(qualified, "mysql").tables == {"user": ["id"]}


MYSQL_DUMP = (
    "CREATE TABLE `accounts` (\n  `id` bigint(20) NOT NULL,\n  `id_card_no` varchar(20) "
    "DEFAULT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
)


def test_a_mysql_dump_given_to_a_pgaudit_source_is_named_as_the_other_dialect(
    tmp_path: Path,
) -> None:
    """Not "holds no CREATE TABLE statement" (it holds one): the engineer gave the wrong
    server's dump, or the wrong kind."""
    from auditpipe.errors import ConfigError
    from auditpipe.sources.schema import load_schema

    path = tmp_path / "schema.sql"
    path.write_text(MYSQL_DUMP, encoding="utf-8")
    assert load_schema(path, "mysql").has("accounts.id_card_no")
    with pytest.raises(ConfigError) as info:
        load_schema(path, "postgres")
    text = f"{info.value} {info.value.hint}"
    assert "no CREATE TABLE" not in text and "MySQL" in text and "kind" in text, text


@pytest.mark.parametrize("encoding", ["gbk", "big5", "utf-16"])
def test_a_schema_file_not_in_utf8_says_where_and_how_to_convert_it(
    tmp_path: Path, encoding: str
) -> None:
    from auditpipe.errors import ConfigError
    from auditpipe.sources.schema import load_schema

    path = tmp_path / "schema.sql"
    path.write_bytes(("-- ok\nCREATE TABLE accounts (id bigint);\n-- 中文表\n").encode(encoding))
    with pytest.raises(ConfigError) as info:
        load_schema(path, "postgres")
    text = f"{info.value} {info.value.hint}"
    assert "not UTF-8" in text and "iconv" in text and str(path) in text, text
    if encoding != "utf-16":  # a UTF-16 file is not UTF-8 from its first byte
        assert "line 3" in text, text


def test_a_schema_that_names_a_folder_says_what_schema_names(tmp_path: Path) -> None:
    from auditpipe.errors import ConfigError
    from auditpipe.sources.schema import load_schema

    with pytest.raises(ConfigError) as info:
        load_schema(tmp_path, "postgres")
    assert "settings file's folder" in str(info.value.hint), info.value


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".txt"])
@pytest.mark.parametrize("upper", [False, True])
def test_an_information_schema_export_is_read_whatever_its_separator(
    tmp_path: Path, delimiter: str, suffix: str, upper: bool
) -> None:
    """`mysql -B -e "SELECT ..."` and PostgreSQL's COPY write tabs (MySQL names the columns
    in capitals), a spreadsheet may write semicolons: all are the same export."""
    from auditpipe.sources.schema import load_schema

    header = ["table_schema", "table_name", "column_name", "ordinal_position"]
    header = [h.upper() for h in header] if upper else header
    rows = [header, ["shop", "accounts", "id", "1"], ["shop", "accounts", "id_card_no", "2"]]
    path = tmp_path / f"columns{suffix}"
    path.write_text("".join(delimiter.join(r) + "\n" for r in rows), encoding="utf-8")
    schema = load_schema(path, "mysql")
    assert schema.tables == {"accounts": ["id", "id_card_no"]}


TWO_SCHEMAS_PG = (
    "CREATE TABLE public.accounts (id bigint, id_card_no text);\n"
    "CREATE TABLE archive.accounts (id bigint, old_note text);\n"
)
TWO_SCHEMAS_MYSQL = (
    "USE `shop`;\nCREATE TABLE `accounts` (`id` bigint, `id_card_no` varchar(20));\n"
    "USE `shop_archive`;\nCREATE TABLE `accounts` (`id` bigint, `old_note` text);\n"
)
TWO_SCHEMAS_CSV = (
    "table_schema,table_name,column_name,ordinal_position\n"
    "public,accounts,id,1\npublic,accounts,id_card_no,2\n"
    "archive,accounts,id,1\narchive,accounts,old_note,2\n"
)


@pytest.mark.parametrize(
    ("name", "text", "dialect"),
    [
        ("schema.sql", TWO_SCHEMAS_PG, "postgres"),
        ("schema.sql", TWO_SCHEMAS_MYSQL, "mysql"),
        ("columns.csv", TWO_SCHEMAS_CSV, "postgres"),
    ],
)
def test_a_table_name_in_two_schemas_keeps_the_columns_of_both(
    tmp_path: Path, name: str, text: str, dialect: str
) -> None:
    """Statements are matched by bare table name, so public.accounts and archive.accounts are
    one table: it has the columns of both (the first's first, none twice), not only the
    last one's, which dropped id_card_no from `SELECT *` and made its mapping a problem."""
    from auditpipe.sources.schema import load_schema

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    schema = load_schema(path, dialect)
    assert schema.tables == {"accounts": ["id", "id_card_no", "old_note"]}
    assert sorted(schema.merged["accounts"]) == sorted(
        ["public", "archive"] if dialect == "postgres" else ["shop", "shop_archive"]
    )
