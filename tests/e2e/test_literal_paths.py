"""Every path auditpipe hands to DuckDB is literal: a lake at ``lake[1]`` never reads ``lake1``.

The class: whatever ``[``, ``]``, ``*``, ``?``, ``{`` or ``}`` a lake's folder name holds, every
command reads that lake and only it (the rule itself, for any name, is a property test in
``tests/unit/test_db.py``). The tests put a sibling lake that the name, read as a
pattern, would match beside it, and compare each command's answer with the same lake under a
plain name.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from auditpipe.compact import CompactSettings, compact_lake, list_partitions
from auditpipe.db import connect
from auditpipe.detect import DetectSettings, run_detect
from auditpipe.lake import Lake
from auditpipe.status import lake_status
from tests.support.cli import run_main
from tests.support.detect_lakes import DAY, at, event, make_lake, read_findings, write_events

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}

# (the lake's name, a sibling's name that the first one matches when read as a pattern)
NAMES = [
    ("lake[1]", "lake1"),
    ("lake*", "lakeX"),
    ("lake?", "lakeY"),
    ("l[!x]ke", "lake"),
    ("la]ke{a,b}", "la]kea"),  # ], { and } are not special to DuckDB: read as they are
]


# -- every command, on a lake whose name is a pattern ---------------------------------------
def _lakes(tmp_path: Path, name: str, sibling: str) -> tuple[Lake, Lake]:
    """(the lake called ``name``, the same lake under a plain name). ``sibling`` beside them
    holds the same files under the same names, with other event ids: a pattern read of any
    path of the first lake would pick up the sibling's file instead or as well."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    plain = make_lake(tmp_path / "plain")
    old_day = DAY - dt.timedelta(days=30)
    write_events(plain, [event(event_id="t1", **SALE, amount=10)])
    write_events(plain, [event(event_id="t2", event_time=at(old_day))])
    write_events(plain, [event(event_id="t3", event_time=at(old_day, hour=11))])
    shutil.copytree(plain.root, tmp_path / name)
    shutil.copytree(plain.root, tmp_path / sibling)
    for path in (tmp_path / sibling / "events").rglob("*.parquet"):
        table = pq.read_table(path, partitioning=None)
        ids = pc.binary_join_element_wise("s-", table["event_id"], "")
        pq.write_table(table.set_column(0, "event_id", ids), path)
    return Lake.open(tmp_path / name), plain


def _sql(lake: Lake, capsys: pytest.CaptureFixture[str], query: str) -> object:
    code, out, err = run_main(["sql", "--lake", str(lake.root), "--format", "json", query], capsys)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "sibling"), NAMES)
def test_every_command_reads_the_named_lake_and_only_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, sibling: str
) -> None:
    lake, plain = _lakes(tmp_path, name, sibling)
    ids = "SELECT list(event_id ORDER BY event_id) AS ids FROM events"
    assert _sql(lake, capsys, ids) == [{"ids": ["t1", "t2", "t3"]}]

    code, views, _ = run_main(["sql", "--lake", str(lake.root), "--print-views"], capsys)
    assert code == 0
    with connect(timezone="UTC") as outside:  # what a DuckDB CLI or notebook would run
        outside.execute(views)
        assert outside.query(ids) == [(["t1", "t2", "t3"],)]

    assert lake_status(lake).events == lake_status(plain).events == 3

    for each in (lake, plain):
        run_detect(each, DetectSettings())
    strip = ("detected_at",)
    found = [{k: v for k, v in f.items() if k not in strip} for f in read_findings(lake)]
    expected = [{k: v for k, v in f.items() if k not in strip} for f in read_findings(plain)]
    assert found == expected and len(found) == 1
    evidence = "SELECT list(event_id) AS ids FROM finding_evidence"
    assert _sql(lake, capsys, evidence) == [{"ids": ["t1"]}]

    code, report, err = run_main(
        ["report", "--lake", str(lake.root), "--format", "json", "--unmask"], capsys
    )
    assert code == 0, err
    code, plain_report, _ = run_main(
        ["report", "--lake", str(plain.root), "--format", "json", "--unmask"], capsys
    )
    assert json.loads(report)["totals"] == json.loads(plain_report)["totals"]

    result = compact_lake(lake, CompactSettings(today=DAY))
    assert result.partitions_compacted == 1 and result.rows_compacted == 2
    assert [len(p.files) for p in list_partitions(lake)] == [1, 1]
    assert _sql(lake, capsys, ids) == [{"ids": ["t1", "t2", "t3"]}]
    sibling_ids = [{"ids": ["s-t1", "s-t2", "s-t3"]}]
    assert _sql(Lake.open(tmp_path / sibling), capsys, ids) == sibling_ids  # untouched
