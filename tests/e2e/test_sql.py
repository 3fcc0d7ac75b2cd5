"""auditpipe sql: query sources, output formats, errors, the prompt and --print-views."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from rich.console import Console

from auditpipe.cli import cli
from auditpipe.errors import UsageError
from auditpipe.lake import Lake
from auditpipe.sql.prompt import PromptState, readline_history, run_prompt
from auditpipe.sql.run import query_lake
from tests.support.report_lakes import (
    build_lake,
    identifier_events,
    run_main,
)

COUNT_BY_PROVIDER = "SELECT provider_id, count(*) AS n FROM events GROUP BY ALL ORDER BY 1"


def sql(shared_lake: Lake, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["sql", "--lake", str(shared_lake.root), *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def test_table_is_the_default_format_on_a_terminal(shared_lake: Lake) -> None:
    terminal = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    summary = query_lake(shared_lake.root, COUNT_BY_PROVIDER, console=terminal)
    out = terminal.file.getvalue()  # type: ignore[attr-defined]
    assert summary is not None and summary.rows == 2
    assert "│ provider_id │" in out and "forum-a" in out and "blog-b" in out
    assert "2 rows" in out


def test_tsv_is_the_default_format_when_piped(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, COUNT_BY_PROVIDER)
    assert code == 0
    assert out == "provider_id\tn\nblog-b\t1\nforum-a\t10\n"


def test_csv_output_keeps_numbers_and_spells_lists_like_duckdb(shared_lake: Lake) -> None:
    code, out, _ = sql(
        shared_lake,
        "--format",
        "csv",
        "SELECT event_id, record_count, data_fields FROM events WHERE event_id = 's1'",
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [
        ["event_id", "record_count", "data_fields"],
        ["s1", "1", "[mobile_number, real_name]"],
    ]


def test_json_output_is_an_array_of_rows(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "--format", "json", COUNT_BY_PROVIDER)
    assert code == 0
    assert json.loads(out) == [
        {"provider_id": "blog-b", "n": 1},
        {"provider_id": "forum-a", "n": 10},
    ]


def test_json_of_no_rows_is_an_empty_array(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "--format", "json", "SELECT * FROM events WHERE false")
    assert code == 0 and json.loads(out) == []


def test_parquet_output_needs_a_file_and_holds_every_row(shared_lake: Lake, tmp_path: Path) -> None:
    target = tmp_path / "events.parquet"
    code, _, _ = sql(
        shared_lake, "--format", "parquet", "--output", str(target), "SELECT * FROM events"
    )
    assert code == 0
    table = pq.read_table(target)
    assert table.num_rows == len(identifier_events())
    assert "event_date" in table.column_names and "provider_id" in table.column_names
    assert list(tmp_path.iterdir()) == [target]


def test_parquet_output_of_a_join_with_repeated_names_reads_back(
    shared_lake: Lake, tmp_path: Path
) -> None:
    """Repeated names (SELECT e.*, f.*) are suffixed as DuckDB's own COPY does: a Parquet
    file whose columns share a name cannot be read by pyarrow or Polars."""
    target = tmp_path / "joined.parquet"
    code, _, err = sql(
        shared_lake,
        "--output",
        str(target),
        "SELECT e.provider_id, f.provider_id, 1 AS PROVIDER_ID FROM events e "
        "JOIN findings f USING (provider_id) LIMIT 1",
    )
    assert code == 0, err
    table = pq.read_table(target)
    assert table.column_names == ["provider_id", "provider_id_1", "PROVIDER_ID_2"]
    assert table.num_rows == 1


@pytest.mark.parametrize(
    "column",
    [
        "INTERVAL 3 DAY",
        "[INTERVAL 1 HOUR]",
        "union_value(n := 1)",
        "MAP {1: INTERVAL 1 DAY}",
        # a map with no entries has NULL keys, which a Parquet map cannot have
        "MAP {}",
        # BIGNUM (an integer of any size) reaches Arrow as opaque bytes no reader takes for a
        # number
        "1::VARINT",
        "[2::BIGNUM]",
        "{'k': 3::VARINT}",
    ],
)
def test_parquet_output_of_a_type_parquet_cannot_hold_is_a_clear_error(
    shared_lake: Lake, tmp_path: Path, column: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x.parquet"
    code, _, err = run_main(
        [
            "sql",
            "--lake",
            str(shared_lake.root),
            "-o",
            str(target),
            f"SELECT 1 AS n, {column} AS x",
        ],
        capsys,
    )
    assert code == 2
    assert "Parquet cannot hold the column(s) x (" in err and "CAST(x AS VARCHAR)" in err
    assert "internal error" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_parquet_to_stdout_is_refused(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        ["sql", "--lake", str(shared_lake.root), "--format", "parquet", "SELECT 1"], capsys
    )
    assert code == 2 and "needs --output" in err


def test_output_file_in_csv(shared_lake: Lake, tmp_path: Path) -> None:
    target = tmp_path / "n.csv"
    code, out, _ = sql(shared_lake, "--format", "csv", "-o", str(target), COUNT_BY_PROVIDER)
    assert code == 0 and out == ""
    assert target.read_text().splitlines() == ['"provider_id","n"', '"blog-b",1', '"forum-a",10']


def test_query_from_a_file(shared_lake: Lake, tmp_path: Path) -> None:
    query = tmp_path / "q.sql"
    query.write_text("-- providers\n" + COUNT_BY_PROVIDER + ";\n")
    code, out, _ = sql(shared_lake, "--format", "json", "-f", str(query))
    assert code == 0 and len(json.loads(out)) == 2


def test_query_from_stdin(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "--format", "json", input=COUNT_BY_PROVIDER)
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = sql(shared_lake, "--format", "json", "-", input="SELECT 42 AS answer")
    assert code == 0 and json.loads(out) == [{"answer": 42}]


def test_several_statements_print_the_last_result(shared_lake: Lake) -> None:
    code, out, _ = sql(
        shared_lake,
        "--format",
        "json",
        "CREATE TEMP VIEW sold AS SELECT * FROM findings WHERE category = 'selling'; "
        "SELECT count(*) AS n FROM sold",
    )
    assert code == 0 and json.loads(out) == [{"n": 2}]


def test_table_stops_at_max_rows_and_says_so(shared_lake: Lake) -> None:
    code, out, _ = sql(
        shared_lake, "--format", "table", "--max-rows", "3", "SELECT * FROM range(10)"
    )
    assert code == 0
    assert "first 3 rows shown" in out
    assert "│     3 │" not in out  # the 4th row (value 3) is not shown


def test_sql_error_prints_duckdbs_message_and_position(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        ["sql", "--lake", str(shared_lake.root), "SELECT * FRM events"], capsys
    )
    assert code == 2 and out == ""
    assert "Error: Parser Error: syntax error" in err
    assert "LINE 1: SELECT * FRM events" in err and "^" in err
    assert "Traceback" not in err


def test_unknown_table_error_names_the_views(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(["sql", "--lake", str(shared_lake.root), "SELECT * FROM evnts"], capsys)
    assert code == 2
    assert "Catalog Error" in err and "Hint: the views are events" in err


def test_error_while_running_is_reported_too(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        [
            "sql",
            "--lake",
            str(shared_lake.root),
            "--format",
            "csv",
            "SELECT error('boom') FROM events",
        ],
        capsys,
    )
    assert code == 2 and "boom" in err and "Traceback" not in err


def test_missing_lake_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["sql", "--lake", str(tmp_path / "none"), "SELECT 1"], capsys)
    assert code == 2 and "no lake at" in err


def test_no_sql_on_a_pipe_is_a_clear_error(shared_lake: Lake) -> None:
    result = CliRunner().invoke(cli, ["sql", "--lake", str(shared_lake.root)], input="")
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == "no SQL given"


def test_views_hold_what_the_issue_says(shared_lake: Lake) -> None:
    code, out, _ = sql(
        shared_lake,
        "--format",
        "json",
        "SELECT (SELECT count(*) FROM finding_evidence) AS evidence_rows, "
        "(SELECT sum(len(evidence_event_ids)) FROM findings) AS evidence_ids, "
        "(SELECT count(*) FROM quarantine) AS quarantined, "
        "(SELECT list(status) FROM ingest_log) AS files",
    )
    assert code == 0
    row = json.loads(out)[0]
    assert row["evidence_rows"] == row["evidence_ids"] > 0
    assert row["quarantined"] == 2
    assert row["files"] == ["ingested"]


def test_finding_evidence_is_joined_back_to_the_event(shared_lake: Lake) -> None:
    code, out, _ = sql(
        shared_lake,
        "--format",
        "json",
        "SELECT finding_id, category, event_id, subject_id, source_file, line_number "
        "FROM finding_evidence WHERE category = 'selling' ORDER BY event_id",
    )
    rows = json.loads(out)
    assert [r["event_id"] for r in rows] == ["s1", "s2"]
    assert all(r["source_file"].endswith("access.jsonl") and r["line_number"] for r in rows)


def test_timestamps_show_in_the_lake_timezone(shared_lake: Lake) -> None:
    code, out, _ = sql(
        shared_lake, "--format", "csv", "SELECT event_time FROM events WHERE event_id = 's1'"
    )
    assert out.splitlines()[1] == '"2026-03-01 10:00:00+08"'


def test_print_views_work_in_a_plain_duckdb(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "--print-views")
    assert code == 0
    for view in ("events", "quarantine", "findings", "finding_evidence", "ingest_log"):
        assert f"CREATE OR REPLACE VIEW {view} AS" in out
    plain = duckdb.connect()
    plain.execute(out)  # what a DuckDB CLI or notebook would run
    assert plain.execute("SELECT count(*) FROM events").fetchone()[0] == len(identifier_events())
    assert plain.execute("SELECT mask_text('13812345678')").fetchone()[0] == "138****5678"
    assert plain.execute("SELECT count(*) FROM finding_evidence").fetchone()[0] > 0


def test_interactive_prompt_runs_statements_and_dot_commands(shared_lake: Lake) -> None:
    script = "\n".join(
        [
            ".help",
            ".tables",
            ".schema findings",
            "SELECT provider_id,",
            "       count(*) AS n",
            "FROM events GROUP BY ALL ORDER BY 1;",
            "SELECT * FRM oops;",
            ".format json",
            "SELECT 7 AS seven;",
            ".nonsense",
            ".quit",
            "SELECT 'never run';",
        ]
    )
    code, out, err = sql(shared_lake, "-i", input=script + "\n")
    assert code == 0
    assert ".schema [VIEW]" in out  # help
    assert "finding_evidence" in out and "one row per finding and evidence event" in out
    assert "evidence_event_ids" in out and "VARCHAR[]" in out  # .schema findings
    assert "forum-a" in out and "10" in out  # the multi-line statement ran
    assert "Parser Error" in err  # the bad one reported, the prompt went on
    assert '{"seven":7}' in out
    assert "unknown command .nonsense" in err
    assert "never run" not in out


def test_prompt_ends_at_end_of_input_running_an_unfinished_statement(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "-i", "--format", "csv", input="SELECT 5 AS five\n")
    assert code == 0 and out.splitlines() == ['"five"', "5"]


def test_prompt_reads_through_a_line_function_and_ctrl_c_drops_the_statement(
    shared_lake: Lake,
) -> None:
    from rich.console import Console

    from auditpipe.sql import connect

    lines = iter(["SELECT 1 AS a", KeyboardInterrupt, "SELECT 2 AS b;", EOFError])

    def read_line(prompt: str) -> str:
        item = next(lines)
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item
        return str(item)

    out, err = io.StringIO(), io.StringIO()
    code = run_prompt(
        connect(shared_lake),
        shared_lake,
        out=Console(file=out, width=120),
        err=Console(file=err, width=120),
        read_line=read_line,
        state=PromptState(),
    )
    assert code == 0
    assert "^C" in err.getvalue()
    assert " b " in out.getvalue() and " a " not in out.getvalue()


def test_prompt_sees_the_lake_as_opened_until_refresh(tmp_path: Path) -> None:
    from rich.console import Console

    from auditpipe.config import Config
    from auditpipe.detect import DetectSettings, run_detect
    from auditpipe.sql import connect

    fresh = build_lake(tmp_path, identifier_events(), detect=False)
    out = io.StringIO()

    def detect_then(line: str) -> str:
        run_detect(fresh, DetectSettings.from_config(Config()))  # findings arrive meanwhile
        return line

    lines = iter(
        [
            lambda: "SELECT count(*) AS n FROM findings;",
            lambda: detect_then("SELECT count(*) AS n FROM findings;"),
            lambda: ".refresh",
            lambda: "SELECT count(*) AS n FROM findings;",
        ]
    )

    def read_line(prompt: str) -> str:
        try:
            return next(lines)()
        except StopIteration:
            raise EOFError from None

    run_prompt(
        connect(fresh),
        fresh,
        out=Console(file=out, width=120),
        err=Console(file=io.StringIO(), width=120),
        read_line=read_line,
        state=PromptState(fmt="csv"),
    )
    counts = [line for line in out.getvalue().splitlines() if line.strip().isdigit()]
    assert counts[:2] == ["0", "0"]  # a snapshot: the findings written meanwhile are not seen
    assert int(counts[2]) > 0  # until .refresh


def test_history_is_saved_and_loaded(tmp_path: Path) -> None:
    readline = pytest.importorskip("readline")
    history = tmp_path / "history"
    readline.clear_history()
    with readline_history(history):
        readline.add_history("SELECT 1;")
    assert "SELECT 1;" in history.read_text()
    readline.clear_history()
    with readline_history(history):
        assert readline.get_history_item(readline.get_current_history_length()) == "SELECT 1;"


def test_a_ctrl_c_inside_a_query_drops_it_and_is_forgotten_once_handled(
    shared_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB turns a Ctrl-C inside a query into RuntimeError('Query interrupted'): the prompt
    drops that statement and goes on, and the handled Ctrl-C does not make a later error of the
    session an interrupt (exit 130 instead of the error it is)."""
    import signal

    from rich.console import Console

    from auditpipe import errors
    from auditpipe.sql import connect, prompt, query

    def interrupted_query(con: Any, sql: str) -> Any:
        try:
            signal.raise_signal(signal.SIGINT)  # as the terminal does, through the CLI's handler
        except KeyboardInterrupt:
            raise RuntimeError("Query interrupted") from None  # as DuckDB does
        raise AssertionError("SIGINT did not interrupt")

    calls = iter([interrupted_query, query.run_sql])
    monkeypatch.setattr(prompt, "run_sql", lambda con, sql: next(calls)(con, sql))
    lines = iter(["SELECT 1 AS a;", "SELECT 2 AS b;", EOFError])

    def read_line(prompt_text: str) -> str:
        item = next(lines)
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item
        return str(item)

    out, err = io.StringIO(), io.StringIO()
    # Python's own handler, as in a terminal: a SparkContext started earlier in this test
    # process leaves its own, which watch_interrupts (rightly) does not replace.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    errors.watch_interrupts()
    try:
        code = run_prompt(
            connect(shared_lake),
            shared_lake,
            out=Console(file=out, width=120),
            err=Console(file=err, width=120),
            read_line=read_line,
            state=PromptState(),
        )
        later = errors.explain(RuntimeError("a real fault"))
    finally:
        signal.signal(signal.SIGINT, before)
    assert code == 0
    assert "Interrupted." in err.getvalue()
    assert " b " in out.getvalue() and " a " not in out.getvalue()
    assert not isinstance(later, errors.Interrupted)


