"""Database audit logs on Spark: the sample's real pgaudit and server_audit logs
(``sample_data/_sources/``), ingested with their source settings by each engine, give the same
lake (events, quarantine), and detect on each gives the same findings. Their events carry what
only sources write (``extras.unbounded`` for whole-table reads, statement-level actors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from auditpipe.sources import load_settings
from tests.support.spark_lakes import table_difference

SOURCES = Path(__file__).resolve().parents[3] / "sample_data" / "_sources"
LOGS = [("pgaudit", "postgresql.log"), ("server_audit", "server_audit.log")]


def _ingest_sources(root: Path, engine: Any = None) -> Lake:
    lake = Lake.open(root, create=True)
    for source, log in LOGS:
        settings = load_settings(SOURCES / source / "source.toml")
        result = ingest_paths(
            lake, [SOURCES / source / log], IngestSettings(), source=settings, engine=engine
        )
        assert result.files and all(f.status == "ingested" for f in result.files)
    return lake


def test_database_audit_logs_ingest_and_detect_the_same_on_spark(
    tmp_path: Path, spark_engine: Any
) -> None:
    local = _ingest_sources(tmp_path / "duckdb")
    spark = _ingest_sources(tmp_path / "spark", spark_engine)
    # what differs between two runs by nature: the run's id and time
    total, only_local, only_spark = table_difference(
        local.root, spark.root, "events", {"ingest_run_id", "ingested_at"}
    )
    assert total > 0 and (only_local, only_spark) == (0, 0)
    ((unbounded,),) = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{local.root}/events/**/*.parquet') "
        "WHERE json_extract_string(extras, '$.unbounded') = 'true'"
    ).fetchall()
    assert unbounded > 0  # the lake holds what only sources write
    expected = run_detect(local, DetectSettings())
    got = run_detect(spark, DetectSettings(), engine=spark_engine)
    total, only_local, only_spark = table_difference(
        local.root, spark.root, "findings", {"detected_at"}
    )
    assert total > 0 and (only_local, only_spark) == (0, 0)
    assert {k: v for k, v in got.to_dict().items() if k != "files_written"} == {
        k: v for k, v in expected.to_dict().items() if k != "files_written"
    }
    assert expected.findings_total == total
    assert sum(expected.by_category["illegal_use"].values()) > 0  # bulk reads among them
