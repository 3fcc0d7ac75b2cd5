"""The reader seam: what a database audit log kind hands to ingest, batch by batch."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa

from auditpipe.contract import load_catalog, load_contract
from auditpipe.generate.dblogs import WRITERS, workload
from auditpipe.sources import SourceReader, load_settings
from tests.support.sources import write_source


def test_batches_carry_line_number_raw_a_reason_and_contract_named_columns(tmp_path) -> None:
    settings = load_settings(write_source(tmp_path, "pgaudit", "stderr"))
    frame = workload(300, 2, dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    text = ("\n".join(WRITERS["pgaudit-stderr"][0](frame).to_list()) + "\nnot a record\n").encode()
    reader = SourceReader(settings, load_catalog(), batch_bytes=4096, rows_per_batch=50)
    tables = list(reader.batches(io.BytesIO(text), "pg.log"))
    assert len(tables) > 1
    contract = {f.name for f in load_contract().fields}
    for table in tables:
        assert table.schema.field("line_number").type == pa.int64()
        assert pa.types.is_string(table.schema.field("raw").type) or pa.types.is_large_string(
            table.schema.field("raw").type
        )
        others = set(table.column_names) - {"line_number", "raw", "pre_error", "extras"}
        assert others <= contract
    lines = pa.concat_tables(tables).column("line_number").to_pylist()
    assert len(lines) == len(set(lines))  # one row per statement, none twice
    c = reader.counters
    assert c.lines_read == text.count(b"\n") and c.reconciles
    assert c.events == frame.height and c.lines_quarantined == 1  # the foreign line
