"""auditpipe generate: determinism, counts that match the summary, every malformed kind, every
planted case, readable formats, and an ingest of a generated set that reconciles with it."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditpipe.contract import normalize_name
from auditpipe.db import quote_literal
from auditpipe.errors import UsageError
from auditpipe.generate import FORMATS, generate
from auditpipe.generate.formats import BAD_KINDS
from auditpipe.generate.planted import CASES, INSTANCES, NEAR_MISS, build_planted
from auditpipe.generate.providers import make_providers
from tests.support import REPO

ALL_FORMATS = tuple(FORMATS)


def read_bytes(path: Path) -> bytes:
    """A generated file's decompressed bytes (text formats)."""
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        return gzip.decompress(raw)
    if path.name.endswith(".zst"):
        with pa.CompressedInputStream(pa.BufferReader(raw), "zstd") as stream:
            return stream.read()
    return raw


def data_lines(path: Path) -> list[bytes]:
    """Physical data lines: no CSV header, no trailing empty line."""
    lines = read_bytes(path).split(b"\n")
    assert lines[-1] == b"", f"{path.name} does not end with a newline"
    lines = lines[:-1]
    return lines[1:] if ".csv" in path.name else lines


def csv_header(path: Path) -> list[str]:
    first = read_bytes(path).split(b"\n", 1)[0].decode()
    return [normalize_name(h) for h in next(csv.reader([first]))]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One set in every format, with enough malformed rows for every kind in every family."""
    out = tmp_path_factory.mktemp("gen") / "logs"
    result = generate(
        out, rows=6000, seed=11, bad_share=0.03, formats=ALL_FORMATS, providers=4, days=3
    )
    return out, result


@pytest.fixture(scope="module")
def summary(corpus: tuple[Path, Any]) -> dict[str, Any]:
    out, _ = corpus
    return dict(json.loads((out / "_expected" / "summary.json").read_text()))


# -- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_in_every_format(
    corpus: tuple[Path, Any], tmp_path: Path
) -> None:
    first, _ = corpus
    again = tmp_path / "again"
    generate(again, rows=6000, seed=11, bad_share=0.03, formats=ALL_FORMATS, providers=4, days=3)
    assert tree_hashes(again) == tree_hashes(first)


def test_another_seed_gives_other_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, rows=800, seed=1, formats=("jsonl", "csv.gz"), plant=False)
    generate(b, rows=800, seed=2, formats=("jsonl", "csv.gz"), plant=False)
    ha, hb = tree_hashes(a), tree_hashes(b)
    assert ha.keys() == hb.keys()
    data_files = [name for name in ha if not name.startswith("_expected/")]
    snapshots = [name for name in data_files if ".accounts." in name]
    assert len(data_files) == 2 * 4 + len(snapshots)
    assert len(snapshots) == 3 * 2  # three iisp providers, two snapshot dates
    assert all(ha[name] != hb[name] for name in data_files)


# -- the summary is what the files hold ----------------------------------------------------


def test_summary_rows_match_the_lines_and_rows_in_each_file(
    corpus: tuple[Path, Any], summary: dict[str, Any]
) -> None:
    out, result = corpus
    assert len(summary["files"]) == 4 * len(ALL_FORMATS)
    for entry in summary["files"]:
        path = out / entry["name"]
        if entry["format"] == "parquet":
            assert pq.read_metadata(path).num_rows == entry["rows"]
        else:
            assert len(data_lines(path)) == entry["rows"], entry["name"]
        assert sum(entry["bad_by_kind"].values()) == entry["bad_rows"]
        assert (
            entry["expected_stored"] == entry["rows"] - entry["bad_rows"] - entry["duplicate_rows"]
        )
    totals = summary["totals"]
    assert totals["rows"] == 6000 == result.rows
    assert totals["bad_rows"] == round(6000 * 0.03) == result.bad_rows
    assert totals["duplicate_rows"] == round(6000 * 0.005) == result.duplicate_rows
    assert totals["expected_stored"] == 6000 - totals["bad_rows"] - totals["duplicate_rows"]
    assert sum(p["events"] for p in summary["expected_partitions"]) == totals["expected_stored"]


def test_structurally_broken_rows_are_exactly_the_ones_the_summary_counts(
    corpus: tuple[Path, Any], summary: dict[str, Any]
) -> None:
    """Parse every line with the standard library: lines that are not UTF-8, not JSON, not an
    object, or a CSV row of the wrong width are the summary's structural kinds, no more."""
    out, _ = corpus
    for entry in summary["files"]:
        if entry["format"] == "parquet":
            continue
        kinds = entry["bad_by_kind"]
        path = out / entry["name"]
        found: Counter[str] = Counter()
        width = len(csv_header(path)) if ".csv" in entry["name"] else 0
        for line in data_lines(path):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                found["invalid_utf8"] += 1
                continue
            if width:
                if len(next(csv.reader([text]))) != width:
                    found["csv_column_count"] += 1
                continue
            try:
                value = json.loads(text)
            except ValueError:
                found["malformed_json"] += 1
                continue
            if not isinstance(value, dict):
                found["not_an_object"] += 1
        structural = ("invalid_utf8", "csv_column_count", "malformed_json", "not_an_object")
        assert found == Counter({k: kinds[k] for k in structural if kinds.get(k)}), entry["name"]


