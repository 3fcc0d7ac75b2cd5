"""Whole files damaged at random, every input kind: the invariants that hold whatever the damage.

A valid file of each kind ingest reads (access logs as JSON Lines, CSV, Parquet, gzip- and
zstd-compressed; pgaudit stderr/csvlog/jsonlog and MariaDB server_audit through a source) is
damaged by hypothesis (truncated, bytes flipped, inserted or deleted, NUL, CR, lone surrogate
escapes, invalid UTF-8, a BOM mid-file, lines duplicated or swapped, a 1 MB line, a compressed
stream cut short or with garbage after it; for Parquet a damaged footer, a column of another
type, a struct column, a column all null) and ingested beside an intact file. Whatever the
damage:

1. nothing raises but auditpipe's own errors (as a subprocess: no traceback, a documented
   exit code, a message);
2. each file reconciles (read = stored + quarantined + duplicates), the manifest and the lake
   agree with the result, and every quarantined row has a reason;
3. ingesting the same files again changes nothing;
4. the lake stays readable and ``status`` works;
5. the damaged file never stops the intact one.

``AUDITPIPE_MUTATION_EXAMPLES`` raises the number of examples for a longer hunt.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.errors import AuditpipeError
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.ingest.hashing import EMPTY_SHA256
from auditpipe.lake import Lake
from auditpipe.status import lake_status
from tests.support.ingest import lake_snapshot

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
EXAMPLES = int(os.environ.get("AUDITPIPE_MUTATION_EXAMPLES", "6"))
SOME = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DOCUMENTED_EXITS = {0, 2, 3}
# Bytes per batch: the default, and small enough that a file spans many batches.
BATCH = st.sampled_from([32 << 20, 4096, 200])


def _head(path: Path, lines: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines])


def _zstd(data: bytes) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return bytes(sink.getvalue())


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=8)
    return sink.getvalue()


def _access_table() -> pa.Table:
    import pyarrow.csv as pc

    data = _head(SAMPLES / "micro-d.csv", 25)
    table = pc.read_csv(io.BytesIO(data))
    return table.cast(pa.schema([pa.field(n, pa.string()) for n in table.column_names]))


# -- mutations of bytes -------------------------------------------------------------------
HOSTILE = [
    b"\x00",
    b"\r",
    b"\\ud800",
    b'"\\udfff"',
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\n",
    b'"',
    b",",
    b"{",
    b"}",
    b"\t",
]


@st.composite
def byte_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        n = len(out)
        op = draw(
            st.sampled_from(
                ["truncate", "flip", "insert", "delete", "hostile", "dup", "swap", "long"]
            )
        )
        at = draw(st.integers(0, max(n - 1, 0)))
        if op == "truncate":
            del out[at:]
        elif op == "flip" and n:
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 16))]
        elif op == "hostile":
            out[at:at] = draw(st.sampled_from(HOSTILE))
        elif op in ("dup", "swap"):
            lines = bytes(out).split(b"\n")
            if len(lines) > 2:
                i = draw(st.integers(1, len(lines) - 1))
                j = draw(st.integers(1, len(lines) - 1))
                if op == "dup":
                    lines.insert(j, lines[i])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
                out = bytearray(b"\n".join(lines))
        elif op == "long":
            lines = bytes(out).split(b"\n")
            i = draw(st.integers(0, max(len(lines) - 1, 0)))
            lines[i] = (
                lines[i][: len(lines[i]) // 2]
                + b"x" * draw(st.sampled_from([1 << 20, 3 << 20]))
                + lines[i][len(lines[i]) // 2 :]
            )
            out = bytearray(b"\n".join(lines))
    return bytes(out)


@st.composite
def stream_mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """A compressed stream cut short, with garbage after it, or flipped."""
    op = draw(st.sampled_from(["cut", "garbage", "flip", "second"]))
    if op == "cut":
        return data[: draw(st.integers(0, len(data) - 1))]
    if op == "garbage":
        return data + draw(st.binary(min_size=1, max_size=64))
    if op == "second":
        return data + data[: draw(st.integers(1, len(data)))]
    out = bytearray(data)
    out[draw(st.integers(0, len(out) - 1))] ^= 1 << draw(st.integers(0, 7))
    return bytes(out)


# -- the kinds ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    name: str  # the file's name (its suffix says the format)
    plain: bytes  # the valid content, uncompressed
    pack: Any = None  # compression applied after a text mutation
    source: str | None = (
        None  # a source settings folder under sample_data/_sources or "gen:<which>"
    )


def _access_kinds() -> list[Kind]:
    jsonl = _head(SAMPLES / "micro-d.jsonl", 24)
    csv = _head(SAMPLES / "micro-d.csv", 25)
    return [
        Kind("damaged.jsonl", jsonl),
        Kind("damaged.csv", csv),
        Kind("damaged.jsonl.gz", jsonl, pack=lambda b: gzip.compress(b, mtime=0)),
        Kind("damaged.csv.zst", csv, pack=_zstd),
    ]


ACCESS = _access_kinds()


def _write_control(folder: Path) -> Path:
    path = folder / "intact.jsonl"
    path.write_bytes(_head(SAMPLES / "isp-c.jsonl", 10))
    return path


def _fresh(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


def _lake_rows(lake_dir: Path, table: str, sha: str) -> list[tuple[Any, ...]]:
    import duckdb

    pattern = "events/*/*/*.parquet" if table == "events" else "quarantine/*.parquet"
    if not list(lake_dir.glob(pattern)):
        return []
    con = duckdb.connect()
    cols = "line_number" if table == "events" else "line_number, reason"
    return con.execute(
        f"SELECT {cols} FROM read_parquet('{lake_dir / pattern}', union_by_name = true) "
        "WHERE source_sha256 = ?",
        [sha],
    ).fetchall()


def check_invariants(
    lake_dir: Path, inputs: list[Path], source: Any = None, batch_bytes: int = 32 << 20
) -> None:
    lake = Lake.open(lake_dir, create=True)
    sizes = IngestSettings(batch_bytes=batch_bytes)
    try:
        result = ingest_paths(lake, inputs, sizes, source=source)
    except AuditpipeError as e:  # invariant 5: one damaged file must not stop the run
        raise AssertionError(f"the run stopped: {type(e).__name__}: {e}") from e
    by_name = {Path(f.source_file).name: f for f in result.files}
    assert set(by_name) == {p.name for p in inputs}, by_name
    manifest = lake_dir / "_auditpipe" / "manifest"
    for f in result.files:
        # invariant 2
        assert f.reconciles, f
        assert "internal error" not in (f.reason or ""), f.reason
        if f.status == "rejected":
            assert f.reason, f
            assert f.rows_stored == 0, f
        entry = json.loads((manifest / f"{f.sha256}.json").read_text(encoding="utf-8"))
        for key in ("rows_read", "rows_stored", "rows_quarantined", "rows_duplicate", "status"):
            assert entry[key] == getattr(f, key), (key, entry, f)
        stored = _lake_rows(lake_dir, "events", f.sha256)
        quarantined = _lake_rows(lake_dir, "quarantine", f.sha256)
        assert len(stored) == f.rows_stored, (len(stored), f)
        assert len(quarantined) == f.rows_quarantined, (len(quarantined), f)
        assert all(reason and reason.strip() for _, reason in quarantined), quarantined
    # invariant 5: the intact file went in whole
    intact = by_name.get("intact.jsonl")
    if intact is not None:
        assert intact.status == "ingested" and intact.rows_stored > 0, intact
    # no event twice in the lake (a damaged copy's rows are duplicates of the original's)
    import duckdb

    if list(lake_dir.glob("events/*/*/*.parquet")):
        total, distinct = duckdb.connect().execute(
            "SELECT count(*), count(DISTINCT (provider_id, event_id)) FROM read_parquet("
            f"'{lake_dir / 'events/*/*/*.parquet'}', hive_partitioning = true, "
            "union_by_name = true)"
        ).fetchone() or (0, 0)
        assert total == distinct, (total, distinct)
    # invariant 3: the same ingest again changes nothing
    before = {k: v for k, v in lake_snapshot(lake_dir).items() if not k.startswith("_auditpipe")}
    again = ingest_paths(Lake.open(lake_dir), inputs, sizes, source=source)
    assert again.rows_stored == 0, again
    first = {f.source_file: f.status for f in result.files}
    for f in again.files:  # content the lake holds is not read again (an empty file is its own)
        if f.sha256 != EMPTY_SHA256:
            assert f.status == ("skipped" if first[f.source_file] != "rejected" else "rejected"), f
    after = {k: v for k, v in lake_snapshot(lake_dir).items() if not k.startswith("_auditpipe")}
    assert before == after
    # invariant 4: readable and status works
    import duckdb

    for pattern in ("events/*/*/*.parquet", "quarantine/*.parquet"):
        if list(lake_dir.glob(pattern)):
            duckdb.connect().execute(
                f"SELECT count(*) FROM read_parquet('{lake_dir / pattern}', union_by_name = true)"
            ).fetchall()
    lake_status(Lake.open(lake_dir))


# -- access logs, text and compressed ---------------------------------------------------------
@SOME
@given(st.sampled_from(ACCESS), st.data())
def test_a_damaged_access_log_keeps_every_invariant(tmp_path: Path, kind: Kind, data: Any) -> None:
    damaged = data.draw(byte_mutation(kind.plain), label="damaged")
    content = kind.pack(damaged) if kind.pack else damaged
    if kind.pack and data.draw(st.booleans(), label="damage the stream too"):
        content = data.draw(stream_mutation(content), label="stream")
    folder = _fresh(tmp_path, "in")
    (folder / kind.name).write_bytes(content)
    inputs = [folder / kind.name, _write_control(folder)]
    packed = kind.pack(kind.plain) if kind.pack else kind.plain
    if content != packed and data.draw(st.booleans(), label="the original in the same run"):
        original = folder / kind.name.replace("damaged", "original")
        original.write_bytes(packed)
        inputs.insert(data.draw(st.integers(0, 2), label="at"), original)
    check_invariants(_fresh(tmp_path, "lake"), inputs, batch_bytes=data.draw(BATCH, label="batch"))


# -- Parquet ---------------------------------------------------------------------------------
def _parquet_variant(draw: st.DrawFn) -> bytes:
    table = _access_table()
    op = draw(st.sampled_from(["bytes", "footer", "retype", "struct", "all_null", "list", "drop"]))
    if op in ("bytes", "footer"):
        raw = _parquet(table)
        if op == "bytes":
            return draw(byte_mutation(raw))
        out = bytearray(raw)
        at = len(out) - draw(st.integers(1, min(64, len(out))))
        out[at] ^= 1 << draw(st.integers(0, 7))
        return bytes(out)
    name = draw(st.sampled_from(table.column_names))
    i = table.column_names.index(name)
    n = table.num_rows
    if op == "retype":
        new = draw(
            st.sampled_from(
                [
                    pa.array(range(n), pa.int64()),
                    pa.array([float(x) for x in range(n)], pa.float32()),
                    pa.array([b"\xff\x00"] * n, pa.binary()),
                    pa.array([True] * n, pa.bool_()),
                    pa.array([x * 10**9 for x in range(n)], pa.timestamp("ns")),
                    pa.array([x for x in range(n)], pa.date32()),
                    pa.array([x for x in range(n)], pa.decimal128(38, 0)).cast(
                        pa.decimal128(38, 2)
                    ),
                    pa.array(["\ud800".encode("utf-8", "surrogatepass").decode("latin-1")] * n),
                    pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()), pa.array(["x"])),
                ]
            )
        )
        table = table.set_column(i, name, new)
    elif op == "struct":
        table = table.set_column(i, name, pa.array([{"a": str(x), "b": [x]} for x in range(n)]))
    elif op == "all_null":
        table = table.set_column(i, name, pa.nulls(n, table.schema.field(i).type))
    elif op == "list":
        table = table.set_column(i, name, pa.array([[str(x), None] for x in range(n)]))
    elif op == "drop":
        table = table.remove_column(i)
    return _parquet(table)


@SOME
@given(st.data())
def test_a_damaged_parquet_file_keeps_every_invariant(tmp_path: Path, data: Any) -> None:
    content = _parquet_variant(data.draw)
    folder = _fresh(tmp_path, "in")
    (folder / "damaged.parquet").write_bytes(content)
    inputs = [folder / "damaged.parquet", _write_control(folder)]
    if data.draw(st.booleans(), label="the original in the same run"):
        original = folder / "original.parquet"
        original.write_bytes(_parquet(_access_table()))
        if original.read_bytes() != content:
            inputs.insert(data.draw(st.integers(0, 2), label="at"), original)
    check_invariants(_fresh(tmp_path, "lake"), inputs, batch_bytes=data.draw(BATCH, label="batch"))


# -- database audit logs through --source ------------------------------------------------------
def _source_kinds() -> list[tuple[str, str, bytes, str]]:
    """(kind, format, log bytes, file name)"""
    import tempfile

    from auditpipe.generate.dblogs import WRITERS, write_db_log

    out = []
    pg = SAMPLES / "_sources" / "pgaudit" / "postgresql.log"
    out.append(("pgaudit", "stderr", pg.read_bytes(), "postgresql.log"))
    sa = SAMPLES / "_sources" / "server_audit" / "server_audit.log"
    out.append(("server_audit", "", _head(sa, 40), "server_audit.log"))
    from tests.support import audit_log
    from tests.unit.test_sources_audit_log_formats import RECORDS
    from tests.unit.test_sources_mysql_enterprise import LOG, pretty

    out.append(("mysql_audit_json", "", pretty(LOG).encode(), "audit.log"))
    out.append(("percona_audit_json", "", audit_log.as_json(RECORDS).encode(), "audit.log"))
    out.append(("percona_audit_csv", "", audit_log.as_csv(RECORDS).encode(), "audit.log"))
    out.append(("percona_audit_xml", "", audit_log.as_new(RECORDS).encode(), "audit.log"))
    with tempfile.TemporaryDirectory() as tmp:
        for which in ("pgaudit-csvlog", "pgaudit-jsonlog"):
            log = write_db_log(Path(tmp) / which, which, 20, seed=7)
            out.append(("pgaudit", which.split("-")[1], log.read_bytes(), WRITERS[which][1]))
    return out


SOURCES = _source_kinds()


@SOME
@given(st.sampled_from(SOURCES), st.data())
def test_a_damaged_database_audit_log_keeps_every_invariant(
    tmp_path: Path, kind: tuple[str, str, bytes, str], data: Any
) -> None:
    from auditpipe.sources import load_settings
    from tests.support.sources import write_source

    source_kind, fmt, plain, name = kind
    settings_path = write_source(_fresh(tmp_path, "src"), source_kind, fmt or None)
    damaged = data.draw(byte_mutation(plain), label="damaged")
    folder = _fresh(tmp_path, "in")
    good = folder / ("intact-" + name)
    good.write_bytes(plain)
    bad = folder / name
    bad.write_bytes(damaged)
    inputs = [bad] if damaged == plain else [bad, good]
    check_invariants(
        _fresh(tmp_path, "lake"),
        inputs,
        source=load_settings(settings_path),
        batch_bytes=data.draw(BATCH, label="batch"),
    )


# -- invariant 1 as the user meets it: a subprocess ------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), AUDITPIPE_LANG="en")
    return subprocess.run(
        [sys.executable, "-m", "auditpipe", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@settings(
    max_examples=max(2, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.sampled_from(ACCESS), st.data())
def test_the_cli_never_shows_a_traceback_for_a_damaged_file(
    tmp_path: Path, kind: Kind, data: Any
) -> None:
    damaged = data.draw(byte_mutation(kind.plain), label="damaged")
    content = kind.pack(damaged) if kind.pack else damaged
    if kind.pack:
        content = data.draw(stream_mutation(content), label="stream")
    folder = _fresh(tmp_path, "in")
    (folder / kind.name).write_bytes(content)
    parquet = folder / "damaged.parquet"
    parquet.write_bytes(_parquet_variant(data.draw))
    _write_control(folder)
    lake = _fresh(tmp_path, "lake")
    run = _cli("ingest", str(folder), "--lake", str(lake), "--json", cwd=tmp_path)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode in DOCUMENTED_EXITS, (run.returncode, run.stderr)
    doc = json.loads(run.stdout)
    for f in doc["files"]:
        assert f["rows_read"] == f["rows_stored"] + f["rows_quarantined"] + f["rows_duplicate"]
        if f["status"] == "rejected":
            assert f["reason"], f
    if run.returncode == 3:
        assert run.stderr.strip(), "exit 3 without a word on stderr"
    status = _cli("status", "--lake", str(lake), cwd=tmp_path)
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    sql = _cli("sql", "--lake", str(lake), "SELECT count(*) FROM events", cwd=tmp_path)
    assert sql.returncode == 0 and "Traceback" not in sql.stderr, sql.stderr
