"""Generated rows to files: encoding lines to bytes, Parquet row groups, compression.

Files are written under a hidden ``.<name>.partial`` name (ingest skips dot files) and renamed
when complete. Output is byte-for-byte reproducible: gzip without a timestamp or file name,
zstd through pyarrow's streaming compressor fed the same chunks, Parquet through one writer
with fixed options.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .damage import INVALID_UTF8_BYTES, INVALID_UTF8_MARKER
from .formats import FORMATS
from .surface import FIELDS, Draws, key_spellings


def csv_header(rng: np.random.Generator) -> str:
    """The header of one CSV file: some column names spelled the way some providers do."""
    names = []
    for field in FIELDS:
        spellings = key_spellings(field)
        odd = rng.random() < 0.3
        names.append(spellings[int(rng.integers(0, len(spellings)))] if odd else field)
    return ",".join(f'"{n}"' if n != n.strip() else n for n in names)


def parquet_rows(cells: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Text columns in FIELDS order (Parquet has no mixed types); absent is null or ""."""
    d = Draws(rng, cells.height)
    cols = {}
    for field in FIELDS:
        empty = pl.lit(d.u()) < 0.3
        cols[field] = (
            pl.when(pl.col(f"r_{field}").is_null() & empty)
            .then(pl.lit(""))
            .otherwise(pl.col(f"r_{field}"))
        )
    return cells.select(**cols)


def encode_lines(lines: pl.Series) -> Any:
    """The lines, each ended by a newline, as one UTF-8 buffer (invalid-UTF-8 markers turned
    into their bytes), straight from Arrow memory rather than through a Python string."""
    import pyarrow as pa
    import pyarrow.compute as pc

    damaged = bool(lines.str.contains(INVALID_UTF8_MARKER, literal=True).any())
    data = (lines + "\n").to_arrow().cast(pa.large_string()).cast(pa.large_binary())
    if damaged:
        data = pc.replace_substring(data, INVALID_UTF8_MARKER.encode(), INVALID_UTF8_BYTES)
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64)[
        data.offset : data.offset + len(data) + 1
    ]
    if not len(data):
        return b""
    return data.buffers()[2][int(offsets[0]) : int(offsets[-1])]


class OutputFile:
    """One generated log file, written in chunks under a hidden partial name."""

    def __init__(self, out: Path, name: str, fmt: str, provider_id: str, rng: np.random.Generator):
        self.name, self.format, self.provider_id = name, fmt, provider_id
        self.family, compression = FORMATS[fmt]
        self.final = out / name
        self.partial = out / f".{name}.partial"
        self.rows = self.bad_rows = self.duplicate_rows = 0
        self.bad_by_kind: dict[str, int] = {}
        self._stream: Any
        self._parquet: Any = None
        if self.family == "parquet":
            self.column_names = [
                key_spellings(f)[int(rng.integers(0, 5))] if rng.random() < 0.3 else f
                for f in FIELDS
            ]
            self._stream = None
        else:
            self._stream = _open_stream(self.partial, compression)
            if self.family == "csv":
                self._stream.write((csv_header(rng) + "\n").encode("utf-8"))

    def write_lines(self, lines: pl.Series) -> None:
        self._stream.write(encode_lines(lines))

    def write_rows(self, rows: pl.DataFrame) -> None:
        """Parquet: append ``rows`` (text columns in FIELDS order) as one row group."""
        self.write_table(rows.to_arrow().rename_columns(self.column_names))

    def write_table(self, table: Any) -> None:
        import pyarrow as pa

        from ..lake.parquet_writer import ParquetWriter

        schema = pa.schema([(n, pa.string()) for n in self.column_names])
        if self._parquet is None:
            self._parquet = ParquetWriter(self.partial, schema, compression="zstd")
        self._parquet.write_table(table.cast(schema))

    def count(self, kinds: pl.Series, duplicates: int) -> None:
        self.rows += len(kinds)
        self.duplicate_rows += duplicates
        for kind, n in kinds.drop_nulls().value_counts(sort=True).iter_rows():
            self.bad_by_kind[kind] = self.bad_by_kind.get(kind, 0) + n
            self.bad_rows += n

    def close(self) -> None:
        if self.family == "parquet":
            if self._parquet is None:  # no rows: still a valid, empty file
                import pyarrow as pa

                self.write_table(
                    pa.table({n: pa.array([], pa.string()) for n in self.column_names})
                )
            self._parquet.close()
        else:
            self._stream.close()

    def publish(self) -> None:
        os.replace(self.partial, self.final)


class _GzipStream:
    """gzip with mtime=0 and no file name in the header, so the same input gives the same
    bytes; closing it closes the file under it too (GzipFile alone leaves it open)."""

    def __init__(self, path: Path):
        self._raw = open(path, "wb")  # noqa: SIM115 (closed in close(), after the gzip trailer)
        self._gz = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=1
        )

    def write(self, data: bytes) -> None:
        self._gz.write(data)

    def close(self) -> None:
        self._gz.close()
        self._raw.close()


def _open_stream(path: Path, compression: str | None) -> Any:
    if compression == "gzip":
        return _GzipStream(path)
    if compression == "zstd":
        import pyarrow as pa

        return pa.CompressedOutputStream(str(path), "zstd")
    return open(path, "wb", buffering=1 << 20)
