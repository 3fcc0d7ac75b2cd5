"""Benchmark: detect and ingest with the duckdb engine against the spark engine, same inputs.

Builds (or reuses, under benchmarks/out/) an events lake with lake_fixture.py (4 providers x
10 days = 40 partitions), then times, each in its own process:

  start-up  a Spark session (--spark-master, default local[2]) and its first two tasks, each
            running detect's task over an empty partition (Python workers, imports, DuckDB)
  duckdb    auditpipe detect --lake LAKE --quiet                        (findings removed first)
  spark     auditpipe detect --lake LAKE --quiet --engine spark         (findings removed first)

in --repeat interleaved rounds (medians), checks that a duckdb re-run after the spark run finds
every finding unchanged (the engines agree), and prints the fixed start-up cost, the cost per
partition of each engine and their ratio.

Then ingest: the events of a --ingest-rows lake are written out as one JSON Lines file per
partition (a provider's log of a day, cached under benchmarks/out/), and each engine ingests
them into a fresh lake; it prints both times, the cost per file and the ratio, and checks that
both lakes hold the same number of events. Ingest defaults to 2,000,000 rows, not 10,000,000:
on the shared 2-core machine a 10,000,000-row ingest takes several minutes per engine.

    .venv/bin/python benchmarks/bench_engines.py                  # 10,000,000 events
    .venv/bin/python benchmarks/bench_engines.py --rows 1000000 --ingest-rows 200000  # quicker
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

from measure import Measured, timed  # noqa: E402

STARTUP = """
import sys, time
started = time.perf_counter()
from auditpipe.detect import DetectSettings, load_rules
from auditpipe.detect.partition import FindingsTask, Partition
from auditpipe.engines import SparkSettings
from auditpipe.engines.spark import SparkEngine
import datetime as dt, tempfile
engine = SparkEngine(SparkSettings(master=sys.argv[1]))
session = time.perf_counter()
task = FindingsTask(DetectSettings(threads=1), tuple(load_rules()), (), tempfile.mkdtemp())
empty = [Partition("none", dt.date(2026, 3, 1), ()) for _ in range(2)]
list(engine.run_tasks(task, empty))
first = time.perf_counter()
list(engine.run_tasks(task, empty))
again = time.perf_counter()
engine.close()
print(f"{session - started:.3f} {first - session:.3f} {again - first:.3f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Time detect on the duckdb and spark engines.")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=2, help="Rounds to take medians of.")
    parser.add_argument("--ingest-rows", type=int, default=2_000_000, help="0 = no ingest.")
    args = parser.parse_args()
    bench_detect(args)
    if args.ingest_rows:
        bench_ingest(args)


def bench_detect(args: argparse.Namespace) -> None:
    python = sys.executable
    lake = args.out / f"lake-{args.rows}"
    started = time.perf_counter()
    build = [python, str(HERE / "lake_fixture.py"), str(lake), "--rows", str(args.rows)]
    subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
    partitions = len(list((lake / "events").glob("*/*")))
    print(
        f"lake: {lake} ({args.rows:,} events in {partitions} partitions; "
        f"ready in {time.perf_counter() - started:.1f} s)"
    )

    detect = [python, "-m", "auditpipe", "detect", "--lake", str(lake), "--quiet"]
    spark = [*detect, "--engine", "spark", "--spark-master", args.spark_master]
    startups, duck, sparks = [], [], []
    for _ in range(args.repeat):
        startups.append(timed([python, "-c", STARTUP, args.spark_master]))
        shutil.rmtree(lake / "findings", ignore_errors=True)
        duck.append(timed(detect))
        shutil.rmtree(lake / "findings", ignore_errors=True)
        sparks.append(timed(spark))
    check = json.loads(timed([*detect[:-1], "--json"]).stdout)
    changed = sum(check["new_by_severity"].values()) + sum(check["updated_by_severity"].values())
    agree = changed == 0 and check["removed"] == 0

    def median(runs: list[Measured]) -> tuple[float, float]:
        return statistics.median(r.seconds for r in runs), statistics.median(
            r.cpu_seconds for r in runs
        )

    session_s = statistics.median(float(r.stdout.split()[0]) for r in startups)
    first_s = statistics.median(float(r.stdout.split()[1]) for r in startups)
    warm_s = statistics.median(float(r.stdout.split()[2]) for r in startups)
    fixed = session_s + first_s
    duck_wall, duck_cpu = median(duck)
    spark_wall, spark_cpu = median(sparks)
    work = max(spark_wall - fixed, 0.0)
    print(f"rounds: {args.repeat} (median seconds); spark master {args.spark_master}")
    print(
        f"spark fixed start-up: {fixed:6.2f} s (session {session_s:.2f} s, first 2 tasks "
        f"{first_s:.2f} s; 2 more tasks on warm workers {warm_s:.2f} s)"
    )
    print(f"duckdb detect:        {duck_wall:6.2f} s wall {duck_cpu:6.2f} s CPU (driver)")
    print(f"spark detect:         {spark_wall:6.2f} s wall {spark_cpu:6.2f} s CPU (driver only)")
    print(
        f"per partition ({partitions}): duckdb {duck_wall / partitions:.3f} s, "
        f"spark {work / partitions:.3f} s after start-up (wall over the whole pool)"
    )
    print(
        f"ratio spark / duckdb: {spark_wall / duck_wall:.2f}x in all, "
        f"{work / duck_wall:.2f}x without the fixed start-up"
    )
    print(f"engines agree (duckdb re-run after spark changes nothing): {agree}")
    print(f"findings: {check['findings_total']:,}")


