"""A real-name finding decided by a fraction of a second shows that fraction: a post at
12:00:00.300 and a verification at 12:00:00.800 are not shown as the same moment, which the
rules say would count as verified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.ingest import write_jsonl

BASE = {
    "provider_id": "forum-x",
    "provider_type": "iisp",
    "actor_id": "u1",
    "actor_type": "subject",
}


def _lake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    log = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                **BASE,
                "event_id": "r1",
                "event_time": "2026-03-01T11:00:00+08:00",
                "action": "register",
                "data_fields": ["phone"],
            },
            {
                **BASE,
                "event_id": "p1",
                "event_time": "2026-03-01T12:00:00.300+08:00",
                "action": "publish",
                "data_fields": ["nickname"],
            },
            {
                **BASE,
                "event_id": "v1",
                "event_time": "2026-03-01T12:00:00.800+08:00",
                "action": "verify",
                "data_fields": ["id_number"],
            },
        ],
    )
    lake = tmp_path / "lake"
    assert run_main(["ingest", str(log), "--lake", str(lake), "-q"], capsys)[0] == 0
    code, out, err = run_main(
        ["detect", "--lake", str(lake), "--json", "--fail-on", "none"], capsys
    )
    assert code == 0, err
    code, out, err = run_main(["findings", "list", "--lake", str(lake), "--format", "json"], capsys)
    assert code == 0, err
    (finding,) = json.loads(out)["findings"]
    return lake, finding["finding_id"]


def test_evidence_times_keep_the_fraction_of_a_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake, finding_id = _lake(tmp_path, capsys)
    code, out, err = run_main(["findings", "show", finding_id, "--lake", str(lake)], capsys)
    assert code == 0, err
    assert "2026-03-01 12:00:00.300+08" in out, out
    assert "12:00:00+" not in out, out
    for fmt, name in (("markdown", "r.md"), ("html", "r.html")):
        report = tmp_path / name
        code, out, err = run_main(
            ["report", "--lake", str(lake), "--format", fmt, "-o", str(report)], capsys
        )
        assert code == 0, err
        text = report.read_text(encoding="utf-8")
        assert "2026-03-01 12:00:00.300 +0800" in text
        assert "12:00:00 +0800" not in text
