"""Sources listed in auditpipe.toml: which file is read as which source.

``[ingest] sources = ["sources/shop-pg.toml", ...]`` lists source settings files; each one's
``files`` patterns (matched against the file name, with or without its .gz/.zst suffix) say
which logs are its own. ``auditpipe ingest`` and the nightly job then read a matching file as
that source, and every other file as before (contract formats by suffix).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import Catalog
from ..errors import ConfigError
from ..i18n import _
from ..ingest.sources import COMPRESSION_SUFFIXES, SourceFile, classify, compression_of
from .reader import SourceReader
from .settings import SourceSettings, load_settings

_COMPRESSED = COMPRESSION_SUFFIXES  # .gz, .zst, .zstd, .bz2, .xz: as access logs


@dataclass
class SourceRouter:
    settings: list[SourceSettings]
    readers: dict[Path, SourceReader] = field(default_factory=dict)

    @classmethod
    def load(cls, files: Sequence[Path]) -> SourceRouter:
        loaded = []
        for f in files:
            if not f.is_file():  # a listed file, not a --source flag
                raise ConfigError(
                    _("source settings {path} does not exist").format(path=f),
                    hint=_(
                        "correct its path under [ingest] sources in auditpipe.toml (a relative "
                        "path is read from auditpipe.toml's folder)"
                    ),
                )
            loaded.append(load_settings(f))
        for s in loaded:
            if not s.files:
                raise ConfigError(
                    _(
                        "{where} is listed under [ingest] sources but has no 'files' patterns"
                    ).format(where=s.where()),
                    hint=_('add e.g. files = ["postgresql*.log"] so auditpipe knows its logs'),
                )
        seen: set[Path] = set()
        claimed: dict[str, SourceSettings] = {}
        for s in loaded:
            key = s.path or Path(s.provider_id)
            if key in seen:
                raise ConfigError(
                    _("{where} is listed twice under [ingest] sources").format(where=s.where()),
                    hint=_("list each source settings file once in auditpipe.toml"),
                )
            seen.add(key)
            for pattern in s.files:
                first = claimed.setdefault(pattern, s)
                if first is not s:  # the later source would never be used for those files
                    raise ConfigError(
                        _(
                            "{first} and {second} under [ingest] sources both claim files "
                            "{pattern!r}; the first would read them all"
                        ).format(first=first.where(), second=s.where(), pattern=pattern),
                        hint=_("give each source its own files patterns"),
                    )
        return cls(loaded)

    def source_of(self, path: Path) -> SourceSettings | None:
        name = path.name
        bare = name[: -len(path.suffix)] if path.suffix.lower() in _COMPRESSED else name
        for s in self.settings:
            if any(fnmatch.fnmatchcase(n, p) for p in s.files for n in (name, bare)):
                return s
        return None

    def classify(self, path: Path) -> SourceFile | None:
        """A listed source's file, else a contract format by suffix, else None."""
        s = self.source_of(path)
        if s is None:
            return classify(path)
        return SourceFile(path, s.kind, compression_of(path))

    def reader_for(self, path: Path, catalog: Catalog, **kw: Any) -> SourceReader | None:
        s = self.source_of(path)
        if s is None:
            return None
        key = s.path or Path(s.provider_id)
        if key not in self.readers:
            self.readers[key] = SourceReader(s, catalog, **kw)
        return self.readers[key]
