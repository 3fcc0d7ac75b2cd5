"""The engine choice through the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from auditpipe.engines import EngineSettings, open_engine
from tests.support.cli import run_main
from tests.support.ingest import good, write_jsonl


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
    # one event is enough: the engine is chosen before any rule runs
    log = write_jsonl(tmp_path / "a.jsonl", [good()])
    assert run_main(["ingest", str(log), "--lake", str(lake), "--quiet"], capsys)[0] == 0
    code, _, err = run_main(["detect", "--lake", str(lake), "--engine", "spark"], capsys)
    assert code == 2
    assert "Error: the spark engine needs pyspark" in err and "auditpipe[spark]" in err
