"""A lake path that starts with '~' and reached auditpipe unexpanded (quoted, or from
$AUDITPIPE_LAKE, which no shell expands: a systemd Environment= line) is the home folder's.
It was half of each: the marker went to a folder named '~' in the working folder, and Arrow,
which expands '~' itself, wrote the Parquet files under the home folder, so the first ingest
of account snapshots failed with 'Failed to open local file /home/.../staging/...'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO
from tests.support.cli import run_main


@pytest.mark.parametrize("how", ["env", "flag"])
def test_a_lake_under_an_unexpanded_tilde_is_in_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, how: str
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for snapshot in (REPO / "sample_data").glob("*.accounts.jsonl"):
        (inbox / snapshot.name).write_bytes(snapshot.read_bytes())
    lake_args = ["--lake", "~/lake"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("AUDITPIPE_LAKE", "~/lake")
    rc, _out, err = run_main(["ingest", str(inbox), *lake_args], capsys)
    assert rc in (0, 3), err
    assert not (work / "~").exists()
    assert (home / "lake" / "_auditpipe" / "lake.json").is_file()
    assert list((home / "lake" / "accounts").rglob("*.parquet"))
    rc, out, err = run_main(["sql", *lake_args, "SELECT count(*) > 0 FROM accounts"], capsys)
    assert (rc, out.split()[-1]) == (0, "true"), err
