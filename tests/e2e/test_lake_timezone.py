"""A lake's timezone must be one DuckDB accepts, or no command could ever query the lake."""

from __future__ import annotations

import json
import zoneinfo
from pathlib import Path

import pytest

from auditpipe.db import check_timezone, connect
from auditpipe.db.timezones import engine_timezones
from auditpipe.errors import ConfigError
from auditpipe.lake import Lake
from tests.support.cli import run_main

PYTHON_ONLY = ["posixrules", "localtime", "right/UTC", "posix/Asia/Shanghai", "posix/UTC"]


def _python_knows(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@pytest.mark.parametrize("name", PYTHON_ONLY)
def test_a_name_only_python_knows_is_refused_when_the_lake_is_created(
    tmp_path: Path, name: str
) -> None:
    if not _python_knows(name):
        pytest.skip(f"this system's tz database has no {name}")
    with pytest.raises(ConfigError, match="not to DuckDB") as raised:
        Lake.open(tmp_path / "lake", create=True, timezone=name)
    assert raised.value.hint and "IANA" in raised.value.hint
    assert not (tmp_path / "lake" / "_auditpipe" / "lake.json").exists()


def test_every_system_timezone_is_either_refused_or_usable_by_duckdb() -> None:
    """The class, not the examples: whatever check_timezone accepts, DuckDB can SET."""
    accepted = []
    for name in sorted(zoneinfo.available_timezones() | set(PYTHON_ONLY)):
        try:
            accepted.append(check_timezone(name))
        except ConfigError:
            continue
    assert accepted, "no timezone accepted at all"
    with connect(timezone="UTC") as db:
        for name in accepted:
            db.execute("SET TimeZone = ?", [name])
    assert set(accepted) <= engine_timezones()


def test_the_cli_refuses_such_a_timezone_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not _python_knows("posixrules"):
        pytest.skip("this system's tz database has no posixrules")
    log = tmp_path / "in.jsonl"
    log.write_text("{}\n", encoding="utf-8")
    code, _, err = run_main(
        ["ingest", str(log), "--lake", str(tmp_path / "lake"), "--timezone", "posixrules"], capsys
    )
    assert code == 2
    assert err.startswith("Error: timezone 'posixrules'") and "Traceback" not in err
    assert not (tmp_path / "lake" / "_auditpipe" / "lake.json").exists()


def test_a_lake_that_already_holds_such_a_name_fails_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = Lake.open(tmp_path / "lake", create=True, timezone="UTC")
    marker = lake.meta_dir / "lake.json"
    meta = json.loads(marker.read_text(encoding="utf-8"))
    marker.write_text(json.dumps({**meta, "timezone": "posixrules"}), encoding="utf-8")
    code, _, err = run_main(["sql", "--lake", str(lake.root), "SELECT 1"], capsys)
    assert code == 2
    assert "DuckDB does not know the timezone 'posixrules'" in err and "lake.json" in err
