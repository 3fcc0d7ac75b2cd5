"""The nightly batch job (``auditpipe nightly``): inbox -> ingest -> detect -> reports.

    from auditpipe.nightly import run_nightly, NightlySettings
    result = run_nightly(lake, inbox, NightlySettings(settle_seconds=0), config=config)
    result.exit_code, result.to_dict()

See ``job.py`` for how a killed run is resumed.
"""

from __future__ import annotations

from .job import report_paths, run_nightly, today_in
from .joblog import JobLog
from .result import FileOutcome, NightlyResult
from .settings import FAIL_ON_CHOICES, NightlySettings

__all__ = [
    "FAIL_ON_CHOICES",
    "FileOutcome",
    "JobLog",
    "NightlyResult",
    "NightlySettings",
    "report_paths",
    "run_nightly",
    "today_in",
]
