"""MariaDB server_audit corners: grouping, escapes, truncation, failures, times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.errors import InputFileError
from tests.support.sources import cut_points, events, log_reader, quarantined, read_log

H = "20260302 09:00:00,db1,kefu_li,10.0.0.7,12,"


def test_table_lines_join_their_query_and_the_event_starts_at_the_first(tmp_path: Path) -> None:
    log = (
        "20260302 08:59:59,db1,kefu_li,10.0.0.7,12,0,CONNECT,shop,,0\n"
        f"{H}40,READ,shop,accounts,\n"
        f"{H}40,READ,shop,orders,\n"
        f"{H}40,QUERY,shop,'SELECT a.real_name, o.amount FROM accounts a JOIN orders o ON o.account_id = a.id WHERE a.id = 77',0\n"
        "20260302 09:00:05,db1,kefu_li,10.0.0.7,12,0,DISCONNECT,shop,,0\n"
    )
    rows, counters = read_log(tmp_path, log, kind="server_audit", fmt=None)
    (event,) = events(rows)
    assert event["line_number"] == 2 and event["extras"]["log_lines"] == 3
    assert event["subject_id"] == "77" and event["action"] == "view"
    assert event["source_ip"] == "10.0.0.7" and event["actor_type"] == "employee"
    assert event["event_time"] == "2026-03-02T01:00:00.000000Z"
    assert counters.non_data_lines == 2 and counters.lines_in_events == 3


def test_escapes_are_undone_before_analysis(tmp_path: Path) -> None:
    q = r"'SELECT mobile FROM accounts WHERE user_name = \'o\\\'brien\' AND id = 5 -- x\nAND 1 = 1',0"
    rows, _ = read_log(
        tmp_path,
        f"{H}41,READ,shop,accounts,\n{H}41,QUERY,shop,{q}\n",
        kind="server_audit",
        fmt=None,
    )
    (event,) = events(rows)
    assert event["subject_id"] == "5"
    assert "brien" not in json.dumps(rows)


def test_query_cut_at_the_log_limit_falls_back_to_table_lines(tmp_path: Path) -> None:
    text = "SELECT real_name FROM accounts WHERE id = 1 AND city = '" + "x" * 200
    cut = text[:100]
    rows, counters = read_log(
        tmp_path,
        f"{H}42,READ,shop,accounts,\n{H}42,QUERY,shop,'{cut}',0\n",
        kind="server_audit",
        fmt=None,
        extra="query_log_limit = 100",
    )
    (event,) = events(rows)
    assert event["extras"]["truncated"] is True
    assert event["extras"]["resolved_from_tables_only"] is True
    assert "real_name" in event["data_fields"] and "id_number" in event["data_fields"]
    assert counters.truncated_statements == 1 and counters.resolved_from_tables_only == 1


def test_retcode_other_than_zero_is_a_failure(tmp_path: Path) -> None:
    rows, _ = read_log(
        tmp_path,
        f"{H}43,READ,shop,accounts,\n{H}43,QUERY,shop,'SELECT real_name FROM accounts WHERE id=1',1143\n",
        kind="server_audit",
        fmt=None,
    )
    (event,) = events(rows)
    assert event["outcome"] == "failure" and event["extras"]["error_code"] == "1143"


def test_into_outfile_is_an_external_export_with_its_path(tmp_path: Path) -> None:
    rows, _ = read_log(
        tmp_path,
        f"{H}44,READ,shop,accounts,\n{H}44,QUERY,shop,'SELECT id, mobile FROM accounts INTO OUTFILE \\'/tmp/m.csv\\'',0\n",
        kind="server_audit",
        fmt=None,
    )
    (event,) = events(rows)
    assert event["action"] == "export" and event["destination_type"] == "external"
    assert event["extras"]["export_path"] == "/tmp/m.csv" and event["extras"]["unbounded"]


def test_aurora_epoch_microseconds_are_utc(tmp_path: Path) -> None:
    line = "1772413200123456,db1,kefu_li,10.0.0.7,12,45,QUERY,shop,'SELECT mobile FROM accounts WHERE id = 3',0\n"
    rows, _ = read_log(tmp_path, line, kind="server_audit", fmt=None)
    assert events(rows)[0]["event_time"] == "2026-03-02T01:00:00.123456Z"


def test_local_times_without_timezone_are_refused(tmp_path: Path) -> None:
    from auditpipe.contract import load_catalog
    from auditpipe.sources import load_settings, read_file
    from tests.support.sources import write_source

    settings = write_source(tmp_path / "s", "server_audit")
    settings.write_text(settings.read_text().replace('timezone = "Asia/Shanghai"\n', ""))
    log = tmp_path / "a.log"
    log.write_text(f"{H}46,QUERY,shop,'SELECT mobile FROM accounts WHERE id = 3',0\n")
    with pytest.raises(InputFileError, match="no timezone"):
        read_file(log, load_settings(settings), load_catalog())


def test_a_line_that_is_not_server_audit_is_quarantined_scrubbed(tmp_path: Path) -> None:
    rows, counters = read_log(
        tmp_path, "garbage 'Zhang San' 13800138000\n", kind="server_audit", fmt=None
    )
    (bad,) = quarantined(rows)
    assert "Zhang San" not in bad["raw"] and "13800138000" not in bad["raw"]
    assert counters.lines_quarantined == 1


def _server_escaped(text: str) -> str:
    """``text`` as server_audit's escape_string writes it (its esc_map): \\b \\t \\n \\f \\r
    \\' \\\\ as a backslash and a letter, every other character as itself."""
    table = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    return "".join(table.get(c, "\\" + c if c in "'\\" else c) for c in text)


