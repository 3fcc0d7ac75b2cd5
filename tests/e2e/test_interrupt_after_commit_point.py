"""An error or a Ctrl-C after a commit's journal is written (while it is applied) leaves the
commit for the next writer to roll forward: the cleanup of the failed run must not delete the
staged files the journal names.

Before, ingest's cleanup (and ``Transaction.abort``, used by detect and compact) removed the
staging folder whatever happened, so a Ctrl-C between the journal and the last rename left a
journal naming files that were gone: every later ingest, detect, nightly and compact stopped
with "journal names ... but neither it nor ... exists", and readers saw half the file's rows.
The interrupt is raised in-process at the crash points that tests otherwise SIGKILL at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditpipe.compact import CompactSettings, compact_lake
from auditpipe.detect import DetectSettings, run_detect
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from auditpipe.lake import commit as commit_module
from tests.support.nightly import (
    EVENT_STABLE,
    FINDINGS_STABLE,
    QUARANTINE_STABLE,
    breach,
    event,
    table_rows,
    write_log,
)

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]


def _logs(folder: Path) -> list[Path]:
    """Two deliveries over two providers and three days, with breaches and a bad line."""
    paths = []
    for n in range(2):
        events = [
            event(f"n{n}-{i}", DAYS[i % 3], provider_id=("forum-a", "blog-b")[i % 2])
            for i in range(30)
        ] + [breach(f"b{n}-{i}", DAYS[i % 3]) for i in range(6)]
        path = folder / f"night{n}.jsonl"
        write_log(path, events)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("{ broken\n")
        paths.append(path)
    return paths


def _interrupt_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    """Raise KeyboardInterrupt (what Ctrl-C raises) the first time ``point`` is passed."""
    real = commit_module.crash_point

    def crash_point(name: str) -> None:
        if name == point:
            monkeypatch.setattr(commit_module, "crash_point", real)
            raise KeyboardInterrupt
        real(name)

    monkeypatch.setattr(commit_module, "crash_point", crash_point)


def _state(lake: Lake) -> dict[str, object]:
    return {
        "events": table_rows(lake.root, EVENT_STABLE),
        "quarantine": table_rows(lake.root, QUARANTINE_STABLE),
        "findings": table_rows(lake.root, FINDINGS_STABLE),
        "manifest": sorted(p.name for p in lake.manifest_dir.glob("*.json")),
    }


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _logs(tmp_path_factory.mktemp("logs"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, logs: list[Path]) -> dict[str, object]:
    lake = Lake.open(tmp_path_factory.mktemp("clean") / "lake", create=True)
    ingest_paths(lake, logs, IngestSettings())
    run_detect(lake, DetectSettings())
    return _state(lake)


@pytest.mark.parametrize("point", ["after_journal", "between_moves", "before_manifest"])
def test_ingest_interrupted_while_its_commit_is_applied_is_rolled_forward(
    tmp_path: Path,
    logs: list[Path],
    clean: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    point: str,
) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    _interrupt_at(monkeypatch, point)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(lake, logs, IngestSettings())
    # The next writer completes it and the lake is that of one clean run.
    ingest_paths(lake, logs, IngestSettings())
    run_detect(lake, DetectSettings())
    assert _state(lake) == clean
    assert not list(lake.journal_dir.glob("*.json"))
    assert not lake.staging_dir.exists() or not any(lake.staging_dir.iterdir())


def test_detect_interrupted_while_its_commit_is_applied_is_rolled_forward(
    tmp_path: Path, logs: list[Path], clean: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    ingest_paths(lake, logs, IngestSettings())
    _interrupt_at(monkeypatch, "after_journal")
    with pytest.raises(KeyboardInterrupt):
        run_detect(lake, DetectSettings())
    run_detect(lake, DetectSettings())
    assert _state(lake) == clean


def test_compact_interrupted_while_its_commit_is_applied_is_rolled_forward(
    tmp_path: Path, logs: list[Path], clean: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = Lake.open(tmp_path / "lake", create=True)
    ingest_paths(lake, logs, IngestSettings())
    run_detect(lake, DetectSettings())
    settings = CompactSettings(today=dt.date(2026, 3, 10))
    _interrupt_at(monkeypatch, "after_journal")
    with pytest.raises(KeyboardInterrupt):
        compact_lake(lake, settings)
    # Until a writer rolls it forward, readers see the partition whole (the merged file).
    assert table_rows(lake.root, EVENT_STABLE) == clean["events"]
    compact_lake(lake, settings)
    assert _state(lake) == clean
    assert all(len(files) == 1 for files in _event_files(lake).values())


def _event_files(lake: Lake) -> dict[Path, list[Path]]:
    by_folder: dict[Path, list[Path]] = {}
    for path in lake.events_dir.rglob("*.parquet"):
        by_folder.setdefault(path.parent, []).append(path)
    return by_folder
