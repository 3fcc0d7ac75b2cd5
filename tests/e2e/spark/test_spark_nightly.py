"""The nightly job on Spark (ingest and detect) leaves the lake the DuckDB engine leaves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from auditpipe.lake import Lake
from tests.support import REPO
from tests.support.cli import run_main
from tests.support.spark_lakes import table_difference

IGNORED = {"ingest_run_id", "ingested_at", "detected_at"}


def test_a_spark_night_equals_a_duckdb_night(
    tmp_path: Path, spark_engine: Any, capsys: Any
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(REPO / "sample_data", inbox)
    summaries = {}
    for engine in ("duckdb", "spark"):
        if engine == "spark":
            # the same identity key as the first lake: identity hashes (and so the ids of
            # shared-identity findings) are keyed per lake, by design
            key = tmp_path / "duckdb" / "_auditpipe" / "identity.key"
            Lake.open(tmp_path / "spark", create=True)
            shutil.copy2(key, tmp_path / "spark" / "_auditpipe" / "identity.key")
        code, out, err = run_main(
            ["nightly", "--inbox", str(inbox), "--lake", str(tmp_path / engine)]
            + ["--settle-seconds", "0", "--fail-on", "none", "--json", "--engine", engine],
            capsys,
        )
        assert code == 3, err  # the sample holds quarantined rows
        summaries[engine] = json.loads(out)
    local, spark = tmp_path / "duckdb", tmp_path / "spark"
    for table in ("events", "quarantine", "findings"):
        total, only_local, only_spark = table_difference(local, spark, table, IGNORED)
        assert total > 0 and (only_local, only_spark) == (0, 0), table
    for key in ("exposure", "days_evaluated", "rows", "findings"):
        assert summaries["spark"][key] == summaries["duckdb"][key], key
    files = {
        engine: [(f["path"], f["status"], f["rows_stored"]) for f in doc["files"]["list"]]
        for engine, doc in summaries.items()
    }
    # 12 event logs and 6 account snapshots
    assert files["spark"] == files["duckdb"] and len(files["spark"]) == 18
