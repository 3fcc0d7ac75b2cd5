"""The engine choice through the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from auditpipe.engines import EngineSettings, open_engine
from tests.support.cli import run_main


def test_spark_without_pyspark_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with (
        pytest.raises(Exception, match="needs pyspark"),
        open_engine(EngineSettings(name="spark")),
    ):
        pass
    lake = tmp_path / "lake"
    sample = Path(__file__).resolve().parents[2] / "sample_data"
    run_main(["ingest", str(sample), "--lake", str(lake), "--quiet"], capsys)
    code, _, err = run_main(["detect", "--lake", str(lake), "--engine", "spark"], capsys)
    assert code == 2
    assert "Error: the spark engine needs pyspark" in err and "auditpipe[spark]" in err
