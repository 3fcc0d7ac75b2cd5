"""The dedup against the lake (ingest/stage.py, ``keys_in_lake``): the file's keys the lake
already holds are found whatever the lake's files look like (many small ones, a few large
ones, empty ones), and however they are grouped into the chunks looked up at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.ingest import stage as stage_module
from auditpipe.ingest.seen import SeenKeys
from auditpipe.ingest.stage import keys_in_lake

ids = st.integers(0, 60).map(lambda n: f"e-{n}")
lake_files = st.lists(st.lists(ids, max_size=30, unique=True), max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    lake=st.dictionaries(st.sampled_from(["p", "q", "r"]), lake_files, max_size=3),
    mine=st.lists(st.tuples(st.sampled_from(["p", "q"]), ids), max_size=40, unique=True),
    chunk=st.integers(1, 80),
)
def test_the_files_keys_the_lake_holds_are_found_in_any_chunking(
    tmp_path_factory: pytest.TempPathFactory,
    lake: dict[str, list[list[str]]],
    mine: list[tuple[str, str]],
    chunk: int,
) -> None:
    folder = tmp_path_factory.mktemp("lake")
    listed: dict[str, list[Path]] = {}
    for provider, files in lake.items():
        for n, keys in enumerate(files):
            path = folder / f"{provider}-{n}.parquet"
            pq.write_table(pa.table({"event_id": pa.array(keys, pa.string())}), path)
            listed.setdefault(provider, []).append(path)
    con = duckdb.connect()
    seen = SeenKeys(con, folder / "seen")
    try:
        rows = pa.table(
            {
                "line_number": pa.array(range(len(mine)), pa.int64()),
                "provider_id": pa.array([p for p, _ in mine], pa.string()),
                "event_id": pa.array([e for _, e in mine], pa.string()),
            }
        )
        seen.first_deliveries(rows)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(stage_module, "LAKE_KEYS_CHUNK", chunk)
            found = keys_in_lake(seen, {p for p, _ in mine}, listed)
    finally:
        seen.close()
        con.close()
    held = {(p, e) for p, files in lake.items() for keys in files for e in keys}
    keys = None if found is None else found.select(["provider_id", "event_id"])
    got = set() if keys is None else set(zip(*keys.to_pydict().values(), strict=True))
    assert got == set(mine) & held


def test_a_night_of_small_files_opens_each_lake_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each ingested file looks its keys up in every lake file of its provider: a night of
    many small files opened the earlier ones again for every later one (the square of their
    number: 1,000 files of 3 events took 11 minutes). The keys of a small lake file are kept."""
    from tests.support.ingest import good, ingest, write_jsonl

    opened: dict[str, int] = {}
    read_table = pq.read_table

    def counting(source: Any, *args: Any, **kwargs: Any) -> pa.Table:
        if "events" in Path(str(source)).parts:
            opened[str(source)] = opened.get(str(source), 0) + 1
        return read_table(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", counting)
    inbox = [
        write_jsonl(tmp_path / f"f{n}.jsonl", [good(event_id=f"e{n}"), good(event_id="shared")])
        for n in range(4)
    ]
    result = ingest(tmp_path / "lake", *inbox)
    assert [f.rows_duplicate for f in result.files] == [0, 1, 1, 1]  # found every time
    assert opened and max(opened.values()) == 1, opened


def test_a_lake_file_replaced_under_the_same_name_is_read_again(tmp_path: Path) -> None:
    """Kept keys name their file by path, size, mtime and inode: a file compacted or restored
    from a backup under the same name is read again, never answered from the old keys."""
    import os

    path = tmp_path / "part-0.parquet"
    found = []
    for keys in (["e-1"], ["e-2", "e-3"]):
        staged = tmp_path / "staged.parquet"
        pq.write_table(pa.table({"event_id": pa.array(keys, pa.string())}), staged)
        os.replace(staged, path)
        con = duckdb.connect()
        seen = SeenKeys(con, tmp_path / f"seen-{len(keys)}")
        try:
            rows = pa.table(
                {
                    "line_number": pa.array([0, 1, 2], pa.int64()),
                    "provider_id": pa.array(["p"] * 3, pa.string()),
                    "event_id": pa.array(["e-1", "e-2", "e-3"], pa.string()),
                }
            )
            seen.first_deliveries(rows)
            got = keys_in_lake(seen, {"p"}, {"p": [path]})
            found.append(sorted(got["event_id"].to_pylist()) if got is not None else [])
        finally:
            seen.close()
            con.close()
    assert found == [["e-1"], ["e-2", "e-3"]]
