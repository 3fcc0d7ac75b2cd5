"""The streaming ingest gives one lake whatever way it reads: on a generated corpus (every
format, every surface variant, bad and repeated rows), the lake equals the generator's own
accounting, and is the same row for row whatever the batch size (so batch boundaries, the
seen-keys dedup across batches and the per-partition writers change nothing) and whichever
way JSON keys are extracted (key by key, or exploded for very wide lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditpipe.generate import FORMATS, generate
from tests.support.ingest import ingest, query

pytestmark = pytest.mark.slow

EVENTS = (
    "SELECT * EXCLUDE (ingest_run_id, ingested_at, source_file), "
    "regexp_replace(source_file, '.*/', '') AS name FROM events ORDER BY name, line_number"
)
QUARANTINE = (
    "SELECT regexp_replace(source_file, '.*/', '') AS name, line_number, raw, reason, "
    "provider_id FROM quarantine ORDER BY name, line_number"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    generate(out, rows=2000, seed=11, bad_share=0.03, formats=tuple(FORMATS), providers=3, days=2)
    return out


def snapshot(lake: Path) -> dict[str, Any]:
    return {"events": query(lake, EVENTS), "quarantine": query(lake, QUARANTINE)}


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lake = tmp_path_factory.mktemp("ref") / "lake"
    result = ingest(lake, corpus)
    summary = json.loads((corpus / "_expected" / "summary.json").read_text())
    expected = {f["name"]: f for f in summary["files"] + summary["account_snapshots"]}
    for f in result.files:
        e = expected[Path(f.source_file).name]
        assert f.reconciles
        assert (f.rows_read, f.rows_quarantined, f.rows_stored + f.rows_duplicate) == (
            e["rows"],
            e["bad_rows"],
            e["rows"] - e["bad_rows"],
        ), f.source_file
    return snapshot(lake)


def test_small_batches_give_the_same_lake(
    corpus: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    ingest(tmp_path / "lake", corpus, batch_bytes=32768)
    assert snapshot(tmp_path / "lake") == reference


def test_exploded_key_extraction_gives_the_same_lake(
    corpus: Path, reference: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditpipe.ingest import read_jsonl

    monkeypatch.setattr(read_jsonl, "WIDE_KEYS", 0)
    ingest(tmp_path / "lake", corpus)
    assert snapshot(tmp_path / "lake") == reference


def test_colliding_key_hashes_give_the_same_lake(
    corpus: Path, reference: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dedup keeps or drops a row on its exact key, never on a hash: with four key hashes in
    all (every repeat and every re-sent event, within a file and against the lake, is found
    among hundreds of colliding keys), spilled chunks of 50 keys and chunk numbers wrapping
    after two, the lake is the same row for row."""
    from auditpipe.ingest import seen

    monkeypatch.setattr(seen, "KEY_HASH", "(hash(provider_id, event_id) & 3)::UBIGINT")
    monkeypatch.setattr(seen, "CHUNK_KEYS", 50)
    monkeypatch.setattr(seen, "CHUNK_BITS", 1)
    ingest(tmp_path / "lake", corpus, batch_bytes=32768)
    assert snapshot(tmp_path / "lake") == reference
