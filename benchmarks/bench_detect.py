"""Benchmark: `auditpipe detect` against one DuckDB full scan of the same lake, same run.

Builds (or reuses, under benchmarks/out/) an events lake with lake_fixture.py, then times, each
in its own process so peak memory is measured per step:

  scan    SELECT count(*), count(DISTINCT actor_id) FROM events   (the lake's events view)
  detect  auditpipe detect --lake LAKE --quiet    (findings and the account history removed
                                                  first: a lake detect has never seen)
  cached  the same with the account history kept  (findings removed: what a detect of new days
                                                  pays once earlier runs read the older files)
  rerun   auditpipe detect --lake LAKE --quiet    (nothing changes)

in --repeat interleaved rounds, and prints the median seconds, the detect/scan ratio (issue 9
target: within 3x as whole processes) and each step's peak RSS (ru_maxrss of the child).

Then, in one process (start-up and imports left out, issue 9 target within 2.5x), the same scan
and ``run_detect`` as a library call, again interleaved, medians of wall and CPU seconds (CPU
from getrusage of that process, all threads). Beside them, the read floor: every column of the
two term views the default rules start from (``in_scope_events``, ``real_name_publishes``, from
rules/_terms.sql), read once each with their filters pushed into the scan and nothing done with
them. No detect of these rules reads less, so the floor/scan ratio bounds what any change to
the rules' evaluation, the findings or the commit can reach; detect/floor is what those add.

    .venv/bin/python benchmarks/bench_detect.py --rows 2000000  # the issue's whole-process size
    .venv/bin/python benchmarks/bench_detect.py                 # 10,000,000 events
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import medians, timed  # noqa: E402

SCAN = """
import sys, duckdb
from auditpipe.lake.views import create_views
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
create_views(con, sys.argv[1])
print(con.execute("SELECT count(*), count(DISTINCT actor_id) FROM events").fetchone())
"""


FINDINGS = """
import sys, duckdb
from auditpipe.lake.views import create_views
con = duckdb.connect()
create_views(con, sys.argv[1])
print(con.execute("SELECT count(*), sum(len(evidence_event_ids)) FROM findings").fetchone())
"""


IN_PROCESS = """
import json, resource, shutil, sys, time
from pathlib import Path
import duckdb
from auditpipe.detect import DetectSettings, run_detect
from auditpipe.detect.account_history import history_dir
from auditpipe.lake import Lake
from auditpipe.detect.rules import read_rules
from auditpipe.detect.session import (
    create_events_view, create_settings_tables, create_terms, open_connection,
)
from auditpipe.lake import layout
from auditpipe.lake.views import create_views

root, rounds = Path(sys.argv[1]), int(sys.argv[2])
lake = Lake.open(root)
settings = DetectSettings()
rules = read_rules(settings.rule_dirs, disabled=settings.disabled_rules)

def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime

def scan():
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    create_views(con, str(root))
    con.execute("SELECT count(*), count(DISTINCT actor_id) FROM events").fetchone()
    con.close()

def floor():
    # What detect cannot avoid reading: every column of the two term views the default rules
    # start from (in_scope_events, real_name_publishes), each read once with its filters
    # pushed into the scan, and nothing else (no rule, no history, no findings, no write).
    # The views are auditpipe's own (rules/_terms.sql), so the floor follows the terms.
    con = open_connection(settings, lake.timezone)
    create_settings_tables(con, settings, rules, settings.watchlist_names())
    create_events_view(con, layout.stored_files(root, layout.EVENTS))
    create_terms(con)
    for view in ("in_scope_events", "real_name_publishes"):
        names = [r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()]
        con.execute(f"SELECT count(*), sum(hash({', '.join(names)})) FROM {view}").fetchone()
    con.close()

def detect():
    shutil.rmtree(root / "findings", ignore_errors=True)
    shutil.rmtree(history_dir(root), ignore_errors=True)
    run_detect(lake, DetectSettings())

