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
