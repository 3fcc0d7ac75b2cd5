"""Detection: rules as SQL files, run by DuckDB over the lake, published as findings.

    from auditpipe.detect import run_detect, DetectSettings, load_rules

``load_rules`` reads the built-in rules (``auditpipe/rules/*.sql``) and any user rule folders;
``run_detect`` evaluates them over some days and replaces those days' findings atomically.
Nothing here imports duckdb at module level, so the CLI's ``--help`` stays instant.
"""

from __future__ import annotations

from ..vocabulary import CATEGORIES, SEVERITIES
from .engine import DetectResult, run_detect
from .load import load_rules
from .rules import Rule, RuleError, find_rule
from .settings import DetectSettings

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
