"""pgaudit log corners, each destination: what one statement's lines become."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.errors import InputFileError
from tests.support.sources import cut_points, events, log_reader, quarantined, read_log

P = "2026-03-02 09:00:00.123 CST [4242] kefu_li@shop LOG:  AUDIT: "


def test_stderr_multi_line_statement_is_one_event_at_its_first_line(tmp_path: Path) -> None:
    log = (
        "2026-03-02 09:00:00.100 CST [1] LOG:  checkpoint starting: time\n"
        + P
        + 'SESSION,1,1,READ,SELECT,TABLE,public.accounts,"SELECT real_name,\n'
        "\t       id_card_no\n"
        '\t  FROM accounts WHERE id = 7",<none>,1\n'
    )
    rows, counters = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["line_number"] == 2
    assert event["subject_id"] == "7"
    assert event["action"] == "view"
    assert event["data_fields"].split(";")[:2] == ["id_number", "real_name"]
    assert event["extras"]["log_lines"] == 3
    assert counters.non_data_lines == 1 and counters.lines_in_events == 3


def test_forged_audit_line_inside_a_statement_is_not_a_record(tmp_path: Path) -> None:
    forged = "2026-03-02 09:00:01.000 CST [99] vendor_x@shop LOG:  AUDIT: SESSION,9,1,READ,SELECT,,,SELECT * FROM accounts,<none>"
    log = (
        P
        + "SESSION,1,1,READ,SELECT,TABLE,public.accounts,\"SELECT 'line\n"
        + "\t"
        + forged.replace('"', '""')
        + "\n\t' AS x, real_name FROM accounts WHERE id = 3\",<none>,1\n"
    )
    rows, _ = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["actor_id"] == "kefu_li"
    assert event["subject_id"] == "3"
    assert "vendor_x" not in json.dumps(rows)


def test_relation_lines_and_previously_logged_make_one_event(tmp_path: Path) -> None:
    stmt = '"SELECT o.amount, a.real_name FROM orders o JOIN accounts a ON a.id = o.account_id WHERE o.account_id = 5"'
    log = (
        f"{P}SESSION,3,1,READ,SELECT,TABLE,public.orders,{stmt},<none>,2\n"
        f"{P}SESSION,3,1,READ,SELECT,TABLE,public.accounts,<previously logged>,<previously logged>,2\n"
    )
    rows, counters = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["line_number"] == 1 and event["extras"]["log_lines"] == 2
    assert event["subject_id"] == "5" and event["record_count"] == "2"
    assert "real_name" in event["data_fields"].split(";")
    assert counters.lines_in_events == 2


def test_nested_parameter_csv_gives_the_subject_and_no_other_value(tmp_path: Path) -> None:
    stmt = (
        '"PREPARE q(text, bigint) AS SELECT mobile FROM accounts WHERE user_name = $1 AND id = $2"'
    )
    params = '"""Zhang, San"",42"'
    rows, _ = read_log(
        tmp_path, f"{P}SESSION,2,1,READ,SELECT,TABLE,public.accounts,{stmt},{params},1\n"
    )
    (event,) = events(rows)
    assert event["subject_id"] == "42"
    assert "Zhang" not in json.dumps(rows)


def test_quotes_and_commas_in_statement_are_unescaped_then_scrubbed(tmp_path: Path) -> None:
    stmt = '"SELECT real_name FROM accounts WHERE user_name = \'a,""b""\' AND id = 9"'
    rows, _ = read_log(
        tmp_path, f"{P}SESSION,2,1,READ,SELECT,TABLE,public.accounts,{stmt},<none>,1\n"
    )
    (event,) = events(rows)
    assert (
        event["extras"]["statement"]
        == "SELECT real_name FROM accounts WHERE user_name = ? AND id = ?"
    )
    assert event["subject_id"] == "9"


def test_rows_field_is_optional(tmp_path: Path) -> None:
    rows, _ = read_log(
        tmp_path,
        f"{P}SESSION,2,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts,<none>\n",
    )
    (event,) = events(rows)
    assert event["record_count"] == "1" and event["extras"]["unbounded"] is True
    assert event["action"] == "search"


def test_unparseable_statement_falls_back_to_the_logged_tables(tmp_path: Path) -> None:
    rows, counters = read_log(
        tmp_path, f"{P}SESSION,2,1,READ,SELECT,TABLE,public.accounts,SELEKT garbage ((,<none>,4\n"
    )
    (event,) = events(rows)
    assert event["extras"]["resolved_from_tables_only"] is True
    assert set(event["data_fields"].split(";")) == {
        "id_number",
        "mobile",
        "password_hash",
        "real_name",
    }
    assert counters.resolved_from_tables_only == 1
    # not read, so not claimed to be a whole-table dump (the bulk rule's unbounded read)
    assert not event["extras"].get("unbounded") and counters.unbounded_reads == 0


def test_denied_statement_is_a_failure_event(tmp_path: Path) -> None:
    log = (
        "2026-03-02 09:00:00.123 CST [77] kefu_li@shop ERROR:  permission denied for table accounts\n"
        "2026-03-02 09:00:00.123 CST [77] kefu_li@shop STATEMENT:  SELECT id_card_no FROM accounts\n"
        "\tWHERE id = 12\n"
    )
    rows, counters = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["outcome"] == "failure" and event["subject_id"] == "12"
    assert event["line_number"] == 1 and counters.lines_in_events == 3


