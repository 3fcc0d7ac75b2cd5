"""The ``auditpipe`` command line: thin glue over the library.

Each command parses options, calls one library function that returns a result object, renders
it, and maps it to an exit code. Errors raised as ``AuditpipeError`` are printed as
``Error: ...`` plus a hint, with no traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import sys

import click

from ..errors import EXIT_ERROR, AuditpipeError

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  findings at or above --fail-on were found (detect, nightly)
  2  error: bad usage, unreadable input, lake or lock problem
  3  finished, but rows were quarantined or whole files rejected
"""


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP,
)
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.version_option(package_name="auditpipe")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
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


def main(argv: list[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # Without standalone mode click returns what ctx.exit() was given instead of exiting.
        rc = cli.main(args=argv, prog_name="auditpipe", standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except AuditpipeError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"Hint: {exc.hint}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except OSError as exc:
        if debug:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"Error: {exc.strerror or exc}{where}", err=True)
        click.echo("Hint: check the disk and permissions, then run the command again.", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # a bug: still no traceback unless asked for
        if debug:
            raise
        click.echo(f"Error: unexpected internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("Hint: run the command again with --debug and report the traceback.", err=True)
        sys.exit(EXIT_ERROR)


# Command modules register themselves on `cli` when imported.
from . import (  # noqa: E402
    detect_cmd,  # noqa: F401
    generate_cmd,  # noqa: F401
    ingest_cmd,  # noqa: F401
    nightly_cmd,  # noqa: F401
    report_cmd,  # noqa: F401
    sources_cmd,  # noqa: F401
    sql_cmd,  # noqa: F401
)
