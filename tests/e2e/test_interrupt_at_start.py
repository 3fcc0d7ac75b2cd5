"""A Ctrl-C at any moment of a command's life ends in a message and a documented exit code:
130 with ``Error: interrupted ...`` while the command has not finished, the command's own code
once it has. Never Python's traceback, never a death by signal.

Before, a Ctrl-C in the first tenth of a second (while the command line was imported) printed
a ``KeyboardInterrupt`` traceback and killed the process by SIGINT, and one that landed after
the outcome was printed (while Python shut down) killed it by SIGINT with no word.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditpipe.errors import EXIT_INTERRUPTED

ROOT = Path(__file__).resolve().parents[2]

# Raises KeyboardInterrupt when MODULE is first imported: a Ctrl-C landing at that import,
# made deterministic. Then runs the installed entry point as the console script does.
INJECT = """
import sys
target = sys.argv[1]

class CtrlC:
    def find_spec(self, name, path=None, target_=None):
        if name == target:
            sys.meta_path.remove(self)
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["auditpipe", *sys.argv[2:]]
from auditpipe.launch import main
main()
"""

# Modules the command line imports before it can handle a Ctrl-C itself, outermost first.
STARTUP_IMPORTS = [
    "auditpipe.cli",
    "click",
    "auditpipe.errors",
    "auditpipe.i18n",
    "auditpipe.cli.options",
    "auditpipe.console",
]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANG", "LC_"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["LC_ALL"] = "C.UTF-8"
    return env


@pytest.mark.parametrize("module", STARTUP_IMPORTS)
def test_ctrl_c_while_the_command_line_loads_says_interrupted(module: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", INJECT, module, "status", "--lake", str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == EXIT_INTERRUPTED, (done.returncode, done.stderr)
    assert done.stderr.startswith("Error: interrupted (Ctrl-C)"), done.stderr
    assert "Hint: " in done.stderr


# Sends SIGINT to itself while Python shuts down, after the command printed its outcome.
AT_EXIT = """
import atexit, os, signal, sys, time
atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(0.2)))
sys.argv = ["auditpipe", *sys.argv[1:]]
from auditpipe.launch import main
main()
"""


def test_ctrl_c_after_the_outcome_keeps_the_commands_exit_code(tmp_path: Path) -> None:
    command = ["status", "--lake", str(tmp_path / "lake")]
    plain = subprocess.run(
        [sys.executable, "-m", "auditpipe", *command], capture_output=True, text=True, env=_env()
    )
    late = subprocess.run(
        [sys.executable, "-c", AT_EXIT, *command], capture_output=True, text=True, env=_env()
    )
    assert "Traceback" not in late.stderr, late.stderr
    assert late.returncode == plain.returncode, (late.returncode, late.stderr)
    assert late.stderr == plain.stderr


def test_ctrl_c_at_any_moment_gives_a_documented_outcome(tmp_path: Path) -> None:
    """Real SIGINTs at delays across a whole (short) command: loading, running, shutting down.
    The sweep starts at a fifth of the command's time: a SIGINT in the first milliseconds,
    before Python itself has installed its handler, kills any Python program."""
    command = [sys.executable, "-m", "auditpipe", "status", "--lake", str(tmp_path / "lake")]
    started = time.perf_counter()
    whole = subprocess.run(command, capture_output=True, env=_env(), timeout=60)
    took = time.perf_counter() - started
    for step in range(2, 13):
        with subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env()
        ) as proc:
            time.sleep(took * step / 10)  # 20% to 120% of the command's own time
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        text = err.decode()
        assert "Traceback" not in text, (step, text)
        assert proc.returncode in (whole.returncode, EXIT_INTERRUPTED), (step, proc.returncode)
        if proc.returncode == EXIT_INTERRUPTED:
            assert "Error: interrupted" in text, (step, text)
