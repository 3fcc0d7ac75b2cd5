"""The README's five-minute tour works: every command it shows, run as written from a folder
holding sample_data/, exits with the code the tour says (ingest 3: rows quarantined; nightly
1: high findings; everything else 0), and running step 5 again ingests nothing."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO
from tests.support.docs import README, pages, text

# The exit codes the tour's text announces; every other command of the tour exits 0.
ANNOUNCED = {"ingest": 3, "nightly": 1}
NUMBERS = {
    w: n
    for n, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}


def tour_commands() -> list[str]:
    tour = text(README).split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", tour, flags=re.S | re.M)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def _interactive(line: str) -> bool:
    """`auditpipe sql --lake DIR` alone opens the prompt, which needs a terminal."""
    words = shlex.split(line, comments=True)
    return words[:2] == ["auditpipe", "sql"] and len(words) == 4


@pytest.mark.slow
def test_every_tour_command_runs_from_a_checkout_with_the_announced_exit_code(
    tmp_path: Path,
) -> None:
    shutil.copytree(REPO / "sample_data", tmp_path / "sample_data")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("AUDITPIPE_LAKE", None)
    env.pop("AUDITPIPE_CONFIG", None)
    commands = tour_commands()
    assert len(commands) >= 10
    ran = []
    outputs: dict[str, str] = {}
    for line in commands:
        if _interactive(line):
            continue
        proc = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        words = shlex.split(line, comments=True)
        expected = ANNOUNCED.get(words[1], 0) if words[0] == "auditpipe" else 0
        assert proc.returncode == expected, f"{line}\n{proc.stdout[-2000:]}\n{proc.stderr}"
        ran.append(words[1] if words[0] == "auditpipe" else words[0])
        outputs.setdefault(" ".join(words[:3]), proc.stdout + proc.stderr)
    assert {"ingest", "detect", "report", "sql", "nightly", "status"} <= set(ran)
    assert (tmp_path / "tour" / "report.html").stat().st_size > 0

    # The counts the tour's text announces are those of the sample.
    tour = text(README).split("## A five-minute tour", 1)[1]
    files = re.search(r"\((\w+) files of four providers: (\w+) access logs and (\w+)", tour)
    rules = re.search(r"(\w+) SQL rules", tour)
    assert files and rules, "the tour no longer says how many files and rules"
    n_files, n_logs, n_snapshots = (NUMBERS[w] for w in files.groups())
    assert f"\t{n_files} files\n" in outputs["auditpipe ingest sample_data"]
    assert sum(".accounts." in p.name for p in (tmp_path / "sample_data").iterdir()) == n_snapshots
    assert n_logs + n_snapshots == n_files
    listed = outputs["auditpipe rules list"].split("\n\n")[0].splitlines()[1:]
    assert len(listed) == NUMBERS[rules.group(1)], listed

    # The finding ids the docs show as examples are the sample lake's.
    import auditpipe

    con = auditpipe.connect(tmp_path / "tour" / "lake")
    for page in pages():
        for shown in set(re.findall(r"\bf-[0-9a-f]{8,24}\b", text(page))):
            hits = con.execute(
                "SELECT count(*) FROM findings WHERE starts_with(finding_id, ?)", [shown]
            ).fetchone()
            assert hits == (1,), f"{page.name} shows {shown}, which the sample lake does not have"

    # "Run step 5 again: the files are already in the lake (by content)".
    nightly = next(c for c in commands if c.startswith("auditpipe nightly"))
    again = subprocess.run(
        ["bash", "-c", nightly + " --json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert '"ingested": 0' in again.stdout