def cached():
    shutil.rmtree(root / "findings", ignore_errors=True)
    run_detect(lake, DetectSettings())

out = {"scan": [], "floor": [], "detect": [], "cached": []}
for _ in range(rounds):
    for name, step in (("scan", scan), ("floor", floor), ("detect", detect), ("cached", cached)):
        wall, c = time.perf_counter(), cpu()
        step()
        out[name].append((time.perf_counter() - wall, cpu() - c))
print(json.dumps(out))
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
    history = lake / "_auditpipe" / "cache" / "account_history"
    scans, firsts, cached, reruns = [], [], [], []
    # Interleaved rounds, medians: the machine may be shared, so both sides of the ratio see
    # the same load. Each first run starts without findings; each re-run finds them all.
    for _ in range(args.repeat):
        scans.append(timed([python, "-c", SCAN, str(lake)]))
        shutil.rmtree(lake / "findings", ignore_errors=True)
        shutil.rmtree(history, ignore_errors=True)
        firsts.append(timed(detect))
        shutil.rmtree(lake / "findings", ignore_errors=True)
        cached.append(timed(detect))
        reruns.append(timed(detect))
    findings = subprocess.run(
        [python, "-c", FINDINGS, str(lake)], capture_output=True, text=True, check=True
    ).stdout.strip()

    scan = medians(scans)
    first = medians(firsts)
    warm = medians(cached)
    rerun = medians(reruns)
    print(f"rounds: {args.repeat} (median wall and CPU seconds, highest peak RSS)")
    for label, (wall, cpu, rss) in (
        (f"full scan {scans[0].stdout}", scan),
        ("detect, first run (writes findings)", first),
        ("detect, account history kept", warm),
        ("detect, re-run (nothing changes)", rerun),
    ):
        print(f"{label:<40} {wall:6.2f} s wall {cpu:6.2f} s CPU  peak RSS {rss:,} MiB")
    print(
        f"ratio detect / full scan: {first[0] / scan[0]:.2f}x wall, {first[1] / scan[1]:.2f}x CPU"
        " (target: within 3x)"
    )
    print(
        f"ratio history kept / full scan: {warm[0] / scan[0]:.2f}x wall, "
        f"{warm[1] / scan[1]:.2f}x CPU"
    )
    print(
        f"ratio re-run / full scan: {rerun[0] / scan[0]:.2f}x wall, {rerun[1] / scan[1]:.2f}x CPU"
    )
    print(f"findings stored (count, evidence events): {findings}")

    inproc = timed([python, "-c", IN_PROCESS, str(lake), str(args.repeat)])
    runs = json.loads(inproc.stdout)
    walls = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpus = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(f"in one process ({args.repeat} rounds, medians; peak RSS {inproc.peak_rss_mib:,} MiB):")
    labels = {
        "scan": "full scan",
        "floor": "read floor (the terms' two scans)",
        "detect": "detect, first run",
        "cached": "detect, account history kept",
    }
    for name, label in labels.items():
        print(f"  {label:<38} {walls[name]:6.2f} s wall {cpus[name]:6.2f} s CPU")
    print(
        f"ratio detect / full scan, in process: {walls['detect'] / walls['scan']:.2f}x wall, "
        f"{cpus['detect'] / cpus['scan']:.2f}x CPU (target: within 2.5x)"
    )
    print(
        f"ratio read floor / full scan, in process: {walls['floor'] / walls['scan']:.2f}x wall, "
        f"{cpus['floor'] / cpus['scan']:.2f}x CPU (what no detect of these rules reads less than)"
    )
    print(
        f"ratio detect / read floor, in process: {walls['detect'] / walls['floor']:.2f}x wall, "
        f"{cpus['detect'] / cpus['floor']:.2f}x CPU (the rules, history, findings and commit)"
    )
    print(
        f"ratio with the account history kept, in process: "
        f"{walls['cached'] / walls['scan']:.2f}x wall, {cpus['cached'] / cpus['scan']:.2f}x CPU"
    )


if __name__ == "__main__":
    main()
