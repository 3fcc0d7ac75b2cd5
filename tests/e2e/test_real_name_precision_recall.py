"""Precision and recall of the real-name rules on generated corpora: generate -> ingest -> detect.

The generator plants every real-name case (a post one second before its verification, posts at
and after it, an account revoked in a newer snapshot, invalid ID numbers, six and five accounts
on one identity, a publish at an access provider, unknown accounts...) and writes what must be
found to ``_expected/real_name_labels.parquet``, computed independently in Polars. Detect must
find exactly those findings (P = R = 1.0 per rule), and the report's data gap must count
exactly the labelled unknown accounts, for several seeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditpipe.config import Config
from auditpipe.detect import DetectSettings, run_detect
from auditpipe.lake import Lake
from auditpipe.report import build_report

SEEDS = (20260301, 7, 1234)
ROWS = 6_000

# Each rule's finding key as the labels give it, and the same key read from the findings.
KEYS = {
    "real_name_unverified_publish": (
        "SELECT provider_id, account_id, event_date FROM labels WHERE rule_id = $rule",
        "SELECT provider_id, actor_id, event_date FROM findings WHERE rule_id = $rule",
    ),
    "real_name_invalid_verification": (
        "SELECT DISTINCT provider_id, account_id FROM labels WHERE rule_id = $rule",
        "SELECT DISTINCT provider_id, actor_id FROM findings WHERE rule_id = $rule",
    ),
    "real_name_shared_identity": (
        "SELECT DISTINCT provider_id, account_ids FROM labels WHERE rule_id = $rule",
        # the accounts behind a finding: its evidence rows, joined back through finding_evidence
        "SELECT DISTINCT provider_id, list_sort(list(account_id)) FROM finding_evidence "
        "WHERE rule_id = $rule GROUP BY finding_id, provider_id",
    ),
}


@pytest.fixture(scope="module", params=SEEDS)
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Lake]:
    from auditpipe.generate import generate
    from auditpipe.ingest import IngestSettings, ingest_paths

    root = tmp_path_factory.mktemp(f"real_name_{request.param}")
    logs = root / "logs"
    generate(logs, rows=ROWS, seed=request.param, days=4)
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [logs], IngestSettings())
    run_detect(lake, DetectSettings(broker_watchlist=logs / "_expected" / "brokers.txt"))
    return logs, lake


def lake_connection(lake: Lake, logs: Path) -> Any:
    """DuckDB with the lake's views and the generator's real-name labels as ``labels``."""
    import duckdb

    from auditpipe.db import quote_literal
    from auditpipe.lake.views import create_views

    con = duckdb.connect()
    create_views(con, lake.root)
    labels = logs / "_expected" / "real_name_labels.parquet"
    con.execute(f"CREATE VIEW labels AS SELECT * FROM read_parquet({quote_literal(str(labels))})")
    return con


def keys(con: Any, sql: str, rule: str) -> set[tuple[object, ...]]:
    return {
        tuple(tuple(v) if isinstance(v, list) else v for v in row)
        for row in con.execute(sql, {"rule": rule}).fetchall()
    }


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(KEYS))
def test_precision_and_recall_are_one_for_each_real_name_rule(
    corpus: tuple[Path, Lake], rule: str
) -> None:
    logs, lake = corpus
    con = lake_connection(lake, logs)
    expected_sql, found_sql = KEYS[rule]
    expected, found = keys(con, expected_sql, rule), keys(con, found_sql, rule)
    assert expected, f"the corpus plants no {rule} case"
    hits = expected & found
    precision = len(hits) / len(found) if found else 0.0
    recall = len(hits) / len(expected)
    assert (precision, recall) == (1.0, 1.0), (
        f"{rule}: precision {precision:.4f}, recall {recall:.4f}; "
        f"unexpected {sorted(found - expected, key=str)[:5]}, "
        f"missed {sorted(expected - found, key=str)[:5]}"
    )


@pytest.mark.slow
def test_the_report_counts_exactly_the_labelled_unknown_accounts(
    corpus: tuple[Path, Lake],
) -> None:
    logs, lake = corpus
    con = lake_connection(lake, logs)
    expected = dict(
        con.execute(
            "SELECT provider_id, count(DISTINCT account_id) FROM labels "
            "WHERE rule_id = 'real_name_unknown_account' GROUP BY 1"
        ).fetchall()
    )
    assert expected, "the corpus plants no unknown account"
    report = build_report(lake, config=Config())
    found = {s.provider_id: s.unknown_accounts for s in report.real_name if s.unknown_accounts}
    assert found == expected
    # and no real-name finding names an access provider
    iasp = {s.provider_id for s in report.real_name if not s.applies}
    assert iasp and not {f.provider_id for f in report.findings if f.category == "real_name"} & iasp
