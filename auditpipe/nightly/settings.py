"""Nightly settings: the ``[nightly]`` table of auditpipe.toml, overridable by flags."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, load_settings
from ..errors import ConfigError
from ..i18n import _
from ..vocabulary import FAIL_ON_CHOICES, REPORT_SUFFIXES

# The reports a night can write (format -> file suffix).
REPORT_FILE_FORMATS = {f: REPORT_SUFFIXES[f] for f in ("html", "markdown", "json")}
PROCESSED_DIR = "processed"
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart")


@dataclass(frozen=True)
class NightlySettings:
    # A file modified less than this many seconds ago may still be being written: next run.
    settle_seconds: float = 60.0
    # Move files into <inbox>/processed/<night>/ once their ingest has committed.
    move_processed: bool = False
    # New findings at or above this severity make the run exit 1 ("none" never does).
    fail_on: str = "high"
    # Where the night's reports go; None means <lake>/reports.
    reports_dir: Path | None = None
    # Which reports to write each night.
    report_formats: tuple[str, ...] = ("html", "markdown", "json")

    def __post_init__(self) -> None:
        if self.fail_on not in FAIL_ON_CHOICES:
            raise ConfigError(
                _("nightly fail_on {fail_on!r} is not one of {items}").format(
                    fail_on=self.fail_on, items=", ".join(FAIL_ON_CHOICES)
                ),
                hint=_('use e.g. fail_on = "high" in [nightly], or --fail-on high'),
            )
        if not math.isfinite(self.settle_seconds):  # --settle-seconds inf (or nan)
            raise ConfigError(
                _("nightly settle_seconds is {settle_seconds}; it must be a finite number").format(
                    settle_seconds=self.settle_seconds
                ),
                hint=_("use 0 to take every file at once"),
            )
        if self.settle_seconds < 0:
            raise ConfigError(
                _("nightly settle_seconds is {settle_seconds}; it cannot be negative").format(
                    settle_seconds=self.settle_seconds
                ),
                hint=_("use 0 to take every file at once"),
            )
        unknown = [f for f in self.report_formats if f not in REPORT_FILE_FORMATS]
        if unknown:
            raise ConfigError(
                _("nightly report_formats has unknown format(s) {items}").format(
                    items=", ".join(unknown)
                ),
                hint=_("choose among {items}").format(items=", ".join(REPORT_FILE_FORMATS)),
            )

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> NightlySettings:
        """Settings from ``[nightly]``; keyword overrides (flags the user gave) win when not None."""
        return load_settings(config, "nightly", cls, overrides)
