"""Benchmark: `auditpipe ingest` of a 2,000,000-row JSON Lines file against DuckDB's own raw
conversion of the same file, in the same run (issue 9's targets).

    clean    the generator's file, every surface variant (key spellings, time forms ...), no
             malformed line; baseline:
             COPY (SELECT * FROM read_json(FILE)) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)
             target: ingest <= 3.0x the baseline, peak RSS <= 1 GiB and flat as the file doubles
    dirty    the same with 1% malformed lines; baseline: the same COPY with ignore_errors = true
             target: ingest <= 3.5x the baseline. On the generator's dirty file DuckDB then
             infers one JSON column, the whole line, and extracts no field: the script prints
             the columns each baseline read, and the dirty ingest against the clean baseline

Every command runs in its own process; the script prints wall seconds, CPU seconds and peak
RSS of each (medians of --repeat runs) and the ratios. The machine may be shared: CPU seconds
move much less than wall seconds with other people's load, so both are shown.

    .venv/bin/python benchmarks/bench_ingest.py                  # 2,000,000 rows
    .venv/bin/python benchmarks/bench_ingest.py --rows 500000    # quicker
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Measured, timed  # noqa: E402

BASELINE = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
options = {"lenient": ", ignore_errors = true", "strict": "", "whole": ", sample_size = -1"}[sys.argv[3]]
con.execute(
    f"COPY (SELECT * FROM read_json('{sys.argv[1]}'{options})) TO '{sys.argv[2]}' "
    "(FORMAT parquet, COMPRESSION zstd)"
)
"""


_GENERATE = """
import sys
from pathlib import Path
from auditpipe.generate import generate
work, rows, seed, bad = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
generate(work, rows=rows, seed=seed, bad_share=bad, formats=("jsonl",), plant=False)
"""


def make_jsonl(out: Path, rows: int, seed: int, bad_share: float = 0.0) -> Path:
    """One JSON Lines file of ``rows`` rows from the generator (every surface form it knows;
    ``bad_share`` of them malformed)."""
    tag = f"-bad{bad_share:g}" if bad_share else ""
    target = out / f"events-{rows}-{seed}{tag}.jsonl"
    if target.exists():
        return target
    work = out / f"gen-{rows}-{seed}{tag}"
    shutil.rmtree(work, ignore_errors=True)
    # Generated in a child process: Linux carries a parent's peak RSS into the children it
    # starts (ru_maxrss survives fork and exec), so generating here would put the generator's
    # peak under every ingest measured after it.
    subprocess.run(
        [sys.executable, "-c", _GENERATE, str(work), str(rows), str(seed), str(bad_share)],
        check=True,
    )
    from auditpipe.realname import is_snapshot_name

    # The generator also writes account snapshots (*.accounts.jsonl): they are another input
    # with another contract, and the baseline's read_json could not read them with the logs.
    parts = sorted(
        p
        for p in work.rglob("*.jsonl")
        if not p.name.startswith(("_", ".")) and not is_snapshot_name(p)
    )
    with open(target, "wb") as dst:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst, 16 * 1024 * 1024)
    shutil.rmtree(work)
    return target


def ingest(path: Path, lake: Path) -> Measured:
    shutil.rmtree(lake, ignore_errors=True)
    cmd = [sys.executable, "-m", "auditpipe", "ingest", str(path), "--lake", str(lake), "--quiet"]
    return timed(cmd, ok_codes=(0, 3))  # 3: malformed rows were quarantined, as they should be


def baseline(path: Path, out: Path, lenient: bool) -> Measured:
    """The raw conversion. If DuckDB's type guess from its first rows fails later in the file
    (it does at some sizes and seeds: "Failed to cast value to numerical"), the guess is made
    from the whole file instead (``sample_size = -1``, a costlier baseline) and that is said."""
    mode = "lenient" if lenient else "strict"
    cmd = [sys.executable, "-c", BASELINE, str(path), str(out / "raw.parquet")]
    try:
        return timed([*cmd, mode])
    except SystemExit as failed:
        if lenient:
            raise
        print(
            f"note: the baseline failed ({str(failed).splitlines()[-1][:120]}); "
            "measured again with sample_size = -1"
        )
        return timed([*cmd, "whole"])


