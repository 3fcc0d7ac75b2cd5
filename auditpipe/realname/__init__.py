"""Real-name registration (issue 11): account snapshots in, ID numbers never stored.

- ``idcard``: the GB 11643-1999 checks of a resident ID number, as column SQL
  (``check_numbers`` runs them over any column), and the ID-like-token redaction;
- ``secret``: the lake's identity key and the keyed hash (HMAC-SHA256) that stands in for a
  number;
- ``normalize``/``stage``/``ingest``: account snapshot files into the ``accounts`` table with
  the ingest core's guarantees (``ingest_paths`` routes ``*.accounts.*`` files here).
"""

from .idcard import PROBLEMS, check_numbers, with_check_characters
from .ingest import date_in_name, is_snapshot_name

__all__ = [
    "PROBLEMS",
    "check_numbers",
    "date_in_name",
    "is_snapshot_name",
    "with_check_characters",
]
