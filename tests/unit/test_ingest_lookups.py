"""ValueLookups: the per-file cache of looked-up enum and data_fields values gives, batch
after batch, exactly what mapping each batch on its own gives."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_catalog, load_contract
from auditpipe.ingest import lookups as lookups_module
from auditpipe.ingest.lookups import ValueLookups

CONTRACT = load_contract()
CATALOG = load_catalog()
ACTIONS = st.sampled_from(["view", " VIEW ", "Export", "导出", "Transfer", "bogus", "", None])
FIELDS = st.sampled_from(
    ['["phone","id_number"]', "phone; 身份证号", "  ", "", None, "sfzh,dlmm", '["x"]', "unknown"]
)


def _batch(rows: list[tuple[str | None, str | None]]) -> pa.Table:
    n = len(rows)
    columns = {name: pa.nulls(n, pa.string()) for name in CONTRACT.names}
    columns["action"] = pa.array([r[0] for r in rows], pa.string())
    columns["data_fields"] = pa.array([r[1] for r in rows], pa.string())
    return pa.table(columns)


@given(st.lists(st.lists(st.tuples(ACTIONS, FIELDS), max_size=30), min_size=1, max_size=5))
@settings(max_examples=20, deadline=None)
def test_cached_lookups_equal_each_batch_mapped_alone(batches: list) -> None:
    con = duckdb.connect()
    # a file after others of the process: it starts from what they mapped
    shared = ValueLookups.for_contract(CONTRACT, CATALOG, shared=lookups_module._Shared())
    ValueLookups(shared.queries, shared=shared.shared).columns(con, _batch([("view", "phone")]))
    for rows in batches:
        batch = _batch(rows)
        cached = shared.columns(con, batch)
        alone = ValueLookups.for_contract(CONTRACT, CATALOG, shared=None).columns(con, batch)
        assert cached.keys() == alone.keys()
        for name in cached:
            assert cached[name].to_pylist() == alone[name].to_pylist(), name


def test_lookups_map_aliases_and_lists_and_start_again_past_the_cap(monkeypatch) -> None:
    con = duckdb.connect()
    lookups = ValueLookups.for_contract(CONTRACT, CATALOG, shared=None)
    out = lookups.columns(con, _batch([(" VIEW ", "phone; sfzh"), (None, "  "), ("bogus", None)]))
    assert out["e_action"].to_pylist() == ["view", None, None]
    assert out["t_fields"].to_pylist()[1:] == [None, None]
    assert "sfzh" in out["t_fields"].to_pylist()[0]
    monkeypatch.setattr(lookups_module, "MAX_CACHED", 2)
    again = lookups.columns(con, _batch([("delete", "a"), ("export", "b"), ("view", "c")]))
    assert again["e_action"].to_pylist() == ["delete", "export", "view"]
    assert lookups.cache["action"].num_rows == 3  # the cache was dropped and refilled


def test_a_later_file_with_the_same_contract_and_catalog_maps_no_text_again(monkeypatch) -> None:
    shared = lookups_module._Shared()
    con = duckdb.connect()
    batch = _batch([(" VIEW ", "phone; sfzh"), ("导出", '["x"]')])
    first = ValueLookups.for_contract(CONTRACT, CATALOG, shared=shared).columns(con, batch)
    asked: list[str] = []
    real = lookups_module.arrow_table
    monkeypatch.setattr(
        lookups_module, "arrow_table", lambda c, q, *a: asked.append(q) or real(c, q, *a)
    )
    second = ValueLookups.for_contract(CONTRACT, CATALOG, shared=shared).columns(con, batch)
    assert asked == []
    assert {k: v.to_pylist() for k, v in second.items()} == {
        k: v.to_pylist() for k, v in first.items()
    }
    # another catalog maps the same names its own way: its own entry, its own queries
    other = replace(CATALOG, entries=tuple(e for e in CATALOG.entries if e.name != "sfzh"))
    mapped = ValueLookups.for_contract(CONTRACT, other, shared=shared).columns(con, batch)
    assert len(asked) == 1  # data_fields only: the enums' queries did not change
    assert mapped["d_classes"].to_pylist() != first["d_classes"].to_pylist()


def test_the_process_keeps_the_lookups_of_a_bounded_number_of_queries(monkeypatch) -> None:
    monkeypatch.setattr(lookups_module, "SHARED_QUERIES", 2)
    shared = lookups_module._Shared()
    table = pa.table({"r_x": pa.array(["a"])})
    for query in ("q1", "q2", "q3"):
        shared.put(query, table)
    assert shared.get("q1") is None
    assert shared.get("q2") is table and shared.get("q3") is table
