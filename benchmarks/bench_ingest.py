"""Benchmark: `auditpipe ingest` of a 2,000,000-row JSON Lines file against DuckDB's own
raw conversion of the same file, in the same run.

    baseline  COPY (SELECT * FROM read_json(FILE)) TO 'x.parquet' (FORMAT parquet)
    ingest    auditpipe ingest FILE --lake fresh-lake --quiet

Both run in their own process; the script prints seconds, peak RSS and the ratio (target:
ingest within 2x of the baseline). To show memory stays bounded, it also ingests a file of
half the rows: peak RSS grows with the file only up to DuckDB's memory_limit (default 4GB), past which
it spills to disk; a last run with memory_limit = "512MB" shows the ceiling holding.

    .venv/bin/python benchmarks/bench_ingest.py                  # 2,000,000 rows
    .venv/bin/python benchmarks/bench_ingest.py --rows 500000    # quicker
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
con.execute(f"COPY (SELECT * FROM read_json('{sys.argv[1]}')) TO '{sys.argv[2]}' (FORMAT parquet)")
"""


def make_jsonl(out: Path, rows: int, seed: int) -> Path:
    """One JSON Lines file of ``rows`` rows from the generator: mixed forms, no malformed rows
    (DuckDB's read_json, the baseline, stops at the first malformed line)."""
    target = out / f"events-{rows}-{seed}.jsonl"
    if target.exists():
        return target
    work = out / f"gen-{rows}-{seed}"
    shutil.rmtree(work, ignore_errors=True)
    from auditpipe.generate import generate

    generate(work, rows=rows, seed=seed, bad_share=0.0, formats=("jsonl",), plant=False)
    parts = sorted(p for p in work.rglob("*.jsonl") if not p.name.startswith(("_", ".")))
    with open(target, "wb") as dst:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst, 16 * 1024 * 1024)
    shutil.rmtree(work)
    return target


def ingest(path: Path, lake: Path, config: Path | None = None) -> tuple[float, int]:
    shutil.rmtree(lake, ignore_errors=True)
    extra = ["--config", str(config)] if config else []
    run = timed(
        [
            sys.executable,
            "-m",
            "auditpipe",
            "ingest",
            str(path),
            "--lake",
            str(lake),
            "--quiet",
            *extra,
        ],
        ok_codes=(0, 3),  # 3: the generator's bad rows were quarantined, as they should be
    )
    return run.seconds, run.peak_rss_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    full = make_jsonl(args.out, args.rows, args.seed)
    half = make_jsonl(args.out, args.rows // 2, args.seed)
    size_mb = full.stat().st_size / 2**20
    print(f"input: {full.name}, {args.rows:,} rows, {size_mb:,.0f} MiB")

    raw = timed([sys.executable, "-c", BASELINE, str(full), str(args.out / "raw.parquet")])
    raw_s, raw_rss = raw.seconds, raw.peak_rss_mib
    ing_s, ing_rss = ingest(full, args.out / "lake-full")
    half_s, half_rss = ingest(half, args.out / "lake-half")
    # The same file with DuckDB held to 512 MB: it spills to the lake's staging folder, so
    # peak memory is set by the limit, not by the file.
    small = args.out / "small-memory.toml"
    small.write_text('[ingest]\nmemory_limit = "512MB"\n')
    low_s, low_rss = ingest(full, args.out / "lake-low", config=small)

    print(f"duckdb read_json -> parquet : {raw_s:8.2f} s  peak {raw_rss:6,} MiB")
    print(f"auditpipe ingest            : {ing_s:8.2f} s  peak {ing_rss:6,} MiB")
    print(f"auditpipe ingest (half file): {half_s:8.2f} s  peak {half_rss:6,} MiB")
    print(f"ingest, memory_limit 512MB  : {low_s:8.2f} s  peak {low_rss:6,} MiB")
    print(f"ratio ingest / baseline     : {ing_s / raw_s:8.2f}x  (target <= 2x)")
    print(f"rows per second (ingest)    : {args.rows / ing_s:10,.0f}")
    print(f"peak RSS full / half file   : {ing_rss / max(half_rss, 1):8.2f}  (bounded: ~1.0)")


if __name__ == "__main__":
    main()
