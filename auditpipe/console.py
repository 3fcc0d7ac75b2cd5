"""Terminal output: messages and progress on stderr, data on stdout.

rich does the colour, tables and progress bars (and honours NO_COLOR); when stderr is not a
terminal, progress turns into plain one-line messages so logs and CI output stay readable.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


@cache
def out_console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def message(text: str) -> None:
    """A line for the person running the command (stderr)."""
    err_console().print(text, markup=False)


def warn(text: str) -> None:
    err_console().print(f"Warning: {text}", style="yellow", markup=False)
