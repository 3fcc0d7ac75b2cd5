"""Former home of the lake's column lists, now ``auditpipe.lake.schema``; kept so that code
written against it (the ingest package, other branches) imports unchanged."""

from .lake.schema import (  # noqa: F401
    EVENT_COLUMNS,
    EVENT_FILE_COLUMNS,
    FINDING_COLUMNS,
    FINDING_FILE_COLUMNS,
    PARTITION_COLUMNS,
    QUARANTINE_COLUMNS,
    empty_select,
)
