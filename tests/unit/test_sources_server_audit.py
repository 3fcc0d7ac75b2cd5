"""MariaDB server_audit corners: grouping, escapes, truncation, failures, times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditpipe.errors import InputFileError
from tests.support.sources import events, quarantined, read_log

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


def test_unescape_undoes_exactly_what_server_audit_escapes() -> None:
    import polars as pl

    from auditpipe.sources.server_audit import unescape

    logged = ["'a\\\\b'", "'it\\'s'", "'x\\ny'", "'back\\\\n'", "'\\\\\\''"]
    meant = ["a\\b", "it's", "x\ny", "back\\n", "\\'"]
    got = pl.DataFrame({"o": logged}).select(unescape(pl.col("o")))["o"].to_list()
    assert got == meant
