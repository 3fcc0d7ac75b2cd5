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
