"""Measuring one child process: wall and CPU seconds and its own peak RSS (os.wait4 per child)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "auditpipe"


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall time
    cpu_seconds: float  # user + system
    peak_rss_mib: int
    stdout: str  # stripped


@cache
def installed_env() -> dict[str, str]:
    """The environment measured children run in: Python's bytecode of auditpipe compiled
    beforehand and read from its cache, as it is for an installed tool (pip compiles a wheel's
    modules when it installs them; a source checkout writes its ``__pycache__`` on the first
    run). A shell with ``PYTHONDONTWRITEBYTECODE`` set would otherwise have every measured
    process compile the package from source: about 0.6 s of CPU for a ``detect``, which the
    tool's users do not pay and which is not the work being measured."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(PACKAGE)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


def timed(cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> Measured:
    """Run ``cmd`` and measure it; exit with its stderr if its exit code is not in ``ok_codes``.

    CPU seconds are worth printing beside wall time because this machine may be shared: wall
    time grows with other people's load, CPU time much less. Output goes to temporary files,
    not pipes, so a child that writes a lot cannot block while this process waits for it.
    The child runs with the package's bytecode cached (``installed_env``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=installed_env())
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
