"""Each finding's summary in the report's language, filled again in SQL at report time.

Detect stores summaries in English (``detect/summary.py`` says why). A report in another
language fills each finding's rule template in that language (``summary.zh-CN`` in the rule's
header) from the finding's own columns, with the catalog's words, in one query over the period's
findings. A finding whose rule has no template in that language (a user rule written only in
English, a rule no longer configured) keeps its stored summary.

The settings a template may name (``{bulk_threshold}``, ``{identity_limit}``) and those the
wording depends on (the protected classes listed, "credentials" for a credential category)
are the report's configuration, as in the report's provenance: if they changed since detect
ran, the localized summary states the current ones, and ``auditpipe detect`` refreshes the
stored English ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..db import Database
from ..detect.rules import Rule
from ..detect.session import create_detect_settings
from ..detect.settings import DetectSettings
from ..detect.summary import ENGLISH, fill_sql, phrase_columns_sql
from ..i18n import DEFAULT_LANGUAGE

# Helper columns the localized source adds and drops again.
_HELPERS = (
    "localized_template",
    "has_credential",
    "protected_classes",
    "bulk_threshold",
    "max_accounts_per_identity",
    "actor_phrase",
    "data_phrase",
    "cny_phrase",
    "unconverted_phrase",
)


def findings_source(
    con: Database, rules: Sequence[Rule], settings: DetectSettings | None, language: str
) -> str:
    """A relation with the columns of ``findings`` to read findings from: ``findings`` itself
    in English, without ``settings``, or when none of ``rules`` (the rules known now) has a
    template in ``language``; else ``findings`` with ``summary`` filled in ``language``.
    Creates the temp tables that relation reads."""
    if language == DEFAULT_LANGUAGE or settings is None:
        return "findings"
    templates = {
        rule.id: text for rule in rules if (text := rule.localized("summary", language)) is not None
    }
    if not templates:
        return "findings"
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE report_summary_templates AS
        SELECT unnest($ids::VARCHAR[]) AS rule_id, unnest($texts::VARCHAR[]) AS localized_template
        """,
        {"ids": list(templates), "texts": list(templates.values())},
    )
    create_detect_settings(con, settings)
    words = ENGLISH.translated()
    return f"""(
    SELECT * EXCLUDE ({", ".join(_HELPERS)})
        REPLACE (coalesce({fill_sql(words, "localized_template")}, summary) AS summary)
    FROM (
        SELECT *, {phrase_columns_sql(words)}
        FROM (
            SELECT
                f.*,
                t.localized_template,
                list_has_any(f.data_categories, s.credential_categories) AS has_credential,
                s.protected_classes,
                s.bulk_threshold,
                s.max_accounts_per_identity
            FROM findings AS f
            LEFT JOIN report_summary_templates AS t ON t.rule_id = f.rule_id
            CROSS JOIN detect_settings AS s
        )
    )
)"""
