"""A gzip file is read as gzip(1) reads it: its members one after another, and zero bytes
padding its end (tape and disk blocks, `dd conv=sync`, transfer tools that write whole blocks).

Before, a file padded with zero bytes was rejected whole, "zlib inflate failed: unknown
compression method (the archive is truncated or corrupt)", though `gzip -t` finds it sound and
`zcat` reads every line of it. Bytes after the data that are neither padding nor a member, and
a member cut short, still reject the file: gzip(1) warns of them too.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.ingest import good, ingest, query

CSV_HEADER = "event_id,event_time,provider_id,actor_id,action,data_fields\n"


def _lines(kind: str, n: int) -> list[bytes]:
    if kind == "jsonl":
        return [(json.dumps(good(event_id=f"e{i}")) + "\n").encode() for i in range(n)]
    return [f"e{i},2026-03-01T10:00:00Z,p,a{i},view,phone\n".encode() for i in range(n)]


def _members(lines: list[bytes], cuts: list[int], header: bytes) -> bytes:
    """The lines compressed as one gzip member per piece between ``cuts``."""
    bounds = [0, *sorted({c % (len(lines) + 1) for c in cuts}), len(lines)]
    pieces = [b"".join(lines[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    pieces[0] = header + pieces[0]
    return b"".join(gzip.compress(piece) for piece in pieces)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["jsonl", "csv"]),
    rows=st.integers(1, 40),
    cuts=st.lists(st.integers(0, 40), max_size=3),
    padding=st.sampled_from([0, 1, 7, 512, 4096, 65_537]),
)
def test_members_and_zero_padding_are_read_as_gzip_reads_them(
    kind: str, rows: int, cuts: list[int], padding: int
) -> None:
    lines = _lines(kind, rows)
    header = CSV_HEADER.encode() if kind == "csv" else b""
    data = _members(lines, cuts, header) + bytes(padding)
    assert gzip.decompress(data) == header + b"".join(lines)  # as gzip(1) reads it
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"log.{kind}.gz"
        path.write_bytes(data)
        (f,) = ingest(Path(tmp) / "lake", path).files
        assert f.status == "ingested", f.reason
        assert (f.rows_read, f.rows_stored) == (rows, rows)
        stored = query(Path(tmp) / "lake", "SELECT count(DISTINCT event_id) FROM events")
        assert stored == [(rows,)]


def test_bytes_after_the_data_that_are_not_gzip_reject_the_file(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(_lines("jsonl", 3))) + bytes(100) + b"trailing garbage"
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(data)
    (f,) = ingest(tmp_path / "lake", path).files
    assert f.status == "rejected" and f.rows_stored == 0, f
    assert "cannot be read to the end" in (f.reason or "")


def test_a_member_cut_short_rejects_the_file(tmp_path: Path) -> None:
    whole = gzip.compress(b"".join(_lines("jsonl", 3))) + gzip.compress(
        b"".join(_lines("jsonl", 2))
    )
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(whole[:-6])
    (f,) = ingest(tmp_path / "lake", path).files
    assert f.status == "rejected" and f.rows_stored == 0, f
    assert "cannot be read to the end" in (f.reason or "")
