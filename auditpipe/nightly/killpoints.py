"""Crash-test hook: ``AUDITPIPE_TEST_KILL_AT=<point>`` makes the nightly job SIGKILL itself at
that point, so tests can check that a rerun after a kill gives the outcome of one clean run.

Points are the boundaries between the job's phases (``KILL_POINTS``). Unset (always, outside
tests), ``checkpoint`` costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

KILL_ENV = "AUDITPIPE_TEST_KILL_AT"
KILL_POINTS = (
    "locked",  # lock taken, recover() done, nothing of this run written
    "recorded",  # run record written, nothing ingested
    "ingested",  # ingest committed, files not moved yet
    "moved",  # processed files moved
    "baseline",  # findings snapshot committed, detection not started
    "detected",  # detection committed, reports not written
    "reported",  # reports written, run record not completed
)


def checkpoint(point: str) -> None:
    if os.environ.get(KILL_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
