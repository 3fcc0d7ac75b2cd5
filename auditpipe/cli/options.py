"""Options shared by several commands, defined once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..i18n import SUPPORTED_LANGUAGES, _
from ..lake import DEFAULT_LAKE, LAKE_ENV

LANGUAGE_CHOICES = tuple(SUPPORTED_LANGUAGES)

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
        # '~' that no shell expanded (quoted, or from $AUDITPIPE_LAKE): Arrow and DuckDB would
        # expand it in the paths they write, Python would not, and the lake would be split.
        value = value.expanduser()
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
        raise click.BadParameter(
            _("{value!r} is not a date; use YYYY-MM-DD").format(value=value)
        ) from None


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
        "auditpipe.toml) or spark, one task per partition (detect) or input file (ingest) "
        "(needs auditpipe[spark] and Java 17).",
    )(f)


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The language of this run: --lang when given, else the locale's (set before any other
    option is read, so their errors come in it too)."""
    from ..i18n import language_from_env, normalize_language, set_language
    from ..i18n.clickhelp import install_click_gettext

    install_click_gettext()
    code = normalize_language(value) if value is not None else None
    set_language(code or language_from_env(), chosen=code is not None)
    if value is not None and code is None:
        raise click.BadParameter(
            _("{value!r} is not a language auditpipe has; use one of: {choices}").format(
                value=value, choices=", ".join(LANGUAGE_CHOICES)
            )
        )
    return code


def lang_option(f: F) -> F:
    """``--lang`` (global; also accepted after the command's name, see ``hoist_lang``)."""
    return click.option(
        "--lang",
        callback=_set_lang,
        is_eager=True,
        expose_value=True,
        metavar="|".join(LANGUAGE_CHOICES),
        help="Language of messages, --help and reports: en or zh-CN (Simplified Chinese). "
        "Default: [report] lang in auditpipe.toml for reports, else the locale "
        "(LC_ALL, LC_MESSAGES, LANG; zh_CN.UTF-8 chooses zh-CN), else en.",
    )(f)


def hoist_lang(args: list[str]) -> tuple[list[str], str | None]:
    """``--lang X`` / ``--lang=X`` anywhere before a ``--`` moves to the front (where the
    group reads it); also sets the language now, so errors in parsing are in it."""
    from ..i18n import language_from_env, normalize_language, set_language
    from ..i18n.clickhelp import install_click_gettext

    end = args.index("--") if "--" in args else len(args)
    head, found, value = [], [], None
    i = 0
    while i < end:
        arg = args[i]
        if arg == "--lang" and i + 1 < end:
            found, value = [arg, args[i + 1]], args[i + 1]
            i += 2
            continue
        if arg.startswith("--lang="):
            found, value = [arg], arg.split("=", 1)[1]
        else:
            head.append(arg)
        i += 1
    install_click_gettext()
    code = normalize_language(value) if value else None
    set_language(code or language_from_env(), chosen=code is not None)
    return [*found, *head, *args[end:]], value
