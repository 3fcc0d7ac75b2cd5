"""A file of no bytes is never "the same content" as another file of no bytes: every empty
file is its own (a failed export, an empty day), and an empty compressed or Parquet file is
rejected as the docs say, where all but the first were reported "same content already
ingested from <an unrelated file>", and a 0-byte .parquet or .jsonl.gz passed with exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ingest import ingest


def test_every_empty_file_is_read_on_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.jsonl", "b.csv", "c.parquet", "d.jsonl.gz", "e.ndjson"):
        (folder / name).write_bytes(b"")
    result = ingest(tmp_path / "lake", folder)
    by_name = {Path(f.source_file).name: f for f in result.files}
    assert [by_name[n].status for n in ("a.jsonl", "b.csv", "e.ndjson")] == ["ingested"] * 3
    assert by_name["c.parquet"].status == "rejected", by_name["c.parquet"]
    assert by_name["d.jsonl.gz"].status == "rejected", by_name["d.jsonl.gz"]
    assert not any("same content" in (f.reason or "") for f in result.files), result.files
    # a later empty file is not "already ingested" either
    (tmp_path / "later.jsonl").write_bytes(b"")
    again = ingest(tmp_path / "lake", tmp_path / "later.jsonl")
    assert again.files[0].status == "ingested", again.files[0]


def test_the_nightly_takes_each_empty_file_on_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.cli import run_main
    from tests.support.nightly import nightly_args

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.jsonl").write_bytes(b"")
    (inbox / "b.jsonl.gz").write_bytes(b"")
    code, out, err = run_main([*nightly_args(inbox, tmp_path / "lake"), "--json"], capsys)
    import json

    files = {f["path"]: f for f in json.loads(out)["files"]["list"]}
    assert files["a.jsonl"]["status"] == "ingested", files
    assert files["b.jsonl.gz"]["status"] == "rejected", files
    assert code == 3, err
