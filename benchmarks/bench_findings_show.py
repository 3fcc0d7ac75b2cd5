"""Benchmark: `auditpipe findings show` on a finding with 100,000 evidence events.

Builds (or reuses, under benchmarks/out/) a lake where one employee read 100,000 users'
password hashes on one day (one illegal_use_credential finding with 100,000 evidence events)
among as many ordinary events, then times, each in its own process so peak memory is its own:

  scan            a full scan of events through the read_parquet views (baseline)
  show --limit 10 the finding and its first 10 evidence records
  show (text)     every evidence record, written to a file
  show --format json / csv

and prints seconds, ratios to the scan and peak RSS. Target: printing every record costs
about as much memory as printing ten (records are formatted by DuckDB and written in batches).

    .venv/bin/python benchmarks/bench_findings_show.py
    .venv/bin/python benchmarks/bench_findings_show.py --events 300000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_report import SCAN  # noqa: E402  (the same full scan as the report benchmark)
from measure import Measured, timed  # noqa: E402

FINDING = """
import sys, auditpipe
print(auditpipe.connect(sys.argv[1]).execute(
    "SELECT finding_id FROM findings ORDER BY len(evidence_event_ids) DESC LIMIT 1").fetchone()[0])
"""


def build(lake: Path, events: int) -> None:
    logs = lake.parent / f"{lake.name}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / "access.jsonl"
    with open(log, "w", encoding="utf-8") as fh:
        for i in range(events):
            common = {
                "event_time": f"2026-03-01T{8 + i * 10 // events:02d}:{i % 60:02d}:00+08:00",
                "provider_id": "forum-a",
                "subject_id": f"user-{i}",
                "destination_type": "internal",
            }
            fh.write(
                json.dumps(
                    {
                        **common,
                        "event_id": f"b{i}",
                        "actor_id": "emp-7",
                        "actor_type": "employee",
                        "action": "view",
                        "data_fields": ["password_hash"],
                        "authorization_ref": "T-1",
                        "purpose": "support",
                    }
                )
                + "\n"
            )
            fh.write(
                json.dumps(
                    {
                        **common,
                        "event_id": f"o{i}",
                        "actor_id": f"user-{i}",
                        "actor_type": "subject",
                        "action": "view",
                        "data_fields": ["nickname"],
                    }
                )
                + "\n"
            )
    auditpipe = [sys.executable, "-m", "auditpipe"]
    subprocess.run([*auditpipe, "ingest", str(log), "--lake", str(lake), "-q"], check=True)
    subprocess.run([*auditpipe, "detect", "--lake", str(lake), "-q"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time findings show on a very large finding.")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds to take medians of.")
    args = parser.parse_args()

    lake = args.out / f"findings-show-lake-{args.events}"
    if not (lake / "findings").is_dir():
        build(lake, args.events)
    python = sys.executable
    finding = timed([python, "-c", FINDING, str(lake)]).stdout
    out = args.out / "findings-show-bench"
    out.mkdir(parents=True, exist_ok=True)
    show = [python, "-m", "auditpipe", "findings", "show", finding, "--lake", str(lake)]

    def to_file(name: str, *extra: str) -> list[str]:
        script = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[2:], stdout=open(sys.argv[1], 'w')))"
        return [python, "-c", script, str(out / name), *show, *extra]

    steps: list[tuple[str, list[str]]] = [
        ("full scan (baseline)", [python, "-c", SCAN, str(lake)]),
        ("show --limit 10", to_file("ten.txt", "--limit", "10")),
        ("show, every record (text)", to_file("all.txt")),
        ("show --format json", to_file("all.json", "--format", "json")),
        ("show --format csv", to_file("all.csv", "--format", "csv")),
    ]
    runs: dict[str, list[Measured]] = {name: [] for name, _ in steps}
    for _ in range(args.repeat):
        for name, cmd in steps:
            runs[name].append(timed(cmd))
    results = [
        (name, statistics.median(r.seconds for r in rs), max(r.peak_rss_mib for r in rs))
        for name, rs in runs.items()
    ]
    baseline = results[0][1]
    print(f"lake: {lake} ({2 * args.events:,} events); finding {finding}")
    print(f"{args.repeat} rounds: median wall seconds, ratio to the scan, highest peak RSS")
    print("(the shell wrapper writing to a file is a small Python process of its own)")
    for name, seconds, rss in results:
        print(f"{name:28s} {seconds:7.2f} s  {seconds / baseline:6.1f}x  {rss:,} MiB")
    sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    print("outputs: " + ", ".join(f"{n} {s / 1024:,.0f} KiB" for n, s in sorted(sizes.items())))


if __name__ == "__main__":
    main()
