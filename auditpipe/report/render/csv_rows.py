"""The report as CSV: one row per finding (every finding, masked like the other formats)."""

from __future__ import annotations

import csv
import io

from ...outputs import neutralise_csv_cell
from ..model import Report

CSV_COLUMNS = (
    "finding_id",
    "rule_id",
    "category",
    "severity",
    "provider_id",
    "event_date",
    "actor_id",
    "actor_type",
    "destination_party",
    "first_seen",
    "last_seen",
    "event_count",
    "record_count",
    "subject_count",
    "data_classes",
    "data_categories",
    "proceeds_cny",
    "unconverted_amounts",
    "summary",
    "evidence_count",
    "evidence_sample",
    "evidence_sql",
)


def render_csv(report: Report) -> str:
    """Lists are joined with ';' and amounts without a CNY rate read like ``12.50 USD``;
    text cells that start like a formula are neutralised (``outputs.neutralise_csv_cell``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in report.findings:
        row: list[object] = [
            f.finding_id,
            f.rule_id,
            f.category,
            f.severity,
            f.provider_id,
            f.event_date.isoformat(),
            f.actor_id or "",
            f.actor_type or "",
            f.destination_party or "",
            f.first_seen.isoformat() if f.first_seen else "",
            f.last_seen.isoformat() if f.last_seen else "",
            f.event_count,
            f.record_count,
            f.subject_count,
            ";".join(f.data_classes),
            ";".join(f.data_categories),
            format(f.proceeds_cny, "f"),
            ";".join(f"{format(a, 'f')} {c}" for c, a in sorted(f.unconverted_amounts.items())),
            f.summary,
            f.evidence_count,
            ";".join(f.evidence_sample),
            f.evidence_sql,
        ]
        writer.writerow([neutralise_csv_cell(c) if isinstance(c, str) else c for c in row])
    return out.getvalue()
