"""Measuring one child process: wall and CPU seconds and its own peak RSS (os.wait4 per child)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall time
    cpu_seconds: float  # user + system
    peak_rss_mib: int
    stdout: str  # stripped


def timed(cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> Measured:
    """Run ``cmd`` and measure it; exit with its stderr if its exit code is not in ``ok_codes``.

    CPU seconds are worth printing beside wall time because this machine may be shared: wall
    time grows with other people's load, CPU time much less. Output goes to temporary files,
    not pipes, so a child that writes a lot cannot block while this process waits for it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in ok_codes:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read().decode()}")
        return Measured(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_mib=usage.ru_maxrss // 1024,
            stdout=out.read().decode().strip(),
        )


def medians(runs: list[Measured]) -> tuple[float, float, int]:
    """Median wall and CPU seconds of ``runs`` and their highest peak RSS (MiB)."""
    import statistics

    wall = statistics.median(r.seconds for r in runs)
    cpu = statistics.median(r.cpu_seconds for r in runs)
    return wall, cpu, max(r.peak_rss_mib for r in runs)
