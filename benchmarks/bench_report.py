"""Benchmark: `auditpipe report` and `auditpipe sql` on a large lake, against one DuckDB full scan.

Builds (or reuses, under benchmarks/out/) an events lake with lake_fixture.py (in a child
process, like every step, so this process stays small and each step's peak RSS is its own) and
runs detect
on it once if it has no findings yet, then times, each in its own process so peak memory is
measured per step:

  scan         SELECT count(*), count(DISTINCT actor_id) FROM events   (read_parquet views)
  report json  auditpipe report --format json --output FILE
  report html  auditpipe report --format html --output FILE
  sql          auditpipe sql: events per provider and day through the read-only connection
  sql (plain)  the same query through the read_parquet views, for the read-only overhead

and prints seconds, each step's ratio to the scan and its peak RSS. Target: reports in seconds.

    .venv/bin/python benchmarks/bench_report.py                 # 10,000,000 events
    .venv/bin/python benchmarks/bench_report.py --rows 1000000  # quicker
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Measured, timed  # noqa: E402

SCAN = """
import sys, duckdb
from auditpipe.lake.views import create_views
con = duckdb.connect()
create_views(con, sys.argv[1])
print(con.execute("SELECT count(*), count(DISTINCT actor_id) FROM events").fetchone())
"""

PER_DAY = "SELECT provider_id, event_date, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL"

PLAIN_SQL = f"""
import sys, duckdb
from auditpipe.lake.views import create_views
con = duckdb.connect()
create_views(con, sys.argv[1])
print(len(con.execute("{PER_DAY}").fetchall()))
"""

FINDINGS = """
import sys, auditpipe
print(auditpipe.connect(sys.argv[1]).execute(
    "SELECT count(*), coalesce(sum(len(evidence_event_ids)), 0) FROM findings").fetchone())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Time auditpipe report against one full scan.")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the cached lake.")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds to take medians of.")
    args = parser.parse_args()

    # A lake of its own, so this benchmark never races bench_detect (which deletes findings).
    lake = args.out / f"report-lake-{args.rows}"
    python = sys.executable
    # Built in a child process: Linux carries a parent's peak RSS into the children it starts
    # (ru_maxrss survives fork and exec), so a parent that ran DuckDB would inflate every figure.
    build = [python, str(HERE / "lake_fixture.py"), str(lake), "--rows", str(args.rows)]
    build_s = timed(build + (["--rebuild"] if args.rebuild else [])).seconds
    print(f"lake: {lake} ({args.rows:,} events; ready in {build_s:.1f} s)")

    auditpipe = [python, "-m", "auditpipe"]
    if not any((lake / "findings").glob("*/*/*.parquet")):
        detect_s = timed([*auditpipe, "detect", "--lake", str(lake), "--quiet"]).seconds
        print(f"setup: detect wrote the findings in {detect_s:.1f} s")
    findings = timed([python, "-c", FINDINGS, str(lake)]).stdout

    reports = args.out / "report-bench"
    reports.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, list[str]]] = [
        ("full scan (baseline)", [python, "-c", SCAN, str(lake)]),
        (
            "report --format json",
            [
                *auditpipe,
                "report",
                "--lake",
                str(lake),
                "--format",
                "json",
                "-o",
                str(reports / "r.json"),
            ],
        ),
        (
            "report --format html",
            [
                *auditpipe,
                "report",
                "--lake",
                str(lake),
                "--format",
                "html",
                "-o",
                str(reports / "r.html"),
            ],
        ),
        (
            "sql, read-only connection",
            [
                *auditpipe,
                "sql",
                "--lake",
                str(lake),
                "--format",
                "csv",
                "-o",
                str(reports / "q.csv"),
                PER_DAY,
            ],
        ),
        ("sql, plain read_parquet views", [python, "-c", PLAIN_SQL, str(lake)]),
    ]
    # Interleaved rounds, medians: the machine may be shared, so every step sees the same load.
    runs: dict[str, list[Measured]] = {name: [] for name, _ in steps}
    for _ in range(args.repeat):
        for name, cmd in steps:
            runs[name].append(timed(cmd))
    results = [
        (
            name,
            statistics.median(r.seconds for r in rs),
            max(r.peak_rss_mib for r in rs),
            statistics.median(r.cpu_seconds for r in rs),
        )
        for name, rs in runs.items()
    ]
    baseline, baseline_cpu = results[0][1], results[0][3]
    print(f"findings (count, evidence events): {findings}")
    print(f"{args.repeat} rounds: median wall and CPU seconds, ratios to the scan (target for")
    print("report --format json: within 2x), highest peak RSS")
    print(f"{'step':32s} {'wall':>9s}  {'vs scan':>8s}  {'CPU':>8s}  {'vs scan':>8s}  peak RSS")
    for name, seconds, rss, cpu in results:
        print(
            f"{name:32s} {seconds:7.2f} s  {seconds / baseline:6.1f}x  {cpu:6.2f} s  "
            f"{cpu / baseline_cpu:6.1f}x  {rss:,} MiB"
        )
    sizes = {p.name: p.stat().st_size for p in reports.iterdir() if p.is_file()}
    print("outputs: " + ", ".join(f"{n} {s / 1024:,.0f} KiB" for n, s in sorted(sizes.items())))


if __name__ == "__main__":
    main()