def test_unescape_undoes_exactly_what_server_audit_escapes() -> None:
    import polars as pl

    from auditpipe.sources.server_audit import unescape

    logged = ["'a\\\\b'", "'it\\'s'", "'x\\ny'", "'back\\\\n'", "'\\\\\\''", "'a\\bb\\fc'"]
    meant = ["a\\b", "it's", "x\ny", "back\\n", "\\'", "a\bb\fc"]
    got = pl.DataFrame({"o": logged}).select(unescape(pl.col("o")))["o"].to_list()
    assert got == meant


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x7F), max_size=12)
        | st.sampled_from(["\\b", "\\f", "\\n", "\\\\", "\\'", "客户", "\b\f"]),
        max_size=8,
    )
)
def test_unescape_is_the_inverse_of_server_audit_s_escaping(parts: list[str]) -> None:
    """Any statement text (every ASCII control character, quotes, backslashes before the
    letters the plugin uses): escaped as the plugin does, then read back, is that text."""
    import polars as pl

    from auditpipe.sources.server_audit import unescape

    texts = ["".join(parts), "".join(reversed(parts))]
    logged = ["'" + _server_escaped(t) + "'" for t in texts]
    got = pl.DataFrame({"o": logged}).select(unescape(pl.col("o")))["o"].to_list()
    assert got == texts


def test_a_form_feed_or_backspace_in_a_statement_is_read_as_itself(tmp_path: Path) -> None:
    # A form feed between words is whitespace to the server: read as the letter f, the
    # statement named a column real_namefFROM and a table nobody has.
    q = _server_escaped("SELECT real_name\fFROM accounts\fWHERE id = 5 AND note = 'a\bb'")
    rows, _ = read_log(
        tmp_path,
        f"{H}45,READ,shop,accounts,\n{H}45,QUERY,shop,'{q}',0\n",
        kind="server_audit",
        fmt=None,
    )
    (event,) = events(rows)
    assert event["subject_id"] == "5" and event["action"] == "view"
    assert event["data_fields"] == "real_name;accounts.id"
    assert event["extras"].get("resolved_from_tables_only") is not True


# server_audit_output_type = syslog: the records as a real MariaDB sent them to /dev/log
# (server_audit_syslog_info empty: two spaces after the ident), in the file formats rsyslog
# writes: traditional (local time, no year) and RFC 3339 (Debian's default).
SYSLOG_RECORDS = [
    "mysql-server_auditing:  vm,svc_app,localhost,9,0,CONNECT,shop,,0",
    "mysql-server_auditing:  vm,svc_app,localhost,9,31,READ,shop,accounts,",
    "mysql-server_auditing:  vm,svc_app,localhost,9,31,QUERY,shop,"
    "'SELECT real_name FROM accounts WHERE id = 1',0",
    "mysql-server_auditing:  vm,svc_app,localhost,9,0,DISCONNECT,shop,,0",
]


