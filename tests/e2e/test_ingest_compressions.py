"""Compressions exporters write: bzip2 (Spark's and Hadoop's codec, ``bzip2 -k``) and xz are
read like gzip and zstd, ``.zstd`` is zstd; a compression auditpipe does not read (a ZIP of a
CSV, LZ4, 7-Zip) or a log compressed twice is refused saying what it is and what to run."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.ingest import good, ingest, query


def _lines(prefix: str) -> bytes:
    return b"".join(json.dumps(good(event_id=f"{prefix}{i}")).encode() + b"\n" for i in range(3))


LINES = _lines("e")
CSV = b"event_id,event_time,provider_id,actor_id,action,data_fields\nc1,2026-03-01 10:00:00,p,a,view,phone\n"


def _zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return sink.getvalue().to_pybytes()


def test_bzip2_xz_and_zstd_spelled_out_are_read(tmp_path: Path) -> None:
    table = pa.Table.from_pylist([{**good(event_id="pq"), "data_fields": '["phone"]'}])
    pq.write_table(table, tmp_path / "t.parquet")
    files = {
        "a.jsonl.bz2": bz2.compress(LINES[:100]) + bz2.compress(LINES[100:]),  # two streams
        "b.csv.bz2": bz2.compress(CSV),
        "c.ndjson.xz": lzma.compress(_lines("x")),
        "d.jsonl.zstd": _zstd(_lines("z")),
        "e.parquet.bz2": bz2.compress((tmp_path / "t.parquet").read_bytes()),
    }
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    result = ingest(tmp_path / "lake", inbox)
    assert [(Path(f.source_file).name, f.rows_stored) for f in result.files] == [
        ("a.jsonl.bz2", 3),
        ("b.csv.bz2", 1),
        ("c.ndjson.xz", 3),
        ("d.jsonl.zstd", 3),
        ("e.parquet.bz2", 1),
    ]
    assert len(query(tmp_path / "lake", "SELECT * FROM events")) == 11


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("a.jsonl.bz2", bz2.compress(LINES)[:-20], "cannot be read to the end"),
        ("b.jsonl.xz", gzip.compress(LINES), "is named .xz but is not xz-compressed (it is gzip"),
        ("c.csv.bz2", b"", "is empty"),
    ],
)
def test_a_damaged_or_misnamed_archive_is_rejected_saying_so(
    tmp_path: Path, name: str, data: bytes, said: str
) -> None:
    (tmp_path / name).write_bytes(data)
    (f,) = ingest(tmp_path / "lake", tmp_path / name).files
    assert f.status == "rejected"
    assert said in f.reason


def _zip(data: bytes) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("export.csv", data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("export.csv.zip", _zip(CSV), "is a ZIP archive, which auditpipe does not read"),
        ("export.zip", _zip(CSV), "Hint: unzip it and ingest the files inside"),
        (
            "x.jsonl.lz4",
            b"\x04\x22\x4d\x18",
            "LZ4-compressed, which auditpipe does not read\nHint: decompress it (lz4 -d",
        ),
        (
            "x.jsonl.gz.gz",
            gzip.compress(gzip.compress(LINES)),
            "is a file compressed twice (.gz.gz)",
        ),
        ("x.csv.7z", b"7z", "Hint: extract it (7z x)"),
    ],
)
def test_a_compression_auditpipe_does_not_read_is_named_with_what_to_run(
    tmp_path: Path, name: str, data: bytes, said: str
) -> None:
    (tmp_path / name).write_bytes(data)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditpipe",
            "ingest",
            str(tmp_path / name),
            "--lake",
            str(tmp_path / "lake"),
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).parents[2]), "LANG": "C.UTF-8"},
    )
    assert run.returncode == 2, run.stderr
    assert said in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_new_compressions_count_in_snapshot_names_and_the_iconv_command() -> None:
    from auditpipe.cli.render_ingest import _iconv
    from auditpipe.realname.ingest import is_snapshot_name

    assert is_snapshot_name(Path("users.accounts.csv.bz2"))
    assert is_snapshot_name(Path("users.accounts.jsonl.xz"))
    assert (
        _iconv("/in/a.csv.bz2")
        == "bzcat /in/a.csv.bz2 | iconv -f GB18030 -t UTF-8 > /in/a.utf8.csv"
    )
    assert _iconv("/in/a.csv") == "iconv -f GB18030 -t UTF-8 /in/a.csv > /in/a.utf8.csv"


def test_a_json_file_is_named_with_how_to_make_it_json_lines(tmp_path: Path) -> None:
    """Spark, DuckDB and BigQuery write JSON Lines as ``.json``; ingest reads JSON Lines by
    the names ``.jsonl`` and ``.ndjson`` and says how to get there, for a folder of Spark's
    output (nothing else to ingest) and for a file named on the command line."""
    from auditpipe.errors import UsageError

    out = tmp_path / "spark-out"
    out.mkdir()
    (out / "_SUCCESS").write_bytes(b"")
    (out / "part-00000-1a2b-c000.json").write_bytes(LINES)
    for given in (out, out / "part-00000-1a2b-c000.json"):
        with pytest.raises(UsageError) as caught:
            ingest(tmp_path / "lake", given)
        assert "rename it to .jsonl" in str(caught.value.hint), caught.value
        assert "jq -c '.[]'" in str(caught.value.hint)