def test_error_after_an_audited_statement_marks_it_failed(tmp_path: Path) -> None:
    log = (
        f"{P}SESSION,5,1,WRITE,UPDATE,TABLE,public.accounts,UPDATE accounts SET mobile = '1' WHERE id = 3,<none>\n"
        "2026-03-02 09:00:00.124 CST [4242] kefu_li@shop ERROR:  value too long\n"
        "2026-03-02 09:00:00.124 CST [4242] kefu_li@shop STATEMENT:  UPDATE accounts SET mobile = '1' WHERE id = 3\n"
    )
    rows, counters = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["outcome"] == "failure" and counters.lines_in_events == 3


def test_non_utf8_statement_still_becomes_an_event(tmp_path: Path) -> None:
    log = (
        (
            P
            + "SESSION,2,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = 4 AND city = '"
        ).encode()
        + b"\xff\xfe'"
        + b",<none>\n"
    )
    rows, _ = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["subject_id"] == "4"
    assert "\\xff" not in event["extras"]["statement"]


def test_malformed_audit_payload_is_quarantined_scrubbed(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, f"{P}SESSION,x,1,READ,SELECT 'secret110101199003074514'\n")
    (bad,) = quarantined(rows)
    assert "not in pgaudit's format" in bad["pre_error"]
    assert "110101199003074514" not in bad["raw"]
    assert counters.lines_quarantined == 1


def test_rds_prefix_preset(tmp_path: Path) -> None:
    line = "2026-03-02 01:00:00 UTC:10.1.2.3(5432):kefu_li@shop:[311]:LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = 8,<none>\n"
    rows, _ = read_log(tmp_path, line, extra='log_line_prefix = "rds"')
    (event,) = events(rows)
    assert event["source_ip"] == "10.1.2.3" and event["actor_id"] == "kefu_li"
    assert event["event_time"].startswith("2026-03-02T01:00:00")


def test_ambiguous_zone_without_timezone_is_refused(tmp_path: Path) -> None:
    from tests.support.sources import write_source

    settings = write_source(tmp_path / "src", "pgaudit", "stderr")
    text = settings.read_text().replace('timezone = "Asia/Shanghai"\n', "")
    settings.write_text(text)
    from auditpipe.contract import load_catalog
    from auditpipe.sources import load_settings, read_file

    log = tmp_path / "pg.log"
    log.write_text(f"{P}SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT 1,<none>\n")
    with pytest.raises(InputFileError, match="CST.*ambiguous"):
        read_file(log, load_settings(settings), load_catalog())


def test_cst_is_read_in_the_settings_timezone(tmp_path: Path) -> None:
    rows, _ = read_log(
        tmp_path,
        f"{P}SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = 1,<none>\n",
    )
    assert events(rows)[0]["event_time"] == "2026-03-02T01:00:00.123000Z"


def test_csvlog_multi_line_and_forged_line(tmp_path: Path) -> None:
    msg = 'AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,""SELECT \'x\n2026-03-02 09:00:00 CST,""""vendor_x"""",\'  AS y,\nreal_name FROM accounts WHERE id = 6"",<none>,1'
    row = f'2026-03-02 09:00:00.123 CST,"kefu_li","shop",4242,"10.0.0.9:5000",6b0d85cf.529a,1,"SELECT",2026-03-02 09:00:00 CST,3/7,0,LOG,00000,"{msg}",,,,,,,,,"psql","client backend",,0\n'
    denied = '2026-03-02 09:00:01.000 CST,"kefu_li","shop",4242,"10.0.0.9:5000",6b0d85cf.529a,2,"SELECT",2026-03-02 09:00:00 CST,3/8,0,ERROR,42501,"permission denied for table accounts",,,,,,"SELECT id_card_no FROM accounts WHERE id = 2",,,"psql","client backend",,0\n'
    rows, counters = read_log(tmp_path, row + denied, fmt="csvlog")
    first, second = events(rows)
    assert first["subject_id"] == "6" and first["source_ip"] == "10.0.0.9"
    assert second["outcome"] == "failure" and second["extras"]["error_code"] == "42501"
    assert counters.lines_read == 4 and "vendor_x" not in json.dumps(rows)


def test_csvlog_of_postgresql_13_has_24_columns(tmp_path: Path) -> None:
    msg = "AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = 6,<none>"
    row = f'2026-03-02 09:00:00.123 CST,"kefu_li","shop",4242,"10.0.0.9:5000",6b0d85cf.529a,1,"SELECT",2026-03-02 09:00:00 CST,3/7,0,LOG,00000,"{msg}",,,,,,,,,"psql","client backend"\n'
    rows, _ = read_log(tmp_path, row, fmt="csvlog")
    assert events(rows)[0]["subject_id"] == "6"


def test_jsonlog_record_and_a_broken_line(tmp_path: Path) -> None:
    rec = {
        "timestamp": "2026-03-02 09:00:00.123 CST",
        "user": "kefu_li",
        "dbname": "shop",
        "pid": 9,
        "remote_host": "10.0.0.9",
        "session_id": "6b0d85cf.9",
        "error_severity": "LOG",
        "message": 'AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"SELECT mobile FROM accounts\nWHERE id = 6",<none>,1',
    }
    broken = '{"user": "kefu_li", "message": "AUDIT: Zhang San 13800138000"\n'  # cut short
    rows, counters = read_log(tmp_path, json.dumps(rec) + "\n" + broken, fmt="jsonlog")
    (event,) = events(rows)
    (bad,) = quarantined(rows)
    assert event["subject_id"] == "6" and bad["line_number"] == 2
    assert "13800138000" not in bad["raw"] and "Zhang" not in bad["raw"]


