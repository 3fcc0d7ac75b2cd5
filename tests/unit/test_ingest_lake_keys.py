"""The dedup against the lake (ingest/stage.py, ``keys_in_lake``): the file's keys the lake
already holds are found whatever the lake's files look like (many small ones, a few large
ones, empty ones), and however they are grouped into the chunks looked up at a time."""

from __future__ import annotations

from pathlib import Path

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
