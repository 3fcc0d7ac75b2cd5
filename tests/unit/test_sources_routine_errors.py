"""An error raised inside a called procedure or function, after its statements read data: the
lines a real MariaDB 10.11 (server_audit) and a real PostgreSQL 15 (pgaudit) wrote for it.
Each statement's outcome is its own: a statement inside the routine that ran read its rows
(a procedure's result set reaches the client before the error; a value can leave in the
error's message), so it stays `success`; the call that failed is `failure` where it is an
event. See docs/sources.md, "Errors inside a routine"."""

from __future__ import annotations

from pathlib import Path

from tests.support.sources import events, read_log

# CALL p_read(1) (SELECT real_name ... WHERE id = i; SIGNAL ...) and SELECT f_read(2) (SELECT
# real_name INTO r ...; SIGNAL ...; RETURN r): the inner statements have query ids of their
# own, logged before the call's QUERY line; the call's retcode is the error's.
MARIADB = r"""20261201 23:20:53,vm,svc_app,localhost,5,19,READ,mysql,proc,
20261201 23:20:53,vm,svc_app,localhost,5,20,READ,shop,accounts,
20261201 23:20:53,vm,svc_app,localhost,5,20,QUERY,shop,'SELECT real_name FROM accounts WHERE id =  NAME_CONST(\'i\',1)',0
20261201 23:20:53,vm,svc_app,localhost,5,21,QUERY,shop,'SIGNAL SQLSTATE \'45000\' SET MESSAGE_TEXT = \'boom\'',1644
20261201 23:20:53,vm,svc_app,localhost,5,19,QUERY,shop,'CALL p_read(1)',1644
20261201 23:20:53,vm,svc_app,localhost,5,22,READ,mysql,proc,
20261201 23:20:53,vm,svc_app,localhost,5,22,READ,shop,accounts,
20261201 23:20:53,vm,svc_app,localhost,5,24,QUERY,shop,'SELECT real_name INTO r FROM accounts WHERE id =  NAME_CONST(\'i\',2)',0
20261201 23:20:53,vm,svc_app,localhost,5,25,QUERY,shop,'SIGNAL SQLSTATE \'45000\' SET MESSAGE_TEXT = \'boom\'',1644
20261201 23:20:53,vm,svc_app,localhost,5,22,QUERY,shop,'SELECT f_read(2)',1644
"""

# SELECT f_read(1) of a PL/pgSQL function that reads, then raises: pgaudit logs the body's
# statement (the call itself is never logged: it failed before its own audit line), then the
# ERROR names the call.
P = "2026-12-02 07:20:48.770 CST [16235] svc_app@shop "
POSTGRES = (
    f"{P}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
    'SELECT real_name        FROM accounts WHERE id = i,"1,,,",1\n'
    f"{P}ERROR:  boom\n"
    f"{P}CONTEXT:  PL/pgSQL function f_read(bigint) line 2 at RAISE\n"
    f"{P}STATEMENT:  SELECT f_read(1);\n"
)


def test_mariadb_statements_that_ran_inside_a_failed_call_stay_success(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, MARIADB, kind="server_audit", fmt=None)
    by_line = {e["line_number"]: e for e in events(rows)}
    in_procedure, in_function = by_line[2], by_line[8]
    assert (in_procedure["outcome"], in_procedure["subject_id"]) == ("success", "1")
    assert (in_function["outcome"], in_function["subject_id"]) == ("success", "2")
    assert in_procedure["data_fields"] == in_function["data_fields"] == "real_name;accounts.id"
    # SELECT f_read(2) logged its TABLE line of accounts: the failed call is an event too
    (call,) = [e for e in events(rows) if e["line_number"] == 6]
    assert call["outcome"] == "failure" and call["extras"]["error_code"] == "1644"
    assert counters.reconciles and counters.lines_quarantined == 0


def test_a_pgaudit_statement_inside_a_failed_function_stays_success(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, POSTGRES, kind="pgaudit", fmt="stderr")
    (inner,) = events(rows)
    assert inner["outcome"] == "success" and inner["data_fields"] == "real_name;accounts.id"
    # the call names no table: its ERROR is counted as not data, not lost
    assert counters.non_data_lines == 3 and counters.reconciles