def test_foreign_and_orphan_lines_are_quarantined_blank_lines_are_not_data(tmp_path: Path) -> None:
    log = (
        "\tWHERE id = 1\n"  # the end of a message that began before this file
        + P
        + "SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = 2,<none>\n"
        "\n"
        "some other program wrote 13800138000 here\n"
    )
    rows, counters = read_log(tmp_path, log)
    (event,) = events(rows)
    orphan, foreign = quarantined(rows)
    assert event["subject_id"] == "2"
    assert "starts before this file" in orphan["pre_error"]
    assert "neither log_line_prefix" in foreign["pre_error"] and "13800138000" not in foreign["raw"]
    assert counters.non_data_lines == 1 and counters.lines_quarantined == 2


def test_statement_not_logged_resolves_from_the_logged_table(tmp_path: Path) -> None:
    """pgaudit.log_statement = off writes <not logged>: the event still stands, from the
    table the line names; a suppressed long parameter is no subject."""
    log = (
        f"{P}OBJECT,4,1,READ,SELECT,TABLE,public.accounts,<not logged>,<not logged>,3\n"
        f'{P}SESSION,5,1,READ,SELECT,TABLE,public.accounts,"PREPARE p(bigint) AS SELECT mobile FROM accounts WHERE id = $1",<long param suppressed>,1\n'
    )
    rows, counters = read_log(tmp_path, log)
    hidden, suppressed = events(rows)
    assert hidden["extras"]["resolved_from_tables_only"] is True and hidden["record_count"] == "3"
    assert "id_number" in hidden["data_fields"] and hidden["action"] == "search"
    assert suppressed["subject_id"] is None and suppressed["action"] == "view"
    assert counters.resolved_from_tables_only == 1


def test_csvlog_row_with_the_wrong_column_count_is_quarantined_alone(tmp_path: Path) -> None:
    good = '2026-03-02 09:00:00.123 CST,"kefu_li","shop",42,"10.0.0.9:5000",6b0d85cf.2a,{n},"SELECT",2026-03-02 09:00:00 CST,3/7,0,LOG,00000,"AUDIT: SESSION,{n},1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = {n},<none>",,,,,,,,,"psql","client backend",,0\n'
    short = '2026-03-02 09:00:01.000 CST,"kefu_li","shop",42,"13800138000"\n'
    rows, counters = read_log(tmp_path, good.format(n=1) + short + good.format(n=2), fmt="csvlog")
    assert [e["subject_id"] for e in events(rows)] == ["1", "2"]
    (bad,) = quarantined(rows)
    assert bad["line_number"] == 2 and "wrong number of columns" in bad["pre_error"]
    assert "13800138000" not in bad["raw"]


def test_a_reused_process_id_starting_again_at_statement_1_is_a_new_statement(
    tmp_path: Path,
) -> None:
    line = "2026-03-02 09:00:{s}.000 CST [777] kefu_li@shop LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = {i},<none>\n"
    log = line.format(s="00", i=1) + line.format(s="00", i=1) + line.format(s="30", i=2)
    rows, _ = read_log(tmp_path, log)
    first, second = events(rows)
    assert first["extras"]["log_lines"] == 2 and first["subject_id"] == "1"
    assert second["subject_id"] == "2" and second["line_number"] == 3


# A Chinese server (lc_messages = 'zh_CN.UTF-8', what initdb sets on a Chinese system) with
# PostgreSQL's default log_line_prefix '%m [%p] ' (no %u), log_connections on and
# log_error_verbosity = verbose: lines as a real PostgreSQL 15 + pgaudit 1.7 wrote them.
ZH_VERBOSE = """\
2026-12-01 23:49:49.214 CST [17582] 日志:  00000: 已接收到连接: host=127.0.0.1 port=34424
2026-12-01 23:49:49.214 CST [17582] 位置:  BackendInitialize, postmaster.c:4408
2026-12-01 23:49:49.215 CST [17582] 日志:  00000: 连接已授权: user=svc_app database=postgres application_name=psql
2026-12-01 23:49:49.215 CST [17582] 位置:  PerformAuthentication, postinit.c:296
2026-12-01 23:49:49.218 CST [17582] 日志:  00000: AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 9;,<none>,1
2026-12-01 23:49:49.218 CST [17582] 位置:  log_audit_event, pgaudit.c:783
2026-12-01 23:49:49.218 CST [17582] 日志:  00000: 断开连接: 会话时长: 0:00:00.005 user=svc_app database=postgres host=127.0.0.1 port=34424
2026-12-01 23:49:49.231 CST [17584] 日志:  00000: 已接收到连接: host=127.0.0.1 port=34436
2026-12-01 23:49:49.232 CST [17584] 日志:  00000: 连接已授权: user=kefu_li database=postgres application_name=psql
2026-12-01 23:49:49.235 CST [17584] 错误:  42501: 对表 accounts 的权限不足
2026-12-01 23:49:49.235 CST [17584] 位置:  aclcheck_error, aclchk.c:3655
2026-12-01 23:49:49.235 CST [17584] 语句:  SELECT mobile FROM accounts WHERE id = 1;
"""
ZH_SETTINGS = 'log_line_prefix = "%m [%p] "\ntimezone = "Asia/Shanghai"'


