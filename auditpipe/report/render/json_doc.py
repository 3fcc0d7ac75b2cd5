"""The report as one JSON document, described by schemas/report.schema.json.

Indented for people, except that each finding is one compact line: a report can hold tens of
thousands. Those lines are the findings' JSON objects as DuckDB wrote them, already joined with
this indentation (``FindingList.json_objects``: the text ``json.dumps`` writes for each,
without a Python object per finding). The document parses the same either way.
"""

from __future__ import annotations

import json

from ..model import Report

_PLACEHOLDER = "__auditpipe_findings__"


def render_json(report: Report) -> str:
    doc = report.to_dict(with_findings=False)
    del doc["findings"]
    doc["findings"] = _PLACEHOLDER  # last in the document, as it has always been written
    head = json.dumps(doc, indent=2, ensure_ascii=False)
    before, after = head.split(json.dumps(_PLACEHOLDER), 1)
    if not report.findings:
        return before + "[]" + after + "\n"
    # one concatenation: the findings' text is most of the document
    return "".join((before, "[\n    ", report.findings.json_objects(), "\n  ]", after, "\n"))
