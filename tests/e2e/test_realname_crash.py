"""An account snapshot ingest killed at each of the lake's commit points: no half-written
file is visible, the key is whole, and the rerun gives exactly the lake one clean run gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from auditpipe.lake import CRASH_ENV
from tests.support.accounts import BAD_CHECK, VALID_IDS, account, write_snapshot

pytestmark = pytest.mark.slow  # a subprocess per kill


def make_inputs(folder: Path) -> Path:
    """Two snapshot files (two providers, two dates), duplicates and a broken line."""
    for n, provider in enumerate(["forum-a", "blog-b"]):
        rows: list[object] = [
            account(
                provider_id=provider,
                account_id=f"u{i % 400}",
                id_number=(VALID_IDS + [BAD_CHECK])[i % 4],
            )
            for i in range(500)
        ]
        rows.append('{"broken": "' + VALID_IDS[n] + '"')
        write_snapshot(folder / f"{provider}-2026-03-0{n + 1}.accounts", rows)
    return folder


def run_ingest(inputs: Path, lake: Path, crash_at: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    proc = subprocess.run(
        [sys.executable, "-m", "auditpipe", "ingest", str(inputs), "--lake", str(lake), "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return proc.returncode


def lake_state(lake: Path) -> tuple[object, ...]:
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT provider_id, snapshot_date, account_id, identity_hash, source_line "
        f"FROM read_parquet('{lake}/accounts/*/*/*.parquet', hive_partitioning = true) "
        "ORDER BY ALL"
    ).fetchall()
    quarantine = con.execute(
        f"SELECT source_sha256, line_number, reason FROM read_parquet('{lake}/quarantine/*.parquet') "
        "ORDER BY ALL"
    ).fetchall()
    manifest = con.execute(
        "SELECT sha256, status, rows_read, rows_stored, rows_quarantined, rows_duplicate "
        f"FROM read_json('{lake}/_auditpipe/manifest/*.json') ORDER BY ALL"
    ).fetchall()
    return rows, quarantine, manifest


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("clean-accounts")
    inputs = make_inputs(base / "in")
    assert run_ingest(inputs, base / "lake") == 3  # the broken lines are quarantined
    return inputs, base / "lake"


@pytest.mark.parametrize(
    "point", ["before_journal", "after_journal", "between_moves", "before_manifest"]
)
def test_kill_at_a_commit_point_then_rerun_equals_a_clean_run(
    tmp_path: Path, clean: tuple[Path, Path], point: str
) -> None:
    inputs, clean_lake = clean
    lake = tmp_path / "lake"
    # The same key as the clean lake, so the hashes compare (a new lake gets its own key).
    (lake / "_auditpipe").mkdir(parents=True)
    for name in ("lake.json", "identity.key"):
        data = (clean_lake / "_auditpipe" / name).read_bytes()
        (lake / "_auditpipe" / name).write_bytes(data)
    (lake / "_auditpipe" / "identity.key").chmod(0o600)
    assert run_ingest(inputs, lake, point) == -signal.SIGKILL
    for path in [*lake.glob("accounts/*/*/*.parquet"), *lake.glob("quarantine/*.parquet")]:
        pq.read_metadata(path)  # whole, never truncated
    assert run_ingest(inputs, lake) == 3
    assert lake_state(lake) == lake_state(clean_lake)
    assert not list((lake / "_auditpipe" / "journal").glob("*.json"))
