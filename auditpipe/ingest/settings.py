"""Ingest settings: the ``[ingest]`` table of auditpipe.toml, with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config, get_typed

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
    # Database audit log sources (settings files, see auditpipe.sources): files matching one's
    # `files` patterns are read as that source.
    sources: tuple[Path, ...] = ()

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> IngestSettings:
        table = config.section("ingest")
        catalog = get_typed(table, "catalog", str, None, "ingest")
        values: dict[str, object] = {
            "timezone": get_typed(table, "timezone", str, None, "ingest"),
            "max_line_bytes": get_typed(table, "max_line_bytes", int, 16 * MiB, "ingest"),
            "batch_bytes": get_typed(table, "batch_bytes", int, 64 * MiB, "ingest"),
            "memory_limit": get_typed(table, "memory_limit", str, "4GB", "ingest"),
            "catalog": config.resolve_path(catalog) if catalog else None,
            "sources": tuple(
                config.resolve_path(p) for p in get_typed(table, "sources", list, [], "ingest")
            ),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
