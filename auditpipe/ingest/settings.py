"""Ingest settings: the ``[ingest]`` table of auditpipe.toml, with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config, load_settings

MiB = 1024 * 1024


@dataclass(frozen=True)
class IngestSettings:
    # Timezone for times given without an offset and for event_date. It is fixed when a lake
    # is created (default Asia/Shanghai); None means "whatever the lake was created with".
    timezone: str | None = None
    # A physical line (or CSV row) longer than this is quarantined without being read whole.
    max_line_bytes: int = 16 * MiB
    # Bytes of decompressed input handled per batch: bounds memory, whatever the file size.
    batch_bytes: int = 64 * MiB
    # DuckDB's memory ceiling for one ingest; beyond it DuckDB spills to the lake's staging.
    memory_limit: str = "4GB"
    # Extra data catalog (JSON, same shape as schemas/data_catalog.json); None = default only.
    catalog: Path | None = None

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> IngestSettings:
        """Settings from ``[ingest]``; keyword overrides (flags the user gave) win when not None."""
        return load_settings(config, "ingest", cls, overrides)
