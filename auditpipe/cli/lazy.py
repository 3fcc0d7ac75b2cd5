"""The top-level commands, each imported from its module when it is first looked up.

``auditpipe detect`` then imports the detect command's module and not the other commands'
(sql output formats, the generator, nightly ...): about 15 ms of CPU on every start, which a
short run (a one-day detect, a status) feels. Anything that lists the commands (``--help``,
the docs tests, a mistyped name's suggestions) imports them all first, so it sees every one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values

    import click


class LazyCommands(dict[str, "click.Command"]):
    """``Group.commands`` whose entries named in ``modules`` (command name -> module that
    registers it on import) appear when first asked for; a module adds its commands itself
    (``@cli.command``), so this never builds a command."""

    def __init__(self, package: str, modules: dict[str, str]) -> None:
        super().__init__()
        self._package = package
        self._modules = modules

    def _load(self, name: object) -> None:
        module = self._modules.get(name) if isinstance(name, str) else None
        if module is not None and not super().__contains__(name):
            importlib.import_module(f"{self._package}.{module}")

    def _load_all(self) -> None:
        for name in self._modules:
            self._load(name)

    def __getitem__(self, name: str) -> click.Command:
        self._load(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._load(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        self._load(name)
        return super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return super().__iter__()

    def __len__(self) -> int:
        self._load_all()
        return super().__len__()

    def keys(self) -> dict_keys[str, click.Command]:
        self._load_all()
        return super().keys()

    def values(self) -> dict_values[str, click.Command]:
        self._load_all()
        return super().values()

    def items(self) -> dict_items[str, click.Command]:
        self._load_all()
        return super().items()
