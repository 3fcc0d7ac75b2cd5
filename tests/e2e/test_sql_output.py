"""auditpipe sql output: piped TSV of every column type, the line format, --output's suffix,
--bom, and the prompt's .mode."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from rich.console import Console

import auditpipe
from auditpipe.cli import cli
from auditpipe.lake import Lake
from auditpipe.sql.output import OUTPUT_FORMATS, SUFFIX_FORMATS
from auditpipe.sql.prompt import PromptState, run_prompt
from auditpipe.sql.run import query_lake
from tests.support.cli import run_main
from tests.unit.test_sql_text import unescape_tsv

# One column of every kind a result can hold.
EVERY_TYPE = """SELECT
  [1, 2, NULL] AS a_list,
  {'k': 'v', 'n': 1} AS a_struct,
  NULL AS a_null,
  TIMESTAMPTZ '2026-03-01 08:00:00+00' AS a_time,
  DATE '2026-03-01' AS a_date,
  '身份证号 ｆｕｌｌ　ｗｉｄｔｈ 😀' AS unicode,
  repeat('long text ', 500) AS long_text,
  E'tab\\there\\nnew line \\\\ back\\x1b[31mred' AS controls,
  '=cmd|'' /C calc''!A0' AS formula,
  '\\N' AS backslash_n,
  12.5::DECIMAL(18,4) AS amount,
  true AS flag,
  '\\xAB'::BLOB AS a_blob,
  MAP {'a': 1} AS a_map"""


def sql(lake: Lake, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["sql", "--lake", str(lake.root), *args])
    return result.exit_code, result.stdout, result.stderr


def sql_main(lake: Lake, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real entry point, error handler included (usage errors exit 2)."""
    return run_main(["sql", "--lake", str(lake.root), *args], capsys)