def test_a_chinese_verbose_log_without_user_in_the_prefix_gives_every_event(
    tmp_path: Path,
) -> None:
    rows, counters = read_log(tmp_path, ZH_VERBOSE, extra=ZH_SETTINGS)
    assert not quarantined(rows)
    read, denied = events(rows)
    assert (read["actor_id"], read["subject_id"], read["outcome"]) == ("svc_app", "9", "success")
    assert read["extras"]["log_lines"] == 2  # its LOCATION line is folded in
    assert (denied["actor_id"], denied["subject_id"], denied["outcome"]) == (
        "kefu_li",
        "1",
        "failure",
    )
    assert denied["extras"]["error_code"] == "42501"
    assert counters.lines_quarantined == 0 and counters.events == 2


def test_a_session_whose_connection_record_is_not_in_the_file_is_quarantined_saying_why(
    tmp_path: Path,
) -> None:
    # the file starts after the session's log_connections record (a rotated log)
    rows, _ = read_log(tmp_path, "\n".join(ZH_VERBOSE.splitlines()[4:6]) + "\n", extra=ZH_SETTINGS)
    (row,) = rows
    assert row["pre_error"] is not None and "%u" in row["pre_error"]
    assert "log_connections" in row["pre_error"] and "110101" not in row["raw"]


def test_the_user_of_a_session_follows_it_across_batches(tmp_path: Path) -> None:
    filler = "".join(
        f"2026-12-01 23:49:49.216 CST [17582] 日志:  00000: checkpoint {i:06d} {'x' * 60}\n"
        for i in range(3000)
    )
    lines = ZH_VERBOSE.splitlines(keepends=True)
    log = "".join(lines[:4]) + filler + "".join(lines[4:])
    rows, _ = read_log(tmp_path, log, extra=ZH_SETTINGS, batch_bytes=64 * 1024)
    assert [r["actor_id"] for r in events(rows)] == ["svc_app", "kefu_li"]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        # English, German, French (space before the colon), Korean (no spaces after)
        ("LOG:  AUDIT: ", ("ERROR:  ", "STATEMENT:  ")),
        ("LOG:  AUDIT: ", ("FEHLER:  ", "ANWEISUNG:  ")),
        ("LOG:  AUDIT: ", ("ERREUR:  ", "INSTRUCTION :  ")),
        ("로그:  AUDIT: ", ("오류:  ", "명령 구문:  ")),
        ("日誌:  AUDIT: ", ("錯誤:  ", "陳述式:  ")),
    ],
)
def test_severities_and_labels_in_every_language_postgresql_ships(
    tmp_path: Path, line: str, words: tuple[str, str]
) -> None:
    error, statement = words
    head = "2026-03-02 09:00:00.123 CST [4242] kefu_li@shop "
    log = (
        f"{head}{line}SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
        "SELECT real_name FROM accounts WHERE id = 7,<none>,1\n"
        f"{head}{error}permission denied for table accounts\n"
        f"{head}{statement}SELECT mobile FROM accounts WHERE id = 8\n"
    )
    rows, counters = read_log(tmp_path, log)
    assert not quarantined(rows)
    assert [(e["subject_id"], e["outcome"]) for e in events(rows)] == [
        ("7", "success"),
        ("8", "failure"),
    ]
    assert counters.lines_in_events == 3


@pytest.mark.parametrize(
    ("prefix", "head", "user", "ip"),
    [
        # before authentication PostgreSQL prints [unknown]; a Unix-socket client is [local]
        ("%m [%p] %q%u@%d ", " [4242] [unknown]@[unknown] ", None, None),
        ("%m [%p] %u@%d %h ", " [4242] svc_app@shop [local] ", "svc_app", None),
        # an IPv6 client, and a cloud login that is an e-mail address
        ("%m [%p] %u@%d %h ", " [4242] svc_app@shop ::1 ", "svc_app", "::1"),
        (
            "%m [%p] %u@%d %h ",
            " [4242] li.si@corp.example@shop 2001:db8::7 ",
            "li.si@corp.example",
            "2001:db8::7",
        ),
        ("%m:%r:%u@%d:[%p]:", ":[local]:svc_app@shop:[4242]:", "svc_app", None),
        ("%m:%r:%u@%d:[%p]:", ":2001:db8::7(5432):svc_app@shop:[4242]:", "svc_app", "2001:db8::7"),
        (
            "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
            " [4242]: [3-1] user=svc_app,db=shop,app=[unknown],client=::1 ",
            "svc_app",
            "::1",
        ),
    ],
)
def test_prefix_fields_postgresql_prints_in_brackets_or_with_colons(
    tmp_path: Path, prefix: str, head: str, user: str | None, ip: str | None
) -> None:
    time = "2026-03-02 09:00:00" + ("" if prefix.startswith("%t") else ".123") + " UTC"
    audit = (
        "LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
        "SELECT real_name FROM accounts WHERE id = 7,<none>,1\n"
    )
    connection = "LOG:  connection received: host=[local]\n"
    line = f"{time}{head}" + (connection if user is None else audit)
    rows, counters = read_log(tmp_path, line, extra=f'log_line_prefix = "{prefix}"')
    assert not quarantined(rows), rows
    if user is None:
        assert counters.non_data_lines == 1
        return
    (event,) = events(rows)
    assert event["actor_id"] == user and event["subject_id"] == "7"
    assert event["source_ip"] == ip


