"""The command table that imports each command's module on first use (cli/lazy.py): every
command a module registers is named in ``COMMAND_MODULES`` under that module, so none is
unreachable by name, and looking one up imports its own module and no other."""

from __future__ import annotations

import subprocess
import sys

from auditpipe.cli import COMMAND_MODULES, cli
from auditpipe.cli.lazy import subcommands


def test_every_registered_command_is_mapped_to_the_module_that_registers_it() -> None:
    registered = {name: cmd.callback.__module__ for name, cmd in subcommands(cli).items()}  # type: ignore[union-attr]
    assert set(registered) == set(COMMAND_MODULES)
    for name, module in registered.items():
        assert module == f"auditpipe.cli.{COMMAND_MODULES[name]}", name


def _in_a_fresh_process(*lines: str) -> str:
    """What ``lines`` of Python print in a new interpreter (no command module imported yet)."""
    code = "\n".join(
        ("import sys, click", "from auditpipe.cli import cli, COMMAND_MODULES", *lines)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_each_command_is_found_by_name_in_a_fresh_process() -> None:
    """By name only, before anything lists the commands: the path a real run takes."""
    assert (
        _in_a_fresh_process(
            "for name in COMMAND_MODULES:",
            "    assert cli.get_command(click.Context(cli), name) is not None, name",
            "print('ok')",
        )
        == "ok"
    )


def test_looking_up_detect_imports_only_its_own_command_module() -> None:
    loaded = _in_a_fresh_process(
        "cli.get_command(click.Context(cli), 'detect')",
        "print(sorted(m for m in sys.modules if m.startswith('auditpipe.cli.') and m.endswith('_cmd')))",
    )
    assert loaded == "['auditpipe.cli.detect_cmd']"
