"""A query still running when its log is read: server_audit writes its TABLE lines when it
opens its tables and its QUERY line when it ends, so a log read in between (a nightly ingest
during a long export) ends with the query's TABLE lines only; so does the older file of a
rotation that fell inside a query. Read as a statement of its own, it would be a second
event beside the complete query read later (another time, so another event id)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.sources import events, quarantined, read_log, write_source

# Logged by a real MariaDB 10.11 for `SELECT real_name, SLEEP(4) FROM accounts WHERE id = 1`
# (server_audit_events = 'CONNECT,QUERY,TABLE'), copied while it ran, and after it ended.
HEAD = (
    "20261202 19:32:39,vm,root,localhost,106,959,QUERY,,'SET GLOBAL server_audit_file_rotate_size = 1000000',0\n"
    "20261202 19:32:39,vm,root,localhost,106,0,DISCONNECT,,,0\n"
    "20261202 19:32:39,vm,svc_app,localhost,107,0,CONNECT,shop,,0\n"
)
PREVIOUS = (
    "20261202 19:32:38,vm,svc_app,localhost,105,950,READ,shop,accounts,\n"
    "20261202 19:32:38,vm,svc_app,localhost,105,950,QUERY,shop,'SELECT mobile FROM accounts WHERE id = 2',0\n"
)
DURING = PREVIOUS + HEAD + "20261202 19:32:39,vm,svc_app,localhost,107,961,READ,shop,accounts,\n"
AFTER = DURING + (
    "20261202 19:32:43,vm,svc_app,localhost,107,961,QUERY,shop,'SELECT real_name, SLEEP(4) FROM accounts WHERE id = 1',0\n"
    "20261202 19:32:43,vm,svc_app,localhost,107,0,DISCONNECT,shop,,0\n"
)


def test_a_query_still_running_at_the_end_of_the_file_is_no_event(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, DURING, kind="server_audit", fmt=None)
    assert [e["subject_id"] for e in events(rows)] == ["2"]
    (running,) = quarantined(rows)
    assert "still running" in running["pre_error"]
    assert counters.lines_quarantined == 1


def test_table_lines_followed_by_their_connection_s_next_line_stay_an_event(
    tmp_path: Path,
) -> None:
    """A cursor's SELECT in a definer's procedure has TABLE lines and no QUERY line of its
    own, and its connection goes on: it is read from its tables, as before."""
    log = DURING + "20261202 19:32:40,vm,svc_app,localhost,107,962,QUERY,shop,'SELECT 1',0\n"
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    assert not quarantined(rows)
    assert [e["extras"].get("resolved_from_tables_only") for e in events(rows)] == [None, True]


def test_a_log_of_table_lines_only_keeps_its_last_statements(tmp_path: Path) -> None:
    """server_audit_events = 'TABLE': no statement has a QUERY line, none is running."""
    log = "".join(line for line in DURING.splitlines(True) if ",QUERY," not in line)
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    assert not quarantined(rows) and len(events(rows)) == 2


def test_ingesting_the_log_again_once_the_query_ended_stores_it_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_source(tmp_path / "src", "server_audit")
    log, lake = tmp_path / "server_audit.log", tmp_path / "lake"
    for text, expected in ((DURING, 3), (AFTER, 0)):  # 3: rows were quarantined
        log.write_text(text, encoding="utf-8")
        code, _, err = run_main(
            ["ingest", "--source", str(source), str(log), "--lake", str(lake)], capsys
        )
        assert code == expected, err
    code, out, err = run_main(
        ["sql", "--lake", str(lake), "SELECT extras FROM events ORDER BY event_time"], capsys
    )
    assert code == 0, err
    statements = [json.loads(line)["statement"] for line in out.splitlines()[1:]]
    assert statements == [
        "SELECT mobile FROM accounts WHERE id = ?",
        "SELECT real_name, SLEEP(?) FROM accounts WHERE id = ?",
    ]


# A real MariaDB rotating its log every 4 KB: the older file (server_audit.log.2) ends with
# the READ line of query 931, whose QUERY line begins the newer file (server_audit.log.1).
OLDER = (
    "20261202 19:32:17,vm,svc_app,localhost,104,930,READ,shop,accounts,\n"
    "20261202 19:32:17,vm,svc_app,localhost,104,930,QUERY,shop,'SELECT real_name, mobile FROM accounts WHERE id = 2 AND city <> \\'round1-35\\'',0\n"
    "20261202 19:32:17,vm,svc_app,localhost,104,931,READ,shop,accounts,\n"
)
NEWER = (
    "20261202 19:32:17,vm,svc_app,localhost,104,931,QUERY,shop,'SELECT real_name, mobile FROM accounts WHERE id = 1 AND city <> \\'round1-36\\'',0\n"
    "20261202 19:32:17,vm,svc_app,localhost,104,932,READ,shop,accounts,\n"
    "20261202 19:32:17,vm,svc_app,localhost,104,932,QUERY,shop,'SELECT real_name, mobile FROM accounts WHERE id = 2 AND city <> \\'round1-37\\'',0\n"
)


def test_a_query_cut_by_a_rotation_is_the_newer_file_s_event_whatever_the_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_source(tmp_path / "src", "server_audit")
    lake = tmp_path / "lake"
    for name, text in (("server_audit.log.2", OLDER), ("server_audit.log.1", NEWER)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        run_main(["ingest", "--source", str(source), str(tmp_path / name), "--lake", str(lake)], capsys)  # fmt: skip
    code, out, err = run_main(
        ["sql", "--lake", str(lake), "SELECT subject_id FROM events ORDER BY subject_id"], capsys
    )
    assert code == 0, err
    # 930 (subject 2), 931 read from its text (subject 1, not resolved from its table), 932
    assert out.splitlines()[1:] == ["1", "2", "2"]


CUT_QUERY = "20261202 19:32:43,vm,svc_app,localhost,107,961,QUERY,shop,'SELECT real_name, SLE"


def test_table_lines_before_a_query_line_cut_inside_the_file_stay_an_event(
    tmp_path: Path,
) -> None:
    """A QUERY line cut short inside the file (a server killed mid-line, pieces of a log put
    together) is quarantined, and its TABLE lines are read from their tables, as before."""
    log = DURING + CUT_QUERY + "\n" + "20261202 19:40:00,vm,root,localhost,1,0,CONNECT,,,0\n"
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    assert [e["extras"].get("resolved_from_tables_only") for e in events(rows)] == [None, True]
    (cut,) = quarantined(rows)
    assert cut["line_number"] == 7 and "still running" not in cut["pre_error"]


def test_table_lines_before_a_query_line_the_file_ends_inside_are_still_running(
    tmp_path: Path,
) -> None:
    """The file ends inside the QUERY line (copied while the server wrote it): the complete
    file, ingested later, holds the whole statement, so its TABLE lines are no event now."""
    rows, _ = read_log(tmp_path, DURING + CUT_QUERY, kind="server_audit", fmt=None)
    assert len(events(rows)) == 1
    reasons = sorted(r["pre_error"].split(":")[0] for r in quarantined(rows))
    assert reasons == [
        "the file ends inside this record (no newline after its last line)",
        "the statement's TABLE lines end its connection's lines in this file and its QUERY line is not there",
    ]


@pytest.mark.parametrize("later", [True, False])
def test_small_batches_tell_a_running_query_as_one_batch_does(tmp_path: Path, later: bool) -> None:
    """The connection's next line may come batches after its TABLE lines: tiny batches and
    one batch read the same statements and quarantine the same lines."""
    other = "".join(
        f"20261202 19:32:40,vm,svc_app,localhost,200,{q},READ,shop,accounts,\n"
        f"20261202 19:32:40,vm,svc_app,localhost,200,{q},QUERY,shop,'SELECT mobile FROM accounts WHERE id = {q}',0\n"
        for q in range(1000, 1060)
    )
    tail = "20261202 19:32:41,vm,svc_app,localhost,107,0,DISCONNECT,shop,,0\n" if later else ""
    text = DURING + other + tail
    whole, c1 = read_log(tmp_path / "a", text, kind="server_audit", fmt=None)
    small, c2 = read_log(tmp_path / "b", text, kind="server_audit", fmt=None, batch_bytes=1024)
    key = lambda r: (r["line_number"], r["event_id"], r["pre_error"])  # noqa: E731
    assert sorted(map(key, whole)) == sorted(map(key, small))
    assert c1.as_dict() == c2.as_dict()
    assert len(quarantined(whole)) == (0 if later else 1)


# A real MariaDB: svc_app's `SELECT real_name, SLEEP(2) …` ran while root switched
# server_audit_logging off (its QUERY line was never written).
LOGGING_OFF = PREVIOUS + (
    "20261202 19:42:33,vm,svc_app,localhost,144,0,CONNECT,shop,,0\n"
    "20261202 19:42:33,vm,svc_app,localhost,144,1152,READ,shop,accounts,\n"
    "20261202 19:42:34,vm,root,localhost,145,0,CONNECT,,,0\n"
    "20261202 19:42:34,vm,root,localhost,145,1153,QUERY,,'SET GLOBAL server_audit_logging = OFF',0\n"
    "20261202 19:42:36,vm,root,localhost,147,1158,QUERY,,'SET GLOBAL server_audit_logging = ON',0\n"
)
# A real MariaDB killed (kill -9) during svc_app's `SELECT real_name, SLEEP(5) …` and started
# again on the same log: query ids start again from 1.
RESTARTED = PREVIOUS + (
    "20261202 19:43:12,vm,svc_app,localhost,5,10,READ,shop,accounts,\n"
    "20261202 19:43:13,vm,root,localhost,3,0,CONNECT,,,0\n"
    "20261202 19:43:13,vm,root,localhost,3,0,DISCONNECT,,,0\n"
    "20261202 19:43:14,vm,svc_app,localhost,4,0,CONNECT,shop,,0\n"
    "20261202 19:43:14,vm,svc_app,localhost,4,2,READ,shop,accounts,\n"
    "20261202 19:43:14,vm,svc_app,localhost,4,2,QUERY,shop,'SELECT mobile FROM accounts WHERE id = 2',0\n"
    "20261202 19:43:14,vm,svc_app,localhost,4,0,DISCONNECT,shop,,0\n"
)


@pytest.mark.parametrize("log", [LOGGING_OFF, RESTARTED], ids=["logging-off", "restart"])
def test_a_query_whose_query_line_will_never_come_stays_an_event(tmp_path: Path, log: str) -> None:
    """Logging switched off, or the server restarted (its query ids start again), after the
    TABLE lines: the query is not running any more, its QUERY line will never be written, so
    its TABLE lines are read from their tables, as before."""
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    assert not quarantined(rows)
    assert True in [e["extras"].get("resolved_from_tables_only") for e in events(rows)]


# A real MariaDB with server_audit_events = 'QUERY_DML,TABLE' (no CONNECT): a SELECT has its
# QUERY line, a CREATE TABLE … AS SELECT (DDL) only its TABLE lines, the connection's last.
QUERY_DML_ONLY = (
    "20261202 19:56:00,vm,svc_app,localhost,181,1291,READ,shop,accounts,\n"
    "20261202 19:56:00,vm,svc_app,localhost,181,1291,QUERY,shop,'SELECT real_name FROM accounts WHERE id = 1',0\n"
    "20261202 19:56:00,vm,svc_app,localhost,181,1292,READ,shop,accounts,\n"
    "20261202 19:56:00,vm,svc_app,localhost,181,1292,CREATE,shop,copy_x,\n"
    "20261202 19:56:00,vm,svc_app,localhost,181,1292,WRITE,shop,copy_x,\n"
)


def test_a_ddl_s_table_lines_in_a_log_of_dml_queries_only_stay_an_event(tmp_path: Path) -> None:
    """The log names the SELECTs' QUERY lines, not the DDL's: a CREATE TABLE … AS SELECT's
    TABLE lines at the end are not a statement waiting for its QUERY line."""
    rows, _ = read_log(tmp_path, QUERY_DML_ONLY, kind="server_audit", fmt=None)
    assert not quarantined(rows)
    assert [e["extras"].get("resolved_from_tables_only") for e in events(rows)] == [None, True]


def test_a_query_started_before_and_ended_after_is_no_restart(tmp_path: Path) -> None:
    """Queries overlap: one started before the running one (a lower query id) may log its
    QUERY line after the running one's TABLE lines. That is no restart of the server."""
    *head, last = DURING.splitlines(keepends=True)
    log = "".join(head) + (
        "20261202 19:32:39,vm,svc_app,localhost,105,960,READ,shop,accounts,\n"
        + last
        + "20261202 19:32:40,vm,svc_app,localhost,105,960,QUERY,shop,'SELECT mobile FROM accounts WHERE id = 1',0\n"
    )
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    (running,) = quarantined(rows)
    assert "still running" in running["pre_error"]


def test_a_kind_logged_with_query_lines_only_after_is_not_waited_for(tmp_path: Path) -> None:
    """server_audit_events changed after the statement (a real MariaDB switched from
    'QUERY_DML,TABLE' back to 'CONNECT,QUERY,TABLE'): DDL QUERY lines after the CREATE TABLE
    … AS SELECT do not make it a statement waiting for its own."""
    log = QUERY_DML_ONLY + (
        "20261202 19:56:00,vm,root,localhost,182,1294,QUERY,,'SET GLOBAL server_audit_events = \\'CONNECT,QUERY,TABLE\\'',0\n"
        "20261202 19:56:00,vm,root,localhost,182,1295,DROP,shop,copy_x,\n"
        "20261202 19:56:00,vm,root,localhost,182,1295,QUERY,mysql,'DROP TABLE shop.copy_x',0\n"
    )
    rows, _ = read_log(tmp_path, log, kind="server_audit", fmt=None)
    assert not quarantined(rows)
    assert [e["extras"].get("resolved_from_tables_only") for e in events(rows)] == [None, True]
