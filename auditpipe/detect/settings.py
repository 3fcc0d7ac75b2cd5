"""Detect settings: the ``[detect]`` table of auditpipe.toml, overridable by flags.

Every threshold a rule uses lives here with its default; the engine hands them to DuckDB as
bound parameters in the one-row ``detect_settings`` table, so rules never hold literals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..config import Config, load_settings
from ..contract import load_catalog
from ..errors import ConfigError
from ..i18n import _
from ..penalty import PenaltySettings


@dataclass(frozen=True)
class DetectSettings:
    # illegal_use_bulk fires when one actor's record_count over one day reaches this.
    bulk_threshold: int = 1000
    # real_name_shared_identity fires when MORE than this many verified accounts of one provider
    # share one identity (the keyed hash of one ID number) in one snapshot.
    max_accounts_per_identity: int = 5
    # A text file of data-broker names, one a line ('#' comments); None = empty watchlist.
    broker_watchlist: Path | None = None
    # Data classes that make an event protected; default: the data catalog's protected_classes.
    protected_classes: tuple[str, ...] = ("login", "identity")
    # Data categories that count as login credentials (illegal_use_credential, severity).
    credential_categories: tuple[str, ...] = ("credential",)
    # Extra folders of user rules, on top of --rules.
    rule_dirs: tuple[Path, ...] = ()
    # Rule ids not to run.
    disabled_rules: tuple[str, ...] = ()
    # Severity table (docs/detect.md, "Severity"): record_count at which volume scores 1, 2, 3 points,
    severity_record_steps: tuple[int, ...] = (100, 1000, 10000)
    # and proceeds (CNY) at which proceeds score a 2nd and 3rd point (any payment scores 1).
    severity_proceeds_steps_cny: tuple[Decimal, ...] = (Decimal("50000"), Decimal("500000"))
    # [penalty]: the rate table (proceeds_cny of findings) and the exposure printed after a run.
    penalty: PenaltySettings = field(default_factory=PenaltySettings, metadata={"config": False})
    # DuckDB's memory ceiling; beyond it DuckDB spills to the lake's _auditpipe/staging.
    memory_limit: str = "4GB"
    # DuckDB threads; None = the cores this process may use (db.usable_cpus: affinity, quota).
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.bulk_threshold < 1:
            raise ConfigError(
                _("detect bulk_threshold is {bulk_threshold}; it must be at least 1").format(
                    bulk_threshold=self.bulk_threshold
                ),
                hint=_("set bulk_threshold in [detect] or --bulk-threshold to a positive number"),
            )
        if self.max_accounts_per_identity < 1:
            raise ConfigError(
                _("detect max_accounts_per_identity is {n}; it must be at least 1").format(
                    n=self.max_accounts_per_identity
                ),
                hint=_(
                    "set max_accounts_per_identity in [detect] to a positive number (default 5)"
                ),
            )
        if len(self.severity_record_steps) != 3 or list(self.severity_record_steps) != sorted(
            self.severity_record_steps
        ):
            raise ConfigError(
                _("detect severity_record_steps must be three rising record counts"),
                hint=_("e.g. severity_record_steps = [100, 1000, 10000]"),
            )
        if len(self.severity_proceeds_steps_cny) != 2 or list(
            self.severity_proceeds_steps_cny
        ) != sorted(self.severity_proceeds_steps_cny):
            raise ConfigError(
                _("detect severity_proceeds_steps_cny must be two rising CNY amounts"),
                hint=_("e.g. severity_proceeds_steps_cny = [50000, 500000]"),
            )
        if self.threads is not None and self.threads < 1:
            raise ConfigError(_("detect threads must be at least 1"))
        if not self.protected_classes:
            raise ConfigError(
                _("detect protected_classes is empty, so no event could ever be protected"),
                hint=_('e.g. protected_classes = ["login", "identity"]'),
            )

    @classmethod
    def from_config(cls, config: Config, **overrides: Any) -> DetectSettings:
        """Settings from ``[detect]`` (and rates from ``[penalty.rates]``, the catalog's
        protected classes from ``[ingest] catalog``); keyword overrides win when not None."""
        computed: dict[str, Any] = {"penalty": PenaltySettings.from_config(config)}
        if "protected_classes" not in config.section("detect"):
            ingest_catalog = config.section("ingest").get("catalog")
            catalog_path = config.resolve_path(ingest_catalog) if ingest_catalog else None
            computed["protected_classes"] = load_catalog(catalog_path).protected_classes
        return load_settings(config, "detect", cls, overrides, **computed)

    def watchlist_names(self) -> list[str]:
        """The broker watchlist: trimmed, lower-cased, no blanks or '#' comments."""
        if self.broker_watchlist is None:
            return []
        path = self.broker_watchlist
        try:
            text = path.read_text(encoding="utf-8-sig")  # a BOM is not a broker's name
        except FileNotFoundError:
            raise ConfigError(
                _("broker watchlist {path} does not exist").format(path=path),
                hint=_(
                    "set broker_watchlist in [detect] or --broker-watchlist to a text file with one data-broker name a line"
                ),
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                _("cannot read broker watchlist {path}: {exc}").format(path=path, exc=exc)
            ) from exc
        names = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
        return sorted({n for n in names if n})
