"""Shell completion, as docs/operations.md documents it: the installed ``auditpipe`` command
prints a completion script for bash, zsh and fish, and bash completes commands and option
values with it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docs import DOCS, text

ENTRY_POINT = Path(sys.executable).parent / "auditpipe"
# What each shell's script registers: the line that makes the shell ask auditpipe.
REGISTRATION = {
    "bash": "complete -o nosort -F _auditpipe_completion auditpipe",
    "zsh": "compdef _auditpipe_completion auditpipe",
    "fish": "complete --no-files --command auditpipe",
}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_AUDITPIPE_COMPLETE")}
    env["PATH"] = f"{ENTRY_POINT.parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def test_the_console_script_is_installed() -> None:
    assert ENTRY_POINT.exists(), "make venv installs the auditpipe command into the virtualenv"


@pytest.mark.parametrize("shell", sorted(REGISTRATION))
def test_the_installed_command_prints_a_completion_script(shell: str) -> None:
    proc = subprocess.run(
        [str(ENTRY_POINT)],
        env=_env(_AUDITPIPE_COMPLETE=f"{shell}_source"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert REGISTRATION[shell] in proc.stdout
    assert "_AUDITPIPE_COMPLETE=" in proc.stdout  # the script calls auditpipe back
    # ... and it is what the docs tell users to run.
    assert f"_AUDITPIPE_COMPLETE={shell}_source auditpipe" in text(DOCS / "operations.md")


def _bash_complete(words: str) -> list[str]:
    """What bash offers after typing ``words`` (ending in the word being completed)."""
    script = subprocess.run(
        [str(ENTRY_POINT)],
        env=_env(_AUDITPIPE_COMPLETE="bash_source"),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    parts = words.split(" ")
    bash_words = " ".join(f"'{w}'" for w in parts)
    program = (
        f"{script}\n"
        f"COMP_WORDS=({bash_words}); COMP_CWORD={len(parts) - 1}\n"
        "_auditpipe_completion auditpipe\n"  # bash passes the command name as $1
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(
        ["bash", "-c", program], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_and_option_values_through_the_script() -> None:
    assert _bash_complete("auditpipe rep") == ["report"]
    assert {"rules", "report"} <= set(_bash_complete("auditpipe r"))
    assert set(_bash_complete("auditpipe report --format ")) == {
        "terminal",
        "markdown",
        "html",
        "json",
        "csv",
    }
    assert _bash_complete("auditpipe rules ch") == ["check"]
