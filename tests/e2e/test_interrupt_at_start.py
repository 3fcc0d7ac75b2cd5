"""A Ctrl-C at any moment of a command's life ends in a message and a documented exit code:
130 with ``Error: interrupted ...`` while the command has not finished, the command's own code
once it has. Never Python's traceback, never a death by signal.

Before, a Ctrl-C in the first tenth of a second (while the command line was imported) printed
a ``KeyboardInterrupt`` traceback and killed the process by SIGINT, and one that landed after
the outcome was printed (while Python shut down) killed it by SIGINT with no word.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditpipe.errors import EXIT_INTERRUPTED

ROOT = Path(__file__).resolve().parents[2]

# Sends itself a real SIGINT when MODULE is first imported: a Ctrl-C landing at that import,
# made deterministic. Then runs the installed entry point as the console script does.
INJECT = """
import os, signal, sys, time
target = sys.argv[1]

class CtrlC:
    def find_spec(self, name, path=None, target_=None):
        if name == target:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)  # Python's handler raises at the next step
            time.sleep(0.05)
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


def test_ctrl_c_while_an_error_is_reported_keeps_the_error(tmp_path: Path) -> None:
    """The first error message of a process imports rich's console, long enough for a Ctrl-C
    to land in it: the error is still reported whole, with its own exit code. (It was rich's
    emoji table, which messages no longer import: they show emoji codes as written.)"""
    command = ["findings", "show", "f-0", "--lake", str(tmp_path / "lake")]
    plain = subprocess.run(
        [sys.executable, "-m", "auditpipe", *command], capture_output=True, text=True, env=_env()
    )
    late = subprocess.run(
        [sys.executable, "-c", INJECT, "rich.console", *command],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert plain.returncode == 2 and plain.stderr.startswith("Error: "), plain.stderr
    assert "Traceback" not in late.stderr, late.stderr
    assert (late.returncode, late.stderr) == (plain.returncode, plain.stderr)
