"""The interactive ``auditpipe sql`` prompt: statements end with ';', dot commands help.

History is kept with readline in ``~/.auditpipe_history`` (``$AUDITPIPE_HISTORY`` moves it;
an empty value switches it off). Ctrl-C abandons the statement being typed or the query that
runs; Ctrl-D or ``.quit`` leaves.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from ..errors import AuditpipeError, OutputError, forget_interrupt, is_interrupt
from ..i18n import N_, _
from ..lake import Lake
from ..lake.views import VIEW_NAMES, view_statements
from .connection import refresh_views
from .output import DEFAULT_MAX_ROWS, write_result
from .query import run_sql

if TYPE_CHECKING:
    import duckdb
    from rich.console import Console

HISTORY_ENV = "AUDITPIPE_HISTORY"
HISTORY_LENGTH = 2000
PROMPT = "auditpipe> "
CONTINUATION = "      ...> "
# .mode / .format values: auditpipe's formats (not parquet: it needs a file), and the names
# the DuckDB and SQLite shells use for the same thing.
PROMPT_FORMATS = ("table", "line", "tsv", "csv", "json", "jsonl", "markdown")
FORMAT_ALIASES = {"duckbox": "table", "box": "table", "tabs": "tsv", "md": "markdown",
                  "ndjson": "jsonl"}  # fmt: skip

VIEW_HELP = {
    "events": N_("every stored access event (hive partitions provider_id, event_date)"),
    "quarantine": N_("rows set aside by ingest, with source_file, line_number, raw and reason"),
    "findings": N_("potential breaches found by detect, one row per finding"),
    "finding_evidence": N_("one row per finding and evidence event, joined back to the event"),
    "ingest_log": N_("the manifest: one row per input file ingest has seen"),
    "accounts": N_("every account snapshot row (hive partitions provider_id, snapshot_date)"),
    "accounts_current": N_("the accounts of each provider's latest snapshot"),
}

HELP = N_("""\
End a statement with ';' (it may span lines). Commands:
  .tables            the views and what they hold
  .schema [VIEW]     columns and types of one view (or of all)
  .views             the CREATE VIEW statements (for the DuckDB CLI, DBeaver, notebooks)
  .mode FMT          output as table, line, tsv, csv, json, jsonl or markdown
                     (now: {fmt}; .format is the same; line shows one column a line)
  .maxrows N         rows the table and line formats show (now: {max_rows})
  .refresh           see files committed to the lake since the prompt opened
  .help              this text
  .quit              leave (Ctrl-D works too)
The lake is read-only here: statements that would write files are refused.
Macros: mask_id(x), mask_text(x), mask_actor(actor_id, actor_type) mask identifiers.""")


@dataclass
class PromptState:
    fmt: str = "table"
    max_rows: int = DEFAULT_MAX_ROWS


def history_path() -> Path | None:
    value = os.environ.get(HISTORY_ENV)
    if value is None:
        return Path.home() / ".auditpipe_history"
    return Path(value).expanduser() if value.strip() else None


@contextlib.contextmanager
def readline_history(path: Path | None) -> Iterator[None]:
    """Load and save line-editing history around the prompt, where readline exists."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline
        yield
        return
    if path is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(path)
        readline.set_history_length(HISTORY_LENGTH)
    try:
        yield
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(path)


def run_prompt(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    *,
    out: Console,
    err: Console,
    read_line: Callable[[str], str] = input,
    state: PromptState | None = None,
) -> int:
    """Read statements until end of input or ``.quit``; returns the exit code (0)."""
    state = state or PromptState()
    err.print(
        _(
            "auditpipe sql on {lake} (read-only). Views: {views}.\n"
            "End statements with ';'. Type .help for commands, .quit to leave."
        ).format(lake=lake.root, views=", ".join(VIEW_NAMES)),
        markup=False,
        highlight=False,
    )
    buffer: list[str] = []
    while True:
        try:
            line = read_line(CONTINUATION if buffer else PROMPT)
        except EOFError:
            if buffer:  # an unfinished statement at the end of input still runs
                _run(con, "\n".join(buffer), state, out, err)
            err.print("")
            return 0
        except KeyboardInterrupt:
            forget_interrupt()
            buffer.clear()
            err.print("^C")
            continue
        if not buffer and line.strip().startswith("."):
            if _dot_command(line.strip(), con, lake, state, out, err) == "quit":
                return 0
            continue
        if not buffer and not line.strip():
            continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            _run(con, "\n".join(buffer), state, out, err)
            buffer.clear()


