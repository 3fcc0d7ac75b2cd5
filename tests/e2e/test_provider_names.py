"""Provider ids that hive readers take for something else keep their name everywhere.

``__HIVE_DEFAULT_PARTITION__`` is the folder name hive readers use for NULL; DuckDB escapes a
real provider spelled so (``%5F_HIVE...``), but Arrow and Polars still read that as NULL. The
class: whatever a provider is called, ``sql``, ``finding_evidence``, ``scan``, the printed views
and the report give it back unchanged.
"""

from __future__ import annotations

import json

import pytest

import auditpipe
from auditpipe.db import connect
from auditpipe.detect import DetectSettings, run_detect
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from tests.support.cli import run_main
from tests.support.nightly import breach, write_log

NAMES = [
    "__HIVE_DEFAULT_PARTITION__",
    "__hive_default_partition__",
    "%5F_HIVE_DEFAULT_PARTITION__",
    "null",
    "NULL",
    "a=b/c",
    "p*[1]?",
    "x[/]y",  # console markup: stopped status, the nightly summary and the terminal report
    "[red]z",  # and was shown as "z"
]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root = tmp_path_factory.mktemp("providers")
    log = write_log(
        root / "in.jsonl",
        [breach(f"e{i}", provider_id=name) for i, name in enumerate(NAMES)],
    )
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [log], IngestSettings())
    run_detect(lake, DetectSettings())
    return lake


def _sql(lake: Lake, capsys: pytest.CaptureFixture[str], query: str) -> list[str]:
    code, out, err = run_main(["sql", "--lake", str(lake.root), "--format", "json", query], capsys)
    assert code == 0, err
    return sorted(row["p"] for row in json.loads(out))


@pytest.mark.parametrize("view", ["events", "findings", "finding_evidence"])
def test_sql_gives_every_provider_back_by_name(
    lake: Lake, capsys: pytest.CaptureFixture[str], view: str
) -> None:
    assert _sql(lake, capsys, f"SELECT DISTINCT provider_id AS p FROM {view}") == sorted(NAMES)


