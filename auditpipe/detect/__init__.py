"""Detection: rules as SQL files, run by DuckDB over the lake, published as findings.

    from auditpipe.detect import run_detect, DetectSettings, load_rules

``load_rules`` reads the built-in rules (``auditpipe/rules/*.sql``) and any user rule folders;
``run_detect`` evaluates them over some days and replaces those days' findings atomically.
Nothing here imports duckdb at module level, so the CLI's ``--help`` stays instant. The names
below are imported when first used: a command that reads one module of the package (the report
reads the account history and the rules) does not load the engine and its modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..vocabulary import CATEGORIES, SEVERITIES

if TYPE_CHECKING:
    from .engine import DetectResult, run_detect
    from .load import load_rules
    from .rules import Rule, RuleError, find_rule
    from .settings import DetectSettings

# Each public name and the module of this package that defines it.
_LAZY = {
    "DetectResult": "engine",
    "run_detect": "engine",
    "load_rules": "load",
    "Rule": "rules",
    "RuleError": "rules",
    "find_rule": "rules",
    "DetectSettings": "settings",
}

__all__ = [
    "CATEGORIES",
    "SEVERITIES",
    "DetectResult",
    "DetectSettings",
    "Rule",
    "RuleError",
    "find_rule",
    "load_rules",
    "run_detect",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
