"""Settings from ``auditpipe.toml``.

Where the file comes from, first match wins: ``--config FILE``, ``$AUDITPIPE_CONFIG``,
``./auditpipe.toml``. Missing is fine (defaults apply). Each subsystem reads its own table
(``[ingest]``, ``[detect]``, ``[penalty]``, ``[report]``, ``[nightly]``) through ``section()``
and turns it into its own typed settings object, so this module knows no subsystem's keys.
Relative paths inside the file are resolved against the file's folder (``resolve_path``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_ENV = "AUDITPIPE_CONFIG"
DEFAULT_CONFIG_NAME = "auditpipe.toml"


@dataclass(frozen=True)
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(
                f"[{name}] in {self.path} is not a table",
                hint=f"write it as a TOML table: [{name}] followed by key = value lines",
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
        if explicit:
            raise ConfigError(
                f"config file {p} does not exist",
                hint="check the path given to --config or $AUDITPIPE_CONFIG",
            )
        return Config()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from exc
    return Config(data=data, path=p.resolve())


def get_typed(table: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    """``table[key]`` checked against ``kind``; a clear ConfigError otherwise."""
    if key not in table:
        return default
    value = table[key]
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok, value = True, float(value)
    if not ok:
        raise ConfigError(
            f"{where}.{key} should be a {kind.__name__}, got {value!r}",
            hint=f"fix {key} in the [{where}] table of auditpipe.toml",
        )
    return value
