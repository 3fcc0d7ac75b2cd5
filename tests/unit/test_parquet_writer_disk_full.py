"""A Parquet writer on a full disk: the close that fails raises one error naming the file,
and the writer is closed for good (nothing retried, nothing printed when it is collected).

A Parquet file's footer is written at close, so on a full disk it is close() that fails;
pyarrow's writer then stayed open and its __del__ printed ``Exception ignored in:
ParquetWriter.__del__`` and a traceback on stderr after the command's clean error message,
and Arrow's error ("Error writing bytes to file") named no file. The real-disk counterpart is
tests/e2e/test_lake_real_disk_full.py.
"""

from __future__ import annotations

import errno
import gc
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from auditpipe.lake.parquet_writer import ParquetWriter

SCHEMA = pa.schema([("n", pa.int64())])


class _FooterRefused:
    """pyarrow's inner writer, whose close fails as on a full disk, every time it is tried."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tries = 0

    def close(self) -> None:
        self.tries += 1
        self.inner.close()
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28]")


@pytest.mark.parametrize("closes", [1, 2])
def test_a_failed_close_names_the_file_and_leaves_the_writer_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closes: int
) -> None:
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    path = tmp_path / "part-0.parquet"
    writer = ParquetWriter(path, SCHEMA)
    writer.write_table(pa.table({"n": [1, 2, 3]}, SCHEMA))
    inner = writer.writer = _FooterRefused(writer.writer)
    with pytest.raises(OSError) as raised:
        writer.close()
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(path)
    for _ in range(closes - 1):
        writer.close()  # an abort closing every writer: nothing is tried again
    del writer
    gc.collect()
    assert inner.tries == 1
    assert not unraisable, [u.exc_value for u in unraisable]
