"""Running the SQL a user typed: split into statements, run them in order, keep the last result.

Every DuckDB error becomes a ``SqlError`` carrying DuckDB's own message, which names the
position (``LINE 1: ...`` and a caret); a statement refused because it would touch files gets a
hint saying why the lake is read-only and how to export instead.
"""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class Placement:
    """Where a statement sits in the SQL the user gave.

    DuckDB numbers the ``LINE n`` of an error from the statement's first non-blank character
    (earlier statements, blank lines and the white space before it do not count), and, for an
    error raised while the result is being written, from the formatting query wrapped around
    it. ``locate`` turns that number into the line of the input."""

    text: str  # the statement, without the white space around it
    first_line: int  # the input line its first character is on (1-based)

    def locate(self, message: str, wrapped: int = 0) -> str:
        """``message`` with its ``LINE n:`` counted in the input. ``wrapped``: lines of the
        formatting query before the statement, when the error may come from it (the line
        DuckDB shows then says which of the two it counted from)."""
        lines = self.text.splitlines()

        def shows(shown: str, line: str) -> bool:
            # DuckDB shortens a long line to the part around the error, with "..." at the ends
            return shown.removeprefix("...").removesuffix("...") in line

        def located(match: re.Match[str]) -> str:
            number, shown = int(match.group(1)), match.group(2)
            for offset in dict.fromkeys((wrapped, 0)):
                k = number - offset
                if 1 <= k <= len(lines) and shows(shown, lines[k - 1]):
                    return f"LINE {k + self.first_line - 1}: {shown}"
            return match.group(0)

        return _LINE.sub(located, message)


_LINE = re.compile(r"^LINE (\d+): (.*)$", re.M)


def placements(text: str, statements: list[duckdb.Statement]) -> list[Placement | None]:
    """Each statement's Placement in ``text`` (None if DuckDB's text of it cannot be found)."""
    found: list[Placement | None] = []
    position = 0
    for statement in statements:
        query = statement.query
        start = text.find(query, position)
        if start < 0:
            found.append(None)
            continue
        position = start + len(query)
        body = query.lstrip()
        first = start + len(query) - len(body)
        found.append(
            Placement(body.rstrip().removesuffix(";").rstrip(), text.count("\n", 0, first) + 1)
        )
    return found


@dataclass
class QueryResult:
    """The last statement's rows (``relation``), or None when it returns none to show;
    ``placement``: where that statement is in the input (for the line of an error)."""

    statements: int
    relation: duckdb.DuckDBPyRelation | None
    placement: Placement | None = None


def sql_error(exc: Exception, placement: Placement | None = None, wrapped: int = 0) -> SqlError:
    """A SqlError from a DuckDB exception: DuckDB's message (with position) and a hint.
    ``placement``: where the failing statement is in the input, so that the message's line
    is the input's (see ``Placement.locate``)."""
    import duckdb

    from ..lake.damage import damaged_file_error

    damaged = damaged_file_error(exc)
    if damaged is not None:
        return SqlError(damaged.message, hint=damaged.hint)
    message = str(exc).strip()
    if placement is not None:
        message = placement.locate(message, wrapped)
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
    where = placements(text, statements)
    relation = None
    for statement, placement in zip(statements, where, strict=True):
        try:
            relation = con.sql(statement.query)
        except duckdb.Error as exc:
            raise sql_error(exc, placement) from None
    last = statements[-1]
    if relation is not None and last.type.name not in _ROW_STATEMENTS:
        relation = None
    if relation is not None and relation.columns == ["Success"]:
        relation = None
    return QueryResult(statements=len(statements), relation=relation, placement=where[-1])
