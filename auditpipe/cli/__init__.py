"""The ``auditpipe`` command line: thin glue over the library.

Each command parses options, calls one library function that returns a result object, renders
it, and maps it to an exit code. Errors raised as ``AuditpipeError`` are printed as
``Error: ...`` plus a hint, with no traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import click

from ..errors import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_QUARANTINE,
    AuditpipeError,
    OutputError,
    explain,
    watch_interrupts,
)
from ..i18n import N_, _
from .lazy import LazyGroup
from .options import forget_lake, hoist_lang, lang_option, last_lake

# What each exit code means; every command's --help lists the ones it can return.
EXIT_MEANINGS = {
    EXIT_OK: N_("success"),
    EXIT_FINDINGS: N_("findings at or above --fail-on were found"),
    EXIT_ERROR: N_("error: bad usage, unreadable input, lake or lock problem, full disk"),
    EXIT_QUARANTINE: N_("finished, but rows were quarantined or whole files rejected"),
    EXIT_INTERRUPTED: N_("interrupted (Ctrl-C)"),
}
# The codes each command can return (click's usage errors are exit 2 too).
COMMAND_EXIT_CODES: dict[str, tuple[int, ...]] = {
    "ingest": (EXIT_OK, EXIT_ERROR, EXIT_QUARANTINE, EXIT_INTERRUPTED),
    "detect": (EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED),
    "rules": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "rules list": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "rules show": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "rules check": (EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED),
    "report": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "sql": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "nightly": (EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_QUARANTINE, EXIT_INTERRUPTED),
    "status": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "compact": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "generate": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "sources": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "sources check": (EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED),
    "findings": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "findings list": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
    "findings show": (EXIT_OK, EXIT_ERROR, EXIT_INTERRUPTED),
}
# Where a code means something more precise for one command than EXIT_MEANINGS says.
COMMAND_EXIT_MEANINGS: dict[str, dict[int, str]] = {
    "ingest": {
        EXIT_ERROR: N_(
            "error: bad usage or nothing to ingest, unreadable input, lake or lock problem, "
            "full disk"
        ),
    },
    "sources check": {
        EXIT_FINDINGS: N_("the settings name columns or keys the schema lacks"),
    },
    "rules check": {
        EXIT_FINDINGS: N_("a rule breaks the locality contract (one provider, one day)"),
    },
    "findings show": {
        EXIT_ERROR: N_("error: no such finding (the nearest ids are named), bad usage, no lake"),
    },
}


def exit_meaning(command: str | None, code: int) -> str:
    """What ``code`` means when ``command`` returns it (in the current language)."""
    return _(COMMAND_EXIT_MEANINGS.get(command or "", {}).get(code, EXIT_MEANINGS[code]))


class ExitCodesEpilog(str):
    """The "Exit codes:" epilog of one command; ``render()`` writes it in the language in
    force when --help is printed (the str itself is the English text)."""

    command: str | None

    def __new__(cls, command: str | None = None) -> ExitCodesEpilog:
        epilog = super().__new__(cls, exit_codes_text(command))
        epilog.command = command
        return epilog

    def render(self) -> str:
        return exit_codes_text(self.command)


def exit_codes_text(command: str | None = None) -> str:
    codes = COMMAND_EXIT_CODES[command] if command else tuple(EXIT_MEANINGS)
    width = max(len(str(c)) for c in codes)
    lines = [f"  {c:<{width}}  {exit_meaning(command, c)}" for c in codes]
    return "\b\n" + _("Exit codes:") + "\n" + "\n".join(lines) + "\n"


def exit_codes_help(command: str | None = None) -> str:
    """The "Exit codes:" epilog of ``command`` (every code for the whole program)."""
    return ExitCodesEpilog(command)


@click.group(
    cls=LazyGroup,
    lazy_package=__name__,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=exit_codes_help(),
)
@click.option(
    "--debug", is_flag=True, help="Show the full traceback on errors, and every SQL statement run."
)
@lang_option
@click.version_option(package_name="auditpipe")
@click.pass_context
def cli(ctx: click.Context, debug: bool, lang: str | None) -> None:
    """Audit how internet service providers treat users' personal information.

    Ingest providers' access logs into a Parquet lake, detect selling, modification,
    disclosure and illegal use of login and identity data, and report it.

    \b
    Example:
      auditpipe ingest sample_data --lake ./lake
      auditpipe detect --lake ./lake
      auditpipe report --lake ./lake
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["lang"] = lang  # the --lang given (None: reports follow [report] lang, else locale)
    from ..db import log_statements

    # A command without --debug logs no statement, even after one with it in this process
    # (main() called again by a script or a test).
    log_statements(enabled=debug)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; every outcome is one of the documented exit codes.

    ``--debug`` may come before or after the command's name; it adds the traceback of an
    error to its message and never changes the exit code. So may ``--lang``: the language
    of messages, --help and reports is set before anything is parsed (``--lang``, else the
    locale), so even a usage error is reported in it. Standard output that cannot be written
    (a closed pipe, a full disk, ``>&-``) is an error of every command alike, exit 2
    (``console.StdioGuard``; docs/operations.md).
    """
    debug = False
    try:
        args, debug = hoist_debug(list(argv if argv is not None else sys.argv[1:]))
        args, _lang = hoist_lang(args)
        forget_lake()
        watch_interrupts()
        from ..console import guard_stdio
    except KeyboardInterrupt:  # before the command started (cli/launch.py has the import's)
        from ..launch import interrupted_at_start

        interrupted_at_start(own_process=argv is None)
    with guard_stdio() as stdio:
        code = _run(args, debug)
        stdio.flush()  # the last flush, guarded: a failure there is one too
        if stdio.failure is not None and code not in (EXIT_ERROR, EXIT_INTERRUPTED):
            # stdout failed and the command went on (something caught the error, or the
            # last flush failed): its exit code would claim the output was printed.
            code = _fail(stdio.failure, stdio.failure, debug)
    if argv is None:  # the process's own command (launch.py), not a caller's in-process run
        _ignore_late_interrupts()
    sys.exit(code)


def _ignore_late_interrupts() -> None:
    """The command has finished and said so: a Ctrl-C from now on (while Python shuts down)
    has nothing left to stop. Python would end the process by SIGINT, after the outcome was
    printed, with no message and a code that is not the command's. Only for the process's
    own command: a caller that runs ``main(argv)`` in its process keeps its Ctrl-C."""
    import signal

    with contextlib.suppress(ValueError):  # not the main thread: main() called by a thread
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(args: list[str], debug: bool) -> int:
    """The command's exit code; every error is reported on stderr here."""
    try:
        # Without standalone mode click returns what ctx.exit() was given instead of exiting.
        rc = cli.main(args=args, prog_name="auditpipe", standalone_mode=False)
        return rc if isinstance(rc, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # usage errors: exit 2, with click's message
        with contextlib.suppress(OutputError):  # the message still goes to stderr
            _json_failure(args, exc)
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort as exc:  # click's form of Ctrl-C
        return _fail(explain(KeyboardInterrupt()), exc, debug)
    except (Exception, KeyboardInterrupt) as exc:
        return _fail(explain_error(exc, where=last_lake()), exc, debug)


@contextlib.contextmanager
def printing_outcome(
    command: str, code: int, done: str, see: str, reason: str | None = None
) -> Iterator[None]:
    """Printing the summary of work that is committed already: if standard output cannot
    take it, the error (exit 2, as any output failure) also says that the work itself
    completed (``done``), with the exit code ``code`` it would have had (``reason``, by
    default what that code means for ``command``), and where to see it (``see``)."""
    try:
        yield
    except OutputError as exc:
        raise OutputError(
            _("could not print the summary on standard output: {error}").format(
                error=exc.reason or exc.message
            ),
            hint=_(
                "{done} (exit code {code}: {reason}); {see}, and check where standard output goes"
            ).format(
                done=done,
                code=code,
                reason=reason if reason is not None else exit_meaning(command, code),
                see=see,
            ),
        ) from exc


def explain_error(exc: BaseException, where: Path | None = None) -> AuditpipeError:
    """``errors.explain``, but a lake file DuckDB could not read is named as the damaged lake
    file it is (lake/damage.py), whichever command read it, instead of an internal error."""
    from ..lake.damage import damaged_file_error

    return damaged_file_error(exc, lake=where) or explain(exc, where=where)


def hoist_debug(args: list[str]) -> tuple[list[str], bool]:
    """``--debug`` anywhere before a ``--`` moves to the front, where the group reads it."""
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    if not debug:
        return args, False
    rest = [a for a in args[:end] if a != "--debug"] + args[end:]
    return ["--debug", *rest], True


# Commands whose --json promises one JSON object on stdout even when they fail (a scheduler
# parses it): a usage error click finds before the command runs prints it too.
JSON_ON_ERROR = {"nightly"}


def _json_failure(args: list[str], exc: click.ClickException) -> None:
    """The failure as ``{"status": "failed", ...}`` on stdout, for a usage error of a
    ``JSON_ON_ERROR`` command run with ``--json``; the message still goes to stderr."""
    ctx = getattr(exc, "ctx", None)
    end = args.index("--") if "--" in args else len(args)
    if ctx is None or ctx.info_name not in JSON_ON_ERROR or "--json" not in args[:end]:
        return
    from ..console import get_console

    doc = {"status": "failed", "error": exc.format_message(), "hint": None}
    get_console().json({**doc, "exit_code": exc.exit_code})


def _fail(error: AuditpipeError, exc: BaseException, debug: bool) -> int:
    """Say ``error`` on stderr (with ``exc``'s traceback under --debug); its exit code."""
    from ..console import get_console

    with _interrupts_held():
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        get_console().error(error.message, error.hint)
    return error.exit_code


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C ignored while an outcome is reported: the report (its first import of rich's
    tables, its translation) takes long enough for a second Ctrl-C to land in it, which
    would replace the message by a traceback. The handler in force before is put back."""
    import signal

    try:
        before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not this thread's to change
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


# Command modules register themselves on `cli` when imported; each is imported when one of its
# commands is first looked up (``LazyGroup``), so a run imports only its own command's module.
COMMAND_MODULES = {
    "detect": "detect_cmd",
    "rules": "detect_cmd",
    "findings": "findings_cmd",
    "generate": "generate_cmd",
    "ingest": "ingest_cmd",
    "nightly": "nightly_cmd",
    "status": "nightly_cmd",
    "compact": "nightly_cmd",
    "report": "report_cmd",
    "sources": "sources_cmd",
    "sql": "sql_cmd",
}
cli.lazy_modules = COMMAND_MODULES
