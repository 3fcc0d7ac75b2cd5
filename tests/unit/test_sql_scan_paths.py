"""auditpipe.scan() reads a lake wherever it lives, ``key=value`` folders above it included.

Polars reads every ``key=value`` folder of a file's path as a hive partition, not only those
below the table's folder: a lake kept at ``/warehouse/env=prod/lake`` (or a copy of it under
``backups/day=2026-03-01/``) made scan() fail with "path contains column not present in the
given Hive schema". The frames must hold what they hold at any other path, with the same
columns.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import auditpipe
from auditpipe.lake import Lake

# a key may repeat (backups/day=1/day=2/lake): Polars cannot read that, scan() still must.
# (Parents named like the lake's partitions, provider_id=..., are refused by Lake.open:
# tests/e2e/test_lake_partition_named_parents.py.)
KEYS = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
        lambda k: k not in ("provider_id", "event_date", "snapshot_date")
    ),
    st.just("day"),
)
VALUES = st.text(alphabet="abc0123456789-", max_size=10)
PARENTS = st.lists(
    st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]}={kv[1]}"), min_size=1, max_size=3
)
TABLES = ("events", "findings", "finding_evidence", "accounts", "accounts_current", "quarantine")


def _frames(root: Path) -> dict[str, pl.DataFrame]:
    return {t: auditpipe.scan(root, t).collect() for t in TABLES}


_EXPECTED: dict[Path, dict[str, pl.DataFrame]] = {}


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parents=PARENTS)
@example(parents=["env=prod"])
@example(parents=["day=1", "day=2"])
def test_scan_reads_a_lake_below_key_value_folders(shared_lake: Lake, parents: list[str]) -> None:
    expected = _EXPECTED.get(shared_lake.root) or _EXPECTED.setdefault(
        shared_lake.root, _frames(shared_lake.root)
    )
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp).joinpath(*parents, "lake")
        shutil.copytree(shared_lake.root, copy, ignore=shutil.ignore_patterns("reports"))
        got = _frames(copy)
    for table in TABLES:
        assert got[table].columns == expected[table].columns, table
        keys = [
            c
            for c in ("finding_id", "event_id", "account_id", "line_number")
            if c in got[table].columns
        ]
        assert (
            got[table]
            .select(keys + ["provider_id"])
            .sort(keys)
            .equals(expected[table].select(keys + ["provider_id"]).sort(keys))
        ), table
