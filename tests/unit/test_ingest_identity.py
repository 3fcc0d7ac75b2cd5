"""Event identity: what makes two rows the same event, and what must keep them apart.

The contract (``schemas/access_event.schema.json``, read here as data, not through the code
under test) says a missing ``event_id`` is derived from the normalised record, so every
contract field is part of a derived id: two rows that differ in any one field are two
events. Rows that differ only in how a value is written (an alias, the case) are one event.
A provider's ``event_id`` is unique within that provider only, so deduplication keys on
(provider_id, event_id) inside a file, across the files of a run and across runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO
from tests.support.ingest import ingest, query, write_jsonl

SCHEMA = json.loads((REPO / "schemas" / "access_event.schema.json").read_text(encoding="utf-8"))
PROPERTIES: dict[str, dict[str, Any]] = SCHEMA["properties"]

# Two valid, different values for fields whose text has a form to respect; any other field
# is free text. A field added to the contract with a form of its own makes the row
# quarantined here, and the test says so: add its two values to this table.
FORMED_VALUES: dict[str, tuple[Any, Any]] = {
    "event_time": ("2026-03-01T10:00:00+08:00", "2026-03-01T10:00:01+08:00"),
    "record_count": (3, 4),
    "data_fields": (["phone"], ["email"]),
    "amount": ("10.5", "10.25"),
    "currency": ("USD", "EUR"),
    "source_ip": ("10.0.0.1", "10.0.0.2"),
}


def two_values(name: str) -> tuple[Any, Any]:
    spec = PROPERTIES[name]
    if "enum" in spec:
        first = spec.get("x-default", spec["enum"][0])
        return first, next(v for v in spec["enum"] if v != first)
    return FORMED_VALUES.get(name, (f"{name}-1", f"{name}-2"))


IDENTITY_FIELDS = [name for name in PROPERTIES if name != "event_id"]


def full_record(**changes: Any) -> dict[str, Any]:
    record = {name: two_values(name)[0] for name in IDENTITY_FIELDS}
    record.update(changes)
    return record


def test_every_contract_field_is_part_of_a_derived_event_id(tmp_path: Path) -> None:
    """One row with every field set, then one row per field that differs in that field only;
    ``probe`` is outside the contract (kept in extras), so it names the row without being
    part of its identity. Every row must be stored with its own id."""
    rows = [full_record(probe="base")]
    rows += [full_record(**{name: two_values(name)[1]}, probe=name) for name in IDENTITY_FIELDS]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert result.rows_quarantined == 0, "a value in FORMED_VALUES no longer fits the contract"
    stored = dict(
        query(tmp_path / "lake", "SELECT extras->>'probe', event_id FROM events ORDER BY 1")
    )
    merged = sorted({"base", *IDENTITY_FIELDS} - set(stored))
    assert merged == [], f"rows differing only in {merged} got the same derived event_id"
    assert len(set(stored.values())) == len(rows)


def test_writing_a_value_another_way_is_the_same_derived_event(tmp_path: Path) -> None:
    """The id is derived from the normalised record: aliases, case and surrounding spaces of
    enum values, an absent field and its default, and the same instant in another offset,
    give the same id."""
    canonical = full_record()
    variants = [
        canonical,
        {**canonical, "event_time": "2026-03-01T02:00:00Z"},
        {**canonical, "data_fields": "Phone"},
    ]
    for name in IDENTITY_FIELDS:
        spec = PROPERTIES[name]
        for alias, value in spec.get("x-aliases", {}).items():
            if value == canonical[name]:
                variants.append({**canonical, name: alias})
        if "enum" in spec:
            variants.append({**canonical, name: f"  {str(canonical[name]).upper()} "})
        if spec.get("x-default") == canonical[name]:  # absent means the default
            variants.append({k: v for k, v in canonical.items() if k != name})
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", variants))
    assert (result.rows_stored, result.rows_duplicate) == (1, len(variants) - 1)


def event(provider: str, event_id: str, **changes: Any) -> dict[str, Any]:
    """Two providers' events differ in provider_id only, so nothing else tells them apart."""
    return full_record(provider_id=provider, event_id=event_id, **changes)


def ingest_in(how: str, tmp_path: Path, files: list[list[dict[str, Any]]]) -> None:
    paths = [write_jsonl(tmp_path / f"f{n}.jsonl", rows) for n, rows in enumerate(files)]
    if how == "one file":
        ingest(tmp_path / "lake", write_jsonl(tmp_path / "all.jsonl", sum(files, [])))
    elif how == "two files, one run":
        ingest(tmp_path / "lake", *paths)
    else:
        for path in paths:
            ingest(tmp_path / "lake", path)


@pytest.mark.parametrize("how", ["one file", "two files, one run", "two runs"])
def test_the_same_event_id_of_two_providers_is_two_events_wherever_they_meet(
    tmp_path: Path, how: str
) -> None:
    # forum-a's e1 is repeated, so the within-file check has a repeat to match isp-c's e1
    # against; the second file holds events of both providers, so the lake-side check reads
    # forum-a's keys too. A check on event_id alone, either one, drops isp-c's e1.
    ingest_in(
        how,
        tmp_path,
        [
            [event("forum-a", "e1"), event("isp-c", "x1"), event("forum-a", "e1")],
            [event("isp-c", "e1"), event("forum-a", "e2")],
        ],
    )
    got = query(tmp_path / "lake", "SELECT provider_id, event_id FROM events ORDER BY ALL")
    assert got == [("forum-a", "e1"), ("forum-a", "e2"), ("isp-c", "e1"), ("isp-c", "x1")]


@pytest.mark.parametrize("how", ["one file", "two files, one run", "two runs"])
def test_the_same_event_of_one_provider_is_stored_once_wherever_it_repeats(
    tmp_path: Path, how: str
) -> None:
    """The other side: a repeat within one provider is a duplicate, the first one kept."""
    ingest_in(
        how,
        tmp_path,
        [
            [event("forum-a", "e1"), event("isp-c", "e1")],
            [event("forum-a", "e1", actor_id="later"), event("isp-c", "e1", actor_id="later")],
        ],
    )
    got = query(tmp_path / "lake", "SELECT provider_id, event_id, actor_id FROM events ORDER BY 1")
    first = two_values("actor_id")[0]
    assert got == [("forum-a", "e1", first), ("isp-c", "e1", first)]
