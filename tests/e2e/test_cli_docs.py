"""Every command explains itself: --help with an example, a row in the README's command table
that links to its page in docs/, that page documenting it, and a fast start."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from auditpipe.cli import cli
from auditpipe.cli.lazy import subcommands
from tests.support.docs import DOCS, README, text


def all_commands() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in sorted(subcommands(group).items()):
            paths.append([*prefix, name])
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(cli, [])
    return paths


COMMANDS = all_commands()


def test_the_commands_the_issues_ask_for_exist() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"ingest", "detect", "rules list", "rules show", "report", "sql", "nightly"} <= names
    assert {"status", "compact", "generate"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"auditpipe {' '.join(command)} --help has no example"
    assert f"auditpipe {command[0]}" in result.output


def readme_command_table() -> dict[str, str]:
    """The README's "Commands" table: each `auditpipe ...` command named in a row, mapped to
    the docs page that row links to."""
    section = text(README).split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    pages: dict[str, str] = {}
    for row in section.splitlines():
        if not row.startswith("| `auditpipe "):
            continue
        link = re.search(r"\]\((docs/[\w.-]+\.md)(?:#[\w-]+)?\)", row)
        assert link, f"README command row links to no docs page: {row}"
        for name in re.findall(r"`auditpipe ([a-z ]+?)`", row.split(" | ")[0]):
            pages[name] = link.group(1)
    return pages


def is_group(command: list[str]) -> bool:
    found: click.Command = cli
    for name in command:
        assert isinstance(found, click.Group)
        found = subcommands(found)[name]
    return isinstance(found, click.Group)


LEAVES = [c for c in COMMANDS if not is_group(c)]


def test_the_readme_command_table_names_every_command_and_nothing_else() -> None:
    assert set(readme_command_table()) == {" ".join(c) for c in LEAVES}


@pytest.mark.parametrize("command", LEAVES, ids=lambda c: " ".join(c))
def test_every_command_is_documented_on_the_page_the_readme_links(command: list[str]) -> None:
    page = readme_command_table()[" ".join(command)]
    assert (DOCS.parent / page).exists(), page
    assert f"auditpipe {' '.join(command)}" in text(DOCS.parent / page), (
        f"{page} does not document auditpipe {' '.join(command)}"
    )


def test_python_m_auditpipe_and_help_do_not_load_the_data_libraries() -> None:
    code = (
        "import sys; from auditpipe.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'polars', 'pyarrow') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "auditpipe", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "Exit codes" in proc.stdout


def test_unexpected_errors_print_no_traceback_without_debug(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditpipe", "report", "--lake", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: ") and "Traceback" not in proc.stderr


def test_the_docs_name_every_command_that_can_exit_1() -> None:
    """Exit 1 is "findings at or above --fail-on" for detect and nightly, and "a problem found"
    for the checks: the exit codes the README and operations.md give name each of them."""
    from auditpipe.cli import COMMAND_EXIT_CODES

    section = text(DOCS / "operations.md").split("## Exit codes, errors and output", 1)[1]
    section = section.split("\n## ", 1)[0].split("\n### ", 1)[0]
    readme = text(README).split("\n## Commands\n", 1)[1].split("\n|", 1)[0]
    for command, codes in COMMAND_EXIT_CODES.items():
        if 1 not in codes:
            continue
        named = command if " " in command else f"({command},"
        alias = "--fail-on" if command in ("detect", "nightly") else f"`{command}`"
        assert named in section or alias in section, f"operations.md: exit 1 of {command}"
        assert alias in readme or f"{command}`" in readme, f"README: exit 1 of {command}"


def test_every_environment_variable_an_option_reads_is_documented() -> None:
    """An option that falls back to $AUDITPIPE_... is only useful if users can find it."""
    docs = "\n".join(text(p) for p in [README, *sorted(DOCS.glob("*.md"))])
    found: set[str] = set()

    def walk(group: click.Group) -> None:
        for command in subcommands(group).values():
            if isinstance(command, click.Group):
                walk(command)
            for param in command.params:
                envvar = param.envvar
                found.update([envvar] if isinstance(envvar, str) else envvar or [])

    walk(cli)
    assert {"AUDITPIPE_LAKE", "AUDITPIPE_INBOX"} <= found
    assert sorted(v for v in found if v not in docs) == []
