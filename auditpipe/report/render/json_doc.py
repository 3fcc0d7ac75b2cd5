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
    return render_json_bytes(report).decode("utf-8")


def render_json_bytes(report: Report) -> bytes:
    """The document as UTF-8: the findings' text stays the bytes DuckDB made (a Python string
    of it would take up to four bytes a character and be encoded again to be written)."""
    return b"".join(render_json_parts(report))


def render_json_parts(report: Report) -> tuple[bytes, ...]:
    """The document as UTF-8 in parts that make it when written one after the other: a file
    takes them so, without a copy of the whole document joined first (31 MB at 35,000
    findings)."""
    doc = report.to_dict(with_findings=False)
    del doc["findings"]
    doc["findings"] = _PLACEHOLDER  # last in the document, as it has always been written
    head = json.dumps(doc, indent=2, ensure_ascii=False)
    before, after = (part.encode("utf-8") for part in head.split(json.dumps(_PLACEHOLDER), 1))
    if not report.findings:
        return (before, b"[]", after, b"\n")
    return (before, b"[\n    ", report.findings.json_objects(), b"\n  ]", after, b"\n")