def test_every_malformed_kind_is_written_in_a_file_that_can_carry_it(
    summary: dict[str, Any],
) -> None:
    assert set(summary["totals"]["bad_by_kind"]) == set(BAD_KINDS)
    family = {"jsonl": "json", "csv": "csv", "parquet": "parquet"}
    for entry in summary["files"]:
        fam = family[entry["format"].split(".")[0]]
        for kind in entry["bad_by_kind"]:
            assert fam in BAD_KINDS[kind], (entry["name"], kind)


def test_every_malformed_kind_is_present_at_a_small_size(tmp_path: Path) -> None:
    result = generate(tmp_path / "small", rows=1200, seed=5, formats=("jsonl", "csv"))
    assert result.bad_rows == 12
    assert set(result.bad_by_kind) == set(BAD_KINDS)


def test_duplicates_repeat_an_earlier_event_in_name_order(
    corpus: tuple[Path, Any], summary: dict[str, Any]
) -> None:
    """Walking the files in name order, a row repeats an earlier one when its (provider_id,
    event_id) was seen before, or, without an event_id, its exact line was: the count per
    file is the summary's."""
    out, _ = corpus
    seen: set[tuple[str, str]] = set()
    for entry in sorted(summary["files"], key=lambda e: e["name"]):
        if entry["format"] == "parquet":
            rows = pq.read_table(out / entry["name"]).to_pylist()
            records = [{normalize_name(k): v for k, v in r.items()} for r in rows]
            raws = [json.dumps(r, sort_keys=True) for r in rows]
        else:
            records, raws = [], []
            path = out / entry["name"]
            header = csv_header(path) if ".csv" in entry["name"] else None
            for line in data_lines(path):
                try:
                    text = line.decode("utf-8")
                    if header:
                        cells = next(csv.reader([text]))
                        record = dict(zip(header, cells, strict=True))
                    else:
                        record = {normalize_name(k): v for k, v in json.loads(text).items()}
                except (ValueError, AttributeError):  # malformed rows are never duplicates
                    continue
                records.append(record)
                raws.append(text)
        repeats = 0
        for record, raw in zip(records, raws, strict=True):
            event_id = record.get("event_id") or ""
            key = (str(record.get("provider_id")), event_id) if event_id else ("line", raw)
            repeats += key in seen
            seen.add(key)
        assert repeats == entry["duplicate_rows"], entry["name"]
    assert sum(e["duplicate_rows"] for e in summary["files"]) > 0


# -- surface variety the ingest must handle ------------------------------------------------


def test_json_lines_mix_the_forms_the_contract_accepts(corpus: tuple[Path, Any]) -> None:
    out, _ = corpus
    records = []
    for path in sorted(out.glob("*.jsonl")):
        for line in data_lines(path):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                records.append(value)
    keys = Counter(k for r in records for k in r)
    assert {"Actor_Type", "ACTOR_TYPE", " action ", "event-time"} & set(keys)
    assert {"session_ua", "request_id"} <= set(keys)  # extras the ingest must keep
    times = [r.get("event_time") for r in records]
    assert any(isinstance(t, int) and t > 10**11 for t in times)  # epoch milliseconds
    assert any(isinstance(t, int) and t < 10**11 for t in times)  # epoch seconds
    assert any(isinstance(t, str) and t.endswith("+08:00") for t in times)
    assert any(isinstance(t, str) and t.endswith("Z") for t in times)
    assert any(isinstance(t, str) and len(t) == 19 and t[10] == " " for t in times)
    fields = [r.get("data_fields") for r in records]
    assert any(isinstance(f, list) for f in fields)
    for sep in ";,|":
        assert any(isinstance(f, str) and sep in f for f in fields)
    actions = Counter(r.get("action") for r in records)
    assert {"read", "get", "download", "modify", "share"} & set(actions)
    outcomes = {r.get("outcome") for r in records}
    assert outcomes & {"ok", "denied", "allowed", "error"}
    assert any(r.get("purpose") == "" for r in records)  # empty string = absent
    assert any("event_id" not in r or r["event_id"] in ("", None) for r in records)