EXPORT = """
import sys, duckdb, pathlib
lake, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
cols = ("event_id, strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS event_time, "
        "provider_id, provider_type, system, actor_id, actor_type, action, subject_id, "
        "record_count, data_fields, destination_type, destination_party, authorization_ref, "
        "purpose, amount, currency, outcome, source_ip")
con = duckdb.connect()
for part in sorted(lake.glob("events/*/*")):
    files = [str(f) for f in sorted(part.glob("*.parquet"))]
    name = part.parent.name.split("=", 1)[1] + "-" + part.name.split("=", 1)[1] + ".jsonl"
    con.execute(f"COPY (SELECT {cols} FROM read_parquet({files}, hive_partitioning = true, "
                "hive_types = {'provider_id': 'VARCHAR', 'event_date': 'DATE'})) "
                f"TO '{out / name}' (FORMAT json)")
"""

COUNT = """
import sys, duckdb
print(duckdb.sql(f"SELECT count(*) FROM read_parquet('{sys.argv[1]}/events/*/*/*.parquet')").fetchall()[0][0])
"""


def bench_ingest(args: argparse.Namespace) -> None:
    python = sys.executable
    source = args.out / f"lake-{args.ingest_rows}"
    build = [python, str(HERE / "lake_fixture.py"), str(source), "--rows", str(args.ingest_rows)]
    subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
    inbox = args.out / f"inbox-{args.ingest_rows}"
    if not inbox.is_dir():
        work = args.out / f".inbox-{args.ingest_rows}.partial"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        subprocess.run([python, "-c", EXPORT, str(source), str(work)], check=True)
        work.rename(inbox)
    files = len(list(inbox.glob("*.jsonl")))
    print(f"ingest inputs: {inbox} ({args.ingest_rows:,} events in {files} JSON Lines files)")
    ingest = [python, "-m", "auditpipe", "ingest", str(inbox), "--quiet"]
    lakes = {"duckdb": args.out / "ingest-duckdb", "spark": args.out / "ingest-spark"}
    runs: dict[str, list[Measured]] = {"duckdb": [], "spark": []}
    for _ in range(args.repeat):
        for engine, lake in lakes.items():
            shutil.rmtree(lake, ignore_errors=True)
            extra = ["--spark-master", args.spark_master] if engine == "spark" else []
            runs[engine].append(timed([*ingest, "--lake", str(lake), "--engine", engine, *extra]))
    counts = {e: timed([python, "-c", COUNT, str(lake)]).stdout for e, lake in lakes.items()}
    duck = statistics.median(r.seconds for r in runs["duckdb"])
    spark = statistics.median(r.seconds for r in runs["spark"])
    print(f"duckdb ingest: {duck:6.2f} s wall ({duck / files:.3f} s per file)")
    print(f"spark ingest:  {spark:6.2f} s wall ({spark / files:.3f} s per file, start-up included)")
    print(f"ratio spark / duckdb ingest: {spark / duck:.2f}x")
    print(f"events stored: duckdb {counts['duckdb']}, spark {counts['spark']} (must be equal)")


if __name__ == "__main__":
    main()
