"""`generate --db-log` at sizes beyond the other tests' 3,000 statements: only the planted
statements' actors are found. Every statement of a generated log lands on one day, and the
support desk's ticketed reads (17% of the background) once all went to one agent, kefu_li,
whose records passed the bulk threshold from about 6,000 statements on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditpipe.generate.dblogs import AGENT_STATEMENTS
from tests.support.cli import run_main


@pytest.mark.parametrize("kind", ["pgaudit-stderr", "server_audit"])
def test_a_larger_generated_log_raises_only_its_planted_findings(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = 12_000  # twice the size at which the desk's one agent passed the threshold
    assert rows * 0.17 > 2 * AGENT_STATEMENTS  # the desk needs several agents
    out, lake = tmp_path / "log", tmp_path / "lake"
    code, _, err = run_main(
        ["generate", "--db-log", kind, "--rows", str(rows), "--out", str(out), "--seed", "5"],
        capsys,
    )
    assert code == 0, err
    code, _, err = run_main(
        ["ingest", "--source", str(out / "source.toml"), *map(str, out.glob("*.log"))]
        + ["--lake", str(lake)],
        capsys,
    )
    assert code == 0, err
    code, _, err = run_main(["detect", "--lake", str(lake), "--fail-on", "none"], capsys)
    assert code == 0, err
    code, found, err = run_main(
        [
            "sql",
            "--lake",
            str(lake),
            "--format",
            "json",
            "SELECT DISTINCT rule_id, actor_id FROM findings",
        ],
        capsys,
    )
    assert code == 0, err
    labels = json.loads((out / "labels.json").read_text())
    planted = {(p["label"], p["user"]) for p in labels if p["label"]}
    fired = {(r["rule_id"], r["actor_id"]) for r in json.loads(found)}
    assert planted <= fired
    assert {actor for _, actor in fired} == {user for _, user in planted}
