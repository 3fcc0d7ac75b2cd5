"""One source file -> Arrow batches for ingest, whatever the kind.

A kind is a module with ``read_statements(stream, settings, file_name, batch_bytes,
max_line_bytes)`` yielding statement frames (columns listed in events.py); this module opens
the file, loads the schema and catalog once, and turns each frame into events through the
one shared path (``events.to_events``). The pipeline never branches on the kind's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from ..contract import Catalog
from ..errors import ConfigError
from ..i18n import _
from .analysis import Mapping
from .events import Analyser, Counters, to_events
from .schema import DbSchema, load_schema
from .settings import SourceSettings

MiB = 1024 * 1024
# Log text read per batch. Parsing a batch takes several copies of it (lines, records,
# statements, events), so batches are kept smaller than ingest's contract batches: memory
# stays a few hundred MiB whatever the file size, at no cost in speed (measured).
SOURCE_BATCH_BYTES = 8 * MiB


class Kind(Protocol):
    def read_statements(
        self,
        stream: IO[bytes],
        settings: SourceSettings,
        file_name: str,
        batch_bytes: int,
        max_line_bytes: int,
    ) -> Iterator[Any]: ...


def kind_module(name: str) -> Kind:
    """The module reading one kind of log; each satisfies ``Kind``."""
    from . import mysql_enterprise, mysql_json, mysql_xml, percona_csv, pgaudit, server_audit

    kinds: dict[str, Kind] = {
        "pgaudit": pgaudit,
        "server_audit": server_audit,
        "percona_audit_json": mysql_json,
        "percona_audit_xml": mysql_xml,
        "percona_audit_csv": percona_csv,
        "mysql_audit_json": mysql_enterprise,
        "mysql_audit_xml": mysql_xml,
    }
    return kinds[name]


def mapping_for(
    settings: SourceSettings, catalog: Catalog, schema: DbSchema | None = None
) -> Mapping:
    protected = frozenset(
        e.name for e in catalog.entries if e.data_class in catalog.protected_classes
    )
    if schema is None:
        # No schema, or a mapped column or subject key the schema lacks, would count nothing
        # (a SELECT * expands to no column): refuse the settings before any log is read, as
        # `sources check` reports them.
        from .check import no_schema_message, schema_problems

        if settings.schema_file is None:
            raise ConfigError(
                _("{where}: {problems}").format(
                    where=settings.where(), problems=no_schema_message()
                )
            )
        schema = load_schema(settings.schema_file, settings.dialect)
        problems = schema_problems(settings, schema)
        if problems:
            raise ConfigError(
                _("{where}: {problems}").format(
                    where=settings.where(), problems="; ".join(problems)
                ),
                hint=_(
                    "correct the names to the schema's (auditpipe sources check {where} lists "
                    "them), or give the schema that has them"
                ).format(where=settings.where()),
            )
    return Mapping(
        schema=schema,
        columns=dict(settings.columns),
        subject_keys=frozenset(settings.subject_keys),
        lookup_keys=frozenset(settings.lookup_keys),
        protected_fields=protected,
        catalog_fields=frozenset(e.name for e in catalog.entries),
    )


@dataclass
class SourceReader:
    """Reads files of one source; the analysis cache lives as long as the reader."""

    settings: SourceSettings
    catalog: Catalog
    batch_bytes: int = 64 * MiB
    max_line_bytes: int = 16 * MiB
    rows_per_batch: int = 100_000
    counters: Counters = field(default_factory=Counters)

    def __post_init__(self) -> None:
        self.batch_bytes = min(self.batch_bytes, SOURCE_BATCH_BYTES)
        self.analyser = Analyser(self.settings.dialect, mapping_for(self.settings, self.catalog))

    def batches(self, stream: IO[bytes], file_name: str) -> Iterator[Any]:
        """Arrow tables of events.OUTPUT_COLUMNS; ``self.counters`` is reset per file."""
        import pyarrow as pa

        self.counters = Counters()
        kind = kind_module(self.settings.kind)
        pending: list[Any] = []
        rows = 0
        for frame in kind.read_statements(
            stream, self.settings, file_name, self.batch_bytes, self.max_line_bytes
        ):
            table = to_events(frame, self.settings, self.analyser, self.counters)
            pending.append(table)
            rows += table.num_rows
            # Events are small beside the log text they came from: hand ingest fewer, larger
            # batches (each of its batches has a fixed cost).
            if rows >= self.rows_per_batch:
                yield pa.concat_tables(pending)
                pending, rows = [], 0
        if pending:
            yield pa.concat_tables(pending)


def read_file(
    path: Path, settings: SourceSettings, catalog: Catalog, **kw: Any
) -> tuple[Any, Counters]:
    """A whole (small) file as one Arrow table, for tests and `sources check`."""
    import gzip

    import pyarrow as pa

    reader = SourceReader(settings, catalog, **kw)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        tables = list(reader.batches(fh, str(path)))
    table = pa.concat_tables(tables) if tables else to_events_empty()
    return table, reader.counters


def to_events_empty() -> Any:
    from .events import _empty

    return _empty()
