"""A SQL error's ``LINE n`` is the line of the input it names, in every output format.

DuckDB numbers the line from the failing statement's first non-blank character, and, for an
error raised while the result is written (a value that does not cast, ``error()``), from the
formatting query auditpipe wraps around it (two lines more). The input the user gave may hold
blank lines, comments and earlier statements before it: the line printed must be theirs.
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from auditpipe.errors import SqlError
from auditpipe.lake import Lake
from auditpipe.sql.run import query_lake
from tests.support.report_lakes import run_main

# What may come before the failing statement: blank lines, comments, statements that work.
PREAMBLE = st.lists(
    st.sampled_from(
        ["\n", "-- a comment\n", "SELECT 1;\n", "SELECT 2; ", "/* two\nlines */ ", "  "]
    ),
    max_size=6,
)
# Lines of the failing statement before the one whose value does not cast.
LEADING = st.lists(st.sampled_from(["  2 AS b,", "-- why", ""]), max_size=3)
FORMATS = st.sampled_from(["table", "line", "tsv", "csv", "json", "jsonl", "markdown"])


def _error_line(message: str) -> int:
    found = re.search(r"^LINE (\d+):", message, re.M)
    assert found, message
    return int(found.group(1))


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(preamble=PREAMBLE, leading=LEADING, fmt=FORMATS)
def test_error_line_counts_the_whole_input(
    shared_lake: Lake, preamble: list[str], leading: list[str], fmt: str
) -> None:
    before = "".join(preamble)
    body = ["SELECT 1 AS a,", *leading, "CAST('not a number' AS INTEGER) AS broken"]
    text = before + "\n".join(body) + "\nFROM range(1);"
    expected = text.count("\n", 0, text.index("CAST('not a number'")) + 1
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    with pytest.raises(SqlError) as info:
        query_lake(shared_lake.root, text, fmt=fmt, console=console)
    assert _error_line(info.value.message) == expected, (text, info.value.message)


def test_command_line_error_names_the_input_line(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "SELECT 1;\nSELECT provider_id,\n  CAST(provider_id AS INTEGER)\nFROM events"
    code, out, err = run_main(["sql", "--lake", str(shared_lake.root), text], capsys)
    assert code == 2 and out == ""
    assert "LINE 3:   CAST(provider_id AS INTEGER)" in err, err
    assert "Traceback" not in err


# A value that fails only in the third batch of rows: the formats that stream batches meet
# it while reading, where Arrow hands DuckDB's error over as an OSError.
LATE_FAILURE = (
    "SELECT i,\n"
    "  CAST(CASE WHEN i = 150000 THEN 'x' ELSE '1' END AS INTEGER) AS n\n"
    "FROM range(200000) t(i)"
)


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl", "markdown", "parquet"])
def test_an_error_in_a_later_batch_is_a_sql_error(
    shared_lake: Lake,
    fmt: str,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["sql", "--lake", str(shared_lake.root), "--format", fmt]
    if fmt == "parquet":
        args += ["--output", str(tmp_path_factory.mktemp("late") / "x.parquet")]
    code, out, err = run_main([*args, LATE_FAILURE], capsys)
    assert code == 2 and out == ""
    assert err.startswith("Error: Conversion Error: Could not convert string 'x'"), err
    assert "LINE 2:   CAST(" in err
    assert "disk" not in err and "Traceback" not in err
