"""The inbox scan's settle time: any finite number of seconds, however large (1e300 in
auditpipe.toml), is a wait (a file younger than it waits), never an OverflowError."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from auditpipe.nightly.inbox import scan_inbox

NOW = 2_000_000_000.0


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    settle=st.one_of(
        st.floats(min_value=0, allow_nan=False, allow_infinity=False),
        st.floats(min_value=0, max_value=1e4),
    ),
    age=st.floats(min_value=0, max_value=1e9),
)
def test_a_file_waits_exactly_while_it_is_younger_than_the_settle_time(
    tmp_path: Path, settle: float, age: float
) -> None:
    assume(abs(age - settle) > 1e-3)  # not at the boundary, where nanoseconds round
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    log = inbox / "a.jsonl"
    log.write_text("{}\n")
    mtime_ns = int(NOW * 1e9) - int(age * 1e9)
    os.utime(log, ns=(mtime_ns, mtime_ns))
    scan = scan_inbox(inbox, settle_seconds=settle, now=NOW)
    waiting = [relpath for relpath, _why in scan.waiting]
    ready = [f.relpath for f in scan.ready]
    if age < settle:
        assert (waiting, ready) == (["a.jsonl"], [])
    else:
        assert (waiting, ready) == ([], ["a.jsonl"])
