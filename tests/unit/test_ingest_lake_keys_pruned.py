"""The dedup against the lake reads only the row groups whose event_id statistics overlap the
file's own ids (ingest/stage.py, ``_row_groups_in_range``). Passing a row group over must never
miss a key the lake holds, whatever the ids look like (sequences, random text, non-ASCII, one
a prefix of another, the empty id, ids too long for a writer to keep statistics of) and
whichever writer made the lake's files (pyarrow, as ingest writes; DuckDB, as compact does);
and ids that grow with time must not read the history below them."""

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

# ids as providers write them: sequence numbers (text order is not number order past a
# digit), free text over the whole of Unicode, and ids long enough that a writer keeps no
# statistics for their row group (DuckDB drops them past a few hundred bytes)
sequence_ids = st.integers(0, 2_000).map(str)
text_ids = st.text(st.characters(codec="utf-8"), max_size=6)
long_ids = st.tuples(st.sampled_from(["a", "é", "中"]), st.integers(0, 9)).map(
    lambda t: t[0] * 400 + str(t[1])
)
any_ids = st.one_of(sequence_ids, text_ids, long_ids)


def _write(path: Path, keys: list[str], writer: str, group_rows: int) -> None:
    table = pa.table({"event_id": pa.array(keys, pa.string())})
    if writer == "pyarrow":
        pq.write_table(table, path, row_group_size=group_rows)
    else:
        con = duckdb.connect()
        try:
            con.register("keys", table)
            con.execute(f"COPY keys TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE {group_rows})")
        finally:
            con.close()


def _found(lake: dict[str, list[Path]], mine: list[tuple[str, str]], folder: Path) -> set:
    con = duckdb.connect()
    seen = SeenKeys(con, folder)
    try:
        rows = pa.table(
            {
                "line_number": pa.array(range(len(mine)), pa.int64()),
                "provider_id": pa.array([p for p, _ in mine], pa.string()),
                "event_id": pa.array([e for _, e in mine], pa.string()),
            }
        )
        seen.first_deliveries(rows)
        found = keys_in_lake(seen, {p for p, _ in mine}, lake)
    finally:
        seen.close()
        con.close()
    if found is None:
        return set()
    return set(zip(*found.select(["provider_id", "event_id"]).to_pydict().values(), strict=True))


@settings(max_examples=60, deadline=None)
@given(
    lake=st.dictionaries(
        st.sampled_from(["p", "q"]),
        st.lists(
            st.tuples(
                st.lists(any_ids, max_size=40, unique=True),
                st.sampled_from(["pyarrow", "duckdb"]),
                st.integers(1, 12),
                st.booleans(),  # sorted, as a sequence's day is
            ),
            max_size=4,
        ),
        max_size=2,
    ),
    mine=st.lists(st.tuples(st.sampled_from(["p", "q"]), any_ids), max_size=30, unique=True),
)
def test_no_key_the_lake_holds_is_missed_by_reading_only_overlapping_row_groups(
    tmp_path_factory: pytest.TempPathFactory,
    lake: dict[str, list[tuple[list[str], str, int, bool]]],
    mine: list[tuple[str, str]],
) -> None:
    folder = tmp_path_factory.mktemp("lake")
    listed: dict[str, list[Path]] = {}
    held: set[tuple[str, str]] = set()
    for provider, files in lake.items():
        for n, (keys, writer, group_rows, ordered) in enumerate(files):
            keys = sorted(keys) if ordered else keys
            path = folder / f"{provider}-{n}.parquet"
            _write(path, keys, writer, group_rows)
            listed.setdefault(provider, []).append(path)
            held |= {(provider, k) for k in keys}
    # a file's ids drawn partly from the lake's, so that hits are common
    assert _found(listed, mine, folder / "seen") == set(mine) & held


def test_ids_growing_with_time_do_not_read_the_history_below_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day's file of sequence ids looked up in 30 earlier days (each in row groups, as
    ingest and compact write them): no earlier row group is read. An old id sent again is
    still found; the range looked for then reaches down to it (one least and one greatest id
    per provider), so the row groups from its own up are read, and none below."""
    days = []
    for day in range(30):
        path = tmp_path / f"day-{day:02d}.parquet"
        ids = [f"{day * 10_000 + n:012d}" for n in range(10_000)]
        _write(path, ids, "pyarrow" if day % 2 else "duckdb", 2_048)
        days.append(path)
    read: list[tuple[str, Any]] = []
    read_table, read_row_groups = pq.read_table, pq.ParquetFile.read_row_groups

    def counting_table(source: Any, *args: Any, **kwargs: Any) -> pa.Table:
        read.append((str(source), "whole"))
        return read_table(source, *args, **kwargs)

    def counting_groups(self: pq.ParquetFile, groups: Any, *args: Any, **kwargs: Any) -> Any:
        read.append(("", list(groups)))
        return read_row_groups(self, groups, *args, **kwargs)

    monkeypatch.setattr(stage_module.pq, "read_table", counting_table)
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", counting_groups)
    monkeypatch.setattr(stage_module, "SMALL_FILE_IDS_MAX", 0)  # nothing answered from memory
    today = [("p", f"{300_000 + n:012d}") for n in range(5_000)]
    assert _found({"p": days}, today, tmp_path / "seen-a") == set()
    assert read == []

    again = f"{7 * 10_000 + 4_500:012d}"  # day 7's, in its third row group
    assert _found({"p": days}, [*today, ("p", again)], tmp_path / "seen-b") == {("p", again)}
    assert [groups for path, groups in read if not path] == [[2, 3, 4]]  # day 7's
    assert sorted(path for path, _ in read if path) == [str(p) for p in days[8:]]
