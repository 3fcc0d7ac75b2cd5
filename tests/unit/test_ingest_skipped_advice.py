"""Every file a folder ingest (or the nightly job's inbox) leaves out is named with what to do
about it, whatever kind of file it is: the warning for a .zip or a .json once said only that
it was skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.ingest.sources import discover, skipped_advice

# A file name, and words its warning must hold (the way to take it in).
KINDS = {
    "b.zip": "unzip it",
    "b.csv.zip": "unzip it",
    "c.json": "rename it to .jsonl",
    "c.json.gz": "rename it to .jsonl",
    "d.txt": "--source",
    "d.log": "--source",
    "e.jsonl.gz.gz": "decompress it once",
    "f.csv.lz4": "lz4 -d",
    "g.jsonl.tmp": "complete",
    "g.csv.part": "complete",
    "g.parquet.crdownload": "complete",
    "h.tar.gz": "tar -xf",
    "h.tar.bz2": "tar -xf",
    "h.tar.xz": "tar -xf",
    "h.tar.zst": "tar -xf",
    "h.tgz": "tar -xzf",
    "i.tar": "tar -xf",
    "j.7z": "7z x",
    "k.xlsx": "CSV",
    "k.xls": "CSV",
    "no_suffix": "--source",
}


def test_every_skipped_file_of_a_folder_is_warned_with_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("{}\n")
    for name in KINDS:
        (folder / name).write_text("x")
    os.mkfifo(folder / "fifo.jsonl")
    (folder / "gone.jsonl").symlink_to("nowhere.jsonl")
    (folder / "locked.jsonl").write_text("x")
    (folder / "locked.jsonl").chmod(0)
    warnings: list[str] = []
    found = discover([folder], warn=warnings.append)
    assert [f.path.name for f in found][:1] == ["a.jsonl"]
    for name, todo in KINDS.items():
        (line,) = [w for w in warnings if str(folder / name) in w.replace(",", " ").split()]
        assert todo in line, (name, line)
    (fifo,) = [w for w in warnings if "fifo.jsonl" in w]
    assert "copy the log into a regular file" in fifo, fifo
    (link,) = [w for w in warnings if "gone.jsonl" in w]
    assert "point the link" in link, link
    if os.geteuid() != 0:  # root reads any file
        (locked,) = [w for w in warnings if "locked.jsonl" in w]
        assert "permissions" in locked, locked


SUFFIXES = [".zip", ".json", ".txt", ".gz", ".bz2", ".tar", ".tmp", ".part", ".xlsx", ".7z", ".xz"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SUFFIXES), min_size=0, max_size=3))
def test_any_name_a_folder_skips_gets_a_way_in(suffixes: list[str]) -> None:
    # every name ingest leaves out is told what it is and what to run
    what, todo = skipped_advice(Path("log" + "".join(suffixes)))
    assert what and todo and not todo.endswith("."), (suffixes, what, todo)


def test_the_nightly_summary_says_what_to_do_with_a_file_that_is_not_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tests.support.cli import run_main
    from tests.support.nightly import event, nightly_args

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.jsonl").write_text(json.dumps(event("e1")) + "\n")
    (inbox / "b.zip").write_text("x")
    (inbox / "c.json").write_text("[]")
    _code, out, err = run_main(nightly_args(inbox, tmp_path / "lake"), capsys)
    text = out + err
    (zip_line,) = [ln for ln in text.splitlines() if "b.zip:" in ln]
    assert "unzip it" in zip_line, text
    (json_line,) = [ln for ln in text.splitlines() if "c.json:" in ln]
    assert "rename it to .jsonl" in json_line, text
    # --json (and the run record) say it too, for scripts
    _code, out, _err = run_main([*nightly_args(inbox, tmp_path / "lake"), "--json"], capsys)
    files = {f["path"]: f for f in json.loads(out)["files"]["list"]}
    assert "unzip it" in files["b.zip"]["reason"], files["b.zip"]
