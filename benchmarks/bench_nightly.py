"""Benchmark: `auditpipe nightly` end to end on an inbox of new events, with each phase's share.

Generates (or reuses, under benchmarks/out/) --events rows of JSONL access logs with
``auditpipe generate`` (every surface variant, no malformed rows, no planted breaches), then
runs, in --repeat rounds each on a fresh lake and in its own process:

  auditpipe nightly --inbox INBOX --lake LAKE --log-file LOG

and prints the median wall and CPU seconds, the peak RSS, and the share of each phase, read
from the timestamps of the job log's events (run_started, ingest_started, detect_started,
detect_finished, report_written, run_finished; start-up is the process start to
run_started).

    .venv/bin/python benchmarks/bench_nightly.py                      # 1,000,000 events
    .venv/bin/python benchmarks/bench_nightly.py --events 10000000    # the issue's size
"""

from __future__ import annotations

import argparse
import datetime as dt
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

# (phase, event that ends it); each phase starts where the previous one ended
PHASES = [
    ("start-up, lock", "run_started"),
    ("scan inbox (hashing)", "ingest_started"),
    ("ingest", "detect_started"),
    ("detect", "detect_finished"),
    ("reports", "last report_written"),
    ("finish (record, move)", "run_finished"),
]


def phase_seconds(log: Path, started: dt.datetime) -> dict[str, float]:
    """Seconds per phase from the job log's event timestamps."""
    stamps: dict[str, dt.datetime] = {}
    for line in log.read_text().splitlines():
        doc = json.loads(line)
        name = "last report_written" if doc["event"] == "report_written" else doc["event"]
        stamps[name] = dt.datetime.fromisoformat(doc["ts"])
    stamps.setdefault("last report_written", stamps["detect_finished"])
    out, previous = {}, started
    for phase, event in PHASES:
        out[phase] = (stamps[event] - previous).total_seconds()
        previous = stamps[event]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds to take medians of.")
    args = parser.parse_args()

    python = sys.executable
    auditpipe = [python, "-m", "auditpipe"]
    inbox = args.out / f"nightly-inbox-{args.events}"
    if not (inbox / "_expected").is_dir():
        shutil.rmtree(inbox, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [*auditpipe, "generate", "--rows", str(args.events), "--seed", "1"]
            + ["--formats", "jsonl", "--no-plant", "--bad-share", "0", "--out", str(inbox)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"inbox generated in {time.perf_counter() - started:.1f} s")
    print(f"inbox: {inbox} ({args.events:,} rows of JSONL)")

    runs, shares = [], []
    for _ in range(args.repeat):
        lake = args.out / "nightly-lake"
        log = args.out / "nightly.jsonl"
        shutil.rmtree(lake, ignore_errors=True)
        log.unlink(missing_ok=True)
        begun = dt.datetime.now(dt.UTC)
        run = timed(
            [*auditpipe, "nightly", "--inbox", str(inbox), "--lake", str(lake)]
            + ["--log-file", str(log), "--settle-seconds", "0", "--quiet"],
            ok_codes=(0, 1, 3),
        )
        runs.append(run)
        shares.append(phase_seconds(log, begun))
    wall, cpu, rss = medians(runs)
    print(
        f"nightly, {args.repeat} rounds: {wall:.2f} s wall (median), {cpu:.2f} s CPU, "
        f"peak RSS {rss:,} MiB"
    )
    for phase, _ in PHASES:
        seconds = statistics.median(s[phase] for s in shares)
        print(f"  {phase:<24} {seconds:7.2f} s  {100 * seconds / wall:5.1f}%")


if __name__ == "__main__":
    main()