def _read_syslog(tmp_path: Path, lines: list[str], mtime: str | None = None) -> tuple:
    import os
    from datetime import datetime

    import polars as pl

    from auditpipe.contract import load_catalog
    from auditpipe.sources import load_settings, read_file
    from tests.support.sources import write_source

    settings = write_source(tmp_path / "src", "server_audit")
    log = tmp_path / "syslog"
    log.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    if mtime:
        stamp = datetime.fromisoformat(mtime).timestamp()
        os.utime(log, (stamp, stamp))
    table, counters = read_file(log, load_settings(settings), load_catalog())
    assert counters.reconciles, counters.as_dict()
    rows = pl.from_arrow(table).sort("line_number").to_dicts()
    for row in rows:
        row["extras"] = json.loads(row["extras"]) if row.get("extras") else {}
    return rows, counters


@pytest.mark.parametrize(
    "head",
    [
        "Dec  1 16:07:20 dbhost ",  # rsyslog traditional
        "<14>Dec  1 16:07:20 ",  # as sent to /dev/log, no host
        "2026-12-01T16:07:20.000000+08:00 dbhost ",  # rsyslog RFC 3339
        "2026-12-01T08:07:20Z dbhost ",
    ],
)
def test_syslog_records_become_the_same_events_as_the_file_s(tmp_path: Path, head: str) -> None:
    rows, counters = _read_syslog(
        tmp_path, [head + r for r in SYSLOG_RECORDS], mtime="2026-12-02T03:00:00"
    )
    (event,) = events(rows)
    assert event["actor_id"] == "svc_app" and event["subject_id"] == "1"
    assert event["action"] == "view" and event["extras"]["log_lines"] == 2
    # the source settings' timezone (Asia/Shanghai) for the traditional local time
    assert event["event_time"] == "2026-12-01T08:07:20.000000Z"
    assert counters.non_data_lines == 2 and not quarantined(rows)


def test_syslog_info_before_the_record_and_other_programs_lines(tmp_path: Path) -> None:
    lines = [
        "Dec  1 16:07:20 dbhost " + r.replace(":  vm,", ": shop db 1 vm,") for r in SYSLOG_RECORDS
    ]
    lines.insert(2, "Dec  1 16:07:20 dbhost systemd[1]: Started Daily apt upgrade.")
    lines.insert(3, "Dec  1 16:07:20 dbhost CRON[811]: (root) CMD (run-parts /etc/cron.hourly)")
    rows, counters = _read_syslog(tmp_path, lines, mtime="2026-12-02T03:00:00")
    (event,) = events(rows)
    assert event["subject_id"] == "1" and event["extras"]["log_lines"] == 2
    assert counters.non_data_lines == 4 and not quarantined(rows)


def test_a_broken_server_audit_syslog_line_is_quarantined(tmp_path: Path) -> None:
    lines = ["Dec  1 16:07:20 dbhost mysql-server_auditing:  vm,svc_app,cut short"]
    rows, _ = _read_syslog(tmp_path, lines, mtime="2026-12-02T03:00:00")
    (row,) = quarantined(rows)
    assert "not a server_audit record" in row["pre_error"]


def test_a_traditional_syslog_time_takes_the_year_of_the_file_s_last_change(
    tmp_path: Path,
) -> None:
    lines = ["Dec 31 23:59:59 dbhost " + r for r in SYSLOG_RECORDS[1:3]] + [
        "Jan  1 00:00:01 dbhost " + r.replace(",31,", ",32,").replace("id = 1", "id = 2")
        for r in SYSLOG_RECORDS[1:3]
    ]
    rows, _ = _read_syslog(tmp_path, lines, mtime="2027-01-01T00:05:00")
    assert [e["event_time"][:10] for e in events(rows)] == ["2026-12-31", "2026-12-31"]
    assert [e["subject_id"] for e in events(rows)] == ["1", "2"]


