"""The reader seam: a source's Arrow batches as ingest's BatchSource.

A source batch has ``line_number`` (the statement's first log line), ``raw`` (scrubbed),
``pre_error`` (a quarantine reason, or null) and contract-named text columns; ingest's one
normalising query does the rest, exactly as for the contract formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..contract import Contract
from ..ingest.formats import BatchSource


def batch_sources(con: Any, tables: Iterator[Any], contract: Contract) -> Iterator[BatchSource]:
    names = {spec.name for spec in contract.fields}
    for i, table in enumerate(tables):
        view = f"source_batch_{i % 2}"
        con.register(view, table)
        fields = {c: c for c in table.column_names if c in names}
        yield BatchSource(f"(SELECT * FROM {view}) src", fields, "extras", table.num_rows)
