"""Column names and DuckDB types of every table auditpipe stores in the lake.

One place, so the ingest query, detect, the views over an empty lake, and the docs agree.
Partition columns (``provider_id``, ``event_date``) come from the hive path, not the files.
"""

from __future__ import annotations

PARTITION_COLUMNS: list[tuple[str, str]] = [("provider_id", "VARCHAR"), ("event_date", "DATE")]

# Columns inside events/**/*.parquet, in file order.
EVENT_FILE_COLUMNS: list[tuple[str, str]] = [
    ("event_id", "VARCHAR"),
    ("event_time", "TIMESTAMP WITH TIME ZONE"),
    ("provider_type", "VARCHAR"),
    ("system", "VARCHAR"),
    ("actor_id", "VARCHAR"),
    ("actor_type", "VARCHAR"),
    ("action", "VARCHAR"),
    ("subject_id", "VARCHAR"),
    ("record_count", "BIGINT"),
    ("data_fields", "VARCHAR[]"),
    ("data_classes", "VARCHAR[]"),
    ("data_categories", "VARCHAR[]"),
    ("destination_type", "VARCHAR"),
    ("destination_party", "VARCHAR"),
    ("authorization_ref", "VARCHAR"),
    ("purpose", "VARCHAR"),
    ("amount", "DECIMAL(18,4)"),
    ("currency", "VARCHAR"),
    ("outcome", "VARCHAR"),
    ("source_ip", "VARCHAR"),
    ("extras", "JSON"),
    ("event_id_derived", "BOOLEAN"),
    ("source_file", "VARCHAR"),
    ("source_sha256", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("ingest_run_id", "VARCHAR"),
    ("ingested_at", "TIMESTAMP WITH TIME ZONE"),
]

EVENT_COLUMNS = EVENT_FILE_COLUMNS + PARTITION_COLUMNS

QUARANTINE_COLUMNS: list[tuple[str, str]] = [
    ("source_file", "VARCHAR"),
    ("source_sha256", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("raw", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("provider_id", "VARCHAR"),
    ("ingest_run_id", "VARCHAR"),
    ("ingested_at", "TIMESTAMP WITH TIME ZONE"),
]

# accounts/provider_id=<p>/snapshot_date=<d>/*.parquet (account snapshots, auditpipe.realname):
# no ID document number, only whether there was one, the checks' verdict and a keyed hash.
ACCOUNT_FILE_COLUMNS: list[tuple[str, str]] = [
    ("account_id", "VARCHAR"),
    ("registered_at", "TIMESTAMP WITH TIME ZONE"),
    ("verification_status", "VARCHAR"),
    ("verified_at", "TIMESTAMP WITH TIME ZONE"),
    ("verification_method", "VARCHAR"),
    ("id_number_present", "BOOLEAN"),
    ("id_number_valid", "BOOLEAN"),
    ("id_number_problem", "VARCHAR"),
    ("identity_hash", "VARCHAR"),
    ("snapshot_id", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_line", "BIGINT"),
    ("ingested_at", "TIMESTAMP WITH TIME ZONE"),
]
ACCOUNT_PARTITION_COLUMNS: list[tuple[str, str]] = [
    ("provider_id", "VARCHAR"),
    ("snapshot_date", "DATE"),
]
ACCOUNT_COLUMNS = ACCOUNT_FILE_COLUMNS + ACCOUNT_PARTITION_COLUMNS

# findings/provider_id=<p>/event_date=<d>/*.parquet (written by detect); partition columns last.
FINDING_FILE_COLUMNS: list[tuple[str, str]] = [
    ("finding_id", "VARCHAR"),
    ("rule_id", "VARCHAR"),
    ("category", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("actor_id", "VARCHAR"),
    ("actor_type", "VARCHAR"),
    ("first_seen", "TIMESTAMP WITH TIME ZONE"),
    ("last_seen", "TIMESTAMP WITH TIME ZONE"),
    ("event_count", "BIGINT"),
    ("record_count", "BIGINT"),
    ("subject_count", "BIGINT"),
    ("data_classes", "VARCHAR[]"),
    ("data_categories", "VARCHAR[]"),
    ("destination_party", "VARCHAR"),
    ("proceeds_cny", "DECIMAL(18,2)"),
    ("unconverted_amounts", "STRUCT(currency VARCHAR, amount DECIMAL(18,4))[]"),
    ("evidence_event_ids", "VARCHAR[]"),
    ("evidence_record_counts", "BIGINT[]"),  # record_count of each evidence event, same order
    ("summary", "VARCHAR"),
    ("detected_at", "TIMESTAMP WITH TIME ZONE"),
]

FINDING_COLUMNS = FINDING_FILE_COLUMNS + PARTITION_COLUMNS


def empty_select(columns: list[tuple[str, str]]) -> str:
    """A SELECT returning no rows with these columns, for views over a lake not yet written."""
    cols = ", ".join(f"CAST(NULL AS {typ}) AS {name}" for name, typ in columns)
    return f"SELECT {cols} WHERE false"
