"""The database schema a source's statements are resolved against: table -> ordered columns.

Read from the DDL that ``pg_dump --schema-only`` / ``mysqldump --no-data`` print (only the
CREATE TABLE statements count; everything else in a dump is skipped), or from an
``information_schema.columns`` export as CSV with a header naming at least ``table_name`` and
``column_name`` (``ordinal_position`` orders the columns when present). Tables are keyed by
their bare lower-cased name: ``public.accounts`` and ``accounts`` are one table.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..i18n import _


@dataclass(frozen=True)
class DbSchema:
    tables: dict[str, list[str]] = field(default_factory=dict)

    def columns(self, table: str) -> list[str]:
        return self.tables.get(table.lower().split(".")[-1], [])

    def has(self, ref: str) -> bool:
        table, _, column = ref.rpartition(".")
        return column in self.columns(table)

    def for_sqlglot(self) -> dict[str, dict[str, str]]:
        return {t: {c: "text" for c in cols} for t, cols in self.tables.items()}


def _split_statements(text: str) -> list[str]:
    """Statements of a dump, split on semicolons outside quotes and dollar quotes."""
    from sqlglot.tokens import Tokenizer, TokenType

    statements, start = [], 0
    try:
        tokens = Tokenizer().tokenize(text)
    except Exception:
        return [s for s in text.split(";") if s.strip()]
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            statements.append(text[start : tok.end])
            start = tok.end + 1
    statements.append(text[start:])
    return [s for s in statements if s.strip()]


def parse_ddl(text: str, dialect: str) -> DbSchema:
    import sqlglot
    from sqlglot import exp

    tables: dict[str, list[str]] = {}
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    for statement in _split_statements(text):
        if "create" not in statement.lower() or "table" not in statement.lower():
            continue
        try:
            tree = sqlglot.parse_one(statement, dialect=dialect)
        except Exception:
            continue
        if not isinstance(tree, exp.Create) or str(tree.args.get("kind", "")).upper() != "TABLE":
            continue
        target = tree.this
        if not isinstance(target, exp.Schema) or not isinstance(target.this, exp.Table):
            continue
        name = target.this.name.lower()
        cols = [c.name.lower() for c in target.expressions if isinstance(c, exp.ColumnDef)]
        if cols:
            tables[name] = cols
    return DbSchema(tables)


def parse_columns_csv(text: str, where: str) -> DbSchema:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    names = {n.strip().lower(): n for n in reader.fieldnames or []}
    if not {"table_name", "column_name"} <= names.keys():
        raise ConfigError(
            _(
                "{where}: an information_schema.columns export needs table_name and column_name"
            ).format(where=where),
            hint=_(
                "export with: SELECT table_name, column_name, ordinal_position FROM information_schema.columns"
            ),
        )
    rows: dict[str, list[tuple[int, str]]] = {}
    for i, row in enumerate(reader):
        table = (row[names["table_name"]] or "").strip().lower()
        column = (row[names["column_name"]] or "").strip().lower()
        if not table or not column:
            continue
        order = row.get(names.get("ordinal_position", ""), "") or ""
        rows.setdefault(table, []).append((int(order) if order.isdigit() else i, column))
    return DbSchema({t: [c for _, c in sorted(cols)] for t, cols in rows.items()})


def load_schema(path: Path | None, dialect: str) -> DbSchema:
    if path is None:
        return DbSchema()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            _("schema file {path} does not exist").format(path=path),
            hint=_(
                "give the DDL (pg_dump --schema-only, mysqldump --no-data) or an information_schema.columns CSV export"
            ),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            _("cannot read schema file {path}: {exc}").format(path=path, exc=exc)
        ) from exc
    if path.suffix.lower() == ".csv":
        return parse_columns_csv(text, str(path))
    schema = parse_ddl(text, dialect)
    if not schema.tables:
        raise ConfigError(
            _("schema file {path} holds no CREATE TABLE statement").format(path=path),
            hint=_("give the output of pg_dump --schema-only or mysqldump --no-data"),
        )
    return schema