def median(runs: list[Measured]) -> Measured:
    return Measured(
        seconds=statistics.median(r.seconds for r in runs),
        cpu_seconds=statistics.median(r.cpu_seconds for r in runs),
        peak_rss_mib=int(statistics.median(r.peak_rss_mib for r in runs)),
        stdout="",
    )


def line(label: str, m: Measured) -> str:
    return (
        f"{label:34s} {m.seconds:8.2f} s wall {m.cpu_seconds:8.2f} s CPU "
        f"peak {m.peak_rss_mib:6,} MiB"
    )


def inferred_columns(path: Path, lenient: bool) -> int:
    """How many columns DuckDB's read_json finds in the file, as the baseline reads it (in a
    child process, for the reason given in ``make_jsonl``)."""
    option = ", ignore_errors = true" if lenient else ""
    query = f"SELECT * FROM read_json('{path}'{option}) LIMIT 0"
    code = f"import duckdb; print(len(duckdb.connect().sql({query!r}).columns))"
    return int(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median shown)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    clean = make_jsonl(args.out, args.rows, args.seed)
    half = make_jsonl(args.out, args.rows // 2, args.seed)
    dirty = make_jsonl(args.out, args.rows, args.seed, bad_share=0.01)
    print(f"input: {clean.name}, {args.rows:,} rows, {clean.stat().st_size / 2**20:,.0f} MiB")

    def runs(measure: object) -> Measured:
        return median([measure() for _ in range(args.repeat)])  # type: ignore[operator]

    raw = runs(lambda: baseline(clean, args.out, lenient=False))
    ing = runs(lambda: ingest(clean, args.out / "lake-clean"))
    ing_half = runs(lambda: ingest(half, args.out / "lake-half"))
    raw_dirty = runs(lambda: baseline(dirty, args.out, lenient=True))
    ing_dirty = runs(lambda: ingest(dirty, args.out / "lake-dirty"))

    print(
        f"columns the baseline reads: {inferred_columns(clean, lenient=False)} (clean), "
        f"{inferred_columns(dirty, lenient=True)} (1% bad, ignore_errors)"
    )
    print(f"medians of {args.repeat} runs each")
    print(line("duckdb read_json -> parquet zstd", raw))
    print(line("auditpipe ingest", ing))
    print(line(f"auditpipe ingest ({args.rows // 2:,} rows)", ing_half))
    print(line("duckdb, 1% malformed, ignore_errors", raw_dirty))
    print(line("auditpipe ingest, 1% malformed", ing_dirty))
    print(
        f"ratio ingest / baseline (clean)   : {ing.seconds / raw.seconds:6.2f}x wall "
        f"{ing.cpu_seconds / raw.cpu_seconds:6.2f}x CPU  (target <= 3.0x)"
    )
    print(
        f"ratio ingest / baseline (1% bad)  : {ing_dirty.seconds / raw_dirty.seconds:6.2f}x wall "
        f"{ing_dirty.cpu_seconds / raw_dirty.cpu_seconds:6.2f}x CPU  (target <= 3.5x)"
    )
    print(
        f"ratio ingest (1% bad) / clean base: {ing_dirty.seconds / raw.seconds:6.2f}x wall "
        f"{ing_dirty.cpu_seconds / raw.cpu_seconds:6.2f}x CPU  (the same fields extracted)"
    )
    print(
        f"peak RSS, full file / half file   : {ing.peak_rss_mib / max(ing_half.peak_rss_mib, 1):6.2f}"
        "  (flat: ~1.0; target peak <= 1,024 MiB)"
    )
    print(f"rows per second (ingest, clean)   : {args.rows / ing.seconds:10,.0f}")


if __name__ == "__main__":
    main()
