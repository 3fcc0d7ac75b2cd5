"""The lake's format version (``_auditpipe/lake.json``) tells an older auditpipe to keep off.

Account snapshots (the ``accounts`` table, real-name rules) came after format 1. An auditpipe
from before them, run on a lake that has them (a rollback), took account snapshot files as bad
event rows (quarantined, and recorded in the manifest, so never ingested again) and its detect
removed the real-name findings. It refuses a lake whose format is above its own, so every lake
a writer of this version touches says format 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditpipe.errors import LakeError
from auditpipe.lake import LAKE_VERSION, Lake
from tests.support.cli import run_main
from tests.support.ingest import good, ingest, write_jsonl


def _marker(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "_auditpipe" / "lake.json").read_text())
    return doc


def _as_format_1(root: Path) -> None:
    doc = _marker(root)
    doc["version"] = 1
    (root / "_auditpipe" / "lake.json").write_text(json.dumps(doc))


def test_the_format_is_above_1_now_that_the_lake_holds_account_snapshots() -> None:
    assert LAKE_VERSION >= 2


def test_a_new_lake_has_the_current_format(tmp_path: Path) -> None:
    Lake.open(tmp_path / "lake", create=True)
    assert _marker(tmp_path / "lake")["version"] == LAKE_VERSION


def test_a_writer_raises_a_format_1_lake_to_the_current_format(tmp_path: Path) -> None:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "a.jsonl", [good()]))
    _as_format_1(tmp_path / "lake")
    before = _marker(tmp_path / "lake")
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "b.jsonl", [good(actor_id="b")]))
    after = _marker(tmp_path / "lake")
    assert after["version"] == LAKE_VERSION
    assert {k: v for k, v in after.items() if k != "version"} == {
        k: v for k, v in before.items() if k != "version"
    }


@pytest.mark.parametrize("args", [["status"], ["sql", "SELECT 1"], ["report"]], ids=str)
def test_a_reader_leaves_a_format_1_lake_as_it_is(
    tmp_path: Path, capsys: Any, args: list[str]
) -> None:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "a.jsonl", [good()]))
    _as_format_1(tmp_path / "lake")
    rc, _out, err = run_main([*args, "--lake", str(tmp_path / "lake")], capsys)
    assert rc == 0, err
    assert _marker(tmp_path / "lake")["version"] == 1


def test_a_lake_of_a_later_format_is_refused(tmp_path: Path) -> None:
    Lake.open(tmp_path / "lake", create=True)
    doc = _marker(tmp_path / "lake")
    doc["version"] = LAKE_VERSION + 1
    (tmp_path / "lake" / "_auditpipe" / "lake.json").write_text(json.dumps(doc))
    with pytest.raises(LakeError, match="written by a newer auditpipe"):
        Lake.open(tmp_path / "lake")