def test_a_parsed_statement_that_reads_no_column_is_not_an_event(tmp_path: Path) -> None:
    log = (
        P
        + "SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT count(*) FROM accounts,<none>,1\n"
        + P
        + "SESSION,2,1,READ,SELECT,TABLE,public.accounts,"
        "EXPLAIN SELECT id_card_no FROM accounts,<none>,0\n"
    )
    rows, counters = read_log(tmp_path, log)
    assert rows == [] or not events(rows)
    assert counters.non_data_lines == 2 and counters.events == 0


def test_a_sql_function_s_statement_narrowed_by_its_parameter_is_a_view(tmp_path: Path) -> None:
    # SELECT get_mobile(2): pgaudit logs the function body's statement as written, with the
    # function's arguments as its PARAMETER, then the calling statement
    log = (
        P + "SESSION,1,1,READ,SELECT,TABLE,public.accounts, SELECT mobile FROM accounts "
        "WHERE id = i ,2,1\n" + P + "SESSION,1,2,READ,SELECT,,,SELECT get_mobile(2);,<none>,1\n"
    )
    rows, _ = read_log(tmp_path, log)
    (event,) = events(rows)
    # the function's one argument, logged as the statement's PARAMETER, is the subject
    assert event["action"] == "view" and event["subject_id"] == "2"
    assert not event["extras"]["unbounded"] and event["data_fields"].startswith("mobile")


@pytest.mark.parametrize("params", ['"2,7"', "<none>", "<not logged>"])
def test_a_routine_variable_without_one_logged_value_has_no_subject(
    tmp_path: Path, params: str
) -> None:
    # two arguments (or PL/pgSQL's variables): which one is `i` the log does not say
    log = (
        P + "SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts "
        f"WHERE id = i,{params},1\n"
    )
    rows, _ = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["action"] == "view" and event["subject_id"] is None


def test_a_statement_without_a_user_that_touches_no_table_is_not_data(tmp_path: Path) -> None:
    # A session opened before the file began: its data statement is quarantined (no user),
    # but its SELECT pg_reload_conf() is no data access, as it is for a session with a user.
    head = "2026-12-01 23:49:49.218 CST [17582] 日志:  00000: AUDIT: "
    log = (
        f"{head}SESSION,1,1,READ,SELECT,,,SELECT pg_reload_conf();,<none>,1\n"
        f"{head}SESSION,2,1,READ,SELECT,TABLE,public.accounts,"
        "SELECT real_name FROM accounts WHERE id = 9;,<none>,1\n"
    )
    rows, counters = read_log(tmp_path, log, extra=ZH_SETTINGS)
    (row,) = rows
    assert row["line_number"] == 2 and "%u" in row["pre_error"]
    assert counters.non_data_lines == 1 and counters.lines_quarantined == 1


def test_the_event_id_is_the_same_in_every_destination(tmp_path: Path) -> None:
    # stderr with %p, and with %c only (whose second half is the process id in hex), and
    # %t (no milliseconds): the same statement, the same event id, denied ones too
    ids = set()
    for prefix, head in (
        ("%m [%p] %q%u@%d ", "2026-03-02 09:00:00.123 CST [4242] kefu_li@shop "),
        ("%m [%c] %q%u@%d ", "2026-03-02 09:00:00.123 CST [65e27f00.1092] kefu_li@shop "),
        ("%t [%p] %q%u@%d ", "2026-03-02 09:00:00 CST [4242] kefu_li@shop "),
    ):
        log = (
            f"{head}LOG:  AUDIT: SESSION,7,1,READ,SELECT,TABLE,public.accounts,"
            "SELECT real_name FROM accounts WHERE id = 7,<none>,1\n"
            f"{head}ERROR:  permission denied for table accounts\n"
            f"{head}STATEMENT:  SELECT mobile FROM accounts WHERE id = 8\n"
        )
        rows, _ = read_log(
            tmp_path / prefix[:2].strip("%"), log, extra=f'log_line_prefix = "{prefix}"'
        )
        ids.add(tuple(e["event_id"] for e in events(rows)))
    (only,) = ids
    assert only[0] == "pg:4242:2026-03-02T01:00:00:7" and only[1].startswith("pg:4242:")


def test_a_partner_s_select_star_on_a_view_reads_only_what_the_view_exposes(
    tmp_path: Path,
) -> None:
    # as a real server logged it with log_relation: the view's line and its table's line
    head = "2026-12-01 23:49:51.832 CST [17670] vendor_x@postgres 日志:  AUDIT: SESSION,1,1,"
    log = (
        f"{head}READ,SELECT,VIEW,public.v_contacts,SELECT * FROM v_contacts;,<none>,3\n"
        f"{head}READ,SELECT,TABLE,public.accounts,SELECT * FROM v_contacts;,<none>,3\n"
    )
    view = (
        "CREATE VIEW public.v_contacts AS SELECT accounts.id, accounts.real_name, "
        "accounts.mobile FROM public.accounts;\n"
    )
    rows, _ = read_log(tmp_path, log, extra='timezone = "Asia/Shanghai"')
    (before,) = events(rows)  # the schema without the view: every column of the table
    assert "id_number" in before["data_fields"] and before["extras"]["resolved_from_tables_only"]
    with open(tmp_path / "src" / "schema.sql", "a", encoding="utf-8") as fh:
        fh.write(view)
    import polars as pl

    from auditpipe.contract import load_catalog
    from auditpipe.sources import load_settings, read_file

    table, _ = read_file(
        tmp_path / "log.txt", load_settings(tmp_path / "src" / "source.toml"), load_catalog()
    )
    (event,) = [r for r in pl.from_arrow(table).to_dicts() if r["pre_error"] is None]
    fields = event["data_fields"].split(";")
    assert {"mobile", "real_name"} <= set(fields)
    assert "id_number" not in fields and "password_hash" not in fields
    assert event["record_count"] == "3"


