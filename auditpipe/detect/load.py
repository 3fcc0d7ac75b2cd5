"""``load_rules``: the rules ready to run, each file's header and SQL checked.

Reading and checking are two steps in two modules: ``rules`` parses files and knows nothing of
DuckDB, ``session`` binds each rule's SQL against an empty lake. This module joins them, so
neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .rules import Rule, read_rules
from .session import validate_rules_sql


def load_rules(rule_dirs: Sequence[Path] = (), *, disabled: Iterable[str] = ()) -> list[Rule]:
    """The built-in rules plus every rule in ``rule_dirs``, minus ``disabled`` ids.

    Each rule's SQL must be one SELECT that binds against the events schema and returns
    ``REQUIRED_COLUMNS``; a problem raises ``RuleError`` naming the file.
    """
    rules = read_rules(rule_dirs, disabled=disabled)
    validate_rules_sql(rules)
    return rules
