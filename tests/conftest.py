"""Fixtures shared by tests/unit and tests/e2e. Helpers that are plain functions (building
events, writing logs, running the CLI in-process) live in tests/support/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

# Hypothesis' default 200 ms deadline per example turns a loaded CI machine into a flaky
# failure; examples are still bounded by max_examples, and the CI job by its own timeout.
settings.register_profile("auditpipe", deadline=None)
settings.load_profile("auditpipe")

if TYPE_CHECKING:
    from auditpipe.lake import Lake


# Folders whose tests share a session fixture that must exist once per test run: all their
# tests go to one worker. The Spark tests share one Spark session (tests/e2e/spark/conftest.py).
ONE_WORKER_FOLDERS = {"tests/e2e/spark/": "spark"}


def worker_group(nodeid: str) -> str:
    """The group a test runs in under ``make test``'s parallel workers: its file, so a module
    fixture (a lake, a generated corpus) is built once and a file's tests keep their order;
    or its folder's, for the folders of ``ONE_WORKER_FOLDERS``."""
    path = nodeid.split("::", 1)[0]
    return next((g for f, g in ONE_WORKER_FOLDERS.items() if path.startswith(f)), path)


# Workers beyond 4 mostly add memory (each builds its own module fixtures) for little time.
MAX_WORKERS = 4


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hooks; without -n they are never called
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: the CPUs this process may use (affinity and cgroup quota, as DuckDB's
    threads are sized), at most ``MAX_WORKERS``."""
    from auditpipe.db import usable_cpus

    return max(1, min(usable_cpus(), MAX_WORKERS))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Each worker takes whole groups (``worker_group``), in collection order. Written as a
    scheduler rather than xdist_group marks: pytest 9.2 no longer lets a plugin rename the node
    ids those marks work through, so the marks group nothing there."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return GroupScheduling(config, log)


@pytest.fixture(scope="session")
def shared_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The lake of ``tests.support.report_lakes.identifier_events()`` (JSON Lines -> ingest ->
    detect), built once per session and shared by every test that only reads it: report,
    masking, sql and the Python API. A test that writes to a lake builds its own."""
    from tests.support.report_lakes import shared_identifier_lake

    return shared_identifier_lake(tmp_path_factory)


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts in English whatever the machine's locale (LANG=zh_CN.UTF-8 would
    otherwise translate the output tests read); tests of the Chinese output ask for it."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    from auditpipe.i18n import set_language

    set_language("en", chosen=False)