@pytest.mark.parametrize("machine_tz", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
@pytest.mark.parametrize(
    ("changed", "line_time", "expected"),
    [
        # the file last changed at 00:30 on New Year's Day in Beijing, still 2026 in UTC
        ("2026-12-31T16:30:00+00:00", "Jan  1 00:10:00", "2026-12-31T16:10:00"),
        ("2026-12-31T16:30:00+00:00", "Dec 31 23:50:00", "2026-12-31T15:50:00"),
        # the file last changed at 23:30 on New Year's Eve in Beijing, already 2027 east of it
        ("2026-12-31T15:30:00+00:00", "Dec 31 23:10:00", "2026-12-31T15:10:00"),
        # the first of a month: a line of the month before is not a year early
        ("2026-06-30T16:30:00+00:00", "Jun 30 23:50:00", "2026-06-30T15:50:00"),
    ],
)
def test_a_traditional_syslog_time_takes_its_year_in_the_source_s_zone_not_the_machine_s(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    machine_tz: str,
    changed: str,
    line_time: str,
    expected: str,
) -> None:
    """The year (and month) of a file's last change are taken in the zone its times are read in
    (the settings' timezone, Asia/Shanghai here), whatever zone this machine runs in."""
    import time

    monkeypatch.setenv("TZ", machine_tz)
    time.tzset()
    try:
        rows, _ = _read_syslog(tmp_path, [f"{line_time} dbhost " + SYSLOG_RECORDS[2]], changed)
    finally:
        monkeypatch.undo()
        time.tzset()
    (event,) = events(rows)
    assert event["event_time"].startswith(expected), event["event_time"]


def test_a_syslog_time_that_cannot_be_read_is_quarantined_not_a_crash(tmp_path: Path) -> None:
    rows, _ = _read_syslog(tmp_path, ["2026-13-45T99:07:20Z dbhost " + r for r in SYSLOG_RECORDS])
    (row,) = quarantined(rows)
    assert "time could not be read" in row["pre_error"]


# A client connected with --default-character-set=gbk (a legacy Chinese application): a real
# MariaDB logs its statements in the client's bytes, GBK, while the table names of its TABLE
# lines (from the server's own metadata) stay UTF-8. Lines as that server wrote them.
GBK_LOG = (
    b"20261201 17:14:47,vm,svc_app,localhost,6,13,READ,shop,\xe5\xae\xa2\xe6\x88\xb7,\n"
    b"20261201 17:14:47,vm,svc_app,localhost,6,13,QUERY,shop,'SELECT \xd0\xd5\xc3\xfb, "
    b"\xc9\xed\xb7\xdd\xd6\xa4\xba\xc5 FROM \xbf\xcd\xbb\xa7 WHERE \xb1\xe0\xba\xc5 = 1',0\n"
    b"20261201 17:14:47,vm,svc_app,localhost,6,14,READ,shop,\xe5\xae\xa2\xe6\x88\xb7,\n"
    b"20261201 17:14:47,vm,svc_app,localhost,6,14,QUERY,shop,'SELECT \xb1\xe0\xba\xc5 FROM "
    b"\xbf\xcd\xbb\xa7 WHERE \xd0\xd5\xc3\xfb = \\'\xd5\xc5\xc8\xfd\\'',0\n"
)
GBK_SETTINGS = (
    'subject_keys = ["客户.编号"]\n'
    'timezone = "Asia/Shanghai"\n'
    "[columns]\n"
    '"客户.姓名" = "real_name"\n'
    '"客户.身份证号" = "id_number"\n'
)


def _gbk_source(tmp_path: Path, encoding: str | None) -> tuple[list[dict], object]:
    from tests.support.sources import write_source

    settings = write_source(tmp_path / "src", "server_audit")
    (tmp_path / "src" / "schema.sql").write_text(
        "CREATE TABLE 客户 (编号 bigint PRIMARY KEY, 姓名 varchar(50), 身份证号 varchar(20));\n",
        encoding="utf-8",
    )
    head = "" if encoding is None else f'non_utf8_encoding = "{encoding}"\n'
    text = (
        settings.read_text(encoding="utf-8")
        .split("[columns]")[0]
        .replace('subject_keys = ["accounts.id", "orders.account_id"]\n', "")
    )
    settings.write_text(head + text.replace('timezone = "Asia/Shanghai"\n', "") + GBK_SETTINGS)
    import polars as pl

    from auditpipe.contract import load_catalog
    from auditpipe.sources import load_settings, read_file

    log = tmp_path / "server_audit.log"
    log.write_bytes(GBK_LOG)
    table, counters = read_file(log, load_settings(settings), load_catalog())
    rows = pl.from_arrow(table).sort("line_number").to_dicts()
    for row in rows:
        row["extras"] = json.loads(row["extras"]) if row.get("extras") else {}
    return rows, counters


def test_a_gbk_client_s_statements_are_read_as_gb18030(tmp_path: Path) -> None:
    rows, counters = _gbk_source(tmp_path, None)  # the default: gb18030
    view, search = events(rows)
    assert view["extras"]["statement"] == "SELECT 姓名, 身份证号 FROM 客户 WHERE 编号 = ?"
    assert (view["action"], view["subject_id"]) == ("view", "1")
    assert view["data_fields"].split(";")[:2] == ["id_number", "real_name"]
    assert not view["extras"]["resolved_from_tables_only"]
    assert search["extras"]["statement"] == "SELECT 编号 FROM 客户 WHERE 姓名 = ?"
    assert "张三" not in json.dumps(rows, ensure_ascii=False)  # the literal is still scrubbed
    assert counters.lines_quarantined == 0


def test_non_utf8_encoding_none_keeps_the_bytes_escaped(tmp_path: Path) -> None:
    rows, _ = _gbk_source(tmp_path, "none")
    view, _search = events(rows)
    # written \xNN as the docs say (the backslash is no server_audit escape, so it stays)
    assert "\\xd0\\xd5" in view["extras"]["statement"]
    assert view["extras"]["resolved_from_tables_only"]


def test_a_line_that_is_neither_utf8_nor_the_encoding_keeps_its_bytes_escaped(
    tmp_path: Path,
) -> None:
    # \xff never starts a GB18030 character: that line alone falls back to \xNN escapes
    log = GBK_LOG.replace(b"WHERE \xb1\xe0\xba\xc5 = 1'", b"WHERE \xff = 1'")
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    first, second = events(rows)
    assert "xff" in first["extras"]["statement"]
    assert second["extras"]["statement"].startswith("SELECT 编号 FROM 客户")


def test_non_utf8_encoding_must_be_an_encoding() -> None:
    from auditpipe.errors import ConfigError
    from auditpipe.sources.settings import parse_settings

    with pytest.raises(ConfigError, match="is not an encoding"):
        parse_settings({"kind": "server_audit", "provider_id": "p", "non_utf8_encoding": "gbkk"})


@pytest.mark.parametrize("then", ["", "\n"])
def test_a_line_cut_anywhere_is_never_read_as_a_statement(tmp_path: Path, then: str) -> None:
    """A server killed mid-line, or a file cut: wherever the QUERY line ends, its statement is
    read only when the line is whole. At the end of the file, the missing newline tells (a
    cut inside the retcode leaves nothing else to see). Followed by a line break (pieces of a
    log put together), a line cut after a comma or a number inside the statement still has
    the record's shape (",<retcode>" at its end), but its statement is not closed by a quote,
    or it has no retcode. Either way the line is quarantined and its TABLE line is read as
    when the QUERY line is missing (resolved from the tables), never the statement as cut."""
    query = r"'SELECT real_name, mobile FROM accounts WHERE note = \'a,1\\\\\' AND id IN (5,6, 7)'"
    table = f"{H}41,READ,shop,accounts,\n"
    last = f"{H}41,QUERY,shop,{query},1142\n"
    first = f"{H}40,QUERY,shop,'SELECT real_name FROM accounts WHERE id = 4',0\n"
    reasons = set()
    read = log_reader(tmp_path, kind="server_audit", fmt=None)
    for cut in cut_points(last, len(last) - len(query) - 6):
        part = last[:cut] if cut == len(last) else last[:cut] + then
        rows, _ = read(first + table + part)
        (event,) = [e for e in events(rows) if e["line_number"] == 2]
        # with a line break after it, a cut inside the retcode cannot be seen: read as logged
        whole = cut == len(last) or (bool(then) and cut > len(last) - len("1142\n"))
        assert (event["extras"]["resolved_from_tables_only"] is None) == whole, part
        problems = [r["pre_error"] for r in quarantined(rows)]
        assert len(problems) == (0 if whole or not part.strip() else 1), part
        reasons |= {p.split(":")[0] for p in problems}
    assert reasons == (
        {"the file ends inside this record (no newline after its last line)"}
        if not then
        else {"QUERY record is cut short", "line is not a server_audit record"}
    )


# What server_audit escapes (MariaDB's esc_map): two bytes each in the log.
ESCAPES = {
    b"'": b"\\'",
    b"\\": b"\\\\",
    b"\n": b"\\n",
    b"\r": b"\\r",
    b"\t": b"\\t",
    b"\b": b"\\b",
    b"\f": b"\\f",
}


def _as_server_logs(statement: bytes, limit: int) -> tuple[bytes, bool]:
    """The statement as MariaDB's server_audit writes it between the quotes, and whether it
    was cut: its bytes are cut at the limit, then escaped into at most the limit's bytes,
    stopping one short when a two-byte escape does not fit (log_statement_ex and
    escape_string)."""
    out = b""
    for byte in statement[:limit]:
        char = bytes([byte])
        written = ESCAPES.get(char, char)
        if len(out) + len(written) > limit:
            return out, True
        out += written
    return out, len(statement) > limit


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["客户", "张三", "北京市", "é", "x", "id", " ", "'", "\\", "\n", "\t", "\b", "\f", "7"]
        ),
        max_size=80,
    ),
    limit=st.integers(20, 160),
)
def test_a_statement_the_server_cut_at_its_byte_limit_is_flagged_truncated(
    tmp_path_factory: pytest.TempPathFactory, words: list[str], limit: int
) -> None:
    """server_audit_query_log_limit is in bytes: a statement with multi-byte text, or with an
    escape that did not fit, cut by the server is flagged, whatever its length in characters
    (a cut inside a UTF-8 character leaves a line that is not UTF-8). A whole statement one
    byte short of the limit or at it cannot be told from a cut one, and is flagged too."""
    statement = ("SELECT real_name FROM accounts WHERE note = '" + "".join(words) + "'").encode()
    logged, cut = _as_server_logs(statement, limit)
    line = f"{H}42,READ,shop,accounts,\n".encode() + f"{H}42,QUERY,shop,'".encode()
    read = log_reader(tmp_path_factory.mktemp("limit"), kind="server_audit", fmt=None,
                      extra=f"query_log_limit = {limit}")  # fmt: skip
    rows, _ = read(line + logged + b"',0\n")
    (event,) = events(rows)
    assert bool(event["extras"]["truncated"]) is (cut or len(logged) >= limit - 1), (logged, limit)
    if cut:
        assert event["extras"]["resolved_from_tables_only"] is True


