"""Source settings: every mistake is a clear error; `sources check` finds what the schema lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpipe.errors import ConfigError
from auditpipe.sources.settings import RDS_PREFIX, parse_settings
from tests.support.cli import run_main
from tests.support.sources import write_source

BASE = {"kind": "pgaudit", "provider_id": "p"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"kind": "oracle"}, "unknown kind"),
        ({"colums": {}}, "unknown key"),
        ({"timezone": "CST"}, "unknown timezone"),
        ({"actors": {"svc_*": "robot"}}, "not an actor type"),
        ({"columns": {"id_card_no": "id_number"}}, "is not table.column"),
        ({"columns": {'accounts."id_card_no': "id_number"}}, "is not table.column"),
        ({"columns": {"accounts..id_card_no": "id_number"}}, "is not table.column"),
        ({"subject_keys": "accounts.id"}, "list of strings"),
        ({"format": "xml"}, "does not apply"),
        ({"comments": {"tiket": "t"}}, "unknown \\[comments\\]"),
        ({"provider_id": ""}, "non-empty string"),
        ({"query_log_limit": -1}, "0 or more, not -1"),
        ({"query_log_limit": "1k"}, "whole number of bytes"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(extra: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings({**BASE, **extra})


def test_rds_preset_and_schema_qualified_names() -> None:
    s = parse_settings(
        {**BASE, "log_line_prefix": "rds", "columns": {"public.Accounts.Mobile": "mobile"}}
    )
    assert s.log_line_prefix == RDS_PREFIX and s.columns == {"accounts.mobile": "mobile"}


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        # how pg_dump and mysqldump spell names with capitals, spaces, dots or CJK
        ('crm."Customer Data"."RealName"', "customer data.realname"),
        ('"客户"."手机号"', "客户.手机号"),
        ("`shop`.`Customer Data`.`ID`", "customer data.id"),
        ('"odd.table"."say ""hi"""', 'odd.table.say "hi"'),
        ("public.Accounts.Mobile", "accounts.mobile"),
    ],
)
def test_quoted_names_in_the_settings_match_the_schema_s_names(ref: str, expected: str) -> None:
    s = parse_settings({**BASE, "columns": {ref: "mobile"}, "subject_keys": [ref]})
    assert s.columns == {expected: "mobile"} and s.subject_keys == (expected,)


def test_sources_check_finds_quoted_names_in_a_dump(tmp_path: Path, capsys) -> None:
    settings = write_source(tmp_path, "pgaudit", "stderr")
    with open(tmp_path / "schema.sql", "a", encoding="utf-8") as fh:
        fh.write('CREATE TABLE crm."Customer Data" ("ID" bigint, "RealName" text, "手机" text);\n')
    settings.write_text(
        settings.read_text().replace(
            "[columns]\n", '[columns]\n\'crm."Customer Data"."手机"\' = "mobile"\n'
        )
    )
    assert '"Customer Data"' in settings.read_text()
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0 and "lacks" not in out and "5 mapped columns" in out, out


def test_sources_check_warns_of_a_stderr_prefix_without_the_user(tmp_path: Path, capsys) -> None:
    settings = write_source(tmp_path, "pgaudit", "stderr", 'log_line_prefix = "%m [%p] "')
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0 and "has no %u" in out and "log_connections" in out
    for fmt, prefix in (
        ("stderr", "%m [%p] %q%u@%d "),
        ("csvlog", "%m [%p] "),
        ("stderr", "%m [%p] %q%-12u@%d "),  # a padded %u names the user too
        ("stderr", "%n [%p] %q%u@%d "),
    ):
        settings = write_source(tmp_path / fmt, "pgaudit", fmt, f'log_line_prefix = "{prefix}"')
        code, out, _ = run_main(["sources", "check", str(settings)], capsys)
        assert code == 0 and "has no %u" not in out


def test_sources_check_reports_columns_the_schema_lacks(tmp_path: Path, capsys) -> None:
    settings = write_source(tmp_path, "pgaudit", "stderr")
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0 and out.rstrip().endswith("ok")
    settings.write_text(settings.read_text().replace('"accounts.mobile"', '"accounts.phone_no"'))
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 1
    assert "accounts.phone_no, which the schema lacks" in out


def test_sources_check_names_a_missing_settings_file(tmp_path: Path, capsys) -> None:
    code, _, err = run_main(["sources", "check", str(tmp_path / "nope.toml")], capsys)
    assert code == 2 and "does not exist" in err and "Traceback" not in err


def test_information_schema_export_is_a_schema(tmp_path: Path, capsys) -> None:
    settings = write_source(tmp_path, "server_audit")
    (tmp_path / "cols.csv").write_text(
        "table_schema,table_name,column_name,ordinal_position\n"
        + "".join(
            f"shop,accounts,{c},{i}\n"
            for i, c in enumerate(["id", "real_name", "id_card_no", "mobile", "password_hash"])
        )
        + "shop,orders,account_id,1\n"
    )
    settings.write_text(settings.read_text().replace('"schema.sql"', '"cols.csv"'))
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0, out
    assert "2 tables" in out


def test_sources_check_warns_of_a_prefix_that_cannot_tell_sessions_apart(
    tmp_path: Path, capsys
) -> None:
    for name, prefix, warned in (
        ("time-only", "< %m > %u@%d ", True),
        ("literal", "%m [%%p] %u@%d ", True),  # %%p prints "%p", not the process id
        ("pid", "%m [%p] %u@%d ", False),
        ("session", "%t-%c-%u ", False),
    ):
        settings = write_source(
            tmp_path / name, "pgaudit", "stderr", f'log_line_prefix = "{prefix}"'
        )
        code, out, _ = run_main(["sources", "check", str(settings)], capsys)
        assert code == 0 and ("neither %p nor %c" in out) == warned, (prefix, out)


def test_query_log_limit_0_is_server_audit_s_no_limit() -> None:
    # server_audit_query_log_limit = 0: MariaDB cuts no statement (log_statement_ex cuts only
    # above 0); the settings say the same, and no statement is flagged truncated for its length
    assert parse_settings({**BASE, "query_log_limit": 0}).query_log_limit == 0


def test_the_schema_tells_number_and_text_columns_apart() -> None:
    from auditpipe.sources.schema import parse_columns_csv, parse_ddl

    ddl = "CREATE TABLE t (a bigint(20) unsigned, b varchar(20), c char(18), d decimal(12,2), e datetime)"
    assert parse_ddl(ddl, "mysql").types == {
        "t.a": "number",
        "t.b": "text",
        "t.c": "text",
        "t.d": "number",
    }
    csv = "table_name,column_name,data_type\nt,a,bigint\nt,b,character varying\nt,e,date\n"
    assert parse_columns_csv(csv, "x.csv").types == {"t.a": "number", "t.b": "text"}
