"""Benchmark: `auditpipe ingest --source` of 1,000,000 generated pgaudit statements (stderr,
log_relation on: joins log two lines, multi-line statements several), against a raw copy of
the same log's lines to Parquet by DuckDB, in the same run.

    baseline  COPY (SELECT line FROM read_csv(FILE, one VARCHAR column)) TO 'x.parquet'
    reader    the sources reader alone (parse, group, analyse, scrub; no lake)
    ingest    auditpipe ingest --source source.toml FILE --lake fresh-lake --quiet

Prints statements per second (target >= 20,000/s), CPU seconds (the machine may be shared)
and peak RSS; and the peak RSS of the reader and of the ingest on half the statements: the
reader's memory does not grow with the file (ratio ~1.0); ingest's DuckDB work table does, up
to memory_limit, as for every input format.

    .venv/bin/python benchmarks/bench_sources.py                     # 1,000,000 statements
    .venv/bin/python benchmarks/bench_sources.py --rows 200000       # quicker
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import timed  # noqa: E402

BASELINE = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}', columns = {{'line': 'VARCHAR'}}, "
            f"delim = chr(1), quote = '', escape = '', header = false)) TO '{sys.argv[2]}' (FORMAT parquet)")
"""
READER = """
import sys
from pathlib import Path
from auditpipe.contract import load_catalog
from auditpipe.sources import SourceReader, load_settings
reader = SourceReader(load_settings(Path(sys.argv[1])), load_catalog())
rows = 0
with open(sys.argv[2], "rb") as fh:
    for table in reader.batches(fh, sys.argv[2]):
        rows += table.num_rows
print(rows, reader.counters.events, len(reader.analyser.cache))
"""


def make_log(out: Path, rows: int, seed: int) -> Path:
    folder = out / f"pgaudit-{rows}-{seed}"
    log = folder / "postgresql.log"
    if log.exists():
        return log
    shutil.rmtree(folder, ignore_errors=True)
    from auditpipe.generate.dblogs import write_db_log

    return write_db_log(folder, "pgaudit-stderr", rows, seed)


def ingest(log: Path, lake: Path) -> tuple[float, float, int]:
    shutil.rmtree(lake, ignore_errors=True)
    run = timed(
        [sys.executable, "-m", "auditpipe", "ingest", "--source", str(log.parent / "source.toml"),
         str(log), "--lake", str(lake), "--quiet"]
    )  # fmt: skip
    return run.seconds, run.cpu_seconds, run.peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    full = make_log(args.out, args.rows, args.seed)
    half = make_log(args.out, args.rows // 2, args.seed)
    with open(full, "rb") as fh:
        lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b""))
    statements = args.rows + 6  # background plus the planted statements
    print(f"input: {full}, {statements:,} statements, {lines:,} lines, "
          f"{full.stat().st_size / 2**20:,.0f} MiB")  # fmt: skip

    raw = timed([sys.executable, "-c", BASELINE, str(full), str(args.out / "raw-lines.parquet")])
    rd = timed([sys.executable, "-c", READER, str(full.parent / "source.toml"), str(full)])
    rd_half = timed([sys.executable, "-c", READER, str(half.parent / "source.toml"), str(half)])
    ing_s, ing_cpu, ing_rss = ingest(full, args.out / "lake-src-full")
    half_s, _, half_rss = ingest(half, args.out / "lake-src-half")
    shapes = rd.stdout.split()[-1]

    print(f"duckdb lines -> parquet      : {raw.seconds:8.2f} s  peak {raw.peak_rss_mib:6,} MiB")
    print(f"sources reader only          : {rd.seconds:8.2f} s  peak {rd.peak_rss_mib:6,} MiB"
          f"  ({shapes} shapes analysed)")  # fmt: skip
    print(
        f"auditpipe ingest --source    : {ing_s:8.2f} s  peak {ing_rss:6,} MiB  cpu {ing_cpu:.2f} s"
    )
    print(f"ingest --source (half file)  : {half_s:8.2f} s  peak {half_rss:6,} MiB")
    print(f"statements per second        : {statements / ing_s:10,.0f}  (target >= 20,000)")
    print(f"reader statements per second : {statements / rd.seconds:10,.0f}")
    print(f"ratio ingest / baseline      : {ing_s / raw.seconds:8.2f}x")
    print(f"reader peak RSS full / half  : {rd.peak_rss_mib / max(rd_half.peak_rss_mib, 1):8.2f}"
          f"  ({rd.peak_rss_mib:,} / {rd_half.peak_rss_mib:,} MiB; flat: ~1.0)")  # fmt: skip
    print(
        f"ingest peak RSS full / half  : {ing_rss / max(half_rss, 1):8.2f}"
        "  (ingest's DuckDB work table grows up to memory_limit, as for every format)"
    )


if __name__ == "__main__":
    main()
