"""Options shared by several commands, defined once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..lake import DEFAULT_LAKE, LAKE_ENV

F = Callable[..., Any]

_lake_in_use: list[Path] = []  # the --lake of this process's command, for error messages


def last_lake() -> Path | None:
    """The lake the running command was given (where a full disk most likely is)."""
    return _lake_in_use[-1] if _lake_in_use else None


def forget_lake() -> None:
    """A new command starts: no lake given yet."""
    _lake_in_use.clear()


def _note_lake(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        _lake_in_use.append(value)
    return value


def lake_option(f: F) -> F:
    return click.option(
        "--lake",
        callback=_note_lake,
        type=click.Path(file_okay=False, path_type=Path),
        envvar=LAKE_ENV,
        default=DEFAULT_LAKE,
        show_default=True,
        show_envvar=True,
        help="Lake folder.",
    )(f)


def config_option(f: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Settings file (default: $AUDITPIPE_CONFIG, else ./auditpipe.toml if present).",
    )(f)


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def period_options(f: F) -> F:
    f = click.option(
        "--until",
        callback=_parse_day,
        metavar="YYYY-MM-DD",
        help="Last event_date included (lake timezone).",
    )(f)
    return click.option(
        "--since",
        callback=_parse_day,
        metavar="YYYY-MM-DD",
        help="First event_date included (lake timezone).",
    )(f)


def quiet_option(f: F) -> F:
    return click.option("--quiet", "-q", is_flag=True, help="Print only errors.")(f)


def given(ctx: click.Context, *names: str) -> dict[str, Any]:
    """The options among ``names`` the user set (on the command line or through an
    environment variable), as settings overrides: an option's default never overrides what
    auditpipe.toml says, so defaults live only in the settings dataclasses."""
    from click.core import ParameterSource

    chosen = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    return {n: ctx.params[n] for n in names if ctx.get_parameter_source(n) in chosen}


def engine_options(f: F) -> F:
    """``--engine`` and ``--spark-master`` (``engine`` and ``[spark] master`` in auditpipe.toml)."""
    f = click.option(
        "--spark-master",
        metavar="URL",
        help="Spark master for --engine spark (spark://host:7077, yarn, k8s://...; "
        "[spark] master; default: a local session).",
    )(f)
    return click.option(
        "--engine",
        "engine_name",
        type=click.Choice(["duckdb", "spark"]),
        default=None,
        help="Where the work runs: duckdb in this process (the default; `engine` in "
        "auditpipe.toml) or spark, one task per partition (needs auditpipe[spark] and Java 17).",
    )(f)
