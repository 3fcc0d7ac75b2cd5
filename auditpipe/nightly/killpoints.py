"""Crash-test hooks: ``AUDITPIPE_TEST_KILL_AT=<point>`` makes the nightly job SIGKILL itself at
that point, so tests can check that a rerun after a kill gives the outcome of one clean run;
``AUDITPIPE_TEST_PAUSE_AT=<point>:<seconds>`` makes it sleep there (to start a second run
while the first holds the lock).

Points are the boundaries between the job's phases (``KILL_POINTS``). Unset (always, outside
tests), ``checkpoint`` costs two environment lookups.
"""

from __future__ import annotations

import os
import signal
import time

KILL_ENV = "AUDITPIPE_TEST_KILL_AT"
PAUSE_ENV = "AUDITPIPE_TEST_PAUSE_AT"
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
    pause = os.environ.get(PAUSE_ENV, "")
    if pause.partition(":")[0] == point:
        time.sleep(float(pause.partition(":")[2] or 1))
