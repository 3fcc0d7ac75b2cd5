"""The index pandas writes beside a DataFrame's columns (``to_parquet`` of a frame whose index
is not the default, ``to_csv`` with its default ``index=True``, and that CSV read back and
written again) is row labels, not an event field: it is left out of ``extras``, and the file's
summary says so, where every event carried ``{"__index_level_0__": 17}`` or ``{"": 17}``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.support.ingest import GOOD, ingest, query

ROWS = [{**GOOD, "event_id": f"e{i}", "data_fields": "phone", "note": f"n{i}"} for i in range(4)]


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS)
    return frame[frame["event_id"] != "e0"]  # filtered: the index is 1, 2, 3, not a range


def _extras(lake: Path) -> list[dict[str, object]]:
    got = query(lake, "SELECT extras FROM events ORDER BY event_id")
    return [json.loads(e) if isinstance(e, str) else e for (e,) in got]


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda f, p: f.to_parquet(p.with_suffix(".parquet")), id="parquet"),
        pytest.param(lambda f, p: f.to_csv(p.with_suffix(".csv")), id="csv"),
        pytest.param(
            lambda f, p: pd.read_csv(_csv(f, p)).to_csv(p.with_suffix(".csv")), id="csv-twice"
        ),
        pytest.param(
            lambda f, p: pd.read_csv(_csv(f, p)).to_parquet(p.with_suffix(".parquet")),
            id="csv-to-parquet",
        ),
    ],
)
def test_the_index_pandas_wrote_is_left_out_of_extras_and_said(
    tmp_path: Path, write: object
) -> None:
    base = tmp_path / "out" / "forum-a"
    base.parent.mkdir()
    write(_frame(), base)  # type: ignore[operator]
    (path,) = [p for p in base.parent.iterdir() if p.name != "first.csv"]
    result = ingest(tmp_path / "lake", path)
    assert (result.rows_stored, result.rows_quarantined) == (3, 0), result.files[0]
    assert _extras(tmp_path / "lake") == [{"note": f"n{i}"} for i in (1, 2, 3)]
    assert sum(result.files[0].counters.values()) >= 1, result.files[0]


def _csv(frame: pd.DataFrame, base: Path) -> Path:
    first = base.parent / "first.csv"
    frame.to_csv(first)
    return first


def test_a_named_index_is_a_column_like_any_other(tmp_path: Path) -> None:
    # set_index("event_id") then to_parquet: the ids are data, read as the contract's field
    frame = _frame().set_index("event_id")
    frame.to_parquet(tmp_path / "forum-a.parquet")
    result = ingest(tmp_path / "lake", tmp_path / "forum-a.parquet")
    assert result.rows_stored == 3
    ids = query(tmp_path / "lake", "SELECT event_id FROM events ORDER BY 1")
    assert ids == [("e1",), ("e2",), ("e3",)]


def test_a_csv_column_without_a_name_after_others_stays_in_extras(tmp_path: Path) -> None:
    # only the leading columns pandas writes for its index are left out
    path = tmp_path / "forum-a.csv"
    frame = _frame()
    frame.insert(len(frame.columns), "", ["x", "y", "z"])
    frame.to_csv(path, index=False)
    ingest(tmp_path / "lake", path)
    assert [e.get("") for e in _extras(tmp_path / "lake")] == ["x", "y", "z"]


def test_ingest_says_which_columns_it_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.cli import run_main

    path = tmp_path / "forum-a.csv"
    _frame().to_csv(path)
    code, _, err = run_main(["ingest", str(path), "--lake", str(tmp_path / "lake")], capsys)
    assert code == 0, err
    assert f"{path}: left out 1 column pandas wrote for its DataFrame's index" in err, err
    assert "index=False" in err
