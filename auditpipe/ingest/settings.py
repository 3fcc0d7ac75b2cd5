"""Ingest settings: the ``[ingest]`` table of auditpipe.toml, with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config, load_settings
from ..errors import ConfigError
from ..i18n import _

if TYPE_CHECKING:
    from ..lake import Lake

MiB = 1024 * 1024


@dataclass(frozen=True)
class IngestSettings:
    # Timezone for times given without an offset and for event_date. It is fixed when a lake
    # is created (default Asia/Shanghai); None means "whatever the lake was created with".
    timezone: str | None = None
    # A physical line (or CSV row) longer than this is quarantined without being read whole.
    max_line_bytes: int = 16 * MiB
    # Bytes of decompressed input handled per batch: bounds memory, whatever the file size.
    batch_bytes: int = 32 * MiB
    # DuckDB's memory ceiling for one ingest; beyond it DuckDB spills to the lake's staging.
    memory_limit: str = "4GB"
    # Extra data catalog (JSON, same shape as schemas/data_catalog.json); None = default only.
    catalog: Path | None = None
    # Database audit log sources (settings files, see auditpipe.sources): files matching one's
    # `files` patterns are read as that source.
    sources: tuple[Path, ...] = ()
    # Data field names the catalog does not know: how many of the most frequent ones each
    # file's summary and manifest entry list (0: none listed, only their number).
    unclassified_top: int = 10

    def __post_init__(self) -> None:
        if self.unclassified_top < 0:
            raise ConfigError(
                _("[ingest] unclassified_top = {value} is out of range").format(
                    value=self.unclassified_top
                ),
                hint=_("unclassified_top must be 0 or more"),
            )
        if self.timezone:
            from . import check_timezone

            check_timezone(self.timezone)

    def open_lake(self, path: str | Path) -> Lake:
        """The lake to ingest into: created with ``timezone`` (or the default) when the
        folder is missing or empty; an existing lake of another timezone is an error."""
        from ..lake import Lake

        return Lake.open(path, create=True, timezone=self.timezone)

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> IngestSettings:
        """Settings from ``[ingest]``; keyword overrides (flags the user gave) win when not None."""
        return load_settings(config, "ingest", cls, overrides)
