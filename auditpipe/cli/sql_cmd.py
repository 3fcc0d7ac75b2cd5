"""``auditpipe sql``: glue between the command line and auditpipe.sql."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..i18n import _
from ..lake.layout import lake_arg
from ..sql.output import OUTPUT_FORMATS
from . import cli, exit_codes_help
from .options import lake_option


class _SqlCommand(click.Command):
    """A QUERY that starts with a SQL comment (``-- weekly count``, then the query) is the
    query, not an unknown option: an option's name never has white space right after its
    ``--``. The comment is moved behind ``--``, after the options, so they still apply."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" not in args:
            comments = [a for a in args if a.startswith("--") and a[2:3].isspace()]
            if comments:
                args = [a for a in args if a not in comments] + ["--", *comments]
        return super().parse_args(ctx, args)


@cli.command("sql", cls=_SqlCommand, epilog=exit_codes_help("sql"))
@click.argument("query", required=False)
@lake_option
@click.option(
    "-f",
    "--file",
    "sql_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the SQL from this file ('-' for stdin).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(OUTPUT_FORMATS),
    help="table (default on a terminal: fits its width, eliding middle columns), line (one "
    "'column = value' line each), tsv (default otherwise: every value whole, tab-separated), "
    "csv, json, jsonl, markdown or parquet (needs --output). With --output, the file's suffix "
    "picks it when not given.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result to this file instead of stdout (never inside the lake).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Rows the table and line formats show (the others get every row).",
)
@click.option(
    "--bom",
    is_flag=True,
    help="Start CSV with a UTF-8 byte order mark, so Excel (e.g. on a Chinese-locale Windows) "
    "reads it as UTF-8.",
)
@click.option(
    "--print-views",
    is_flag=True,
    help="Print the CREATE VIEW statements for the DuckDB CLI, DBeaver or a notebook, and exit.",
)
@click.option(
    "--memory-limit",
    envvar="AUDITPIPE_SQL_MEMORY_LIMIT",
    metavar="SIZE",
    help="DuckDB's memory ceiling for the query, e.g. 4GB; past it, it spills to a temporary "
    "folder; at least 64MB  [default: 2GiB, or half of the machine's memory if less; "
    "env AUDITPIPE_SQL_MEMORY_LIMIT]",
)
@click.option(
    "--dialect",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="With --print-views: DuckDB CREATE VIEW statements, or Spark SQL temporary views "
    "(provider_id a string, timestamps with zone, extras a string).",
)
@click.option(
    "-i",
    "--interactive",
    is_flag=True,
    help="Open the prompt even when stdin is not a terminal.",
)
def sql_command(
    query: str | None,
    lake: Path,
    sql_file: Path | None,
    fmt: str | None,
    output: Path | None,
    max_rows: int,
    bom: bool,
    print_views: bool,
    memory_limit: str | None,
    dialect: str,
    interactive: bool,
) -> None:
    """Query the lake with SQL (DuckDB), read-only.

    Views: events, quarantine, findings, finding_evidence (one row per finding and evidence
    event, joined back to the event), ingest_log (one row per input file), accounts (every
    account snapshot row) and accounts_current (each provider's latest snapshot). The SQL comes
    from QUERY, from --file, or from stdin; with none of them on a terminal, an interactive
    prompt opens (statements end with ';', .help lists commands). Several statements may be
    given; the last one's rows are printed. Nothing can write to the lake: COPY, ATTACH and
    every other file access are refused. Timestamps show in the lake's timezone.

    On a terminal a wide result keeps the columns at both ends and elides the middle ones,
    and long values are shortened; the footer says so, and --format line shows everything.
    Piped, every value is printed whole as TSV: tab-separated with a header line, escaped as
    PostgreSQL's COPY text format (\\t, \\n, \\\\ inside values; NULL is \\N).

    \b
    Example:
      auditpipe sql --lake ./lake "SELECT provider_id, count(*) FROM events GROUP BY ALL"
      auditpipe sql --lake ./lake "SELECT * FROM finding_evidence WHERE finding_id = 'f-...'"
      auditpipe sql --lake ./lake -f q.sql --output result.parquet
      auditpipe sql --lake ./lake --format line "SELECT * FROM events LIMIT 1"
      auditpipe sql --lake ./lake "SELECT * FROM findings" --output findings.csv --bom
      auditpipe sql --lake ./lake --print-views > views.sql
      auditpipe sql --lake /shared/lake --print-views --dialect spark > views.spark.sql

    Exits 0 on success, 2 on a SQL error (DuckDB's message and position are printed) or
    another error.
    """
    from ..console import get_console
    from ..sql import connect, open_lake
    from ..sql.prompt import (
        PROMPT_FORMATS,
        PromptState,
        history_path,
        readline_history,
        run_prompt,
    )
    from ..sql.run import printable_views, query_lake

    if print_views:
        if dialect == "spark":
            from ..sql.spark_views import printable_spark_views

            get_console().data(printable_spark_views(open_lake(lake)))
        else:
            get_console().data(printable_views(lake))
        return
    if dialect != "duckdb":
        raise UsageError(
            _("--dialect spark only changes --print-views; queries run in DuckDB"),
            hint=_("add --print-views, or drop --dialect"),
        )
    text = _query_text(query, sql_file, interactive, lake)
    if text is None:
        lake_obj = open_lake(lake)
        con = connect(lake_obj, memory_limit=memory_limit)
        terminal = get_console().out.is_terminal
        start = fmt if fmt in PROMPT_FORMATS else ("table" if terminal else "tsv")
        state = PromptState(fmt=start, max_rows=max_rows)
        tty = sys.stdin.isatty()
        with readline_history(history_path() if tty else None):
            code = run_prompt(
                con,
                lake_obj,
                out=get_console().out,
                err=get_console().err,
                read_line=input if tty else _plain_input,
                state=state,
            )
        raise click.exceptions.Exit(code)
    query_lake(
        lake,
        text,
        fmt=fmt,
        output=output,
        max_rows=max_rows,
        memory_limit=memory_limit,
        bom=bom,
    )


def _plain_input(prompt: str) -> str:
    """input() without echoing the prompt: when stdin is not a terminal nobody sees it."""
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def _query_text(
    query: str | None, sql_file: Path | None, interactive: bool, lake: Path
) -> str | None:
    """The SQL to run, or None for the interactive prompt."""
    if query is not None and sql_file is not None:
        raise UsageError(_("give the SQL either as QUERY or with --file, not both"))
    if interactive:
        if query is not None or sql_file is not None:
            raise UsageError(_("--interactive reads statements from the prompt; drop QUERY/--file"))
        return None
    if query == "-" or (sql_file is not None and str(sql_file) == "-"):
        return sys.stdin.read()
    if sql_file is not None:
        try:
            return sql_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(
                _("SQL file {sql_file} does not exist").format(sql_file=sql_file)
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                _("cannot read SQL file {sql_file}: {exc}").format(sql_file=sql_file, exc=exc)
            ) from None
    if query is not None:
        return query
    if sys.stdin.isatty():
        return None
    text = sys.stdin.read()
    if not text.strip():
        raise UsageError(
            _("no SQL given"),
            hint=_("pass a query, e.g. {command}, or run it on a terminal for the prompt").format(
                command=f'auditpipe sql {lake_arg(lake)} "SELECT count(*) FROM events"'
            ),
        )
    return text
