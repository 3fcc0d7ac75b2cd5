"""Benchmark: cost of `auditpipe ingest` as the file grows (1M, 2M, 4M rows by default).

Prints wall and CPU seconds, peak RSS and microseconds per row for each size, so anyone can
see time growing linearly (us/row constant) and memory staying flat (peak RSS constant).

    .venv/bin/python benchmarks/bench_ingest_scaling.py
    .venv/bin/python benchmarks/bench_ingest_scaling.py --rows 250000 500000 1000000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import ingest, make_jsonl  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 2_000_000, 4_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{'rows':>10} {'MiB':>7} {'wall s':>8} {'CPU s':>8} {'us/row':>7} {'peak MiB':>9}")
    for rows in args.rows:
        path = make_jsonl(args.out, rows, args.seed)
        m = ingest(path, args.out / f"lake-scaling-{rows}")
        print(
            f"{rows:>10,} {path.stat().st_size / 2**20:>7,.0f} {m.seconds:>8.2f} "
            f"{m.cpu_seconds:>8.2f} {m.seconds / rows * 1e6:>7.2f} {m.peak_rss_mib:>9,}"
        )


if __name__ == "__main__":
    main()
