"""Benchmark: `auditpipe detect` against one DuckDB full scan of the same lake, same run.

Builds (or reuses, under benchmarks/out/) an events lake with lake_fixture.py, then times, each
in its own process so peak memory is measured per step:

  scan    SELECT count(*), count(DISTINCT actor_id) FROM events   (the lake's events view)
  detect  auditpipe detect --lake LAKE --quiet                      (findings removed first)
  rerun   auditpipe detect --lake LAKE --quiet                      (nothing changes)

in --repeat interleaved rounds, and prints the median seconds, the detect/scan ratio (target:
within 5x) and each step's peak RSS (ru_maxrss of the child).

    .venv/bin/python benchmarks/bench_detect.py                 # 10,000,000 events
    .venv/bin/python benchmarks/bench_detect.py --rows 1000000  # quicker
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Measured, timed  # noqa: E402

SCAN = """
import sys, duckdb
from auditpipe.views import create_views
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
create_views(con, sys.argv[1])
print(con.execute("SELECT count(*), count(DISTINCT actor_id) FROM events").fetchone())
"""


FINDINGS = """
import sys, duckdb
from auditpipe.views import create_views
con = duckdb.connect()
create_views(con, sys.argv[1])
print(con.execute("SELECT count(*), sum(len(evidence_event_ids)) FROM findings").fetchone())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Time auditpipe detect against one full scan.")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the cached lake.")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds to take medians of.")
    args = parser.parse_args()

    python = sys.executable
    lake = args.out / f"lake-{args.rows}"
    started = time.perf_counter()
    build = [python, str(HERE / "lake_fixture.py"), str(lake), "--rows", str(args.rows)]
    subprocess.run(
        [*build, *(["--rebuild"] if args.rebuild else [])], check=True, stdout=subprocess.DEVNULL
    )
    print(f"lake: {lake} ({args.rows:,} events; ready in {time.perf_counter() - started:.1f} s)")
    shutil.rmtree(lake / "findings", ignore_errors=True)

    auditpipe = [python, "-m", "auditpipe"]
    detect = [*auditpipe, "detect", "--lake", str(lake), "--quiet"]
    scans, firsts, reruns = [], [], []
    # Interleaved rounds, medians: the machine may be shared, so both sides of the ratio see
    # the same load. Each first run starts without findings; each re-run finds them all.
    for _ in range(args.repeat):
        scans.append(timed([python, "-c", SCAN, str(lake)]))
        shutil.rmtree(lake / "findings", ignore_errors=True)
        firsts.append(timed(detect))
        reruns.append(timed(detect))
    findings = subprocess.run(
        [python, "-c", FINDINGS, str(lake)], capture_output=True, text=True, check=True
    ).stdout.strip()

    def median(runs: list[Measured]) -> tuple[float, float, int]:
        wall = statistics.median(r.seconds for r in runs)
        cpu = statistics.median(r.cpu_seconds for r in runs)
        return wall, cpu, max(r.peak_rss_mib for r in runs)

    scan = median(scans)
    first = median(firsts)
    rerun = median(reruns)
    print(f"rounds: {args.repeat} (median wall and CPU seconds, highest peak RSS)")
    for label, (wall, cpu, rss) in (
        (f"full scan {scans[0].stdout}", scan),
        ("detect, first run (writes findings)", first),
        ("detect, re-run (nothing changes)", rerun),
    ):
        print(f"{label:<40} {wall:6.2f} s wall {cpu:6.2f} s CPU  peak RSS {rss:,} MiB")
    print(
        f"ratio detect / full scan: {first[0] / scan[0]:.2f}x wall, {first[1] / scan[1]:.2f}x CPU"
        " (target: within 5x)"
    )
    print(
        f"ratio re-run / full scan: {rerun[0] / scan[0]:.2f}x wall, {rerun[1] / scan[1]:.2f}x CPU"
    )
    print(f"findings stored (count, evidence events): {findings}")


if __name__ == "__main__":
    main()
