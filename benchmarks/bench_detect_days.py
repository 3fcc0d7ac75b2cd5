"""Benchmark: an incremental nightly detect costs a day's work, not the lake's (issue 9).

Builds three lakes with lake_fixture.py holding the same daily volume (--rows-per-day events a
day) over 1, 10 and 30 days, runs a full detect on each once (so every day has findings, as
after earlier nights), then times in --repeat rounds, each step a process of its own:

  day     auditpipe detect --since LAST --until LAST   (what the nightly job runs for the day
                                                       that received events)
  full    auditpipe detect                              (every day of the lake; first round only)

and prints, per lake, the median wall and CPU seconds and the peak RSS of the one-day detect:
flat as the lake grows means the nightly detect scales with the day, not with the lake.

    .venv/bin/python benchmarks/bench_detect_days.py                          # 100,000 a day
    .venv/bin/python benchmarks/bench_detect_days.py --rows-per-day 1000000   # bigger days
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Measured, medians, timed  # noqa: E402

START = dt.date(2026, 3, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-day", type=int, default=100_000)
    parser.add_argument("--days", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds to take medians of.")
    args = parser.parse_args()

    python = sys.executable
    build = (
        "import sys, datetime as dt; from pathlib import Path; from lake_fixture import "
        "build_events_lake as b; b(Path(sys.argv[1]), rows=int(sys.argv[2]), "
        "days=int(sys.argv[3]), start=dt.date(2026, 3, 1))"
    )
    print(f"{'lake':>22}  {'one-day detect (median)':>36}  {'full detect':>22}")
    for days in args.days:
        rows = days * args.rows_per_day
        lake = args.out / f"days-lake-{args.rows_per_day}x{days}"
        subprocess.run([python, "-c", build, str(lake), str(rows), str(days)], cwd=HERE, check=True)
        detect = [python, "-m", "auditpipe", "detect", "--lake", str(lake), "--quiet"]
        full = timed(detect)  # every day, so each has findings, as after earlier nights
        last = (START + dt.timedelta(days=days - 1)).isoformat()
        one_day: list[Measured] = [
            timed([*detect, "--since", last, "--until", last]) for _ in range(args.repeat)
        ]
        wall, cpu, rss = medians(one_day)
        print(
            f"{days:>3} days, {rows:>12,} events  "
            f"{wall:6.2f} s wall {cpu:6.2f} s CPU {rss:>6,} MiB  "
            f"{full.seconds:6.2f} s wall {full.cpu_seconds:6.2f} s CPU"
        )


if __name__ == "__main__":
    main()
