"""The report as one JSON document, described by schemas/report.schema.json.

Indented for people, except that each finding is one compact line: a report can hold tens of
thousands, and the C encoder (used without indentation) is many times faster than the indenting
one. The document parses the same either way.
"""

from __future__ import annotations

import json

from ..model import Report

_PLACEHOLDER = "__auditpipe_findings__"


def render_json(report: Report) -> str:
    doc = report.to_dict()
    findings = doc.pop("findings")
    doc["findings"] = _PLACEHOLDER
    head = json.dumps(doc, indent=2, ensure_ascii=False)
    if findings:
        lines = ",\n".join("    " + json.dumps(f, ensure_ascii=False) for f in findings)
        body = "[\n" + lines + "\n  ]"
    else:
        body = "[]"
    return head.replace(json.dumps(_PLACEHOLDER), body, 1) + "\n"