def test_compressed_and_parquet_files_open_with_standard_readers(
    corpus: tuple[Path, Any], summary: dict[str, Any]
) -> None:
    out, _ = corpus
    for entry in summary["files"]:
        path = out / entry["name"]
        if entry["format"].endswith(".gz"):
            assert gzip.decompress(path.read_bytes())
        elif entry["format"].endswith(".zst"):
            assert read_bytes(path)
        elif entry["format"] == "parquet":
            table = pq.read_table(path)
            assert table.num_rows == entry["rows"]
            assert {normalize_name(n) for n in table.column_names} >= {"event_time", "actor_id"}


def test_csv_files_have_one_header_with_every_contract_field(
    corpus: tuple[Path, Any],
) -> None:
    out, _ = corpus
    for path in out.glob("*.csv*"):
        if ".accounts." in path.name:
            continue  # account snapshots have their own contract (test_realname_generate.py)
        header = csv_header(path)
        assert {"event_time", "provider_id", "actor_id", "action", "data_fields"} <= set(header)
        rows = list(csv.reader(io.StringIO(read_bytes(path).decode("utf-8", "replace"))))
        assert len(rows) - 1 == len(data_lines(path))  # no value spans lines


# -- labels --------------------------------------------------------------------------------


def test_labels_have_the_contract_columns(corpus: tuple[Path, Any]) -> None:
    out, _ = corpus
    schema = pq.read_schema(out / "_expected" / "labels.parquet")
    assert [(f.name, str(f.type)) for f in schema] == [
        ("rule_id", "large_string"),
        ("category", "large_string"),
        ("provider_id", "large_string"),
        ("actor_id", "large_string"),
        ("event_date", "date32[day]"),
        ("destination_party", "large_string"),
        ("planted_case", "large_string"),
    ]


def test_every_breach_case_is_labelled_on_every_instance_and_no_near_miss_is(
    corpus: tuple[Path, Any],
) -> None:
    out, _ = corpus
    labels = pl.read_parquet(out / "_expected" / "labels.parquet")
    per_case = dict(labels.group_by("planted_case").len().iter_rows())
    for case in CASES:
        if case.kind == NEAR_MISS:
            assert case.name not in per_case, f"near-miss {case.name} was labelled"
        else:
            assert per_case.get(case.name) == INSTANCES * len(case.expect), case.name
    assert set(labels["category"]) == {"selling", "disclosure", "modification", "illegal_use"}
    assert set(labels["rule_id"]) == {
        "selling",
        "disclosure",
        "modification",
        "illegal_use_unauthorized",
        "illegal_use_credential",
        "illegal_use_bulk",
    }
    assert labels.select(["rule_id", "provider_id", "actor_id", "event_date",
                          "destination_party"]).is_unique().all()  # fmt: skip


def test_the_near_misses_the_rules_name_are_all_planted() -> None:
    names = {c.name for c in CASES if c.kind == NEAR_MISS}
    assert {
        "near_self_access_subject",
        "near_self_access_same_id",
        "near_authorized_transfer",
        "near_service_credential_view",
        "near_service_bulk_export",
        "near_failed_sale",
        "near_unprotected_sale",
        "near_bulk_just_under",
        "near_bulk_timezone_split",
    } <= names
    assert "disclosure_authorized_public" in {c.name for c in CASES if c.kind != NEAR_MISS}


def test_timezone_split_case_is_one_utc_day_but_two_local_days() -> None:
    import numpy as np

    planted = build_planted(np.random.default_rng(0), make_providers(2), dt.date(2026, 3, 1), 3)
    split = planted.events.filter(pl.col("planted_case") == "near_bulk_timezone_split")
    assert split.height == 2 * INSTANCES
    times = split.select(
        actor=pl.col("actor_id"),
        records=pl.col("record_count"),
        utc=pl.from_epoch("time_s").dt.date(),
        local=pl.from_epoch("time_s").dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Asia/Shanghai").dt.date(),
    )  # fmt: skip
    for _, events in times.group_by("actor"):
        assert events["utc"].n_unique() == 1
        assert events["local"].n_unique() == 2
        assert events["records"].to_list() == [600, 600]


def test_background_traffic_alone_fires_nothing(tmp_path: Path) -> None:
    result = generate(tmp_path / "bg", rows=30_000, seed=3, formats=("jsonl",), plant=False)
    assert result.labels == 0
    assert pl.read_parquet(result.labels_path).height == 0


