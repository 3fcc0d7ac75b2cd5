"""A lake inside a folder named like its own partitions is refused, not misread.

Hive readers (DuckDB's read_parquet, which detect, report, status and the printed views use)
take every ``key=value`` folder of a file's path for a partition column, the lake's parents
too, and the first one of a name wins: a lake kept at ``/srv/provider_id=forum-a/lake`` or
copied to ``backups/event_date=2026-03-01/lake`` had every event read as that provider's and
that day's. Other ``key=value`` parents (``/data/env=prod/lake``) name no lake column and
are fine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.ingest import good, write_jsonl

PARENTS = ["provider_id=zzz", "event_date=2020-01-01", "snapshot_date=2020-01-01", "Event_Date=x"]


@pytest.mark.parametrize("parent", PARENTS)
def test_ingest_refuses_to_create_a_lake_there(
    tmp_path: Path, parent: str, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_jsonl(tmp_path / "in" / "a.jsonl", [good(event_id="a")])
    lake = tmp_path / parent / "lake"
    code, out, err = run_main(["ingest", str(log), "--lake", str(lake)], capsys)
    assert code == 2, err
    assert parent in err and "Traceback" not in err
    assert not lake.exists()


@pytest.mark.parametrize("command", [["status"], ["report"], ["sql", "SELECT 1"], ["detect"]])
def test_a_lake_moved_there_is_refused_by_every_command(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_jsonl(tmp_path / "in" / "a.jsonl", [good(event_id="a")])
    code, _, err = run_main(["ingest", str(log), "--lake", str(tmp_path / "lake")], capsys)
    assert code == 0, err
    moved = tmp_path / "provider_id=zzz" / "lake"
    moved.parent.mkdir()
    shutil.move(tmp_path / "lake", moved)
    code, out, err = run_main([command[0], "--lake", str(moved), *command[1:]], capsys)
    assert code == 2, out + err
    assert "provider_id=zzz" in err and "zzz" not in out


def test_other_key_value_parents_are_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_jsonl(tmp_path / "in" / "a.jsonl", [good(event_id="a")])
    lake = tmp_path / "env=prod" / "lake"
    code, _, err = run_main(["ingest", str(log), "--lake", str(lake)], capsys)
    assert code == 0, err
    code, out, err = run_main(
        ["sql", "--lake", str(lake), "SELECT provider_id, event_date FROM events"], capsys
    )
    assert (code, out) == (0, "provider_id\tevent_date\nforum-a\t2026-03-01\n"), err
