"""A report's provenance: the auditpipe version, the rules and their settings, the broker
watchlist, the exchange rates and the input files, so each report says what it came from.

The input files are those that delivered the report's events (``events.source_sha256`` joined
to the ingest manifest), found by one aggregate query, in the order of their first event (not
by path: the same data gives the same report wherever its files were read from). Rules and settings are read from the
configuration the report is made with: the findings were stored by ``auditpipe detect``, which
reads the same configuration unless flags overrode it, and a rule with findings that the
configuration does not have is listed as such rather than left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import Config
from ..db import Database
from ..errors import ConfigError
from ..i18n import N_
from .model import InputFile, Provenance, RuleSource, Watchlist

if TYPE_CHECKING:
    from ..detect.settings import DetectSettings

# Settings that change how auditpipe runs, not what it finds: left out of the provenance.
_RUNTIME_SETTINGS = frozenset({"penalty", "memory_limit", "threads", "broker_watchlist"})

BASIS = N_(
    "Findings were stored by auditpipe detect. The rules and settings listed are those of the "
    "configuration this report was made with; detect uses the same unless it was given "
    "other flags (--rules, --bulk-threshold, --broker-watchlist)."
)

INPUT_FILES = """
WITH files AS (
    SELECT source_sha256 AS sha256, sum(events)::BIGINT AS events_in_report,
           min(first_event) AS first_event
    FROM report_event_files
    GROUP BY source_sha256
),
manifest AS (
    SELECT sha256,
           arg_max(source_file, finished_at) AS source_file,
           arg_max(format, finished_at) AS format,
           arg_max(rows_read, finished_at) AS rows_read,
           arg_max(rows_stored, finished_at) AS rows_stored,
           arg_max(rows_quarantined, finished_at) AS rows_quarantined,
           arg_max(rows_duplicate, finished_at) AS rows_duplicate
    FROM ingest_log
    WHERE status = 'ingested'
    GROUP BY sha256
)
SELECT f.sha256, m.source_file, m.format, m.rows_read, m.rows_stored, m.rows_quarantined,
       m.rows_duplicate, f.events_in_report
FROM files AS f
LEFT JOIN manifest AS m USING (sha256)
ORDER BY f.first_event, f.sha256
"""

RULE_FINDINGS = "SELECT rule_id, count(*) FROM report_findings GROUP BY rule_id"


def build_provenance(con: Database, config: Config, params: dict[str, Any]) -> Provenance:
    """The provenance of a report whose findings are staged in ``report_findings``, its
    events counted in ``report_event_files`` (``queries.STAGE_EVENT_FILES``), and whose period
    and provider are ``params`` (``since``, ``until``, ``provider``)."""
    from ..detect.rules import TERMS_FILE, read_rules
    from ..detect.settings import DetectSettings
    from ..i18n import current_language

    detect = DetectSettings.from_config(config)
    counts = dict(con.execute(RULE_FINDINGS).fetchall())
    rules = [
        RuleSource(
            rule_id=r.id,
            title=r.localized("title", current_language()) or r.title,
            category=r.category,
            severity=r.severity,
            source=r.source,
            sha256=_sha256(r.path),
            configured=True,
            findings=counts.pop(r.id, 0),
        )
        for r in read_rules(detect.rule_dirs, disabled=detect.disabled_rules)
    ]
    rules += [
        RuleSource(rule_id, "", "", "", "not in this configuration", None, False, n)
        for rule_id, n in sorted(counts.items())
    ]
    penalty = detect.penalty
    return Provenance(
        auditpipe_version=__version__,
        config_file=str(config.path) if config.path else None,
        config_sha256=_sha256(config.path) if config.path else None,
        rules=rules,
        terms_sha256=_sha256(TERMS_FILE),
        detect_settings=_settings_text(detect),
        penalty_settings=_settings_text(penalty, leave_out={"rates"}),
        exchange_rates={code: _text(rate) for code, rate in sorted(penalty.rates.items())},
        watchlist=_watchlist(detect),
        input_files=[InputFile(*row) for row in con.execute(INPUT_FILES).fetchall()],
        basis=BASIS,
    )


def _watchlist(detect: DetectSettings) -> Watchlist:
    """The broker watchlist; one that cannot be read is shown without names or hash (detect
    would stop on it, the report still says where it was looked for)."""
    path = detect.broker_watchlist
    if path is None:
        return Watchlist(path=None, sha256=None, names=[])
    try:
        names = detect.watchlist_names()
    except ConfigError:
        names = []
    return Watchlist(path=str(path), sha256=_sha256(path), names=names)


def _settings_text(
    settings: Any, leave_out: set[str] | frozenset[str] = _RUNTIME_SETTINGS
) -> dict[str, str]:
    return {
        f.name: _text(getattr(settings, f.name))
        for f in fields(settings)
        if f.name not in leave_out
    }


def _text(value: Any) -> str:
    """A setting as the text a reader would write it in auditpipe.toml."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return (
            format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def _sha256(path: Path) -> str | None:
    """The file's sha256, or None when it cannot be read (the report still says where)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()
