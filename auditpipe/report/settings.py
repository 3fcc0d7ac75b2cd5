"""``[report]`` settings: how much a report lists. Masking is not a setting: only ``--unmask``
(``unmask=True``) turns it off, so a config file cannot silently make reports leak."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from ..config import Config, load_settings
from ..errors import ConfigError
from ..i18n import SUPPORTED_LANGUAGES, _, language_chosen, normalize_language, using_language


@dataclass(frozen=True)
class ReportSettings:
    # Evidence event ids printed per finding (the SQL to see all of them is printed beside).
    evidence_ids: int = 5
    # Evidence events the HTML report shows as records under each listed finding (0: none; the
    # count of the rest and the `auditpipe findings show` command that lists them all follow).
    evidence_rows: int = 5
    # Rows in the top actors and top destination parties tables.
    top_n: int = 10
    # Findings listed one by one in terminal, markdown and html (json and csv list all).
    listed_findings: int = 500
    # The language of reports (en, zh-CN); empty: the locale's. --lang wins over it.
    lang: str = ""
    # Start the csv format with a UTF-8 byte order mark, so Excel reads it as UTF-8 (on a
    # Chinese-locale Windows it otherwise guesses GBK and garbles names). --bom/--no-bom win.
    csv_bom: bool = False

    def __post_init__(self) -> None:
        if self.lang and normalize_language(self.lang) is None:
            raise ConfigError(
                _("[report] lang = {value!r} is not a language auditpipe has").format(
                    value=self.lang
                ),
                hint=_("use one of: {choices}").format(choices=", ".join(SUPPORTED_LANGUAGES)),
            )
        for key in ("evidence_ids", "evidence_rows", "top_n", "listed_findings"):
            least = 0 if key in ("listed_findings", "evidence_rows") else 1
            if getattr(self, key) < least:
                raise ConfigError(
                    _("[report] {key} = {getattr} is out of range").format(
                        key=key, getattr=getattr(self, key)
                    ),
                    hint=_("{key} must be at least {least}").format(key=key, least=least),
                )

    @classmethod
    def from_config(cls, config: Config, **overrides: int | bool | None) -> ReportSettings:
        """Settings from ``[report]``; keyword overrides win when not None."""
        return load_settings(config, "report", cls, overrides)


@contextlib.contextmanager
def report_language(config: Config) -> Iterator[str]:
    """The block (building and rendering a report) in the report's language: ``--lang`` when
    given, else ``[report] lang``, else the language already in force (the locale's)."""
    lang = None if language_chosen() else ReportSettings.from_config(config).lang or None
    with using_language(lang) as code:
        yield code
