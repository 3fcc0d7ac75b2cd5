"""Settings from ``auditpipe.toml``, read by one loader driven by each settings dataclass.

Where the file comes from, first match wins: ``--config FILE``, ``$AUDITPIPE_CONFIG``,
``./auditpipe.toml``. Missing is fine (defaults apply). The file holds the tables in
``TABLES`` and nothing else; a misspelt table is an error, as a misspelt key is.

Each subsystem describes its table as a frozen dataclass whose fields are the keys, whose
annotations are the types and whose defaults are the only defaults (``load_settings`` reads
the table into it). A field with ``metadata={"config": False}`` is not read from the table (it
is computed, e.g. ``[detect]``'s penalty settings come from ``[penalty]``); one with
``metadata={"parse": f}`` is read by ``f(value, config)`` (e.g. ``[penalty.rates]``).
Relative paths inside the file are resolved against the file's folder (``resolve_path``).
Command-line flags override the file only when the user gave them (the CLI passes only those,
see ``cli.options.given``), so a flag's default never hides a setting.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError
from .i18n import N_, _

CONFIG_ENV = "AUDITPIPE_CONFIG"
DEFAULT_CONFIG_NAME = "auditpipe.toml"

# The tables auditpipe.toml may hold, each read by one settings dataclass.
TABLES = ("ingest", "detect", "penalty", "report", "nightly", "engine", "spark")

S = TypeVar("S")


@dataclass(frozen=True)
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(
                _("[{name}] in {path} is not a table").format(name=name, path=self.path),
                hint=_("write it as a TOML table: [{name}] followed by key = value lines").format(
                    name=name
                ),
            )
        return value

    def resolve_path(self, value: str | os.PathLike[str]) -> Path:
        """A path from the config file, relative to the file's folder."""
        p = Path(value).expanduser()
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    explicit = path is not None
    if path is None:
        env = os.environ.get(CONFIG_ENV)
        if env:
            path, explicit = env, True
        elif Path(DEFAULT_CONFIG_NAME).is_file():
            path = DEFAULT_CONFIG_NAME
    if path is None:
        return Config()
    p = Path(path)
    if not p.is_file():
        if not explicit:
            return Config()
        # Named on purpose: /dev/null (no settings at all) and a pipe ('--config <(...)') are
        # read like a file; only a folder or nothing at that path is refused.
        if p.is_dir():
            raise ConfigError(
                _("config file {p} is a folder").format(p=p),
                hint=_("check the path given to --config or $AUDITPIPE_CONFIG"),
            )
        if not p.exists():
            raise ConfigError(
                _("config file {p} does not exist").format(p=p),
                hint=_("check the path given to --config or $AUDITPIPE_CONFIG"),
            )
    try:
        # utf-8-sig: a byte order mark (Windows Notepad writes one) is not part of the TOML.
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigError(
            _("cannot read config file {p}: {strerror}").format(p=p, strerror=exc.strerror),
            hint=_("the user running auditpipe must be able to read it: check its permissions"),
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(_("cannot read config file {p}: {exc}").format(p=p, exc=exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("config file {p} is not valid TOML: {exc}").format(p=p, exc=exc)
        ) from exc
    check_tables(data, p)
    return Config(data=data, path=p.resolve())


def check_tables(data: Mapping[str, Any], path: Path | None) -> None:
    """Every top-level name of the file is a known table: a typo is an error, not ignored."""
    unknown = sorted(set(data) - set(TABLES))
    if not unknown:
        return
    where = _(" in {path}").format(path=path) if path else ""
    loose = [k for k in unknown if not isinstance(data[k], dict)]
    if loose:
        raise ConfigError(
            _("key(s) outside any table{where}: {items}").format(
                where=where, items=", ".join(loose)
            ),
            hint=_(
                "put each key under its table, e.g. [detect] then bulk_threshold = 5000; tables: "
            )
            + ", ".join(f"[{t}]" for t in TABLES),
        )
    raise ConfigError(
        _("unknown table(s){where}: {items}").format(
            where=where, items=", ".join(f"[{t}]" for t in unknown)
        ),
        hint=_did_you_mean(unknown, TABLES, "tables", brackets=True),
    )


def load_settings(
    config: Config,
    table: str,
    cls: type[S],
    overrides: Mapping[str, Any] | None = None,
    **computed: Any,
) -> S:
    """The ``[table]`` of ``config`` read into the dataclass ``cls``.

    Keys are the fields of ``cls`` (unknown keys are a ConfigError naming the nearest known
    one); each value is checked against the field's annotation and converted (paths resolved
    against the file's folder, lists to tuples, numbers to Decimal where the field is one).
    A key the file does not give keeps the dataclass default. ``computed`` supplies fields
    that do not come from the table; ``overrides`` (flags the user gave) win over both, and
    None in them means "not given". Range checks belong in the dataclass's ``__post_init__``.
    """
    raw = config.section(table)
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    readable = {f.name: f for f in fields if f.metadata.get("config", True)}
    unknown = sorted(set(raw) - set(readable))
    if unknown:
        raise ConfigError(
            _("unknown key(s) in [{table}]: {items}").format(table=table, items=", ".join(unknown)),
            hint=_did_you_mean(unknown, sorted(readable), "keys"),
        )
    values: dict[str, Any] = {}
    for name, value in raw.items():
        parse = readable[name].metadata.get("parse")
        where = f"[{table}] {name}"
        values[name] = (
            parse(value, config) if parse else _convert(value, hints[name], where, config)
        )
    values.update(computed)
    misnamed = sorted(set(overrides or {}) - set(hints))
    if misnamed:  # a caller's mistake, not the user's
        raise TypeError(f"unknown {cls.__name__} override(s): {', '.join(misnamed)}")
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce_override(value, hints[name])
    return cls(**values)


def _did_you_mean(
    unknown: list[str], known: typing.Sequence[str], what: str, brackets: bool = False
) -> str:
    """The hint for unknown names: the nearest known ones, then every known one. ``what`` is
    "tables" or "keys"; each part is a whole sentence of the catalog, so Chinese reads as such."""
    show = (lambda n: f"[{n}]") if brackets else (lambda n: n)
    close = {u: difflib.get_close_matches(u, known, n=1) for u in unknown}
    guesses = [
        _("{known} instead of {unknown}").format(known=show(c[0]), unknown=show(u))
        for u, c in close.items()
        if c
    ]
    names = ", ".join(show(k) for k in known)
    known_text = (
        _("known tables: {names}") if what == "tables" else _("known keys: {names}")
    ).format(names=names)
    if not guesses:
        return known_text
    return _("did you mean {guesses}? {known}").format(guesses=", ".join(guesses), known=known_text)


_KIND_WORDS = {
    bool: N_("true or false"),
    int: N_("a whole number"),
    float: N_("a number"),
    str: N_("a string"),
    Path: N_("a path (a string)"),
    Decimal: N_("a number"),
}


def _convert(value: Any, hint: Any, where: str, config: Config) -> Any:
    """A TOML value checked against a field annotation and converted to it."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):  # X | None: TOML has no null, so X
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(value, inner, where, config)
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(
                _("{where} should be a list of {words}, got {value!r}").format(
                    where=where, words=_words(item_hint), value=value
                ),
                hint=_("write it as {split} = [...]").format(split=_key(where)),
            )
        # An item is named by its index, which reads the same in every language.
        items = [_convert(v, item_hint, f"{where}[{i}]", config) for i, v in enumerate(value)]
        return tuple(i.strip() if isinstance(i, str) else i for i in items)
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str),
        Path: isinstance(value, str),
        Decimal: isinstance(value, int | float | str) and not isinstance(value, bool),
    }.get(hint)
    if ok is None:
        raise TypeError(f"load_settings cannot read a {hint!r} field ({where})")
    if not ok:
        raise ConfigError(
            _("{where} should be {words}, got {value!r}").format(
                where=where, words=_words(hint), value=value
            ),
            hint=_("fix {split} in the {split2} table of auditpipe.toml").format(
                split=_key(where), split2=where.split()[0]
            ),
        )
    if hint is float:
        if not math.isfinite(value):  # TOML's inf and nan, and 1e400 (read as inf)
            raise ConfigError(
                _("{where} should be a finite number, got {value!r}").format(
                    where=where, value=value
                ),
                hint=_("fix {split} in the {split2} table of auditpipe.toml").format(
                    split=_key(where), split2=where.split()[0]
                ),
            )
        return float(value)
    if hint is Path:
        return config.resolve_path(value)
    if hint is Decimal:
        return to_decimal(value, where)
    return value


def _key(where: str) -> str:
    """The key of ``where`` ("[detect] severity_record_steps[1]" -> severity_record_steps)."""
    return where.split()[1].split("[")[0] if " " in where else where


def _words(hint: Any) -> str:
    words = _KIND_WORDS.get(hint)
    return _(words) if words else getattr(hint, "__name__", str(hint))


def to_decimal(value: Any, where: str) -> Decimal:
    """A finite Decimal from a TOML number or numeric string; ConfigError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(
            _("{where} should be a number, got {value!r}").format(where=where, value=value)
        )
    try:
        # str() first so 7.1 stays 7.1 rather than its binary float expansion
        result = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(
            _("{where} should be a number, got {value!r}").format(where=where, value=value)
        ) from None
    if not result.is_finite():
        raise ConfigError(
            _("{where} should be a finite number, got {value!r}").format(where=where, value=value)
        )
    return result


def _coerce_override(value: Any, hint: Any) -> Any:
    """An override from a flag or a caller in the field's type (paths, tuples)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
        origin = typing.get_origin(hint)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(Path(v) if item is Path else v for v in value)
    if hint is Path:
        return Path(value)
    return value
