"""A lake file damaged on disk after its commit: every command that reads it names the file and
the source its rows came from, exits 2, and blames neither a rule nor itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.ingest import good, ingest, write_jsonl


def _scrambled(data: bytes) -> bytes:
    """Every column chunk's bytes zeroed (between the leading magic and the footer)."""
    footer = int.from_bytes(data[-8:-4], "little") + 8
    return data[:4] + b"\x00" * (len(data) - footer - 4) + data[-footer:]


DAMAGES = {
    # the column data: the pages fail to decode (DuckDB and pyarrow both name the file)
    "scrambled": _scrambled,
    # the end of the file lost, as by a copy cut short: no footer
    "cut short": lambda data: data[:-30],
}


@pytest.fixture
def lake(tmp_path: Path) -> tuple[Path, Path]:
    log = write_jsonl(
        tmp_path / "forum-a.jsonl", [good(event_id=f"e{i}", actor_id=f"a{i}") for i in range(50)]
    )
    ingest(tmp_path / "lake", log)
    return tmp_path / "lake", log


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize(
    "command",
    [
        ["detect"],
        ["report", "--format", "json"],
        ["sql", "SELECT count(*), max(actor_id) FROM events"],
    ],
)
def test_a_damaged_lake_file_is_named_with_its_source(
    lake: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    damage: str,
    command: list[str],
) -> None:
    root, log = lake
    (part,) = root.glob("events/*/*/*.parquet")
    part.write_bytes(DAMAGES[damage](part.read_bytes()))
    code, _, err = run_main([*command, "--lake", str(root)], capsys)
    assert code == 2, err
    assert f"the lake file {part} cannot be read: it is damaged" in err
    assert f"ingested from {log.resolve()}" in err
    assert "restore the file from a backup" in err
    assert "failed on the lake" not in err and "fix the rule" not in err  # not a rule's fault
    assert "internal error" not in err and "Traceback" not in err


def test_an_error_outside_a_lake_is_left_alone(tmp_path: Path) -> None:
    from auditpipe.lake.damage import damaged_file_error

    stray = tmp_path / "x.parquet"
    stray.write_bytes(b"not parquet")
    assert damaged_file_error(RuntimeError(f'Failed to read file "{stray}": bad')) is None
    assert damaged_file_error(RuntimeError("Binder Error: column x not found")) is None