CUT_RECORDS = {
    "stderr": (
        P + "SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 4,<none>,1\n",
        P + 'SESSION,2,1,READ,SELECT,TABLE,public.accounts,"SELECT real_name,\n\t id_card_no FROM accounts\n\t WHERE id IN (5,6, 7)",<none>,12\n',
    ),
    "csvlog": tuple(
        f'2026-03-02 09:00:00.123 CST,"kefu_li","shop",4242,"10.0.0.9:5000",6b0d85cf.529a,{n},"SELECT",2026-03-02 09:00:00 CST,3/7,0,LOG,00000,"{m}",,,,,,,,,"psql","client backend",,0\n'
        for n, m in ((1, "AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 4,<none>,1"),
                     (2, 'AUDIT: SESSION,2,1,READ,SELECT,TABLE,public.accounts,""SELECT real_name,\n id_card_no FROM accounts WHERE id IN (5,6, 7)"",<none>,12'))
    ),
    "jsonlog": tuple(
        json.dumps({"timestamp": "2026-03-02 09:00:00.123 CST", "user": "kefu_li", "dbname": "shop",
                    "pid": 9, "error_severity": "LOG", "message": "AUDIT: " + m}) + "\n"
        for m in ("SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 4,<none>,1",
                  "SESSION,2,1,READ,SELECT,TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = $1,5,12")
    ),
}  # fmt: skip


@pytest.mark.parametrize("fmt", list(CUT_RECORDS))
def test_a_file_ending_inside_a_record_never_makes_it_an_event(tmp_path: Path, fmt: str) -> None:
    """A log copied while the server wrote it, or a cut file: wherever the file ends inside
    its last record, that record is quarantined, never an event with its statement, parameter
    or row count cut (a quoted statement cut short read as an unquoted one was every column
    of the table with no subject: a whole-table dump)."""
    first, last = CUT_RECORDS[fmt]
    read = log_reader(tmp_path, fmt=fmt)
    for cut in cut_points(last, len(last) - 80):
        rows, counters = read(first + last[:cut])
        found = events(rows)
        assert len(found) == (2 if cut == len(last) else 1), last[:cut]
        if cut < len(last):
            (bad,) = quarantined(rows)
            assert bad["line_number"] == 2
            part = last[:cut]
            assert counters.lines_quarantined == part.count("\n") + (not part.endswith("\n"))


@settings(max_examples=8, deadline=None)
@given(
    millis=st.integers(0, 4_102_444_800_000),  # 1970 to 2100
    form=st.sampled_from(
        [
            # %n alone (no zone to resolve: no timezone needed), or beside %t / %m, whose
            # zone (CST) is ambiguous: %n's instant is used, so the file is not refused
            ("%n [%p] %q%u@%d ", "{n} [4242] svc_app@postgres "),
            ("%t %n [%p] %q%u@%d ", "{t} CST {n} [4242] svc_app@postgres "),
            ("%n|%m|%p|%u|%d|", "{n}|{t}.000 CST|4242|svc_app|postgres|"),
        ]
    ),
)
def test_an_epoch_prefix_gives_each_record_its_utc_time(
    tmp_path_factory: pytest.TempPathFactory, millis: int, form: tuple[str, str]
) -> None:
    """log_line_prefix %n prints the Unix epoch with milliseconds: it is the record's time,
    whichever other time escapes the prefix holds (theirs may name an ambiguous zone)."""
    from datetime import UTC, datetime, timedelta

    prefix, shape = form
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    shanghai = at + timedelta(hours=8)  # what %t / %m print with log_timezone CST
    head = shape.format(
        n=f"{millis // 1000}.{millis % 1000:03d}", t=f"{shanghai:%Y-%m-%d %H:%M:%S}"
    )
    log = (
        f"{head}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
        "SELECT mobile FROM accounts WHERE id = 8,<none>\n"
    )
    # the settings' timezone is not the one %t and %m print in: a record read by their time
    # would be 8 hours off
    read = log_reader(
        tmp_path_factory.mktemp("epoch"), extra=f'log_line_prefix = "{prefix}"\ntimezone = "UTC"'
    )
    rows, _ = read(log)
    (event,) = events(rows)
    assert event["event_time"] == at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    assert event["actor_id"] == "svc_app" and event["subject_id"] == "8"


