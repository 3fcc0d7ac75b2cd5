"""A file whose name says one thing and whose bytes another: a Parquet export saved as
.jsonl, a log compressed without .gz (or compressed twice), an Excel workbook saved as .csv, a
plain log named .gz. Each is rejected whole, its reason naming what the file is and the
rename or conversion that fixes it, and the run goes on. Read as text, such a file was split
at whatever newline bytes it held and quarantined as rows of binary noise ("not valid UTF-8"
six times for one small Parquet file), or rejected as a "truncated or corrupt" archive."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.ingest import good, ingest

CSV = "event_id,event_time,provider_id,actor_id,action,data_fields\n"
ROW = "e1,2026-03-01T10:00:00Z,p,a,view,phone\n"


def _jsonl() -> bytes:
    return (json.dumps(good()) + "\n").encode()


def _parquet() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([good()]), sink)
    return sink.getvalue()


def _zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return bytes(sink.getvalue().to_pybytes())


def _xlsx() -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return sink.getvalue()


MISNAMED = {
    "parquet.jsonl": (_parquet, "a Parquet file", ".parquet"),
    "parquet.csv": (_parquet, "a Parquet file", ".parquet"),
    "gzip.jsonl": (lambda: gzip.compress(_jsonl()), "gzip-compressed", ".gz"),
    "twice.jsonl.gz": (lambda: gzip.compress(gzip.compress(_jsonl())), "gzip-compressed", ".gz"),
    "zstd.csv": (lambda: _zstd((CSV + ROW).encode()), "zstd-compressed", ".zst"),
    "book.csv": (_xlsx, "ZIP archive", "CSV UTF-8"),
    "plain.jsonl.gz": (_jsonl, "is named .gz but is not gzip-compressed", "rename it"),
    "zstd.jsonl.gz": (lambda: _zstd(_jsonl()), "(it is zstd-compressed)", "rename it"),
    "plain.csv.zst": (lambda: (CSV + ROW).encode(), "is not zstd-compressed", "rename it"),
    # no bytes at all: not a compressed file of nothing (that has a header), one cut short
    "cut.jsonl.gz": (lambda: b"", "is empty: a gzip file holds at least a header", "again"),
    "cut.csv.zst": (lambda: b"", "is empty: a zstd file holds at least a header", "again"),
    "nothing.jsonl.gz": (lambda: gzip.compress(b""), "", ""),  # compressed nothing: read
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("misnamed")
    inbox = root / "in"
    inbox.mkdir()
    for name, (make, _what, _todo) in MISNAMED.items():
        (inbox / name).write_bytes(make())
    # Text that merely starts with such letters is text: a header whose first name is "PK".
    (inbox / "pk.csv").write_text(CSV.replace("event_id", "PK\x03\x04x,event_id", 1) + "x," + ROW)
    (inbox / "fine.jsonl").write_text(json.dumps(good(actor_id="fine")) + "\n")
    return {Path(f.source_file).name: f for f in ingest(root / "lake", inbox).files}


@pytest.mark.parametrize("name", sorted(MISNAMED))
def test_a_misnamed_file_is_rejected_whole_saying_what_it_is(
    result: dict[str, object], name: str
) -> None:
    _make, what, todo = MISNAMED[name]
    f = result[name]
    if not what:
        assert f.status == "ingested" and f.rows_read == 0, f  # type: ignore[attr-defined]
        return
    assert f.status == "rejected", f  # type: ignore[attr-defined]
    assert f.rows_read == f.rows_quarantined == 0, f  # type: ignore[attr-defined]
    assert what in f.reason and todo in f.reason, f.reason  # type: ignore[attr-defined]


def test_text_that_starts_like_a_signature_and_the_other_files_are_read(
    result: dict[str, object],
) -> None:
    assert result["fine.jsonl"].rows_stored == 1  # type: ignore[attr-defined]
    assert result["pk.csv"].status == "ingested"  # type: ignore[attr-defined]
    assert result["pk.csv"].reconciles  # type: ignore[attr-defined]
