"""Helpers for the account snapshot tests: snapshot rows, files in every form, the lake read
back, and every text the lake holds (to search for ID numbers)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from auditpipe.realname import with_check_characters

# Valid numbers (GB 11643-1999 check character computed), and two that fail the checks.
VALID_IDS = with_check_characters(["11010519491231002", "44030419900101123", "32010219851111456"])
BAD_CHECK = VALID_IDS[0][:17] + ("0" if VALID_IDS[0][17] != "0" else "1")
BAD_DATE = with_check_characters(["11010519990230002"])[0]  # 30 February


def account(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "provider_id": "forum-a",
        "account_id": "u1",
        "registered_at": "2026-01-05T09:00:00+08:00",
        "verification_status": "verified",
        "verified_at": "2026-01-05T09:05:00+08:00",
        "verification_method": "id_card_ocr",
        "id_number": VALID_IDS[0],
    }
    for key, value in changes.items():
        if value is None:
            row.pop(key, None)
        else:
            row[key] = value
    return row


def _compress(data: bytes, compression: str | None) -> bytes:
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "zst":
        import pyarrow as pa

        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as out:
            out.write(data)
        return bytes(sink.getvalue().to_pybytes())
    return data


def write_snapshot(
    path: Path, rows: list[Any], fmt: str = "jsonl", compression: str | None = None
) -> Path:
    """Rows as dicts (or, for jsonl and csv, str lines written as they are) in ``fmt``;
    ``path`` gets the format's suffix and the compression's."""
    path = path.with_name(path.name + f".{fmt}" + (f".{compression}" if compression else ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
        data = ("\n".join(lines) + "\n").encode()
    elif fmt == "csv":
        names = list(dict.fromkeys(k for r in rows if isinstance(r, dict) for k in r))
        buf = io.StringIO()
        buf.write(",".join(names) + "\n")
        for r in rows:
            if isinstance(r, str):
                buf.write(r + "\n")
            else:
                w = csv.writer(buf, lineterminator="\n")
                w.writerow([r.get(n, "") for n in names])
        data = buf.getvalue().encode()
    else:
        names = list(dict.fromkeys(k for r in rows for k in r))
        table = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})
        sink = io.BytesIO()
        pq.write_table(table, sink)
        data = sink.getvalue()
    path.write_bytes(_compress(data, compression))
    return path


def accounts(lake: Path, where: str = "true") -> list[dict[str, Any]]:
    """The ``accounts`` view's rows (read through auditpipe's own views)."""
    import auditpipe

    con = auditpipe.connect(lake)
    try:
        cur = con.execute(f"SELECT * FROM accounts WHERE {where} ORDER BY ALL")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def all_text(root: Path) -> str:
    """Every text a folder (or one file) holds: each file's raw bytes (decoded leniently), gzip'd content
    unpacked, and every string value of every Parquet file read back (compressed pages hide
    strings from a byte search)."""
    parts: list[str] = []
    for p in [root] if root.is_file() else sorted(root.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        parts.append(data.decode("utf-8", "replace"))
        if data[:2] == b"\x1f\x8b":
            parts.append(gzip.decompress(data).decode("utf-8", "replace"))
        if data[:4] == b"PAR1":
            table = pq.read_table(p, partitioning=None)
            for column in table.itercolumns():
                parts.extend(str(v) for v in column.to_pylist() if v is not None)
            parts.append(str(table.schema.metadata or ""))
    return "\n".join(parts)
