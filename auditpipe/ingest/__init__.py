"""Ingest providers' access logs into the lake. See pipeline.py for how."""

from .pipeline import (
    STATUS_INGESTED,
    STATUS_REJECTED,
    STATUS_SKIPPED,
    FileResult,
    IngestResult,
    Inputs,
    check_timezone,
    find_inputs,
    ingest_paths,
)
from .settings import IngestSettings

__all__ = [
    "STATUS_INGESTED",
    "STATUS_REJECTED",
    "STATUS_SKIPPED",
    "FileResult",
    "IngestResult",
    "IngestSettings",
    "Inputs",
    "check_timezone",
    "find_inputs",
    "ingest_paths",
]
