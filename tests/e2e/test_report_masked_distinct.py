"""Masked ids stay distinguishable: two actors whose ids mask the same (13812345678 and
13899995678 both read 138****5678) are two rows of the top actors table and two actors of the
findings list, told apart by a number after the mask (``138****5678 #1``, ``#2``), the same in
every table and format of the report; neither raw id appears."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditpipe.config import Config
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report
from tests.support.detect_lakes import detect_events, event

RAW = ("13812345678", "13899995678", "13800005678")
UNAUTH_UPDATE = {"action": "update", "authorization_ref": None}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root = tmp_path_factory.mktemp("masked-distinct")
    events = [
        event(**UNAUTH_UPDATE, actor_id=actor, subject_id=f"u{i}{j}", record_count=10 - i)
        for i, actor in enumerate(RAW)
        for j in range(i + 2)
    ]
    events.append(event(**UNAUTH_UPDATE, actor_id="emp-7", subject_id="u9"))
    detect_events(root, events)
    return Lake.open(root / "lake")


def test_colliding_masks_are_told_apart_in_every_table(lake: Lake) -> None:
    doc = json.loads(render_report(build_report(lake, config=Config()), "json"))
    top = {a["actor_id"] for a in doc["top_actors"]}
    assert top == {"138****5678 #1", "138****5678 #2", "138****5678 #3", "emp-7"}
    by_events = {a["events"]: a["actor_id"] for a in doc["top_actors"]}
    listed = {f["actor_id"]: f["event_count"] for f in doc["findings"]}
    # each finding names the actor the top actors table names for the same events
    for shown, events in listed.items():
        assert by_events[events] == shown
    text = json.dumps(doc)
    assert not any(raw in text for raw in RAW)


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html", "csv"])
def test_every_format_shows_the_same_distinct_masks(lake: Lake, fmt: str) -> None:
    text = render_report(build_report(lake, config=Config()), fmt, width=100)
    for n in (1, 2, 3):
        assert f"138****5678 #{n}" in text.replace("\\*", "*")
    assert not any(raw in text for raw in RAW)


def test_unmasked_reports_need_no_number(lake: Lake) -> None:
    doc = json.loads(render_report(build_report(lake, config=Config(), unmask=True), "json"))
    assert {a["actor_id"] for a in doc["top_actors"]} == {*RAW, "emp-7"}


def test_an_id_whose_mask_is_its_own_gets_no_number(lake: Lake, tmp_path: Path) -> None:
    doc = json.loads(render_report(build_report(lake, config=Config()), "json"))
    assert "emp-7" in {f["actor_id"] for f in doc["findings"]}


def test_parties_whose_names_mask_the_same_are_told_apart(tmp_path: Path) -> None:
    sale = {"action": "transfer", "destination_type": "external", "amount": 10}
    parties = ("broker 13912345678", "broker 13900005678")
    detect_events(
        tmp_path,
        [event(**sale, destination_party=p, subject_id=f"u{i}") for i, p in enumerate(parties)],
    )
    report = build_report(Lake.open(tmp_path / "lake"), config=Config())
    doc = json.loads(render_report(report, "json"))
    shown = {p["destination_party"] for p in doc["top_parties"]}
    assert shown == {"broker 139****5678 #1", "broker 139****5678 #2"}
    assert {f["destination_party"] for f in doc["findings"]} == shown
    text = render_report(report, "markdown")
    assert not any(p in text for p in parties)