def test_malformed_and_resent_rows_do_not_change_the_labels(tmp_path: Path) -> None:
    clean = generate(tmp_path / "a", rows=4000, seed=9, bad_share=0.0, duplicate_share=0.0)
    noisy = generate(tmp_path / "b", rows=4000, seed=9, bad_share=0.2, duplicate_share=0.05)
    assert noisy.bad_rows == 800 and noisy.duplicate_rows == 200
    assert clean.labels > 0
    assert pl.read_parquet(clean.labels_path).equals(pl.read_parquet(noisy.labels_path))


# -- the output folder and arguments -------------------------------------------------------


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        generate(tmp_path, rows=500, seed=1, plant=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_replaces_an_earlier_set_only(tmp_path: Path) -> None:
    out = tmp_path / "logs"
    generate(out, rows=500, seed=1, providers=2, plant=False)
    generate(out, rows=500, seed=2, providers=1, plant=False, overwrite=True)
    summary = json.loads((out / "_expected" / "summary.json").read_text())
    names = {p.name for p in out.iterdir() if p.name != "_expected"}
    listed = summary["files"] + summary["account_snapshots"]
    assert names == {f["name"] for f in listed}
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        generate(out, rows=500, seed=3, plant=False, overwrite=True)


def test_too_few_rows_for_the_planted_cases_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="too small") as err:
        generate(tmp_path / "x", rows=50, seed=1)
    assert err.value.hint and "--no-plant" in err.value.hint
    assert not (tmp_path / "x").exists()


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown format xml"):
        generate(tmp_path / "x", rows=500, seed=1, formats=("jsonl", "xml"))


# -- command line --------------------------------------------------------------------------


