"""Ingest says which data field names it could not classify: per file, the most frequent
unknown names with their event counts, in the summary, ``ingest --json`` and the manifest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import auditpipe
from auditpipe.contract import load_catalog
from auditpipe.errors import ConfigError
from auditpipe.ingest import IngestSettings
from auditpipe.ingest.unclassified import UnclassifiedTally
from auditpipe.lake.layout import manifest_files
from tests.support.cli import run_main
from tests.support.ingest import good, ingest, write_jsonl


def rows_with_unknown_fields() -> list[object]:
    rows: list[object] = []
    rows += [good(event_id=f"n{i}", data_fields=["nickname", "phone"]) for i in range(5)]
    rows += [good(event_id=f"a{i}", data_fields="avatar_url;Avatar-URL;sfzh") for i in range(3)]
    rows += [good(event_id="w1", data_fields=["wechat_id"])]
    rows += [good(event_id="bad", action="teleport", data_fields=["never_counted"])]
    return rows


def test_summary_json_and_manifest_list_unknown_names_by_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_jsonl(tmp_path / "in" / "forum-a.jsonl", rows_with_unknown_fields())
    lake = tmp_path / "lake"
    code, out, err = run_main(["ingest", "--lake", str(lake), "--json", str(log)], capsys)
    assert code == 3  # the bad row is quarantined
    expected = [
        {"name": "nickname", "events": 5},
        {"name": "avatar_url", "events": 3},  # named twice in an event: counted once
        {"name": "wechat_id", "events": 1},
    ]
    (entry,) = json.loads(out)["files"]
    assert entry["unclassified_fields"] == expected and entry["unclassified_field_names"] == 3
    (manifest,) = manifest_files(lake)
    stored = json.loads(manifest.read_text())
    assert stored["unclassified_fields"] == expected
    con = auditpipe.connect(lake)
    assert con.sql("SELECT unclassified_fields FROM ingest_log").fetchall() == [(expected,)]
    code, _, err = run_main(["ingest", "--lake", str(tmp_path / "lake2"), str(log)], capsys)
    assert "3 unknown data field names (events): nickname (5), avatar_url (3), wechat_id (1)" in err
    assert "never count as login or identity data" in err


def test_top_n_is_a_setting(tmp_path: Path) -> None:
    rows = [good(event_id=f"e{i}", data_fields=[f"field_{i % 4}"] * (i % 4 + 1)) for i in range(40)]
    log = write_jsonl(tmp_path / "f.jsonl", rows)
    (result,) = ingest(tmp_path / "lake", log, unclassified_top=2).files
    assert result.unclassified_fields == [("field_0", 10), ("field_1", 10)]
    assert result.unclassified_field_names == 4
    with pytest.raises(ConfigError, match="unclassified_top"):
        IngestSettings(unclassified_top=-1)


def test_a_file_of_known_fields_reports_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_jsonl(
        tmp_path / "f.jsonl", [good(data_fields=["身份证号", "ＳＦＺＨ", "password"])]
    )
    code, _, err = run_main(["ingest", "--lake", str(tmp_path / "lake"), str(log)], capsys)
    assert code == 0 and "unknown data field" not in err


def test_ingest_log_binds_over_manifests_written_before_the_field(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "f.jsonl", [good(data_fields=["nickname"])])
    lake = tmp_path / "lake"
    ingest(lake, log)
    for path in manifest_files(lake):  # as an older auditpipe wrote it
        entry = json.loads(path.read_text())
        del entry["unclassified_fields"], entry["unclassified_field_names"]
        path.write_text(json.dumps(entry))
    con = auditpipe.connect(lake)
    row = con.sql("SELECT unclassified_fields, unclassified_field_names, status FROM ingest_log")
    assert row.fetchall() == [(None, None, "ingested")]
    types = {name: typ for name, typ, *_ in con.sql("DESCRIBE ingest_log").fetchall()}
    assert types["unclassified_fields"] == 'STRUCT("name" VARCHAR, events BIGINT)[]'


def test_ingest_log_types_the_field_when_every_list_is_empty(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "f.jsonl", [good(data_fields=["phone"])])
    lake = tmp_path / "lake"
    ingest(lake, log)
    con = auditpipe.connect(lake)
    assert con.sql("SELECT len(unclassified_fields) FROM ingest_log").fetchall() == [(0,)]


NAMES = st.sampled_from(["phone", "password", "sfzh", "nickname", "x1", "x2", "x3"])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.lists(NAMES, max_size=5)), st.booleans()), max_size=30
    ),
    st.integers(1, 3),
)
def test_tally_counts_the_events_naming_each_unknown_field(
    rows: list[tuple[list[str] | None, bool]], batches: int
) -> None:
    catalog = load_catalog()
    known = {e.name for e in catalog.entries}
    tally = UnclassifiedTally.for_catalog(catalog)
    table = pa.table(
        {
            "reason": [None if ok else "bad" for _, ok in rows],
            "data_fields": pa.array([f for f, _ in rows], pa.list_(pa.string())),
        }
    )
    size = max(1, len(rows) // batches)
    for start in range(0, len(rows), size):
        tally.add(table.slice(start, size))
    expected: Counter[str] = Counter()
    for fields, ok in rows:
        if ok and fields:
            expected.update({f for f in fields if f not in known})
    assert tally.counts == expected
    assert tally.top(2) == sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
