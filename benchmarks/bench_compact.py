"""Benchmark: `auditpipe compact` of one partition made of very many small files (a provider
whose late events arrived in many deliveries), wall and CPU seconds and peak RSS.

The rows of a merged file have no order; compaction reads with DuckDB's
``preserve_insertion_order`` off, so its memory stays near that of one file's batches rather
than growing with the number of files (3,000 files of 57 rows: 1.7 GB resident with order
kept, 0.5 GB without, on 2 cores).

    .venv/bin/python benchmarks/bench_compact.py                 # 3,000 files
    .venv/bin/python benchmarks/bench_compact.py --files 500     # quicker
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from measure import timed  # noqa: E402


def make_lake(root: Path, files: int) -> Path:
    """A lake whose forum-a 2026-03-01 partition holds ``files`` copies of one small file."""
    from auditpipe.ingest import IngestSettings, ingest_paths
    from auditpipe.lake import Lake
    from tests.support.nightly import event, write_log

    lake = Lake.open(root / "lake", create=True)
    log = write_log(root / "in.jsonl", [event(f"e{i}", "2026-03-01") for i in range(60)])
    ingest_paths(lake, [log], IngestSettings())
    folder = next((lake.events_dir / "provider_id=forum-a").iterdir())
    first = next(folder.glob("part-*.parquet"))
    for n in range(files - 1):
        shutil.copy(first, folder / f"part-copy{n:06d}.parquet")
    return lake.root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lake = make_lake(Path(tmp), args.files)
        cmd = [sys.executable, "-m", "auditpipe", "compact", "--lake", str(lake)]
        run = timed([*cmd, "--as-of", "2026-03-10", "--json"])
        print(
            f"compact {args.files:,} files: {run.seconds:.1f} s wall, "
            f"{run.cpu_seconds:.1f} s CPU, {run.peak_rss_mib:,} MiB peak RSS"
        )


if __name__ == "__main__":
    main()