def test_cli_writes_the_set_and_prints_one_line_per_file(tmp_path: Path) -> None:
    from auditpipe.cli import cli

    out = tmp_path / "logs"
    args = ["generate", "--rows", "700", "--seed", "4", "--out", str(out), "--no-plant",
            "--formats", "jsonl,csv.zst", "--providers", "2"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines[0][:3] == ["file", "format", "rows"]
    logs = sorted(p.name for p in out.glob("*.*") if ".accounts." not in p.name)
    assert [line[0] for line in lines[1:-1]] == logs
    assert lines[-1][0] == "total" and lines[-1][2] == "700"


def test_cli_help_has_an_example() -> None:
    from auditpipe.cli import cli

    result = CliRunner().invoke(cli, ["generate", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "auditpipe generate --rows" in result.output


def test_cli_json_prints_the_summary(tmp_path: Path) -> None:
    from auditpipe.cli import cli

    out = tmp_path / "logs"
    result = CliRunner().invoke(
        cli, ["generate", "--rows", "600", "--out", str(out), "--no-plant", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["rows"] == 600


# -- the committed sample data -------------------------------------------------------------


@pytest.mark.slow
def test_sample_data_is_what_make_sample_data_writes(tmp_path: Path) -> None:
    """The Makefile line and the committed sample_data/ agree, byte for byte."""
    makefile = (REPO / "Makefile").read_text()
    assert "auditpipe generate --rows 3000 --seed 7 --bad-share 0.01 --out sample_data" in makefile
    out = tmp_path / "sample_data"
    generate(out, rows=3000, seed=7, bad_share=0.01)
    committed = tree_hashes(REPO / "sample_data")
    # sample_data/_sources/ holds real-server database audit logs, not generated ones.
    committed = {k: v for k, v in committed.items() if not k.startswith("_sources/")}
    assert tree_hashes(out) == committed


# -- an ingest of a generated set reconciles with its summary -----------------------------


@pytest.fixture(scope="module")
def ingested(corpus: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The corpus ingested once into a new lake: (lake, IngestResult)."""
    from auditpipe.config import Config
    from auditpipe.ingest import IngestSettings, ingest_paths
    from auditpipe.lake import Lake

    out, _ = corpus
    work = tmp_path_factory.mktemp("ingest")
    shutil.copytree(out, work / "logs")
    lake = Lake.open(work / "lake", create=True)
    return lake, ingest_paths(lake, [work / "logs"], IngestSettings.from_config(Config()))


@pytest.mark.slow
def test_ingest_of_a_generated_set_reconciles_with_its_summary(
    ingested: Any, summary: dict[str, Any]
) -> None:
    _, result = ingested
    expected = {e["name"]: e for e in summary["files"] + summary["account_snapshots"]}
    assert sorted(Path(f.source_file).name for f in result.files) == sorted(expected)
    for f in result.files:
        e = expected[Path(f.source_file).name]
        assert f.status == "ingested", (e["name"], f.reason)
        assert (f.rows_read, f.rows_stored, f.rows_quarantined, f.rows_duplicate) == (
            e["rows"], e["expected_stored"], e["bad_rows"], e.get("duplicate_rows", 0),
        ), e["name"]  # fmt: skip
    logs = [f for f in result.files if ".accounts." not in f.source_file]
    totals = summary["totals"]
    assert sum(f.rows_stored for f in logs) == totals["expected_stored"]
    assert sum(f.rows_quarantined for f in logs) == totals["bad_rows"]
    assert sum(f.rows_duplicate for f in logs) == totals["duplicate_rows"]
    stored = {(p, d.isoformat()) for f in logs for p, d in f.partitions}
    assert stored == {(p["provider_id"], p["event_date"]) for p in summary["expected_partitions"]}


@pytest.mark.slow
def test_labels_agree_with_the_rules_recomputed_in_sql_over_the_ingested_lake(
    corpus: tuple[Path, Any], ingested: Any
) -> None:
    """A third reading of the semantics: DuckDB SQL over what the ingest stored (so every
    alias, time form and default the generator wrote has been read back) finds exactly the
    labelled findings."""
    import duckdb

    out, _ = corpus
    lake, _ = ingested
    brokers = (out / "_expected" / "brokers.txt").read_text().split()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    glob = str(lake.events_dir / "*" / "*" / "*.parquet")
    con.execute(
        f"CREATE VIEW events AS SELECT * FROM read_parquet({quote_literal(glob)}, "
        "hive_partitioning = true, hive_types = {'provider_id': 'VARCHAR', 'event_date': 'DATE'})"
    )
    found = con.execute(RULES_SQL, [brokers]).fetchall()
    labels = pl.read_parquet(out / "_expected" / "labels.parquet")
    expected = set(
        labels.select(
            "rule_id", "provider_id", "actor_id", "event_date", "destination_party"
        ).iter_rows()
    )
    assert set(found) == expected
    assert len(expected) > 50


RULES_SQL = """
WITH e AS (
  SELECT *,
    outcome = 'success' AND (list_contains(data_classes, 'login')
                             OR list_contains(data_classes, 'identity')) AS protected,
    actor_type = 'subject' OR coalesce(actor_id = subject_id, false) AS self_access,
    destination_type IN ('external', 'public') AS leaves,
    authorization_ref IS NOT NULL AS authorized,
    coalesce(amount, 0) > 0 OR coalesce(list_contains($1, destination_party), false) AS sold,
    action IN ('view', 'search', 'export') AND destination_type = 'internal'
      AND actor_type IN ('employee', 'partner', 'unknown') AS internal_use
  FROM events
), p AS (SELECT * FROM e WHERE protected AND NOT self_access)
SELECT 'selling', provider_id, actor_id, event_date, destination_party FROM p
  WHERE leaves AND sold
UNION SELECT 'disclosure', provider_id, actor_id, event_date, destination_party FROM p
  WHERE leaves AND NOT sold AND (NOT authorized OR destination_type = 'public')
UNION SELECT 'modification', provider_id, actor_id, event_date, destination_party FROM p
  WHERE action IN ('update', 'delete') AND NOT authorized
UNION SELECT 'illegal_use_unauthorized', provider_id, actor_id, event_date, destination_party
  FROM p WHERE internal_use AND NOT authorized AND purpose IS NULL
UNION SELECT 'illegal_use_credential', provider_id, actor_id, event_date, destination_party
  FROM p WHERE internal_use AND list_contains(data_categories, 'credential')
UNION SELECT 'illegal_use_bulk', provider_id, actor_id, event_date, NULL FROM p
  WHERE internal_use GROUP BY ALL HAVING sum(record_count) >= 1000
"""


def test_generate_page_lists_every_planted_case_and_format() -> None:
    section = (REPO / "docs" / "generate.md").read_text(encoding="utf-8")
    for case in CASES:
        assert f"`{case.name}`" in section, case.name
    for fmt in FORMATS:
        assert f"`{fmt}`" in section, fmt
    for kind in BAD_KINDS:
        assert f"`{kind}`" in section, kind


def test_the_summary_to_reconcile_against_is_named_once(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.support.cli import run_main

    code, _, err = run_main(
        [
            "generate",
            "--rows",
            "300",
            "--providers",
            "1",
            "--days",
            "1",
            "--out",
            str(tmp_path / "g"),
        ],
        capsys,
    )
    assert code == 0, err
    assert err.count("Reconcile an ingest against") == 1, err
