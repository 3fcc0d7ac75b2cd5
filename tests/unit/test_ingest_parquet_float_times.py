"""A Parquet time column of 16- or 32-bit floats cannot hold an epoch time: a float32 keeps
24 bits, so near 1.7e9 seconds its steps are 128 s, and the file's times are already wrong
by up to a minute (nanoseconds do no better in milliseconds). Such a file is rejected whole,
naming the column and what to send; a float64 column is read exactly (docs/ingest.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.ingest import good, ingest, query, write_jsonl

EPOCH = 1772407800.5  # 2026-03-01 23:30:00.5 UTC: float32 has it as ...808


def _parquet(path: Path, times: pa.Array, **columns: pa.Array) -> Path:
    row = good()
    row.pop("event_time")
    table = pa.table(
        {"event_time": times, **{k: pa.array([v] * len(times)) for k, v in row.items()}, **columns}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("kind", [pa.float32(), pa.float16()])
@pytest.mark.parametrize("scale", [1, 1000])  # epoch seconds, milliseconds
def test_a_time_column_of_short_floats_rejects_the_file_naming_it(
    tmp_path: Path, kind: pa.DataType, scale: int
) -> None:
    import numpy as np

    with np.errstate(over="ignore"):  # a float16 has no room for an epoch time at all
        values = np.array([EPOCH * scale], dtype=np.float64).astype(kind.to_pandas_dtype())
    bad = _parquet(tmp_path / "in" / "short.parquet", pa.array(values, kind))
    fine = write_jsonl(tmp_path / "in" / "z.jsonl", [good(actor_id="ok")])
    result = ingest(tmp_path / "lake", bad, fine)
    rejected, landed = result.files
    assert rejected.status == "rejected" and rejected.rows_read == 0
    reason = rejected.reason or ""
    assert "'event_time'" in reason and str(kind) in reason, reason
    assert "int64" in reason and "float64" in reason  # what to send instead
    assert landed.rows_stored == 1
    assert query(tmp_path / "lake", "SELECT count(*) FROM events") == [(1,)]


def test_a_float64_time_column_is_read_to_the_microsecond(tmp_path: Path) -> None:
    path = _parquet(
        tmp_path / "double.parquet",
        pa.array([EPOCH], pa.float64()),
        amount=pa.array([9.5], pa.float32()),  # a short float elsewhere is fine
    )
    result = ingest(tmp_path / "lake", path)
    assert result.rows_stored == 1, result.files[0]
    (stored,) = query(tmp_path / "lake", "SELECT event_time FROM events")[0]
    assert stored == dt.datetime(2026, 3, 1, 23, 30, 0, 500_000, tzinfo=dt.UTC)
