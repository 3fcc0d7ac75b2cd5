"""The words every part of auditpipe shares, each defined once.

Severities (in rising order) and "at or above a severity", the finding categories, the report
formats and their file suffixes, and the since/until order check. SQL that needs one of these
lists gets a fragment generated from the same Python data (``severity_list_sql``), so a new
severity or category is added here and nowhere else.
"""

from __future__ import annotations

import datetime as dt

from .errors import UsageError
from .i18n import _

# Finding categories, in the order reports list them: the draft amendments' four prohibitions on
# users' login and real identification information (the confidentiality family), then the
# real-name registration requirement (the real_name family, issue 11).
CONFIDENTIALITY_CATEGORIES: tuple[str, ...] = (
    "selling",
    "disclosure",
    "modification",
    "illegal_use",
)
REAL_NAME = "real_name"
CATEGORIES: tuple[str, ...] = (*CONFIDENTIALITY_CATEGORIES, REAL_NAME)
# Category -> family. The penalty exposure depends on it: the draft names fines for the
# confidentiality family only; for real-name registration it orders rectification.
FAMILIES: dict[str, str] = {
    **dict.fromkeys(CONFIDENTIALITY_CATEGORIES, "confidentiality"),
    REAL_NAME: REAL_NAME,
}

# Severities in rising order: a finding's rank is its position + 1 (low = 1 ... critical = 4).
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
# Most serious first, the order tables show them in.
SEVERITIES_MOST_SERIOUS_FIRST: tuple[str, ...] = tuple(reversed(SEVERITIES))
# --fail-on takes a severity or "none" (never fail).
NO_SEVERITY = "none"
FAIL_ON_CHOICES: tuple[str, ...] = (*SEVERITIES, NO_SEVERITY)

# Report formats, and the file suffix each is written with.
REPORT_FORMATS: tuple[str, ...] = ("terminal", "markdown", "html", "json", "csv")
REPORT_SUFFIXES: dict[str, str] = {
    "terminal": "txt",
    "markdown": "md",
    "html": "html",
    "json": "json",
    "csv": "csv",
}
# Suffixes --output understands when --format is not given (the canonical ones plus aliases).
SUFFIX_FORMATS: dict[str, str] = {
    **{f".{suffix}": fmt for fmt, suffix in REPORT_SUFFIXES.items()},
    ".markdown": "markdown",
    ".htm": "html",
}


def severity_rank(severity: str) -> int:
    """1 for low ... 4 for critical; ValueError for anything else."""
    return SEVERITIES.index(severity) + 1


def at_or_above(level: str) -> tuple[str, ...]:
    """The severities at or above ``level``; none for ``"none"`` (so nothing fails)."""
    if level == NO_SEVERITY:
        return ()
    if level not in SEVERITIES:
        raise ValueError(f"unknown severity {level!r}")
    return SEVERITIES[SEVERITIES.index(level) :]


def severity_list_sql() -> str:
    """The severities as a DuckDB list literal in rising order, indexed by rank (1-based)."""
    return "[" + ", ".join(f"'{s}'" for s in SEVERITIES) + "]"


def check_period(since: dt.date | None, until: dt.date | None) -> None:
    """A UsageError when both ends are given and ``since`` comes after ``until``."""
    if since and until and since > until:
        raise UsageError(
            _("--since {since} is after --until {until}").format(since=since, until=until),
            hint=_("give the first day of the period with --since and the last with --until"),
        )
