"""Benchmark: cost of `auditpipe ingest` as one file's events spread over more partitions.

Each file holds the same number of events (60,000 by default), spread over more and more
(provider_id, event_date) partitions: a few, 1 provider x 1,000 days (a backfill), then 1,000,
5,000 and 20,000 partitions. Prints wall and CPU seconds, peak RSS and their ratios to the
file of a few partitions: what grows with the file's shape rather than its size.

    .venv/bin/python benchmarks/bench_ingest_partitions.py
    .venv/bin/python benchmarks/bench_ingest_partitions.py --rows 60000 --shapes 200x300
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import ingest  # noqa: E402

SHAPES = ["2x2", "1x1000", "10x100", "20x250", "200x100"]  # providers x days


def make_file(out: Path, rows: int, providers: int, days: int) -> Path:
    """``rows`` events, event i of provider i % providers on day (i // providers) % days."""
    path = out / f"partitions-{rows}-{providers}x{days}.jsonl"
    if path.exists():
        return path
    start = dt.date(2025, 1, 1)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            day = start + dt.timedelta(days=(i // providers) % days)
            event = {
                "event_id": f"e{i}", "event_time": f"{day}T10:00:00+08:00",
                "provider_id": f"prov-{i % providers:05d}", "provider_type": "iisp",
                "system": "crm", "actor_id": "emp-1", "actor_type": "employee",
                "action": "view", "subject_id": f"u{i}", "record_count": 1,
                "data_fields": ["phone"], "source_ip": "10.0.0.1",
            }  # fmt: skip
            f.write(json.dumps(event) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--shapes", nargs="+", default=SHAPES, help="PROVIDERSxDAYS")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"{'shape':>9} {'partitions':>10} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} "
        f"{'wall x':>7} {'CPU x':>7} {'peak x':>7}"
    )
    first = None
    for shape in args.shapes:
        providers, days = (int(n) for n in shape.split("x"))
        partitions = min(args.rows, providers * days)
        path = make_file(args.out, args.rows, providers, days)
        m = ingest(path, args.out / "lake-partitions")
        first = first or m
        print(
            f"{shape:>9} {partitions:>10,} {m.seconds:>8.2f} {m.cpu_seconds:>8.2f} "
            f"{m.peak_rss_mib:>9,} {m.seconds / first.seconds:>7.1f} "
            f"{m.cpu_seconds / first.cpu_seconds:>7.1f} {m.peak_rss_mib / first.peak_rss_mib:>7.2f}"
        )


if __name__ == "__main__":
    main()
