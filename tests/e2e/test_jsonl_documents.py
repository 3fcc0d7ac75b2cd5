"""A JSON document where JSON Lines is expected: an export's array of events, or objects
pretty-printed over several lines. Read line by line, every line was a quarantined row of
punctuation ('{', '"actor_id": "u1",') and nothing was stored; the file is now rejected whole
with how to convert it. A stray first line above good rows stays one quarantined row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.ingest import good, ingest

EVENTS = [good(event_id="d1"), good(event_id="d2")]
FILES = {
    "array.jsonl": json.dumps(EVENTS) + "\n",
    "pretty-array.jsonl": json.dumps(EVENTS, indent=2) + "\n",
    "pretty-object.jsonl": json.dumps(EVENTS[0], indent=2) + "\n",
    "pretty-objects.jsonl": "".join(json.dumps(e, indent=4) + "\n" for e in EVENTS),
    # a bad first line above good rows: the rows are kept
    "stray-brace.jsonl": "{\n" + json.dumps(good(event_id="k1")) + "\n",
    "array-line-first.jsonl": "[1, 2]\n" + json.dumps(good(event_id="k2")) + "\n",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("documents")
    inbox = root / "in"
    inbox.mkdir()
    for name, text in FILES.items():
        (inbox / name).write_text(text, encoding="utf-8")
    return {Path(f.source_file).name: f for f in ingest(root / "lake", inbox).files}


@pytest.mark.parametrize("name", [n for n in FILES if n.startswith(("array.", "pretty"))])
def test_a_json_document_is_rejected_whole_with_how_to_convert_it(
    files: dict[str, object], name: str
) -> None:
    f = files[name]
    assert (f.status, f.rows_read) == ("rejected", 0), f  # type: ignore[attr-defined]
    assert "is one JSON document" in f.reason and "jq -c" in f.reason  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["stray-brace.jsonl", "array-line-first.jsonl"])
def test_one_bad_first_line_above_good_rows_does_not_fail_the_file(
    files: dict[str, object], name: str
) -> None:
    f = files[name]
    assert (f.status, f.rows_read, f.rows_stored, f.rows_quarantined) == ("ingested", 2, 1, 1)  # type: ignore[attr-defined]
