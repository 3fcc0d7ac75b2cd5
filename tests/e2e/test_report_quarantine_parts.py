"""The quarantined rows a report counts add up from its parts: the per-provider column plus the
rows whose provider could not be read equal the total the report states, in every format."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from auditpipe.config import Config
from auditpipe.generate import generate
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root = tmp_path_factory.mktemp("quarantine-parts")
    generate(root / "logs", rows=1500, seed=5, bad_share=0.05, providers=3, days=2)
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [root / "logs"], IngestSettings())
    return lake


def test_the_parts_add_up_to_the_total(lake: Lake) -> None:
    doc = json.loads(render_report(build_report(lake, config=Config()), "json"))
    cov = doc["coverage"]
    unread = cov["quarantined_rows_no_provider"]
    assert unread > 0  # the generator writes rows whose provider cannot be read
    assert sum(p["quarantined_rows"] for p in doc["providers"]) + unread == cov["quarantined_rows"]
    # and independently, over the lake's files
    ((q,),) = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{lake.root}/quarantine/part-*.parquet') "
        f"WHERE provider_id IS NULL AND source_sha256 IN (SELECT source_sha256 FROM "
        f"read_parquet('{lake.root}/events/*/*/part-*.parquet'))"
    ).fetchall()
    assert q == unread


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html"])
def test_every_human_format_names_the_rows_without_a_provider(lake: Lake, fmt: str) -> None:
    report = build_report(lake, config=Config())
    text = " ".join(render_report(report, fmt, width=100).split())
    unread = report.coverage.quarantined_rows_no_provider
    assert re.search(rf"\b{unread:,} of them with no readable provider", text), fmt
