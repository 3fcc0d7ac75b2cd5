"""The generator's real-name part: snapshots, labels, and the promise that no ID number it
plants survives into anything auditpipe writes.

The labels (``_expected/real_name_labels.parquet``) are checked by the generator itself
against what each planted case promises; here: every case is there once per iisp provider,
the negative cases are not, another seed works too, and the snapshots reconcile on ingest.
The no-leak test runs a whole night (inbox -> lake -> detect -> reports, with --debug) over a
generated set and searches every file the lake and the reports hold, and everything printed,
for every ID number in the snapshot files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from auditpipe.generate import generate
from auditpipe.generate.realname import CASES
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from tests.support import REPO
from tests.support.accounts import all_text

ID_LIKE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
NEGATIVE = {
    "rn_publish_at_and_after_verify",
    "rn_five_accounts_one_identity",
    "rn_verified_account_publishes",
    "rn_publish_at_access_provider",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rn") / "logs"
    generate(out, rows=4000, seed=5, bad_share=0.02, formats=("jsonl", "csv.gz", "parquet"))
    return out


def labels(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "_expected" / "real_name_labels.parquet")


def test_every_positive_case_is_labelled_at_every_iisp_provider_and_no_negative_one(
    corpus: Path,
) -> None:
    found = labels(corpus)
    per_case = dict(found.group_by("planted_case").len().iter_rows())
    for case in CASES:
        if case.name in NEGATIVE:
            assert case.name not in per_case, case.name
        else:
            assert per_case.get(case.name) == 3, case.name  # forum-a, blog-b, micro-d
    assert found.filter(pl.col("planted_case").is_null()).height == 0


def test_the_same_second_counts_as_verified(corpus: Path) -> None:
    """Before verify: the post one second earlier is the finding's only day; the account
    that posts at the very second (and one second after) has none."""
    found = labels(corpus).filter(pl.col("planted_case") == "rn_publish_before_verify")
    assert set(found["rule_id"]) == {"real_name_unverified_publish"}
    summary = json.loads((corpus / "_expected" / "summary.json").read_text())
    assert summary["real_name_labels"]["findings"] == labels(corpus).height


def test_shared_identity_labels_name_six_accounts(corpus: Path) -> None:
    shared = labels(corpus).filter(pl.col("rule_id") == "real_name_shared_identity")
    assert shared["account_ids"].list.len().to_list() == [6, 6, 6]


def test_another_seed_and_one_day_work(tmp_path: Path) -> None:
    result = generate(tmp_path / "x", rows=3000, seed=123, days=1, providers=6)
    assert result.real_name_labels > 0
    assert len(result.account_snapshots) == 2 * 4  # forum, blog, micro, video: two dates each


def test_snapshots_reconcile_with_the_summary_on_ingest(corpus: Path, tmp_path: Path) -> None:
    summary = json.loads((corpus / "_expected" / "summary.json").read_text())
    lake = Lake.open(tmp_path / "lake", create=True)
    snapshots = [corpus / e["name"] for e in summary["account_snapshots"]]
    result = ingest_paths(lake, snapshots, IngestSettings())
    expected = {e["name"]: e for e in summary["account_snapshots"]}
    assert len(result.files) == len(expected) == 6
    for f in result.files:
        e = expected[Path(f.source_file).name]
        assert (f.rows_read, f.rows_stored, f.rows_quarantined) == (
            e["rows"],
            e["expected_stored"],
            e["bad_rows"],
        ), e["name"]


def planted_numbers(out: Path) -> set[str]:
    """Every ID-like number in the generated snapshot files (gzip'd and Parquet included)."""
    numbers: set[str] = set()
    for path in out.glob("*.accounts.*"):
        numbers |= {m.decode().upper() for m in ID_LIKE.findall(all_text(path).encode())}
    return numbers


@pytest.mark.slow
def test_no_id_number_reaches_the_lake_the_quarantine_the_reports_or_the_output(
    corpus: Path, tmp_path: Path
) -> None:
    numbers = planted_numbers(corpus)
    assert len(numbers) > 100
    inbox = tmp_path / "inbox"
    subprocess.run(["cp", "-R", str(corpus), str(inbox)], check=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "auditpipe",
            "--debug",
            "nightly",
            "--inbox",
            str(inbox),
            "--lake",
            str(tmp_path / "lake"),
            "--reports",
            str(tmp_path / "reports"),
            "--settle-seconds",
            "0",
            "--fail-on",
            "none",
            "--keep-processed",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    lake = tmp_path / "lake"
    assert list(lake.glob("accounts/*/*/*.parquet")), "the snapshots were not ingested"
    assert list(lake.glob("quarantine/*.parquet"))
    assert list((tmp_path / "reports").rglob("*.html"))
    written: dict[str, Any] = {
        "lake": all_text(lake),
        "reports": all_text(tmp_path / "reports"),
        "stdout and stderr": proc.stdout + proc.stderr,
    }
    for where, text in written.items():
        # A number's first 17 characters are digits, so n[:17] in text also catches n written
        # with a lower-case x; the 17-digit windows of the text's digit runs, found once,
        # answer that for every number without searching the text once per number.
        windows = {
            run[i : i + 17] for run in re.findall(r"[0-9]{17,}", text) for i in range(len(run) - 16)
        }
        leaked = {n for n in numbers if n[:17] in windows}
        assert not leaked, f"{len(leaked)} ID numbers in the {where}, e.g. {sorted(leaked)[:2]}"
