"""A float NaN in Parquet is no value, as null is.

pandas turns NaN into null when it writes Parquet, but Polars, DuckDB and Spark keep it (a
column built from NumPy, a division by zero): read as the text ``nan``, an optional amount
quarantined its whole row as "not a decimal number", and a float column outside the contract
was kept in ``extras`` as ``NaN``, which JSON does not have."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from tests.support.ingest import good, ingest, query, write_jsonl


def test_a_float_nan_is_stored_as_no_value(tmp_path: Path) -> None:
    rows = [good(event_id="a", amount="2.5"), good(event_id="b"), good(event_id="c")]
    write_jsonl(
        tmp_path / "want.jsonl", [{**r, "score": 0.5} if r["event_id"] == "a" else r for r in rows]
    )
    frame = pl.DataFrame(
        {
            **{
                k: [r[k] for r in rows]
                for k in ("event_id", "event_time", "provider_id", "actor_id", "action")
            },
            "data_fields": [json.dumps(r["data_fields"]) for r in rows],
            "amount": np.array([2.5, np.nan, np.nan]),
            "record_count": np.array([1.0, np.nan, 1.0], dtype=np.float32),
            "score": np.array([0.5, np.nan, np.nan]),
        }
    ).with_columns(pl.col("event_id") + "-pq")
    frame.write_parquet(tmp_path / "polars.parquet")
    result = ingest(tmp_path / "lake", tmp_path / "want.jsonl", tmp_path / "polars.parquet")
    assert [f.rows_quarantined for f in result.files] == [0, 0]
    got = query(
        tmp_path / "lake",
        "SELECT regexp_replace(event_id, '-pq$', '') AS id, event_id LIKE '%-pq' AS pq, amount, "
        "record_count, extras FROM events ORDER BY 1, 2",
    )
    assert [row[:1] + row[2:] for row in got[0::2]] == [row[:1] + row[2:] for row in got[1::2]]