def test_a_definers_routine_is_the_callers_event(tmp_path: Path) -> None:
    # CALL p(2) by svc_app of a procedure defined by root (SQL SECURITY DEFINER, dynamic SQL
    # inside): MariaDB logs the inner statement's TABLE line with root and its QUERY line
    # with svc_app. The login that ran it is the actor, whichever line comes first.
    q = "'SELECT real_name FROM accounts WHERE id = 2'"
    log = (
        "20260302 09:00:00,db1,root,localhost,12,40,READ,shop,accounts,\n"
        f"20260302 09:00:00,db1,svc_app,10.0.0.9,12,40,QUERY,shop,{q},0\n"
    )
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    (event,) = events(rows)
    assert event["actor_id"] == "svc_app" and event["source_ip"] == "10.0.0.9"
    assert event["line_number"] == 1 and event["subject_id"] == "2"


@settings(max_examples=8, deadline=None)
@given(length=st.integers(0, 5000))
def test_with_no_query_log_limit_no_statement_is_flagged_truncated(
    tmp_path_factory: pytest.TempPathFactory, length: int
) -> None:
    """query_log_limit = 0 (server_audit_query_log_limit = 0, MariaDB's "no limit"): the server
    logs every statement whole, as a real MariaDB logged a 3,000-byte one, so none is
    truncated whatever its length, and its own columns are read, not its tables'."""
    pad = "x" * length
    q = f"SELECT real_name FROM accounts WHERE id = 3 AND city <> \\'{pad}\\'"
    read = log_reader(tmp_path_factory.mktemp("nolimit"), kind="server_audit", fmt=None,
                      extra="query_log_limit = 0")  # fmt: skip
    rows, counters = read(f"{H}46,READ,shop,accounts,\n{H}46,QUERY,shop,'{q}',0\n")
    (event,) = events(rows)
    assert not event["extras"].get("truncated") and counters.truncated_statements == 0
    assert event["data_fields"] == "real_name;accounts.city;accounts.id"
    assert event["subject_id"] == "3"