@pytest.mark.parametrize(
    ("prefix", "head"),
    [
        ("%t|%u|%d|%p|", "2026-12-01 20:59:18 UTC|kefu wang|postgres|24143|"),
        ("%m [%p] %q%u@%d ", "2026-12-01 20:59:18.000 UTC [24143] kefu wang@postgres "),
    ],
)
def test_a_role_whose_name_holds_a_space_is_its_events_actor(
    tmp_path: Path, prefix: str, head: str
) -> None:
    # CREATE ROLE "kefu wang": PostgreSQL prints %u unquoted; as a real server logged it
    log = (
        f"{head}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
        "SELECT real_name FROM accounts WHERE id = 7,<none>,1\n"
        f"{head}ERROR:  permission denied for table accounts\n"
        f"{head}STATEMENT:  SELECT mobile FROM accounts WHERE id = 8\n"
    )
    rows, _ = read_log(tmp_path, log, extra=f'log_line_prefix = "{prefix}"')
    assert not quarantined(rows)
    assert [(e["actor_id"], e["subject_id"], e["outcome"]) for e in events(rows)] == [
        ("kefu wang", "7", "success"),
        ("kefu wang", "8", "failure"),
    ]


# A DELETE in a WITH clause (PostgreSQL's data-modifying CTE), as a real PostgreSQL 15 with
# pgaudit logs it: WRITE,DELETE, whatever the outer statement is.
CTE_DELETES = (
    "2026-12-02 12:20:29.936 CST [17828] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,DELETE,TABLE,public.accounts,WITH d AS (DELETE FROM accounts WHERE id = 98 RETURNING id) SELECT count(*) FROM d;,<none>,1\n"
    "2026-12-02 12:20:29.977 CST [17830] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,DELETE,TABLE,public.accounts,WITH d AS (DELETE FROM accounts WHERE id = 97 RETURNING real_name) SELECT * FROM d;,<none>,0\n"
    '2026-12-02 12:19:45.592 CST [14755] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.archive,"WITH d AS (DELETE FROM accounts WHERE id = 99 RETURNING *) INSERT INTO archive SELECT id, real_name, mobile FROM d;",<none>,0\n'
    '2026-12-02 12:19:45.592 CST [14755] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,DELETE,TABLE,public.accounts,"WITH d AS (DELETE FROM accounts WHERE id = 99 RETURNING *) INSERT INTO archive SELECT id, real_name, mobile FROM d;",<none>,0\n'
)


def test_a_delete_in_a_with_clause_is_a_delete_of_every_column(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, CTE_DELETES)
    found = events(rows)
    assert [e["subject_id"] for e in found] == ["98", "97", "99"]
    assert_every_column(found, "delete")


def assert_every_column(found: list[dict[str, Any]], action: str | None = None) -> None:
    """Each event names every column of ``accounts`` (and is an ``action``, when given)."""
    for event in found:
        if action is not None:
            assert event["action"] == action, event["extras"]["statement"]
        fields = set(event["data_fields"].split(";"))
        assert {"real_name", "id_number", "mobile", "password_hash"} <= fields


# A table's whole row by its alias (PostgreSQL's row value), as a real PostgreSQL 15 logs it:
# the caller gets every column (JSON or a row literal) although the statement names none.
WHOLE_ROWS = (
    "2026-12-02 12:41:17.841 CST [24373] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT row_to_json(a) FROM accounts a WHERE id = 1;,<none>,1\n"
    "2026-12-02 12:41:17.868 CST [24377] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT a FROM accounts a WHERE a.id = 2;,<none>,1\n"
)


def test_a_whole_row_reference_reads_every_column(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, WHOLE_ROWS)
    found = events(rows)
    assert [e["subject_id"] for e in found] == ["1", "2"] and counters.non_data_lines == 0
    assert_every_column(found)


def test_copy_to_a_program_is_an_external_export(tmp_path: Path) -> None:
    # a real PostgreSQL 15's line (pgaudit names no table for a COPY of a table)
    log = "2026-12-02 12:41:17.892 CST [24379] postgres@postgres LOG:  AUDIT: SESSION,1,1,READ,COPY,,,COPY accounts TO PROGRAM 'cat > /dev/null';,<none>,0\n"
    rows, _ = read_log(tmp_path, log)
    (event,) = events(rows)
    assert event["action"] == "export" and event["destination_type"] == "external"
    assert event["extras"]["export_path"] == "cat > /dev/null"
    assert event["extras"]["export_to"] is None


# `= ANY(array)`: PostgreSQL's IN for drivers that bind one array (real PostgreSQL 15 lines:
# psql's literals, pgbench -M extended's $1 in the array). Narrowed, never an unbounded read.
ANY_ARRAYS = (
    '2026-12-02 12:42:59.690 CST [29337] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"SELECT real_name FROM accounts WHERE id = ANY(ARRAY[1, 2]);",<none>,2\n'
    '2026-12-02 12:42:59.665 CST [29327] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"SELECT real_name FROM accounts WHERE id = ANY(ARRAY[$1, 1]);",2,2\n'
    "2026-12-02 12:41:17.911 CST [24383] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,\"SELECT real_name FROM accounts WHERE id = ANY('{1,2}'::bigint[]);\",<none>,2\n"
)


def test_a_key_equal_to_any_of_an_array_narrows_the_read(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, ANY_ARRAYS)
    literals, bound, text = events(rows)
    assert literals["subject_id"] == "1" and literals["record_count"] == "2"
    for event in (literals, bound, text):
        assert event["action"] == "view" and not event["extras"].get("unbounded")
    assert counters.unbounded_reads == 0


