"""``auditpipe sql`` has a memory ceiling by default (DuckDB's own is 80% of the machine)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import auditpipe
from auditpipe.db import connect
from auditpipe.db.database import DEFAULT_MEMORY_LIMIT_BYTES, default_memory_limit
from auditpipe.lake import Lake
from tests.support.cli import run_main

MIB = 1024**2


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.open(tmp_path / "lake", create=True, timezone="UTC")


def _limit_bytes(db_setting: str) -> float:
    """DuckDB shows e.g. '1.9 GiB' or '476.8 MiB'."""
    number, unit = db_setting.split()
    return float(number) * {"KiB": 1024, "MiB": MIB, "GiB": 1024**3, "TiB": 1024**4}[unit]


def test_the_default_is_at_most_2_gib_and_at_most_half_the_memory() -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = int(default_memory_limit().removesuffix("MiB")) * MIB
    assert limit == min(DEFAULT_MEMORY_LIMIT_BYTES, physical // 2) // MIB * MIB


def test_every_connection_gets_the_default_unless_told(lake: Lake) -> None:
    with connect(timezone="UTC") as db:
        shown = db.query("SELECT current_setting('memory_limit')")[0][0]
    assert abs(_limit_bytes(shown) - int(default_memory_limit().removesuffix("MiB")) * MIB) < MIB
    con = auditpipe.connect(lake.root)
    try:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == shown
    finally:
        con.close()


@pytest.mark.parametrize(("given", "expected_mib"), [("300MB", 286.1), ("1GiB", 1024.0)])
def test_the_flag_and_the_environment_set_it(
    lake: Lake,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    given: str,
    expected_mib: float,
) -> None:
    query = "SELECT current_setting('memory_limit') AS m"
    args = ["sql", "--lake", str(lake.root), "--format", "json", query]
    code, out, err = run_main([*args, "--memory-limit", given], capsys)
    assert code == 0, err
    assert abs(_limit_bytes(json.loads(out)[0]["m"]) / MIB - expected_mib) < 0.2
    monkeypatch.setenv("AUDITPIPE_SQL_MEMORY_LIMIT", given)
    code, out, _ = run_main(args, capsys)
    assert abs(_limit_bytes(json.loads(out)[0]["m"]) / MIB - expected_mib) < 0.2


def test_a_wrong_size_is_a_clear_error(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(
        ["sql", "--lake", str(lake.root), "--memory-limit", "lots", "SELECT 1"], capsys
    )
    assert code == 2
    assert err.startswith("Error: DuckDB refused a setting") and "Traceback" not in err


def test_a_session_can_still_raise_or_lower_it(lake: Lake) -> None:
    con = auditpipe.connect(lake.root)
    try:
        con.execute("SET memory_limit = '100MB'")
        shown = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()
    assert abs(_limit_bytes(shown) / MIB - 95.3) < 0.2


@pytest.fixture(scope="module")
def lake_with_manifest(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """A lake of 18 small input files (as sample_data/), so 18 manifest entries."""
    from auditpipe.ingest import IngestSettings, ingest_paths
    from tests.support.nightly import event, write_log

    lake = Lake.open(tmp_path_factory.mktemp("manifest") / "lake", create=True, timezone="UTC")
    logs = lake.root.parent / "logs"
    for n in range(18):
        write_log(logs / f"{n}.jsonl", [event(f"e{n}")])
    ingest_paths(lake, [logs], IngestSettings())
    return lake


@pytest.mark.parametrize("cores", [2, 8, 64])
@pytest.mark.parametrize("limit", ["64MB", "100MB", "150MB"])
def test_a_small_limit_reads_the_manifest_whatever_the_cores(
    lake_with_manifest: Lake,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    limit: str,
) -> None:
    # DuckDB's JSON reader takes a 32 MiB buffer per thread: reading 18 small manifest
    # entries failed under --memory-limit 100MB on 2 cores and 150MB on 8, as "cannot read
    # the lake's manifest ... a manifest entry may be damaged".
    import auditpipe.db.database

    monkeypatch.setattr(auditpipe.db.database, "usable_cpus", lambda: cores)
    query = "SELECT count(*) AS n, current_setting('threads') AS t FROM ingest_log"
    args = ["sql", "--lake", str(lake_with_manifest.root), "--format", "json", query]
    code, out, err = run_main([*args, "--memory-limit", limit], capsys)
    assert code == 0, err
    assert json.loads(out) == [{"n": 18, "t": cores}], "the query keeps every thread"


@pytest.mark.parametrize("limit", ["63MB", "10MB", "100KB", "1 MiB", "5000000b"])
def test_a_limit_below_the_minimum_is_refused_naming_it(
    lake_with_manifest: Lake, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    args = ["sql", "--lake", str(lake_with_manifest.root), "SELECT 1"]
    code, _, err = run_main([*args, "--memory-limit", limit], capsys)
    assert code == 2
    assert f"the memory limit {limit} is too small" in err and "at least 64MB" in err, err
    assert "manifest entry may be damaged" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    "text", ["1G", "1 gb", "100MB", "100mib", "1.5 GiB", " 64MB ", "64 kib", "2TiB", "300kB"]
)
def test_the_limit_is_read_as_duckdb_reads_it(text: str) -> None:
    from auditpipe.db.database import memory_limit_bytes

    with connect(timezone="UTC", memory_limit=text) as db:
        shown = db.query("SELECT current_setting('memory_limit')")[0][0]
    expected = memory_limit_bytes(text)
    assert expected is not None
    assert abs(_limit_bytes(shown) - expected) <= max(expected * 0.001, 1)


@pytest.mark.parametrize("text", ["50%", "none", "-1", "lots", ""])
def test_a_limit_the_check_cannot_read_is_left_to_duckdb(text: str) -> None:
    from auditpipe.db.database import memory_limit_bytes

    assert memory_limit_bytes(text) is None


def test_a_query_out_of_memory_says_to_raise_the_limit() -> None:
    import duckdb

    from auditpipe.sql.query import sql_error

    error = sql_error(duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate"))
    assert error.hint is not None and "--memory-limit" in error.hint