def test_a_pivot_statement_prints_its_rows(shared_lake: Lake) -> None:
    """DuckDB runs PIVOT as a MULTI statement: its rows are a result like a SELECT's, not
    "nothing to show" with exit 0."""
    code, out, _ = sql(
        shared_lake,
        "--format",
        "json",
        "PIVOT (SELECT provider_id FROM events) ON provider_id USING count(*)",
    )
    assert code == 0 and json.loads(out) == [{"blog-b": 1, "forum-a": 10}]


def test_the_prompt_and_sql_hints_speak_chinese(shared_lake: Lake) -> None:
    """Under --lang zh-CN the prompt's banner, its errors and hints, and the hints of SQL errors
    are Chinese (DuckDB's own message stays as DuckDB wrote it)."""
    script = "\n".join(
        [
            "SELECT * FROM nope;",
            "COPY (SELECT 1) TO 'x.csv';",
            ".maxrows x",
            ".maxrows 1",
            ".mode table",
            "SELECT * FROM range(3);",
            ".nonsense",
            ".schema nope",
            ".refresh",
            ".tables",
            ".schema quarantine",
        ]
    )
    result = CliRunner().invoke(
        cli, ["--lang", "zh-CN", "sql", "--lake", str(shared_lake.root), "-i"], input=script
    )
    assert result.exit_code == 0
    ours = [
        line
        for line in (result.stderr + result.stdout).splitlines()
        if not re.search(r"(Catalog|Permission|Parser) Error: |^Did you mean|^LINE|^\s*\^", line)
    ]
    english = [
        line
        for line in ours
        if re.search(
            r"\b(Error|Hint|the|use|takes|shows|more|every|row|view|holds|column|type)\b", line
        )
    ]
    assert english == [], "\n".join(ours)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_query_that_starts_with_a_comment_is_a_query(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str], newline: str
) -> None:
    """A query pasted with its leading ``-- comment`` is not taken for an unknown option,
    with options before or after it."""
    query = f"-- weekly count{newline}SELECT count(*) AS n FROM events"
    root = str(shared_lake.root)
    for args in (["sql", "--lake", root, query], ["sql", query, "--lake", root, "--format", "csv"]):
        code, out, err = run_main(args, capsys)
        assert code == 0, err
        assert out.splitlines()[-1] == "11"
    code, _, err = run_main(["sql", "--lake", root, "--formt", "csv", "SELECT 1"], capsys)
    assert code == 2 and "No such option" in err  # a mistyped option is still one
