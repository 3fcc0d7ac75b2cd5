"""``auditpipe.lake.layout``: partition folder names as DuckDB writes them, and listings."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.db import connect
from auditpipe.lake import FOLDER_NAME_MAX_BYTES, partition_dir, provider_folder_fits
from auditpipe.lake.layout import (
    HIVE_NULL,
    files_of_days,
    list_partitions,
    partition_days,
    partition_folder_name,
    partition_value,
)

# Provider ids as they can reach a partition: any text without NUL or surrogates.
PROVIDER = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
).filter(lambda v: len(partition_folder_name("provider_id", v).encode()) <= 255)


def _duckdb_folders(tmp_path: Path, values: list[str]) -> set[str]:
    out = tmp_path / "out"
    with connect(timezone="UTC") as db:
        db.execute(
            "COPY (SELECT unnest($v::VARCHAR[]) AS provider_id, 1 AS n) TO $out"
            " (FORMAT parquet, PARTITION_BY (provider_id), OVERWRITE true)",
            {"v": values, "out": str(out)},
        )
    return set(os.listdir(out))


@given(values=st.lists(PROVIDER, min_size=1, max_size=20, unique=True))
@settings(max_examples=40, deadline=None)
def test_folder_names_are_the_ones_duckdb_writes(
    tmp_path_factory: pytest.TempPathFactory, values: list[str]
) -> None:
    tmp = tmp_path_factory.mktemp("names")
    expected = {partition_folder_name("provider_id", v) for v in values}
    assert _duckdb_folders(tmp, values) == expected
    assert {partition_value(n) for n in expected} == set(values)


def test_a_provider_spelled_like_the_null_folder_gets_its_own_name(tmp_path: Path) -> None:
    name = partition_folder_name("provider_id", HIVE_NULL)
    assert name != f"provider_id={HIVE_NULL}"
    assert _duckdb_folders(tmp_path, [HIVE_NULL]) == {name}
    assert partition_value(name) == HIVE_NULL


@pytest.mark.parametrize(
    ("provider", "fits"),
    [
        ("a" * 243, True),  # "provider_id=" + 243 bytes = 255
        ("a" * 244, False),
        ("中" * 27, True),  # each %XX%XX%XX: 9 bytes; 12 + 243 = 255
        ("中" * 28, False),
        ("/" * 81, True),  # %2F: 3 bytes each; 12 + 243
        ("/" * 82, False),
    ],
)
def test_the_folder_name_limit_is_counted_in_encoded_bytes(provider: str, fits: bool) -> None:
    assert provider_folder_fits(provider) is fits
    encoded = len(partition_folder_name("provider_id", provider).encode())
    assert (encoded <= FOLDER_NAME_MAX_BYTES) is fits


@pytest.mark.parametrize("lake_name", ["lake[1]", "lake*", "lake?", "lake{a,b}", "la]ke"])
def test_listings_of_a_lake_whose_path_looks_like_a_pattern_read_only_that_lake(
    tmp_path: Path, lake_name: str
) -> None:
    day = dt.date(2026, 3, 1)
    sibling = partition_dir(tmp_path / "lake1", "events", "p", day)
    sibling.mkdir(parents=True)
    (sibling / "part-sibling.parquet").write_bytes(b"")
    root = tmp_path / lake_name
    folder = partition_dir(root, "events", "p*[x]", day)
    folder.mkdir(parents=True)
    (folder / "part-1.parquet").write_bytes(b"")
    (folder / "notes.txt").write_bytes(b"")
    (partition_dir(root, "events", "q", day).parent / "event_date=garbage").mkdir(parents=True)

    parts = list_partitions(root, "events")
    assert [(p.provider_id, p.event_date, p.files) for p in parts] == [
        ("p*[x]", day, (folder / "part-1.parquet",))
    ]
    assert partition_days(root, "events") == {day}
    assert files_of_days(root, "events", [day]) == [(folder / "part-1.parquet").resolve()]
    assert files_of_days(root, "events", [day + dt.timedelta(days=1)]) == []


def test_partition_dir_refuses_tables_without_partitions(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="quarantine"):
        partition_dir(tmp_path, "quarantine", "p", dt.date(2026, 3, 1))
