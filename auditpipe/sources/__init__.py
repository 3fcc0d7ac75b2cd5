"""Database audit logs as sources: PostgreSQL pgaudit (stderr, csvlog, jsonlog, syslog), MariaDB
server_audit, Percona audit_log JSON and MySQL Enterprise Audit JSON become contract events,
statement by statement.

One module per log kind (``pgaudit``, ``server_audit``, ``mysql_json`` for Percona's JSON,
``mysql_enterprise``) turns a file into statement frames behind one small interface
(``reader.Kind``); ``events`` turns any kind's statements into events, set-wise, through the
statement analysis in ``analysis`` (cached by fingerprint) and the scrubbing in ``scrub``.
``ingest --source FILE`` (or ``[ingest] sources`` in auditpipe.toml, see ``router``) reads
logs through ``SourceReader``; ``check`` validates settings against their schema.
"""

from ..ingest.sources import classify_as
from .check import CheckResult, check_source
from .reader import SourceReader, read_file
from .settings import KINDS, SourceSettings, load_settings

__all__ = [
    "KINDS",
    "CheckResult",
    "SourceReader",
    "SourceSettings",
    "check_source",
    "classify_as",
    "load_settings",
    "read_file",
]
