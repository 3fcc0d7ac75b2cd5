"""Rules that break the locality contract: refused by a partitioned engine, named by
``auditpipe rules check``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditpipe.detect import DetectSettings, RuleError, run_detect
from auditpipe.engines.duckdb import DuckDBEngine
from tests.support.cli import run_main
from tests.support.detect_lakes import event, make_lake, write_events

CROSS_DAY = """-- id: cross_day
-- title: An actor seen on another day too
-- category: disclosure
-- severity: low
-- description: d
-- clause: c
SELECT a.* FROM in_scope_events a JOIN events b ON a.actor_id = b.actor_id
"""


@pytest.fixture
def cross_day_rules(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "cross_day.sql").write_text(CROSS_DAY, encoding="utf-8")
    yield folder


class PartitionedStub(DuckDBEngine):
    """Any engine that runs partitions alone must get only local rules."""

    partitioned = True


def test_a_partitioned_engine_refuses_a_rule_breaking_the_contract(
    tmp_path: Path, cross_day_rules: Path
) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(authorization_ref=None, purpose=None)])
    with pytest.raises(RuleError, match="cross_day .* is not local.*without equal provider_id"):
        run_detect(lake, DetectSettings(), rule_dirs=[cross_day_rules], engine=PartitionedStub())
    assert not list(lake.findings_dir.glob("*/*/*.parquet"))
    # the in-process engine evaluates all days together and still runs it
    assert run_detect(lake, DetectSettings(), rule_dirs=[cross_day_rules]).findings_total


def test_rules_check_exits_1_naming_the_rule_and_0_when_all_pass(
    cross_day_rules: Path, capsys: Any
) -> None:
    code, out, err = run_main(["rules", "check", "--rules", str(cross_day_rules)], capsys)
    assert code == 1
    assert "cross_day" in out and "NOT LOCAL" in out and "selling (built-in): ok" in out
    assert "1 would differ on the spark engine" in err
    code, out, _ = run_main(["rules", "check"], capsys)
    assert code == 0 and "NOT LOCAL" not in out
