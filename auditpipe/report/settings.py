"""``[report]`` settings: how much a report lists. Masking is not a setting: only ``--unmask``
(``unmask=True``) turns it off, so a config file cannot silently make reports leak."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, load_settings
from ..errors import ConfigError


@dataclass(frozen=True)
class ReportSettings:
    # Evidence event ids printed per finding (the SQL to see all of them is printed beside).
    evidence_ids: int = 5
    # Rows in the top actors and top destination parties tables.
    top_n: int = 10
    # Findings listed one by one in terminal, markdown and html (json and csv list all).
    listed_findings: int = 500

    def __post_init__(self) -> None:
        for key in ("evidence_ids", "top_n", "listed_findings"):
            least = 0 if key == "listed_findings" else 1
            if getattr(self, key) < least:
                raise ConfigError(
                    f"[report] {key} = {getattr(self, key)} is out of range",
                    hint=f"{key} must be at least {least}",
                )

    @classmethod
    def from_config(cls, config: Config, **overrides: int | None) -> ReportSettings:
        """Settings from ``[report]``; keyword overrides win when not None."""
        return load_settings(config, "report", cls, overrides)