# CALL p_read(1) of a PL/pgSQL procedure and a DO block, each reading, then raising, as a real
# PostgreSQL 15 with pgaudit 1.7 logged them. pgaudit.log = 'read, write' (as in the sample
# settings): the CALL is logged only once it has run and the DO block only in the FUNCTION
# class, so neither has an AUDIT line of its own, and the ERROR names the call.
Q = "2026-12-02 11:37:31.{ms} CST [{pid}] postgres@postgres "
DO_BLOCK = (
    "DO $$ DECLARE r text; BEGIN SELECT real_name INTO r FROM accounts WHERE id = 1; "
    "RAISE EXCEPTION 'boom'; END $$;"
)
UNLOGGED_CALLS = (
    f"{Q.format(ms='210', pid=16869)}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
    'SELECT real_name        FROM accounts WHERE id = i,"1,,,",1\n'
    f"{Q.format(ms='211', pid=16869)}ERROR:  boom\n"
    f"{Q.format(ms='211', pid=16869)}CONTEXT:  PL/pgSQL function p_read(bigint) line 2 at RAISE\n"
    f"{Q.format(ms='211', pid=16869)}STATEMENT:  CALL p_read(1);\n"
    f"{Q.format(ms='252', pid=16873)}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
    "SELECT real_name        FROM accounts WHERE id = 1,<none>,1\n"
    f"{Q.format(ms='252', pid=16873)}ERROR:  boom\n"
    f"{Q.format(ms='252', pid=16873)}CONTEXT:  PL/pgSQL function inline_code_block line 1 at RAISE\n"
    f"{Q.format(ms='252', pid=16873)}STATEMENT:  {DO_BLOCK}\n"
)
# The same with pgaudit.log = 'read, write, function': the call is substatement 1 of the
# statement its body's statements are logged under (CALL and SELECT f() as FUNCTION,EXECUTE
# naming the routine, the DO block as FUNCTION,DO naming nothing).
LOGGED_CALLS = (
    f"{Q.format(ms='271', pid=16875)}LOG:  AUDIT: SESSION,1,1,FUNCTION,EXECUTE,FUNCTION,"
    "public.p_read,CALL p_read(1);,<none>,0\n"
    f"{Q.format(ms='275', pid=16875)}LOG:  AUDIT: SESSION,1,2,READ,SELECT,TABLE,public.accounts,"
    'SELECT real_name        FROM accounts WHERE id = i,"1,,,",1\n'
    f"{Q.format(ms='276', pid=16875)}ERROR:  boom\n"
    f"{Q.format(ms='276', pid=16875)}CONTEXT:  PL/pgSQL function p_read(bigint) line 2 at RAISE\n"
    f"{Q.format(ms='276', pid=16875)}STATEMENT:  CALL p_read(1);\n"
    f"{Q.format(ms='298', pid=16877)}LOG:  AUDIT: SESSION,1,1,FUNCTION,DO,,,{DO_BLOCK},<none>,0\n"
    f"{Q.format(ms='301', pid=16877)}LOG:  AUDIT: SESSION,1,2,READ,SELECT,TABLE,public.accounts,"
    "SELECT real_name        FROM accounts WHERE id = 1,<none>,1\n"
    f"{Q.format(ms='302', pid=16877)}ERROR:  boom\n"
    f"{Q.format(ms='302', pid=16877)}CONTEXT:  PL/pgSQL function inline_code_block line 1 at RAISE\n"
    f"{Q.format(ms='302', pid=16877)}STATEMENT:  {DO_BLOCK}\n"
    f"{Q.format(ms='320', pid=16879)}LOG:  AUDIT: SESSION,1,1,FUNCTION,EXECUTE,FUNCTION,"
    "public.f_read,SELECT f_read(2);,<none>,0\n"
    f"{Q.format(ms='323', pid=16879)}LOG:  AUDIT: SESSION,1,2,READ,SELECT,TABLE,public.accounts,"
    'SELECT real_name        FROM accounts WHERE id = i,"2,,,",1\n'
    f"{Q.format(ms='323', pid=16879)}ERROR:  boom\n"
    f"{Q.format(ms='323', pid=16879)}CONTEXT:  PL/pgSQL function f_read(bigint) line 2 at RAISE\n"
    f"{Q.format(ms='323', pid=16879)}STATEMENT:  SELECT f_read(2);\n"
)
# pgaudit.log = 'all', a CALL that succeeds: FUNCTION,EXECUTE, the body, then MISC,CALL.
LOGGED_CALL_OK = (
    f"{Q.format(ms='365', pid=16883)}LOG:  AUDIT: SESSION,2,1,FUNCTION,EXECUTE,FUNCTION,"
    "public.p_ok,CALL p_ok(2);,<none>,0\n"
    f"{Q.format(ms='368', pid=16883)}LOG:  AUDIT: SESSION,2,2,READ,SELECT,TABLE,public.accounts,"
    'SELECT real_name        FROM accounts WHERE id = i,"2,,,",1\n'
    f"{Q.format(ms='368', pid=16883)}LOG:  AUDIT: SESSION,2,3,MISC,CALL,,,CALL p_ok(2);,<none>,0\n"
)


def test_the_error_of_an_unlogged_call_or_do_block_is_read_as_that_of_select_f(
    tmp_path: Path,
) -> None:
    rows, counters = read_log(tmp_path, UNLOGGED_CALLS, kind="pgaudit", fmt="stderr")
    # the body's statements stay success; the ERRORs name a procedure and a DO block, neither
    # a table: not data, as the ERROR of SELECT f_read(1) above (not an `unresolved` failure)
    assert [(e["line_number"], e["outcome"], e["data_fields"]) for e in events(rows)] == [
        (1, "success", "real_name;accounts.id"),
        (5, "success", "real_name;accounts.id"),
    ]
    assert counters.non_data_lines == 6 and counters.lines_quarantined == 0


def test_a_logged_call_do_block_or_function_that_fails_is_one_failed_event(
    tmp_path: Path,
) -> None:
    rows, counters = read_log(tmp_path, LOGGED_CALLS, kind="pgaudit", fmt="stderr")
    got = [
        (
            e["line_number"],
            e["outcome"],
            e["data_fields"],
            e["subject_id"],
            e["extras"]["statement"],
        )
        for e in events(rows)
    ]
    assert got == [
        (1, "failure", "real_name;accounts.id", "1",
         "CALL p_read(?); ; SELECT real_name FROM accounts WHERE id = i"),
        (6, "failure", "real_name;accounts.id", "1",
         "DO ?; ; SELECT real_name FROM accounts WHERE id = ?"),
        (11, "failure", "real_name;accounts.id", "2",
         "SELECT f_read(?); ; SELECT real_name FROM accounts WHERE id = i"),
    ]  # fmt: skip
    assert counters.non_data_lines == 0 and counters.lines_quarantined == 0


def test_a_logged_call_that_succeeds_is_the_event_of_its_body(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, LOGGED_CALL_OK, kind="pgaudit", fmt="stderr")
    (event,) = events(rows)
    assert (event["outcome"], event["data_fields"], event["subject_id"]) == (
        "success",
        "real_name;accounts.id",
        "2",
    )