def duckdb_text(lake: Lake, query: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """What DuckDB itself makes of each value as text, in the lake's timezone."""
    con = auditpipe.connect(lake.root)
    relation = con.sql(query)
    names = list(relation.columns)
    rows = con.sql(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({query})").fetchall()
    return names, rows


def read_tsv(text: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    lines = text.split("\n")
    assert lines[-1] == ""  # every line ends with a newline
    header, *body = lines[:-1]
    rows = [tuple(unescape_tsv(f) for f in line.split("\t")) for line in body]
    return [str(unescape_tsv(n)) for n in header.split("\t")], rows


@pytest.mark.parametrize(
    "query",
    [EVERY_TYPE, "SELECT * FROM events ORDER BY event_id LIMIT 2", "SELECT * FROM findings"],
)
def test_piped_output_holds_every_value_whole_and_reads_back(shared_lake: Lake, query: str) -> None:
    code, out, _ = sql(shared_lake, query)
    assert code == 0
    assert read_tsv(out) == duckdb_text(shared_lake, query)
    assert "…" not in out and "─" not in out  # neither shortened nor drawn


def test_piped_select_star_from_events_has_a_value_in_every_column(shared_lake: Lake) -> None:
    """The bug this replaces: wide results printed columns of zero width when piped."""
    code, out, _ = sql(shared_lake, "SELECT * FROM events WHERE event_id = 's1'")
    names, rows = read_tsv(out)
    assert code == 0 and len(names) == 29 and len(rows) == 1
    row = dict(zip(names, rows[0], strict=True))
    assert row["event_id"] == "s1" and row["data_fields"] == "[mobile_number, real_name]"
    assert row["event_time"] is not None and row["event_time"].endswith("+08")


def test_table_on_a_terminal_elides_middle_columns_and_says_how_many(shared_lake: Lake) -> None:
    terminal = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    summary = query_lake(shared_lake.root, "SELECT * FROM events LIMIT 2", console=terminal)
    out = terminal.file.getvalue()  # type: ignore[attr-defined]
    assert summary is not None and 0 < summary.elided_columns < 29
    assert all(len(line) <= 100 for line in out.splitlines())
    assert "event_id" in out and "event_date" in out  # both ends kept
    assert (
        f"29 columns ({29 - summary.elided_columns} shown, {summary.elided_columns} elided)" in out
    )


def test_explicit_table_into_a_pipe_is_drawn_whole(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "--format", "table", "SELECT repeat('z', 300) AS long")
    assert code == 0 and "z" * 300 in out and "elided" not in out


def test_line_format_shows_every_column(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "--format", "line", "SELECT * FROM events LIMIT 1")
    assert code == 0
    names = [line.split(" = ")[0].strip() for line in out.splitlines() if " = " in line]
    assert len(names) == 29 and names[0] == "event_id" and names[-1] == "event_date"
    assert out.splitlines()[-1] == "1 row"


@pytest.mark.parametrize("suffix", sorted(SUFFIX_FORMATS))
def test_output_suffix_picks_the_format(shared_lake: Lake, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"n{suffix}"
    query = "SELECT provider_id, count(*) AS n FROM events GROUP BY ALL ORDER BY 1"
    code, out, err = sql(shared_lake, "-o", str(target), query)
    assert code == 0, err
    assert out == "" and list(tmp_path.iterdir()) == [target]  # no partial file left
    fmt = SUFFIX_FORMATS[suffix]
    data = target.read_bytes()
    if fmt == "parquet":
        assert data[:4] == b"PAR1"
        assert pq.read_table(target).to_pylist() == [
            {"provider_id": "blog-b", "n": 1},
            {"provider_id": "forum-a", "n": 10},
        ]
        return
    text = data.decode()
    expected = {
        "csv": '"provider_id","n"\n"blog-b",1\n"forum-a",10\n',
        "tsv": "provider_id\tn\nblog-b\t1\nforum-a\t10\n",
        "json": '[\n{"provider_id":"blog-b","n":1},\n{"provider_id":"forum-a","n":10}\n]\n',
        "jsonl": '{"provider_id":"blog-b","n":1}\n{"provider_id":"forum-a","n":10}\n',
        "markdown": "| provider_id | n |\n|---|---:|\n| blog-b | 1 |\n| forum-a | 10 |\n",
    }
    if fmt == "table":
        assert "│ provider_id │" in text and "2 rows" in text
    else:
        assert text == expected[fmt]


def test_a_suffix_that_contradicts_format_is_a_usage_error(
    shared_lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x.parquet"
    code, _, err = sql_main(shared_lake, capsys, "--format", "table", "-o", str(target), "SELECT 1")
    assert code == 2 and not target.exists()
    assert "--format table contradicts the file name x.parquet, which says parquet" in err


def test_unknown_suffix_needs_format_and_lists_the_known_ones(
    shared_lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x.out"
    code, _, err = sql_main(shared_lake, capsys, "-o", str(target), "SELECT 1 AS one")
    assert code == 2 and "cannot tell the format from the name x.out" in err
    assert all(s in err for s in SUFFIX_FORMATS) and all(f in err for f in OUTPUT_FORMATS)
    code, _, err = sql_main(
        shared_lake, capsys, "--format", "csv", "-o", str(target), "SELECT 1 AS one"
    )
    assert code == 0 and target.read_text() == '"one"\n1\n'


def test_compressed_suffix_is_refused(
    shared_lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = sql_main(
        shared_lake, capsys, "--format", "csv", "-o", str(tmp_path / "x.csv.gz"), "SELECT 1"
    )
    assert code == 2 and "does not compress" in err


FORMULA_QUERY = "SELECT '=1+1' AS f, '张三' AS name, 3 AS n"


@pytest.mark.parametrize("where", ["stdout", "file"])
def test_bom_starts_csv_only_when_asked(shared_lake: Lake, tmp_path: Path, where: str) -> None:
    def run(*extra: str) -> bytes:
        if where == "stdout":
            result = CliRunner().invoke(
                cli,
                ["sql", "--lake", str(shared_lake.root), "--format", "csv", *extra, FORMULA_QUERY],
            )
            assert result.exit_code == 0
            return result.stdout_bytes
        target = tmp_path / "r.csv"
        assert sql(shared_lake, "-o", str(target), *extra, FORMULA_QUERY)[0] == 0
        return target.read_bytes()

    plain, marked = run(), run("--bom")
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert marked == b"\xef\xbb\xbf" + plain
    rows = list(csv.reader(io.StringIO(marked.decode("utf-8-sig"))))
    assert rows == [["f", "name", "n"], ["'=1+1", "张三", "3"]]  # still neutralised


def test_bom_is_for_csv_only(shared_lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = sql_main(shared_lake, capsys, "--format", "json", "--bom", "SELECT 1")
    assert code == 2 and "--bom is for CSV" in err


def test_prompt_mode_line_and_its_aliases(shared_lake: Lake) -> None:
    lines = iter([".mode line", "SELECT 1 AS one, 'x' AS letter;", ".mode duckbox", "SELECT 2 AS two;", ".mode nope"])  # fmt: skip

    def read_line(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    out, err = io.StringIO(), io.StringIO()
    state = PromptState()
    run_prompt(
        auditpipe.connect(shared_lake.root),
        shared_lake,
        out=Console(file=out, width=120),
        err=Console(file=err, width=120),
        read_line=read_line,
        state=state,
    )
    text = out.getvalue()
    assert "   one = 1\nletter = x\n" in text
    assert "│     two │\n│ integer │" in text
    assert state.fmt == "table" and "Error: .mode takes one of table, line, tsv" in err.getvalue()


def test_json_lines_of_every_type_parse(shared_lake: Lake) -> None:
    code, out, _ = sql(shared_lake, "--format", "jsonl", EVERY_TYPE)
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["a_list"] == [1, 2, None] and row["a_null"] is None


def _strict_json(text: str) -> object:
    def refuse(token: str) -> object:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_of_nan_and_infinities_is_json(shared_lake: Lake, fmt: str) -> None:
    """DuckDB's to_json writes NaN and Infinity bare, which JSON does not have: they come out
    as strings, as PostgreSQL writes them, at any depth; text that reads so is untouched."""
    query = (
        "SELECT 'nan'::DOUBLE AS a, [1.5, 'inf'::DOUBLE, '-inf'::DOUBLE] AS b, "
        "{'c': '-inf'::FLOAT, 'd': 'NaN \"Infinity'} AS s, MAP {'k': 'nan'::REAL} AS m, "
        "2.5::DOUBLE AS ok, 'NaN' AS t"
    )
    code, out, _ = sql(shared_lake, "--format", fmt, query)
    assert code == 0
    rows = _strict_json(out) if fmt == "json" else [_strict_json(x) for x in out.splitlines()]
    assert rows == [
        {
            "a": "NaN",
            "b": [1.5, "Infinity", "-Infinity"],
            "s": {"c": "-Infinity", "d": 'NaN "Infinity'},
            "m": {"k": "NaN"},
            "ok": 2.5,
            "t": "NaN",
        }
    ]
