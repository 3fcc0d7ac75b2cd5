"""Running the SQL a user typed: split into statements, run them in order, keep the last result.

Every DuckDB error becomes a ``SqlError`` carrying DuckDB's own message, which names the
position (``LINE 1: ...`` and a caret); a statement refused because it would touch files gets a
hint saying why the lake is read-only and how to export instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import SqlError
from ..i18n import N_, _

if TYPE_CHECKING:
    import duckdb

# Statement types whose result rows are worth showing (others answer "Success" or "Count").
# MULTI is what DuckDB calls a PIVOT statement (it runs as several statements, the last a SELECT).
_ROW_STATEMENTS = {
    "SELECT",
    "MULTI",
    "EXPLAIN",
    "PRAGMA",
    "CALL",
    "EXECUTE",
    "RELATION",
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE_INTO",
}

READ_ONLY_HINT = N_(
    "auditpipe sql opens the lake read-only and cannot touch files; to save a result use "
    "--format csv|json|parquet --output FILE"
)


@dataclass
class QueryResult:
    """The last statement's rows (``relation``), or None when it returns none to show."""

    statements: int
    relation: duckdb.DuckDBPyRelation | None


def sql_error(exc: Exception) -> SqlError:
    """A SqlError from a DuckDB exception: DuckDB's message (with position) and a hint."""
    import duckdb

    from ..lake.damage import damaged_file_error

    damaged = damaged_file_error(exc)
    if damaged is not None:
        return SqlError(damaged.message, hint=damaged.hint)
    message = str(exc).strip()
    hint = None
    if isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in message:
        hint = _(READ_ONLY_HINT)
    elif "configuration has been locked" in message:
        hint = _("settings that could reach files are locked; SET works for: {names}").format(
            names=", ".join(_user_settings())
        )
    elif isinstance(exc, duckdb.OutOfMemoryException) or message.startswith("Out of Memory"):
        hint = _(MEMORY_HINT)
    elif isinstance(exc, duckdb.CatalogException):
        from ..lake.views import VIEW_NAMES

        hint = _("the views are {names}").format(names=", ".join(VIEW_NAMES))
    elif "No such file or directory" in message and "registered as '_lake_" in message:
        hint = _(VANISHED_HINT)
    elif "registered as '_lake_" in message:  # decoding failed in a file it does not name
        hint = _(DAMAGED_HINT)
    return SqlError(message, hint=hint)


# A lake file failed to decode and the error does not say which (pyarrow's codec errors).
DAMAGED_HINT = N_(
    "a lake file could not be decoded, so it is damaged: auditpipe detect --lake LAKE names it "
    "and the source it came from; restore it from a backup of the lake"
)

# A query that needs more memory than the session's limit (and could not spill enough).
MEMORY_HINT = N_(
    "the query needs more memory than the session's limit: run it again with a larger "
    "--memory-limit (e.g. --memory-limit 4GB), or SET memory_limit = '4GB' at the prompt"
)

# A lake file the session listed was replaced by a writer (compact, detect) after it opened.
VANISHED_HINT = N_(
    "the lake changed since this session listed its files (compact or detect replaced some): "
    "type .refresh at the prompt, or connect again, and rerun the query"
)


def _user_settings() -> tuple[str, ...]:
    from .connection import USER_SETTINGS

    return USER_SETTINGS


def split_statements(con: duckdb.DuckDBPyConnection, text: str) -> list[duckdb.Statement]:
    import duckdb

    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        raise sql_error(exc) from None
    if not statements:
        raise SqlError(_("no SQL statement given"), hint=_('e.g. "SELECT count(*) FROM events"'))
    return list(statements)


def run_sql(con: duckdb.DuckDBPyConnection, text: str) -> QueryResult:
    """Run every statement of ``text``; the last one's rows come back lazily as a relation."""
    import duckdb

    statements = split_statements(con, text)
    relation = None
    for statement in statements:
        try:
            relation = con.sql(statement.query)
        except duckdb.Error as exc:
            raise sql_error(exc) from None
    last = statements[-1]
    if relation is not None and last.type.name not in _ROW_STATEMENTS:
        relation = None
    if relation is not None and relation.columns == ["Success"]:
        relation = None
    return QueryResult(statements=len(statements), relation=relation)
