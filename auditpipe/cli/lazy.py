"""The top-level command group, importing each command's module when it is first looked up.

``auditpipe detect`` then imports the detect command's module and not the other commands'
(sql output formats, the generator, nightly ...): about 15 ms of CPU on every start, which a
short run (a one-day detect, a status) feels. This is click's own extension point for lazy
groups: ``get_command`` imports the module that registers the name asked for, and
``list_commands`` (``--help``, completion, a mistyped name's suggestions) imports them all
first, so it sees every one. A module adds its commands itself (``@cli.command``), so this
never builds a command.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from ..i18n.clickhelp import TranslatedGroup


class LazyGroup(TranslatedGroup):
    """A group whose commands named in ``lazy_modules`` (command name -> module of
    ``lazy_package`` that registers it on import) are imported when first asked for."""

    def __init__(
        self,
        *args: Any,
        lazy_package: str = "",
        lazy_modules: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_package = lazy_package
        self.lazy_modules = dict(lazy_modules or {})

    def _load(self, name: str) -> None:
        module = self.lazy_modules.get(name)
        if module is not None and name not in self.commands:
            importlib.import_module(f"{self.lazy_package}.{module}")

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in self.lazy_modules:
            self._load(name)
        return super().list_commands(ctx)


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """Every command of ``group`` by name, through click's API (so a lazy group loads them)."""
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}
