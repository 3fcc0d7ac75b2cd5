"""Former home of the lake's views, now ``auditpipe.lake.views``; kept so that code written
against it (the ingest package, tests, other branches) imports unchanged."""

from .lake.commit import table_files  # noqa: F401
from .lake.views import (  # noqa: F401
    FINDING_EVIDENCE_BODY,
    INGEST_LOG_COLUMNS,
    PARQUET_TABLES,
    VIEW_NAMES,
    ParquetTable,
    create_views,
    ingest_log_body,
    quote_identifier,
    sql_string,
    view_statements,
)