def test_a_filter_on_such_a_name_finds_its_rows(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT event_id AS p FROM events WHERE provider_id = '__HIVE_DEFAULT_PARTITION__'"
    assert _sql(lake, capsys, query) == ["e0"]


@pytest.mark.parametrize("table", ["events", "findings", "finding_evidence"])
def test_scan_gives_every_provider_back_by_name(lake: Lake, table: str) -> None:
    frame = auditpipe.scan(lake, table).select("provider_id").unique().collect()
    assert sorted(frame["provider_id"].to_list()) == sorted(NAMES)


def test_the_printed_views_give_every_provider_back_by_name(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, views, _ = run_main(["sql", "--lake", str(lake.root), "--print-views"], capsys)
    assert code == 0
    with connect(timezone="UTC") as outside:
        outside.execute(views)
        rows = outside.query("SELECT DISTINCT provider_id FROM finding_evidence")
    assert sorted(r[0] for r in rows) == sorted(NAMES)


def test_the_report_lists_every_provider_by_name(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        ["report", "--lake", str(lake.root), "--format", "json", "--unmask"], capsys
    )
    assert code == 0, err
    report = json.loads(out)
    assert sorted(report["coverage"]["providers"]) == sorted(NAMES)
    assert sorted(f["provider_id"] for f in report["findings"]) == sorted(NAMES)


@pytest.mark.parametrize(
    "command", [["status"], ["report", "--format", "terminal", "--unmask"], ["findings", "list"]]
)
def test_the_terminal_commands_print_every_provider_by_name(
    lake: Lake,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    # Their tables read cells as rich markup: "x[/]y" stopped them with an internal error.
    from auditpipe.console import Console

    monkeypatch.setattr(Console, "stdout_is_terminal", property(lambda self: True))
    code, out, err = run_main([*command, "--lake", str(lake.root)], capsys)
    assert code == 0, err
    assert "x[/]y" in out and "[red]z" in out


def test_the_nightly_summary_prints_every_provider_by_name(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.nightly import nightly_args

    root = tmp_path_factory.mktemp("nightly-providers")
    write_log(root / "inbox" / "in.jsonl", [breach("e1", provider_id="x[/]y")])
    code, out, err = run_main(
        nightly_args(root / "inbox", root / "lake", "--fail-on", "none"), capsys
    )
    assert code == 0, err
    assert "x[/]y" in out


def _contract_read_examples() -> tuple[str, str]:
    """The DuckDB and Polars code blocks that docs/contract.md gives for reading events."""
    import re
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "contract.md").read_text()
    section = page[page.index("### Events") : page.index("### Quarantine")]
    duck = re.search(r"```sql\n(.*?)```", section, re.S)
    polars = re.search(r"```python\n(.*?)```", section, re.S)
    assert duck and polars
    return duck.group(1), polars.group(1)


def test_the_contract_pages_read_examples_keep_ids_that_look_like_numbers(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Copied from the docs and pointed at a lake whose providers look like numbers, the
    examples give the ids back as text ("007", not 7), as auditpipe's own views do."""
    import os

    import duckdb
    import polars as pl

    root = tmp_path_factory.mktemp("numeric_ids")
    names = ["007", "123"]
    log = write_log(
        root / "in.jsonl", [breach(f"n{i}", provider_id=p) for i, p in enumerate(names)]
    )
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [log], IngestSettings())
    duck, polars = _contract_read_examples()
    cwd = os.getcwd()
    os.chdir(root)  # the examples name the lake "lake"
    try:
        rows = duckdb.sql(duck.strip().rstrip(";")).select("provider_id").fetchall()
        namespace: dict[str, object] = {}
        exec(polars.replace("pl.scan_parquet(", "frame = pl.scan_parquet(", 1), namespace)
        frame = namespace["frame"]
        assert isinstance(frame, pl.LazyFrame)
        polars_ids = frame.select("provider_id").collect()["provider_id"].to_list()
    finally:
        os.chdir(cwd)
    assert sorted(r[0] for r in rows) == names
    assert sorted(polars_ids) == names


def test_the_contract_pages_pyarrow_example_types_the_partitions(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """docs/contract.md tells pyarrow.dataset users how to read events too: provider ids that
    look like numbers stay text, event_date is a date, and a file that is not the lake's
    (a hidden copy, a ``*.tmp`` left beside the parts) is not read."""
    import os
    import re
    from pathlib import Path

    import pyarrow as pa

    page = (Path(__file__).parents[2] / "docs" / "contract.md").read_text()
    section = page[page.index("### Events") : page.index("### Quarantine")]
    examples = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if "ds.dataset(" in b]
    assert len(examples) == 1, "no pyarrow.dataset example in the Events section"
    root = tmp_path_factory.mktemp("pyarrow_ids")
    names = ["007", "123"]
    log = write_log(
        root / "in.jsonl", [breach(f"n{i}", provider_id=p) for i, p in enumerate(names)]
    )
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [log], IngestSettings())
    day = next((root / "lake" / "events" / "provider_id=007").iterdir())
    (day / "part-x.parquet.tmp").write_bytes(b"not parquet")
    (day / "._part-x.parquet").write_bytes(b"not parquet")
    cwd = os.getcwd()
    os.chdir(root)  # the example names the lake "lake"
    try:
        namespace: dict[str, object] = {}
        exec(examples[0], namespace)  # noqa: S102 - the docs' own code
        table = namespace["events"].to_table()  # type: ignore[attr-defined]
    finally:
        os.chdir(cwd)
    assert table.schema.field("provider_id").type == pa.string()
    assert table.schema.field("event_date").type == pa.date32()
    assert sorted(table.column("provider_id").to_pylist()) == names
