"""Running one query to an Arrow table without DuckDB 2.0's relation layer.

``con.sql(text).to_arrow_table()`` builds a lazy relation first: DuckDB 2.0's Python layer
tokenises the text in Python to find parameter markers, binds the statement to learn its
schema, and then parses and binds it again when it runs. For the long generated queries that
ingest runs once per batch (hundreds of CASE branches), that costs 0.03 to 0.1 s of CPU per
query, several percent of an ingest. ``arrow_table`` runs the statement once through the DB-API
path instead. DuckDB warns that this path copies the result once more; measured on ingest's
batches, the copy costs less than the planning it saves, so that warning is silenced here, for
this path only.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

# The DB-API result's Arrow output warns about its extra copy: expected here (module docstring).
warnings.filterwarnings(
    "ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning
)


def arrow_table(con: Any, sql: str, params: dict[str, Any] | list[Any] | None = None) -> pa.Table:
    """The rows of one SELECT on ``con`` (a DuckDB connection or cursor) as an Arrow table,
    parsed, bound and planned once."""
    cursor = con.execute(sql, params) if params is not None else con.execute(sql)
    return cursor.to_arrow_table()
