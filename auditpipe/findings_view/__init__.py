"""Stored findings as people read them: ``findings list`` and ``findings show``.

- ``listing``: the findings matching filters (provider, days, category, severity, rule);
- ``show``: one finding, its rule and clause, and its evidence read in batches;
- ``report.evidence`` (its owner is the report, which shows the same records): the evidence
  records themselves, masked, with their source file resolved through its sha256;
- ``output``: text, JSON and CSV.

Everything is masked like the report (``report.masking``) unless ``unmask`` is given.
"""

from __future__ import annotations

from ..report.evidence import EvidenceRow, evidence_rows, show_command, stage_evidence
from .listing import DEFAULT_LIMIT, FindingFilter, FindingList, list_findings
from .show import FindingEvidence, NoSuchFinding, open_finding

__all__ = [
    "DEFAULT_LIMIT",
    "EvidenceRow",
    "FindingEvidence",
    "FindingFilter",
    "FindingList",
    "NoSuchFinding",
    "evidence_rows",
    "list_findings",
    "open_finding",
    "show_command",
    "stage_evidence",
]
