"""Precision and recall per category on a generated corpus: generate -> ingest -> detect.

(The real-name family has its own labels file and test: test_real_name_precision_recall.py.)
The generator plants every kind of breach and near-miss and writes the findings detect must
produce to ``_expected/labels.parquet`` (computed independently, in Polars); detect must find
exactly those: precision and recall 1.0 in every category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.lake import Lake
from auditpipe.vocabulary import CONFIDENTIALITY_CATEGORIES as CATEGORIES

KEY = ("rule_id", "provider_id", "actor_id", "event_date", "destination_party")
ROWS = 100_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Lake]:
    from auditpipe.generate import generate
    from auditpipe.ingest import IngestSettings, ingest_paths

    root = tmp_path_factory.mktemp("corpus")
    logs = root / "logs"
    generate(logs, rows=ROWS, seed=20260301)
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [logs], IngestSettings())
    # the labels assume the generator's broker watchlist is configured
    run_detect(lake, DetectSettings(broker_watchlist=logs / "_expected" / "brokers.txt"))
    return logs, lake


def by_category(con: Any, sql: str, **params: object) -> dict[str, set[tuple[object, ...]]]:
    """Finding keys per category from a query returning (category, *KEY)."""
    out: dict[str, set[tuple[object, ...]]] = {c: set() for c in CATEGORIES}
    for category, *key in con.execute(sql, params).fetchall():
        if category in out:  # real_name: its own labels and test
            out[category].add(tuple(key))
    return out


@pytest.mark.slow
def test_precision_and_recall_are_one_in_every_category(corpus: tuple[Path, Lake]) -> None:
    import duckdb

    from auditpipe.lake.views import create_views

    logs, lake = corpus
    con = duckdb.connect()
    create_views(con, lake.root)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] >= 0.95 * ROWS  # type: ignore[index]
    columns = ", ".join(KEY)
    found = by_category(con, f"SELECT category, {columns} FROM findings")
    expected = by_category(
        con,
        f"SELECT category, {columns} FROM read_parquet($labels)",
        labels=str(logs / "_expected" / "labels.parquet"),
    )
    for category in CATEGORIES:
        assert expected[category], f"the corpus plants no {category} case"
        hits = found[category] & expected[category]
        precision = len(hits) / len(found[category]) if found[category] else 0.0
        recall = len(hits) / len(expected[category])
        assert (precision, recall) == (1.0, 1.0), (
            f"{category}: precision {precision:.4f}, recall {recall:.4f}; "
            f"unexpected {sorted(found[category] - expected[category], key=str)[:5]}, "
            f"missed {sorted(expected[category] - found[category], key=str)[:5]}"
        )
