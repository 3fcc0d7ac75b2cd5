"""Reports: what compliance officers read, built by DuckDB aggregations over the lake.

    from auditpipe.report import build_report, render_report, REPORT_FORMATS
    report = build_report(lake, config=config, since=..., until=..., provider=None)
    text = render_report(report, "markdown")

Identifiers are masked unless ``unmask=True``. The JSON form is described by
``schemas/report.schema.json``.
"""

from __future__ import annotations

from .build import build_report
from .model import REPORT_SCHEMA_VERSION, Report
from .render import REPORT_FORMATS, SUFFIX_FORMATS, choose_format, render_report, write_report
from .settings import ReportSettings

__all__ = [
    "REPORT_FORMATS",
    "REPORT_SCHEMA_VERSION",
    "SUFFIX_FORMATS",
    "Report",
    "ReportSettings",
    "build_report",
    "choose_format",
    "render_report",
    "write_report",
]