def test_a_key_equal_to_any_of_a_bound_array_has_no_one_subject(tmp_path: Path) -> None:
    log = ANY_ARRAYS.splitlines()[1].replace("ANY(ARRAY[$1, 1])", "ANY($1)")
    rows, _ = read_log(tmp_path, log.replace(",2,2", ',"{2,1}",2') + "\n")
    (event,) = events(rows)
    assert event["action"] == "view" and event["subject_id"] is None


# MERGE ... WHEN MATCHED THEN DELETE (PostgreSQL 15; pgaudit logs it as WRITE,DELETE).
MERGE_DELETES = (
    "2026-12-02 12:44:54.048 CST [5663] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,DELETE,TABLE,public.accounts,MERGE INTO accounts a USING (SELECT 95 AS id) s ON a.id = s.id WHEN MATCHED THEN DELETE;,<none>,1\n"
    "2026-12-02 12:44:54.075 CST [5669] svc_app@postgres LOG:  AUDIT: SESSION,1,1,WRITE,DELETE,TABLE,public.accounts,MERGE INTO accounts a USING orders o ON a.id = o.account_id AND o.id = 1 WHEN MATCHED AND a.id = 94 THEN DELETE WHEN NOT MATCHED THEN DO NOTHING;,<none>,0\n"
    "2026-12-02 12:44:54.076 CST [5669] svc_app@postgres LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.orders,MERGE INTO accounts a USING orders o ON a.id = o.account_id AND o.id = 1 WHEN MATCHED AND a.id = 94 THEN DELETE WHEN NOT MATCHED THEN DO NOTHING;,<none>,0\n"
)


def test_a_merge_that_deletes_is_a_delete_of_every_column(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, MERGE_DELETES)
    found = events(rows)
    assert len(found) == 2
    assert_every_column(found, "delete")


# A real PostgreSQL 15 csvlog: a record whose statement spans four lines, and two of one line.
CSV_MULTI = (
    '2026-12-02 12:19:31.258 CST,"svc_app","postgres",13712,"127.0.0.1:57520",6b0f9c53.3590,1,"SELECT",2026-12-02 12:19:31 CST,3/19,0,LOG,00000,"AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.orders,""SELECT o.amount, a.real_name\n'
    "  FROM orders o\n"
    "  JOIN accounts a ON a.id = o.account_id\n"
    ' WHERE o.account_id IN (1, 2);"",<none>,2",,,,,,,,,"psql","client backend",,0\n'
)
CSV_VENDOR = '2026-12-02 12:19:31.234 CST,"vendor_x","postgres",13710,"127.0.0.1:57508",6b0f9c53.358e,1,"SELECT",2026-12-02 12:19:31 CST,3/17,0,LOG,00000,"AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT * FROM accounts;,<none>,2",,,,,,,,,"psql","client backend",,0\n'
CSV_SVC = '2026-12-02 12:19:31.202 CST,"svc_app","postgres",13708,"127.0.0.1:57494",6b0f9c53.358c,1,"SELECT",2026-12-02 12:19:31 CST,3/15,0,LOG,00000,"AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = 2;,<none>,1",,,,,,,,,"psql","client backend",,0\n'


def test_a_csvlog_cut_inside_a_record_at_its_top_is_read_after_it(tmp_path: Path) -> None:
    # a copy that begins inside a record (its last two lines, one with a lone quote)
    tail = "".join(CSV_MULTI.splitlines(keepends=True)[2:])
    rows, counters = read_log(tmp_path, tail + CSV_MULTI + CSV_SVC, fmt="csvlog")
    assert [e["line_number"] for e in events(rows)] == [3, 7]
    assert [q["line_number"] for q in quarantined(rows)] == [1, 2]
    assert counters.lines_quarantined == 2 and counters.lines_in_events == 5


def test_a_csvlog_row_with_columns_missing_after_a_multi_line_record(tmp_path: Path) -> None:
    damaged = CSV_VENDOR.replace(',"SELECT",2026', ",2026")  # one column fewer
    rows, _ = read_log(tmp_path, CSV_MULTI + damaged + CSV_SVC, fmt="csvlog")
    assert [(e["line_number"], e["actor_id"]) for e in events(rows)] == [
        (1, "svc_app"),
        (6, "svc_app"),
    ]
    (bad,) = quarantined(rows)
    assert bad["line_number"] == 5 and "number of columns" in bad["pre_error"]


# The same with the PARAMETER a real PostgreSQL 15 + pgaudit 1.7 wrote for EXECUTE r('{1,2}')
# of PREPARE r(bigint[]) AS ... = ANY($1): the array value holds a comma, so pgaudit quotes
# it inside the PARAMETER CSV ("{1,2}"), and the field again in the record ("""{1,2}""").
ANY_BOUND_REAL = (
    "2026-12-02 21:42:52.521 CST [9662] svc_app@postgres LOG:  AUDIT: SESSION,2,1,READ,SELECT,"
    "TABLE,public.accounts,PREPARE r(bigint[]) AS SELECT real_name FROM accounts WHERE id = "
    'ANY($1);,"""{1,2}""",2\n'
)


def test_a_key_equal_to_any_of_an_array_bound_with_a_comma_has_no_one_subject(
    tmp_path: Path,
) -> None:
    rows, _ = read_log(tmp_path, ANY_BOUND_REAL)
    (event,) = events(rows)
    assert (event["action"], event["subject_id"], event["record_count"]) == ("view", None, "2")
