"""Benchmark: `auditpipe ingest --accounts` of an account snapshot (JSON Lines, every row with
an ID number to check and hash) against DuckDB's raw conversion of the same file, in the same
run, and against itself on half the rows (memory should stay flat as the file doubles).

    baseline  COPY (SELECT * FROM read_json(FILE)) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)
    ingest    the snapshot ingest: parse, check (GB 11643-1999), HMAC, dedup, stage, commit

Every command runs in its own process; wall seconds, CPU seconds and peak RSS are printed
(medians of --repeat runs), then the ratios. CPU seconds move much less than wall seconds
with other people's load on a shared machine.

    .venv/bin/python benchmarks/bench_snapshots.py                   # 1,000,000 accounts
    .venv/bin/python benchmarks/bench_snapshots.py --rows 200000     # quicker
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import baseline, median  # noqa: E402
from measure import Measured, timed  # noqa: E402


def make_snapshot(out: Path, rows: int) -> Path:
    """``rows`` accounts of one provider, 1 in 50 with a wrong check character, written by
    Polars (the generator's own valid numbers, column-wise)."""
    import numpy as np
    import polars as pl

    from auditpipe.generate.realname import id_numbers

    target = out / f"bench-2026-03-01.accounts-{rows}.jsonl"
    if target.exists():
        return target
    n = np.arange(rows, dtype=np.int64)
    numbers = id_numbers(n * 7919 % 400_000_000)
    broken = pl.Series(n % 50 == 0)
    numbers = (
        pl.DataFrame({"v": numbers, "b": broken})
        .select(
            pl.when(pl.col("b"))
            .then(pl.col("v").str.slice(0, 17) + pl.lit("0"))
            .otherwise(pl.col("v"))
        )
        .to_series()
    )
    pl.DataFrame(
        {
            "provider_id": pl.repeat("forum-a", rows, eager=True),
            "account_id": pl.Series(n).cast(pl.String).str.zfill(9).str.pad_start(10, "u"),
            "registered_at": pl.repeat("2025-06-01T10:00:00+08:00", rows, eager=True),
            "verification_status": pl.repeat("verified", rows, eager=True),
            "verified_at": pl.repeat("2025-06-01T10:05:00+08:00", rows, eager=True),
            "verification_method": pl.repeat("face", rows, eager=True),
            "id_number": numbers,
            "snapshot_date": pl.repeat("2026-03-01", rows, eager=True),
        }
    ).write_ndjson(target)
    return target


def ingest(path: Path, lake: Path) -> Measured:
    shutil.rmtree(lake, ignore_errors=True)
    cmd = [sys.executable, "-m", "auditpipe", "ingest", "--accounts", str(path)]
    return timed([*cmd, "--lake", str(lake), "--quiet"])


def line(label: str, m: Measured, rows: int) -> str:
    return (
        f"{label:34s} {m.seconds:8.2f} s wall {m.cpu_seconds:8.2f} s CPU "
        f"peak {m.peak_rss_mib:6,} MiB  {rows / m.seconds:12,.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median shown)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    full = make_snapshot(args.out, args.rows)
    half = make_snapshot(args.out, args.rows // 2)
    print(f"input: {full.name}, {args.rows:,} accounts, {full.stat().st_size / 2**20:,.0f} MiB")

    def runs(measure: object) -> Measured:
        return median([measure() for _ in range(args.repeat)])  # type: ignore[operator]

    raw = runs(lambda: baseline(full, args.out, lenient=False))
    ing = runs(lambda: ingest(full, args.out / "lake-snap"))
    ing_half = runs(lambda: ingest(half, args.out / "lake-snap-half"))
    print(f"medians of {args.repeat} runs each")
    print(line("duckdb read_json -> parquet zstd", raw, args.rows))
    print(line("auditpipe ingest --accounts", ing, args.rows))
    print(line(f"  the same, {args.rows // 2:,} rows", ing_half, args.rows // 2))
    print(
        f"ratio ingest / baseline: {ing.seconds / raw.seconds:.2f}x wall, "
        f"{ing.cpu_seconds / raw.cpu_seconds:.2f}x CPU; peak RSS {ing_half.peak_rss_mib:,} -> "
        f"{ing.peak_rss_mib:,} MiB as the file doubles"
    )


if __name__ == "__main__":
    main()