@settings(max_examples=12, deadline=None)
@given(
    number=st.integers(0, 2**62),
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\\'"),
        min_size=1,
        max_size=8,
    ),
    upper=st.booleans(),
)
def test_a_hex_literal_subject_is_what_the_server_compares(
    tmp_path_factory: pytest.TempPathFactory, number: int, text: str, upper: bool
) -> None:
    """MySQL's 0x... literal against a number key is the number it spells (a real MariaDB
    matched id = 0x01 to id 1 and id = 0x31 to none), against a text key the string its
    bytes spell (user_name = 0x7a73 matched 'zs'): the subject, never the literal's text."""
    read = log_reader(
        tmp_path_factory.mktemp("hex"),
        kind="server_audit",
        fmt=None,
        extra='subject_keys = ["accounts.id", "accounts.user_name"]',
    )
    by_number = f"{number:x}".upper() if upper else f"{number:x}"
    by_text = text.encode("utf-8").hex()
    rows, _ = read(
        f"{H}47,READ,shop,accounts,\n"
        f"{H}47,QUERY,shop,'SELECT real_name FROM accounts WHERE id = 0x{by_number}',0\n"
        f"{H}48,READ,shop,accounts,\n"
        f"{H}48,QUERY,shop,'SELECT real_name FROM accounts WHERE user_name = 0x{by_text}',0\n"
    )
    first, second = events(rows)
    assert (first["subject_id"], first["action"]) == (str(number), "view")
    assert (second["subject_id"], second["action"]) == (text, "view")


