"""``[report]`` settings: how much a report lists. Masking is not a setting: only ``--unmask``
(``unmask=True``) turns it off, so a config file cannot silently make reports leak."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, get_typed
from ..errors import ConfigError


@dataclass(frozen=True)
class ReportSettings:
    # Evidence event ids printed per finding (the SQL to see all of them is printed beside).
    evidence_ids: int = 5
    # Rows in the top actors and top destination parties tables.
    top_n: int = 10
    # Findings listed one by one in terminal, markdown and html (json and csv list all).
    listed_findings: int = 500

    @classmethod
    def from_config(cls, config: Config, **overrides: int | None) -> ReportSettings:
        table = config.section("report")
        known = {"evidence_ids", "top_n", "listed_findings"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(
                f"unknown key(s) in [report]: {', '.join(unknown)}",
                hint="known keys: " + ", ".join(sorted(known)),
            )
        default = cls()
        values = {k: get_typed(table, k, int, getattr(default, k), "report") for k in known}
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key, value in values.items():
            if value < 0 or (key != "listed_findings" and value < 1):
                raise ConfigError(
                    f"[report] {key} = {value} is out of range",
                    hint=f"{key} must be at least {0 if key == 'listed_findings' else 1}",
                )
        return cls(**values)
