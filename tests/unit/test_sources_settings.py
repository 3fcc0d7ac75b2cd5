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
        ({"format": "xml"}, "not a pgaudit log format"),
        ({"kind": "server_audit", "format": "stderr"}, "does not apply to kind server_audit"),
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
        # (a name holding a dot stays quoted: the reference splits back into table and column)
        ('"odd.table"."say ""hi"""', '"odd.table".say "hi"'),
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


# --- probe-onboard: what a data engineer gets wrong first ---------------------------------


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("subject_key", "subject_keys"),
        ("time_zone", "timezone"),
        ("colums", "columns"),
        ("provider", "provider_id"),
        ("log_prefix", "log_line_prefix"),
    ],
)
def test_a_mistyped_key_is_refused_naming_the_key_it_resembles(typo: str, meant: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({**BASE, typo: "x"})
    assert f"did you mean {meant}?" in str(info.value), str(info.value)


@pytest.mark.parametrize(("fmt", "meant"), [("csv", "csvlog"), ("json", "jsonlog"), ("log", None)])
def test_an_unknown_pgaudit_format_is_named_as_such_not_as_the_wrong_kind(
    fmt: str, meant: str | None
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({**BASE, "format": fmt})
    text = f"{info.value} {info.value.hint}"
    assert "does not apply to kind" not in text and f"format {fmt!r}" in text, text
    assert "stderr, csvlog, jsonlog, syslog" in text
    assert (f"did you mean {meant}?" in text) == (meant is not None), text


def test_sources_check_speaks_chinese(tmp_path: Path, capsys) -> None:
    """Every problem and warning of `sources check` is translated, not only its labels."""
    settings = write_source(tmp_path, "pgaudit", "stderr", 'log_line_prefix = "%m "')
    text = settings.read_text().replace('"accounts.mobile"', '"accounts.phone_no"')
    text = text.replace('= "real_name"', '= "realname_x"')
    text = "\n".join(
        line for line in text.splitlines() if not line.startswith(("timezone", "subject_keys"))
    )
    settings.write_text(text + "\n")
    code, out, _ = run_main(["--lang", "zh_CN", "sources", "check", str(settings)], capsys)
    lines = [line for line in out.splitlines() if line.startswith(("问题", "警告"))]
    assert code == 1 and len(lines) == 6, out
    for line in lines:  # the messages' own words are Chinese, not only the labels
        words = line.split("：", 1)[1]
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in words) >= 5, line


def test_ingest_refuses_a_mapping_the_schema_lacks_as_sources_check_does(
    tmp_path: Path, capsys
) -> None:
    """A [columns] key or subject key not in the schema would ingest the log without those
    columns counted; ingest refuses it before reading, as `sources check` reports it."""
    settings = write_source(tmp_path, "pgaudit", "stderr")
    settings.write_text(settings.read_text().replace('"accounts.mobile"', '"accounts.mobil"'))
    log = tmp_path / "postgresql.log"
    log.write_text("")
    code, _, err = run_main(
        ["ingest", "--source", str(settings), str(log), "--lake", str(tmp_path / "lake")], capsys
    )
    assert code == 2 and "accounts.mobil" in err and "sources check" in err, err
    assert "Traceback" not in err and not (tmp_path / "lake" / "events").exists()


def test_a_listed_source_that_is_missing_points_at_auditpipe_toml_not_at_source(
    tmp_path: Path,
) -> None:
    """A settings file listed under [ingest] sources is not a --source flag: the hint says
    where it was listed and what a relative path is read from."""
    from auditpipe.sources.router import SourceRouter

    with pytest.raises(ConfigError) as info:
        SourceRouter.load([tmp_path / "sources" / "pg.toml"])
    text = f"{info.value} {info.value.hint}"
    assert "pg.toml does not exist" in text and "--source" not in text, text
    assert "[ingest] sources" in text and "auditpipe.toml" in text, text


def test_sources_check_json_lists_problems_and_warnings(tmp_path: Path, capsys) -> None:
    import json

    settings = write_source(tmp_path, "pgaudit", "stderr")
    text = settings.read_text().replace('"accounts.mobile"', '"accounts.phone_no"')
    settings.write_text(text.replace('= "real_name"', '= "realname_x"'))
    code, out, _ = run_main(["sources", "check", str(settings), "--json"], capsys)
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False and doc["kind"] == "pgaudit", doc
    assert doc["problems"] == ["[columns] names accounts.phone_no, which the schema lacks"]
    assert any("realname_x" in w for w in doc["warnings"]) and doc["tables"] == 2, doc
    assert doc["mapped_columns"] == 4 and doc["subject_keys"] == 2, doc
    assert doc["lookup_keys"] == 0, doc


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("CST", "Asia/Shanghai"),  # what PostgreSQL prints for Asia/Shanghai
        ("CST", "America/Chicago"),  # ... and for US Central
        ("asia/tokyo", "Asia/Tokyo"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("GMT+8", "Etc/GMT-8"),
        ("UTC+08:00", "Etc/GMT-8"),
        ("+08", "Etc/GMT-8"),
        ("UTC-5", "Etc/GMT+5"),
    ],
)
def test_a_timezone_written_as_an_abbreviation_or_offset_is_refused_naming_the_iana_zone(
    written: str, named: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({**BASE, "timezone": written})
    assert named in f"{info.value} {info.value.hint}", (info.value, info.value.hint)


def test_an_etc_gmt_zone_is_warned_of_its_inverted_sign(tmp_path: Path, capsys) -> None:
    """Etc/GMT+8 is UTC-8 (POSIX's sign): a China server's log read with it is 16 hours off."""
    settings = write_source(tmp_path, "server_audit", extra='timezone = "Etc/GMT+8"')
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0 and "Etc/GMT+8 is UTC-8" in out and "Etc/GMT-8" in out, out
    settings = write_source(tmp_path / "ok", "server_audit", extra='timezone = "Asia/Shanghai"')
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0 and "Etc/GMT" not in out, out


def test_a_source_listed_twice_or_two_sources_with_one_pattern_are_refused(
    tmp_path: Path,
) -> None:
    """The second of two sources claiming the same file names would never be used (first
    match wins): a copy-pasted line in [ingest] sources, refused rather than ignored."""
    from auditpipe.sources.router import SourceRouter

    a = write_source(tmp_path / "a", "pgaudit", "stderr", 'files = ["postgresql*.log"]')
    b = write_source(tmp_path / "b", "server_audit", None, 'files = ["postgresql*.log"]')
    c = write_source(tmp_path / "c", "server_audit", None, 'files = ["server_audit*.log"]')
    assert len(SourceRouter.load([a, c]).settings) == 2
    for listed, named in (([a, c, a], "listed twice"), ([a, b], "postgresql*.log")):
        with pytest.raises(ConfigError) as info:
            SourceRouter.load(listed)
        text = f"{info.value} {info.value.hint}"
        assert named in text and "[ingest] sources" in text, text


def test_ingest_refuses_settings_without_a_schema_as_sources_check_does(
    tmp_path: Path, capsys
) -> None:
    """Without a schema a `SELECT *` reads no known column: ingest would under-count the
    protected reads. sources check reports it (exit 1); ingest refuses it (exit 2)."""
    settings = write_source(tmp_path, "pgaudit", "stderr")
    settings.write_text(
        "\n".join(x for x in settings.read_text().splitlines() if not x.startswith("schema"))
    )
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 1 and "no schema" in out, out
    log = tmp_path / "postgresql.log"
    log.write_text("")
    code, _, err = run_main(
        ["ingest", "--source", str(settings), str(log), "--lake", str(tmp_path / "lake")], capsys
    )
    assert code == 2 and "no schema" in err and str(settings) in err, err


def test_sources_check_warns_when_no_column_is_mapped(tmp_path: Path, capsys) -> None:
    settings = write_source(tmp_path, "pgaudit", "stderr")
    text = settings.read_text()
    settings.write_text(text[: text.index("[columns]")] + text[text.index("[actors]") :])
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0 and "no [columns]" in out, out


def test_sources_check_warns_of_a_table_name_in_two_schemas(tmp_path: Path, capsys) -> None:
    settings = write_source(tmp_path, "pgaudit", "stderr")
    with open(tmp_path / "schema.sql", "a", encoding="utf-8") as fh:
        fh.write("CREATE TABLE archive.accounts (id bigint, old_note text);\n")
    code, out, _ = run_main(["sources", "check", str(settings)], capsys)
    assert code == 0 and "table accounts is defined in " in out and "archive" in out, out
