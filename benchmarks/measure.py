"""Measuring one child process: wall seconds and its own peak RSS (os.wait4 per child)."""

from __future__ import annotations

import os
import subprocess
import time


def timed(cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MiB, stdout) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return seconds, usage.ru_maxrss // 1024, out.strip()