def _run(
    con: duckdb.DuckDBPyConnection, sql: str, state: PromptState, out: Console, err: Console
) -> None:

    try:
        result = run_sql(con, sql)
        if result.relation is not None:
            if state.fmt in ("table", "line"):
                write_result(
                    result.relation,
                    state.fmt,
                    output=None,
                    console=out,
                    max_rows=state.max_rows,
                    prompt=True,
                    placement=result.placement,
                )
            else:
                sink = cast(IO[bytes], _BytesTo(out.file))
                write_result(
                    result.relation,
                    state.fmt,
                    output=None,
                    stream=sink,
                    placement=result.placement,
                )
    except OutputError:
        raise  # stdout is gone: the session ends there (the CLI says why, exit 2)
    except AuditpipeError as exc:
        err.print(
            _("Error: {message}").format(message=exc.message),
            style="red",
            markup=False,
            highlight=False,
        )
        if exc.hint:
            err.print(_("Hint: {hint}").format(hint=exc.hint), markup=False, highlight=False)
    except (KeyboardInterrupt, Exception) as exc:
        # DuckDB gives a Ctrl-C inside a query as its InterruptException or as a RuntimeError
        # ("Query interrupted"); either way the statement is dropped and the prompt goes on.
        if not is_interrupt(exc):
            raise
        forget_interrupt()
        err.print(_("Interrupted."))


class _BytesTo(io.RawIOBase):
    """A binary stream over a text one (the console's), for the csv and json writers."""

    def __init__(self, text: IO[str]) -> None:
        super().__init__()
        self.text = text
        # a character split across two writes is decoded when its last byte arrives
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.text.write(self.decoder.decode(bytes(data)))
        return len(data)

    def flush(self) -> None:
        self.text.flush()


def _dot_command(
    line: str,
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    state: PromptState,
    out: Console,
    err: Console,
) -> str | None:
    command, _sep, arg = line.partition(" ")
    arg = arg.strip().rstrip(";").strip()
    if command in (".quit", ".exit", ".q"):
        return "quit"
    if command == ".help":
        out.print(
            _(HELP).format(fmt=state.fmt, max_rows=state.max_rows), markup=False, highlight=False
        )
    elif command == ".tables":
        _tables(con, out)
    elif command == ".schema":
        _schema(con, arg, out, err)
    elif command == ".views":
        out.print("\n\n".join(view_statements(lake.root).values()), markup=False, highlight=False)
    elif command in (".format", ".mode"):
        chosen = FORMAT_ALIASES.get(arg.lower(), arg.lower())
        if not arg:
            out.print(state.fmt, markup=False, highlight=False)
        elif chosen in PROMPT_FORMATS:
            state.fmt = chosen
        else:
            message = _("{command} takes one of {formats}").format(
                command=command, formats=", ".join(PROMPT_FORMATS)
            )
            err.print(_("Error: {message}").format(message=message), style="red", markup=False)
    elif command == ".maxrows":
        if arg.isdigit() and int(arg) > 0:
            state.max_rows = int(arg)
        else:
            err.print(
                _("Error: {message}").format(message=_(".maxrows takes a whole number above 0")),
                style="red",
            )
    elif command == ".refresh":
        refresh_views(con, lake)
        err.print(_("Views now show the lake's current files."))
    else:
        err.print(
            _("Error: {message}").format(
                message=_("unknown command {command}; type .help").format(command=command)
            ),
            style="red",
            markup=False,
        )
    return None


def _tables(con: duckdb.DuckDBPyConnection, out: Console) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    table.add_column(_("view"))
    table.add_column(_("columns"), justify="right")
    table.add_column(_("holds"))
    counts = dict(
        con.execute(
            "SELECT table_name, count(*) FROM information_schema.columns "
            "WHERE table_schema = 'main' GROUP BY table_name"
        ).fetchall()
    )
    for name in VIEW_NAMES:
        table.add_row(name, str(counts.get(name, 0)), _(VIEW_HELP[name]))
    own = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND NOT starts_with(table_name, '_lake_') ORDER BY 1"
        ).fetchall()
        if name not in VIEW_NAMES
    ]
    for name in own:
        table.add_row(name, str(counts.get(name, 0)), _("(made in this session)"))
    out.print(table)


def _schema(con: duckdb.DuckDBPyConnection, name: str, out: Console, err: Console) -> None:
    from rich.table import Table

    names = [name] if name else list(VIEW_NAMES)
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND list_contains($names, table_name) "
        "ORDER BY table_name, ordinal_position",
        {"names": names},
    ).fetchall()
    if not rows:
        err.print(
            _("Error: {message}").format(
                message=_("no view {name!r}; .tables lists them").format(name=name)
            ),
            style="red",
            markup=False,
        )
        return
    table = Table(show_header=True, header_style="bold")
    for heading in (_("view"), _("column"), _("type")):
        table.add_column(heading)
    for row in rows:
        table.add_row(*row)
    out.print(table)