def test_a_hex_literal_against_a_key_of_unknown_type_names_no_subject(tmp_path: Path) -> None:
    # An information_schema.columns export without data_type: the key's type is not known,
    # so 0x3133 (12595 or '13') is one subject whose value the log does not tell.
    (tmp_path / "cols.csv").write_text(
        "table_name,column_name\n"
        + "".join(
            f"accounts,{c}\n" for c in ("id", "real_name", "id_card_no", "mobile", "password_hash")
        )
        + "orders,account_id\n",
        encoding="utf-8",
    )
    rows, _ = read_log(
        tmp_path,
        f"{H}49,READ,shop,accounts,\n"
        f"{H}49,QUERY,shop,'SELECT real_name FROM accounts WHERE id = 0x3133',0\n",
        kind="server_audit",
        fmt=None,
        extra=f'schema = "{tmp_path / "cols.csv"}"',
    )
    (event,) = events(rows)
    assert event["subject_id"] is None and event["action"] == "view"


# A real MariaDB 10.11 logs a prepared statement's EXECUTE with the prepared text, its `?`
# placeholders as written: the values never reach the log. Scrubbed, `id = ?` and `id = 1` are
# the same text, so they must not share one analysis (a literal's place differs).
PREPARED = (
    "20261202 04:21:42,vm,svc_app,localhost,27,298,READ,shop,accounts,\n"
    "20261202 04:21:42,vm,svc_app,localhost,27,298,QUERY,shop,'SELECT real_name FROM accounts WHERE id = 1 AND mobile = ?',0\n"
    "20261202 04:21:42,vm,svc_app,localhost,28,301,READ,shop,accounts,\n"
    "20261202 04:21:42,vm,svc_app,localhost,28,301,QUERY,shop,'SELECT real_name FROM accounts WHERE id = ? AND mobile = \\'13800138000\\'',0\n"
)
LITERAL_READ = (
    "20261202 04:20:52,vm,svc_app,localhost,16,121,READ,shop,accounts,\n"
    "20261202 04:20:52,vm,svc_app,localhost,16,121,QUERY,shop,'SELECT mobile FROM accounts WHERE id = 2',0\n"
)
PLACEHOLDER_READ = (
    "20261202 04:20:52,vm,svc_app,localhost,22,138,READ,shop,accounts,\n"
    "20261202 04:20:52,vm,svc_app,localhost,22,138,QUERY,shop,'SELECT mobile FROM accounts WHERE id = ?',0\n"
)


def test_a_placeholder_and_a_literal_in_one_scrubbed_shape_are_read_apart(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, PREPARED, kind="server_audit", fmt=None)
    literal, placeholder = events(rows)
    assert literal["subject_id"] == "1" and literal["action"] == "view"
    # the mobile number compared in the second statement is no subject, and not in the lake
    assert placeholder["subject_id"] is None and placeholder["action"] == "view"
    assert "13800138000" not in json.dumps(rows, ensure_ascii=False)


@pytest.mark.parametrize("order", ["literal first", "placeholder first"])
def test_a_prepared_statements_placeholder_narrows_to_one_subject(
    tmp_path: Path, order: str
) -> None:
    log = LITERAL_READ + PLACEHOLDER_READ
    if order == "placeholder first":
        log = PLACEHOLDER_READ + LITERAL_READ
    rows, counters = read_log(tmp_path, log, kind="server_audit", fmt=None)
    by_session = {e["extras"]["session"]: e for e in events(rows)}
    literal, placeholder = by_session["16"], by_session["22"]
    assert literal["subject_id"] == "2" and literal["action"] == "view"
    # EXECUTE ... USING: one account, whose id the log does not give; not a bulk read
    assert placeholder["subject_id"] is None and placeholder["action"] == "view"
    assert not placeholder["extras"].get("unbounded") and counters.unbounded_reads == 0


