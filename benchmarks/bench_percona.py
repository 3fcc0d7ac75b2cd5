"""Benchmark: the Percona audit_log readers, one per format (JSON, XML in the OLD layout, CSV),
on the same records, each against DuckDB copying the file's lines to Parquet in the same run.

Writes --rows Query records (statement shapes repeating over 5,000 subjects, as an
application's do) in each format with the plugin's own escaping (tests/support/audit_log.py),
then times the sources reader alone on each file in a process of its own and prints records
per second (target for the sources: at least 20,000 statements/s), CPU seconds and peak RSS.

    .venv/bin/python benchmarks/bench_percona.py                  # 500,000 records
    .venv/bin/python benchmarks/bench_percona.py --rows 100000    # quicker
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # tests.support: the formats' writers

from bench_sources import BASELINE, READER  # noqa: E402
from measure import timed  # noqa: E402

FORMATS = {"json": "percona_audit_json", "xml": "percona_audit_xml", "csv": "percona_audit_csv"}


def make_logs(out: Path, rows: int) -> dict[str, Path]:
    """audit.<format> and source-<format>.toml per format, under out/percona-ROWS/."""
    from tests.support.audit_log import as_csv, as_json, as_old, query
    from tests.support.sources import write_source

    folder = out / f"percona-{rows}"
    writers = {"json": as_json, "xml": as_old, "csv": as_csv}
    logs = {}
    for fmt, kind in FORMATS.items():
        log = folder / f"audit.{fmt}"
        logs[fmt] = log
        if log.exists():
            continue
        write_source(folder / fmt, kind)
        chunk = 50_000  # written in chunks: the records of a large run are not held at once
        with open(log, "w", encoding="utf-8") as fh:
            for start in range(0, rows, chunk):
                records = [
                    query(
                        record=f"{i}_2026-03-02T01:00:00",
                        sqltext=f"SELECT real_name FROM accounts WHERE id = {i % 5000}",
                    )
                    for i in range(start, min(rows, start + chunk))
                ]
                text = writers[fmt](records)
                if fmt == "xml":  # one XML document: the frame only around the whole file
                    head, _, body = text.partition("<AUDIT>\n")
                    body = body.removesuffix("</AUDIT>\n")
                    text = (head + "<AUDIT>\n" if start == 0 else "") + body
                fh.write(text)
            if fmt == "xml":
                fh.write("</AUDIT>\n")
    return logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logs = make_logs(args.out, args.rows)
    print(f"{args.rows:,} Query records per format")
    print(f"{'format':6} {'MiB':>6} {'baseline s':>10} {'reader s':>9} {'CPU s':>7} "
          f"{'records/s':>10} {'peak MiB':>9} {'x baseline':>10}")  # fmt: skip
    for fmt, log in logs.items():
        raw = timed([sys.executable, "-c", BASELINE, str(log), str(args.out / "raw-lines.parquet")])
        settings = log.parent / fmt / "source.toml"
        run = timed([sys.executable, "-c", READER, str(settings), str(log)])
        events = int(run.stdout.split()[1])
        assert events == args.rows, (fmt, run.stdout)  # every record read as a statement
        print(
            f"{fmt:6} {log.stat().st_size / 2**20:>6,.0f} {raw.seconds:>10.2f} {run.seconds:>9.2f} "
            f"{run.cpu_seconds:>7.2f} {args.rows / run.seconds:>10,.0f} {run.peak_rss_mib:>9,} "
            f"{run.seconds / raw.seconds:>10.2f}"
        )


if __name__ == "__main__":
    main()