# SELECT ... INTO @var (MariaDB 10.11 logs it as sent): the columns it reads, not every
# column of its table (sqlglot does not parse a trailing INTO @n).
INTO_VARIABLE = (
    "20261202 04:34:26,vm,svc_app,localhost,42,497,READ,shop,accounts,\n"
    "20261202 04:34:26,vm,svc_app,localhost,42,497,QUERY,shop,'SELECT real_name FROM accounts WHERE id = 1 INTO @n',0\n"
)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT real_name FROM accounts WHERE id = 1 INTO @n",
        "SELECT real_name FROM accounts WHERE id = 1 LIMIT 1 INTO @n, @`m`",
        "SELECT real_name INTO @n, @m FROM accounts WHERE id = 1 FOR UPDATE",
        "SELECT real_name FROM accounts WHERE id = 1 INTO v_name",  # a procedure's variable
    ],
)
def test_a_select_into_variables_reads_its_columns(tmp_path: Path, query: str) -> None:
    log = INTO_VARIABLE.replace("SELECT real_name FROM accounts WHERE id = 1 INTO @n", query)
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    (event,) = events(rows)
    assert event["data_fields"] == "real_name;accounts.id" and event["subject_id"] == "1"
    assert not event["extras"].get("resolved_from_tables_only")


# MariaDB takes any user name ('kefu,wang'@'%') and server_audit writes it as it is, commas
# and all (a real MariaDB 10.11's lines): the host, connection and query ids and the
# operation after it still tell where it ends.
COMMA_USER = (
    "20261202 04:36:01,vm,kefu,wang,localhost,48,0,CONNECT,shop,,0\n"
    "20261202 04:36:01,vm,kefu,wang,localhost,48,708,READ,shop,accounts,\n"
    "20261202 04:36:01,vm,kefu,wang,localhost,48,708,QUERY,shop,'SELECT real_name FROM accounts WHERE id = 1',0\n"
    "20261202 04:36:01,vm,kefu,wang,localhost,48,0,DISCONNECT,shop,,0\n"
)


def test_a_user_name_with_a_comma_is_read_whole(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, COMMA_USER, kind="server_audit", fmt=None)
    (event,) = events(rows)
    assert event["actor_id"] == "kefu,wang"
    assert event["subject_id"] == "1" and event["data_fields"] == "real_name;accounts.id"
    assert event["extras"]["client_host"] == "localhost"
    assert counters.lines_quarantined == 0 and counters.non_data_lines == 2


# A cursor's SELECT in a SQL SECURITY DEFINER procedure (DECLARE cur CURSOR FOR SELECT
# id_card_no FROM accounts; OPEN cur; FETCH ...): a real MariaDB 10.11 logs only its TABLE
# line, with the definer, and no QUERY line. The caller ran it.
CURSOR_IN_DEFINER_ROUTINE = (
    "20261202 04:38:19,vm,svc_app,localhost,58,0,CONNECT,shop,,0\n"
    "20261202 04:38:19,vm,svc_app,localhost,58,1047,READ,mysql,proc,\n"
    "20261202 04:38:19,vm,root,localhost,58,1050,READ,shop,accounts,\n"
    "20261202 04:38:19,vm,svc_app,localhost,58,1051,QUERY,shop,'SELECT  NAME_CONST(\\'v\\',_latin1\\'110101199003074514\\' COLLATE \\'latin1_swedish_ci\\')',0\n"
    "20261202 04:38:19,vm,svc_app,localhost,58,1047,QUERY,shop,'CALL p_cur()',0\n"
    "20261202 04:38:19,vm,svc_app,localhost,58,0,DISCONNECT,shop,,0\n"
)


@pytest.mark.parametrize("connect", [True, False], ids=["with CONNECT", "CONNECT in an older file"])
def test_table_lines_without_a_query_line_are_the_connection_user_s(
    tmp_path: Path, connect: bool
) -> None:
    log = CURSOR_IN_DEFINER_ROUTINE if connect else CURSOR_IN_DEFINER_ROUTINE.split("\n", 1)[1]
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    (event,) = events(rows)
    assert event["extras"]["resolved_from_tables_only"] is True
    assert event["actor_id"] == "svc_app" and event["actor_type"] == "service"
    assert "110101199003074514" not in json.dumps(rows)
