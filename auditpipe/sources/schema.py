"""The database schema a source's statements are resolved against: table -> ordered columns.

Read from the DDL that ``pg_dump --schema-only`` / ``mysqldump --no-data`` print (only the
CREATE TABLE statements count; everything else in a dump is skipped), or from an
``information_schema.columns`` export as CSV with a header naming at least ``table_name`` and
``column_name`` (``ordinal_position`` orders the columns when present). Tables are keyed by
their bare lower-cased name: ``public.accounts`` and ``accounts`` are one table.

A dump's views (``CREATE VIEW``, ``CREATE MATERIALIZED VIEW``; mysqldump's ``/*!50001 ... */``
wrapping undone) are kept with the table columns each of their columns reads, so a statement
on a view touches the columns the view exposes, not every column of the tables beneath it.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..i18n import _


def ident(name: str) -> str:
    """A table's or column's (lower-cased) name as one part of a ``table.column`` reference:
    as it is, or quoted as PostgreSQL quotes it (``"user.profile"``) when it holds a dot or
    starts with a quote, so that the reference splits back into its table and its column
    (``"user.profile".nick``, not the column ``profile.nick`` of a table ``user``)."""
    if "." in name or name.startswith('"'):
        return '"' + name.replace('"', '""') + '"'
    return name


_REF = re.compile(r'^("(?:[^"]|"")*"|[^.]*)\.(.*)$', re.S)


def ref_parts(ref: str) -> tuple[str, str]:
    """The table and the column of a ``table.column`` reference whose parts ``ident``
    spelled (``"user.profile".nick`` is ``"user.profile"`` and ``nick``)."""
    m = _REF.match(ref)
    return (m.group(1), m.group(2)) if m else ("", ref)


def ref_table(ref: str) -> str:
    return ref_parts(ref)[0]


def quote_dotted(tree: Any) -> Any:
    """``tree`` (a parsed statement) with each name that holds a dot spelled as ``ident``
    spells it, so that its tables and columns are named as the schema and the settings name
    them (``"user.profile"`` is one table, not a table ``profile`` of a schema ``user``)."""
    from sqlglot import exp

    for node in tree.find_all(exp.Identifier):
        name = node.this
        if isinstance(name, str) and ("." in name or name.startswith('"')):
            node.set("this", ident(name))
    return tree


@dataclass(frozen=True)
class DbSchema:
    tables: dict[str, list[str]] = field(default_factory=dict)  # views too, by their columns
    # view -> its column -> the "table.column"s of the tables beneath it that column reads
    views: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # "table.column" -> "number" or "text", for the columns whose type the DDL (or a CSV's
    # data_type) tells: what a hex literal compared with the column means (0x3133 is the
    # number 12595 against a number column, the string '13' against a text one)
    types: dict[str, str] = field(default_factory=dict)
    # table -> the schemas (databases) defining a table of that bare name, when several do:
    # their columns are merged, since statements are matched by bare table name
    merged: dict[str, list[str]] = field(default_factory=dict)

    def columns(self, table: str) -> list[str]:
        name = table.lower()
        if name in self.tables:
            return self.tables[name]
        return self.tables.get(name.split(".")[-1], [])

    def base_refs(self, ref: str) -> list[str]:
        """A "table.column" as the table columns it reads: itself, or through a view (views
        of views followed)."""
        table, column = ref_parts(ref)
        view = self.views.get(table)
        if view is None:
            return [ref]
        out: list[str] = []
        for base in view.get(column, []):
            out += [r for r in self.base_refs(base) if r not in out] if base != ref else []
        return out

    def has(self, ref: str) -> bool:
        table, column = ref_parts(ref)
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


_MYSQL_VERSIONED = re.compile(r"/\*!\d*\s?|\s?\*/")
# which sqlglot does not parse (the view would be read as a command and not kept)
_WITH_DATA = re.compile(r"\s+WITH\s+(?:NO\s+)?DATA\s*;?\s*$", re.I)


def parse_ddl(text: str, dialect: str) -> DbSchema:
    import sqlglot
    from sqlglot import exp

    tables: dict[str, list[str]] = {}
    views: dict[str, dict[str, list[str]]] = {}
    types: dict[str, str] = {}
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    # mysqldump --all-databases dumps the server's own database too (USE `mysql`): its
    # tables (event, servers, user ...) are not the application's of the same bare name
    system, database = _system_schema(dialect), ""
    origins: dict[str, list[str]] = {}
    for statement in _split_statements(text):
        use = _USE.match(statement)
        if use:
            database = use.group(1)
            continue
        lower = statement.lower()
        if "create" not in lower or ("table" not in lower and "view" not in lower):
            continue
        if system.match(database):
            continue
        if "/*!" in statement:  # mysqldump wraps its views in versioned comments
            statement = _MYSQL_VERSIONED.sub(" ", statement)
        if "materialized" in lower:  # pg_dump ends a materialized view WITH NO DATA
            statement = _WITH_DATA.sub("", statement)
        try:
            tree = sqlglot.parse_one(statement, dialect=dialect)
        except Exception:
            tree = None
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, (exp.Schema, exp.Table)):
            tree = _create_table_core(statement, dialect)
        if tree is None:
            continue
        tree = quote_dotted(tree)
        kind = str(tree.args.get("kind", "")).upper()
        if kind == "VIEW" and isinstance(tree.this, exp.Table):
            view = _view_columns(tree.expression, tables, views)
            if view:
                name = tree.this.name.lower()
                views[name] = view
                tables[name] = list(view)
            continue
        if kind != "TABLE":
            continue
        target = tree.this
        if not isinstance(target, exp.Schema) or not isinstance(target.this, exp.Table):
            continue
        if system.match(target.this.db or ""):
            continue
        name = target.this.name.lower()
        defs = [c for c in target.expressions if isinstance(c, exp.ColumnDef)]
        cols = [c.name.lower() for c in defs]
        # PostgreSQL's INHERITS (parent): pg_dump writes a child's own columns only; it has
        # its parents' columns first (the parents come earlier in the dump)
        parents = [
            p.name.lower() for i in tree.find_all(exp.InheritsProperty) for p in i.expressions
        ]
        inherited = list(dict.fromkeys(c for p in parents for c in tables.get(p, [])))
        cols = inherited + [c for c in cols if c not in inherited]
        for parent in parents:
            for inherited_column in tables.get(parent, []):
                parent_type = types.get(f"{parent}.{inherited_column}")
                if parent_type:
                    types.setdefault(f"{name}.{inherited_column}", parent_type)
        if cols:
            # the same bare name in another schema (public.accounts, archive.accounts): one
            # table to the statements, with the columns of both
            tables[name] = _union(tables.get(name, []), cols)
            origins.setdefault(name, []).append(target.this.db or database or "")
        for column in defs:
            data_type = column.args.get("kind")
            spelled = data_type.sql(dialect=dialect) if data_type is not None else ""
            type_class = _type_class(spelled)
            if type_class:
                types[f"{name}.{column.name.lower()}"] = type_class
    return DbSchema(tables, views, types, _merged(origins))


def _union(first: list[str], second: list[str]) -> list[str]:
    return first + [c for c in second if c not in first]


def _merged(origins: dict[str, list[str]]) -> dict[str, list[str]]:
    distinct = {t: list(dict.fromkeys(s)) for t, s in origins.items()}
    return {t: s for t, s in distinct.items() if len(s) > 1}


# Column attributes MariaDB and MySQL dump that sqlglot does not parse (MySQL 8 writes
# INVISIBLE as /*!80023 INVISIBLE */, unwrapped above); not inside a quoted name.
_UNPARSED_ATTRIBUTES = re.compile(
    r"(?<![`\"\w])(?:INVISIBLE|COMPRESSED(?:\s*=\s*\w+)?)(?![`\"\w])", re.I
)


_USE = re.compile(
    r"(?is)^\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*(?:USE\s+|\\c(?:onnect)?\s+)[`\"]?([^`\";\s]+)"
)
# (after the comments pg_dump and mysqldump write before each statement)
_CREATE_TABLE = re.compile(
    r"(?is)^\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*CREATE\b(?:(?!\bVIEW\b).)*?\bTABLE\b"
)


def _create_table_core(statement: str, dialect: str) -> Any:
    """A CREATE TABLE sqlglot cannot parse whole, as ``CREATE TABLE name (columns ...)``: the
    table options, partitions (MariaDB's and MySQL's ``PARTITION BY ...``) and ``WITH SYSTEM
    VERSIONING`` after the column list cut off, and the column attributes it does not know
    (``INVISIBLE``, ``COMPRESSED``) dropped. They say nothing about which columns there are."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.tokens import TokenType

    if not _CREATE_TABLE.match(statement):
        return None
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(statement)
    except Exception:
        return None
    depth, end = 0, None
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                end = token.end + 1
                break
        elif token.token_type == TokenType.ALIAS and depth == 0:
            return None  # CREATE TABLE ... AS SELECT: no column list of its own
    if end is None:
        return None
    core = _UNPARSED_ATTRIBUTES.sub(" ", statement[:end])
    try:
        tree = sqlglot.parse_one(core, dialect=dialect)
    except Exception:
        tree = None
    if not isinstance(tree, exp.Create):
        tree = _create_table_of_names(statement, tokens, end, dialect)
    return tree


# What a column list holds besides columns (the first word of a constraint or an index)
_NOT_COLUMNS = {
    "CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE", "KEY", "INDEX",
    "FULLTEXT", "SPATIAL", "PERIOD", "LIKE",
}  # fmt: skip


def _create_table_of_names(statement: str, tokens: Any, end: int, dialect: str) -> Any:
    """The last resort for a column list sqlglot does not parse (a column type or attribute
    it does not know, such as PostgreSQL's ``bit varying(5)``, ``interval DAY TO
    SECOND(3)`` or ``COMPRESSION lz4``): each item of the list cut at its top-level commas,
    its first word the column's name (a constraint's or index's skipped), the words after it
    its type, kept as a number, a text or neither. Rebuilt as a plain CREATE TABLE."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.tokens import TokenType

    depth, head = 0, None
    items: list[list[Any]] = []
    current: list[Any] = []
    for token in tokens:
        if token.start >= end:
            break
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            if depth == 1:
                head = statement[: token.start]
                continue
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                items.append(current)
                break
        if depth == 1 and token.token_type == TokenType.COMMA:
            items.append(current)
            current = []
        elif depth >= 1:
            current.append(token)
    if head is None:
        return None
    columns = []
    for item in items:
        if not item:
            continue
        first = item[0]
        quoted = first.token_type == TokenType.IDENTIFIER
        if not quoted and first.text.split()[0].upper() in _NOT_COLUMNS:  # PRIMARY KEY: one token
            continue
        spelled = statement[item[1].start : item[-1].end + 1] if len(item) > 1 else ""
        kind = {"number": "BIGINT", "text": "TEXT"}.get(_type_class(spelled) or "", "DATE")
        name = exp.to_identifier(first.text, quoted=True).sql(dialect=dialect)
        columns.append(f"{name} {kind}")
    if not columns:
        return None
    try:
        tree = sqlglot.parse_one(f"{head} ({', '.join(columns)})", dialect=dialect)
    except Exception:
        return None
    return tree if isinstance(tree, exp.Create) else None


_NUMBER_TYPE = re.compile(
    # (INT, not INTERVAL)
    r"^\s*(?:UNSIGNED\s+)?(?:TINY|SMALL|MEDIUM|BIG)?(?:INT|INTEGER|SERIAL)(?![A-Za-z])"
    r"|^\s*(?:DECIMAL|NUMERIC"
    r"|FLOAT|DOUBLE|REAL|SMALLSERIAL|BIGSERIAL|SERIAL|INT[248]|BIT\b|YEAR\b)",
    re.I,
)
_TEXT_TYPE = re.compile(
    r"^\s*(?:N?VARCHAR|N?CHAR|CHARACTER|TEXT|TINYTEXT|MEDIUMTEXT|LONGTEXT|STRING|ENUM|SET\b"
    r"|CITEXT|BPCHAR|NAME\b)",
    re.I,
)


def _type_class(type_sql: str) -> str | None:
    """ "number" or "text" for a column type as the DDL (or information_schema's data_type)
    spells it; None for the others (dates, binary, JSON ...)."""
    if _NUMBER_TYPE.search(type_sql):
        return "number"
    if _TEXT_TYPE.search(type_sql):
        return "text"
    return None


def _view_columns(
    query: object, tables: dict[str, list[str]], views: dict[str, dict[str, list[str]]]
) -> dict[str, list[str]]:
    """A view's columns -> the "table.column"s each reads (a column a view takes from another
    view keeps that view's name; DbSchema.base_refs follows it). Only a plain SELECT over
    tables defined earlier in the dump is read; a view of another shape is not kept, and
    statements on it are resolved from the tables the log names, as before."""
    from sqlglot import exp

    if not isinstance(query, exp.Select):
        return {}
    sources: dict[str, str] = {}  # alias or name in the FROM -> table
    for table in query.find_all(exp.Table):
        name = table.name.lower()
        if name in tables:
            sources[table.alias_or_name.lower()] = name
    if not sources:
        return {}
    out: dict[str, list[str]] = {}
    for projection in query.selects:
        if isinstance(projection, exp.Star):
            for name in sources.values():
                for column in tables[name]:
                    out.setdefault(column, []).append(f"{name}.{column}")
            continue
        refs = []
        for col in projection.find_all(exp.Column):
            qualifier, column = col.table.lower(), col.name.lower()
            owner = (
                sources.get(qualifier)
                if qualifier
                else next((t for t in sources.values() if column in tables[t]), None)
            )
            if owner is not None and f"{owner}.{column}" not in refs:
                refs.append(f"{owner}.{column}")
        name = projection.alias_or_name.lower()
        if name:
            out[name] = refs
    return out


def _system_schema(dialect: str | None) -> re.Pattern[str]:
    """The servers' own schemas (and PostgreSQL's temporary ones), by name."""
    from .analysis import SYSTEM_SCHEMAS

    names = SYSTEM_SCHEMAS.get(dialect or "", ()) or tuple(
        n for names in SYSTEM_SCHEMAS.values() for n in names
    )
    temp = r"|pg_temp_\d+|pg_toast_temp_\d+" if dialect in (None, "postgres") else ""
    return re.compile(r"^(?:" + "|".join(map(re.escape, names)) + temp + r")$", re.I)


def parse_columns_csv(text: str, where: str, dialect: str | None = None) -> DbSchema:
    """An information_schema.columns export. Exported whole (``SELECT * FROM
    information_schema.columns``), it lists the servers' own tables too: with a table_schema
    column, those of the system schemas are left out, so that MySQL's
    performance_schema.accounts (USER, HOST, ...) does not add its columns to the
    application's ``accounts`` table, which has the same bare name."""
    text = text.lstrip("\ufeff")
    # the separator the header is written with: `mysql -B` and COPY write tabs, a spreadsheet
    # may write semicolons
    head = text.split("\n", 1)[0].lower()
    delimiter = next((d for d in (",", "\t", ";", "|") if "table_name" in head and d in head), ",")
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
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
    # (table, schema) -> (ordinal, column): a bare table name in several schemas is one table
    # with the columns of each, the first schema's first
    rows: dict[tuple[str, str], list[tuple[int, str]]] = {}
    types: dict[str, str] = {}
    system = _system_schema(dialect)
    schema_column = names.get("table_schema")
    for i, row in enumerate(reader):
        table_schema = (row.get(schema_column) or "").strip() if schema_column else ""
        if schema_column and system.match(table_schema):
            continue
        table = ident((row[names["table_name"]] or "").strip().lower())
        column = ident((row[names["column_name"]] or "").strip().lower())
        if not table.strip('"') or not column.strip('"'):
            continue
        order = row.get(names.get("ordinal_position", ""), "") or ""
        rows.setdefault((table, table_schema), []).append(
            (int(order) if order.isdigit() else i, column)
        )
        type_class = _type_class(row.get(names.get("data_type", ""), "") or "")
        if type_class:
            types[f"{table}.{column}"] = type_class
    tables: dict[str, list[str]] = {}
    origins: dict[str, list[str]] = {}
    for (table, table_schema), cols in rows.items():
        ordered = list(dict.fromkeys(c for _, c in sorted(cols)))
        tables[table] = _union(tables.get(table, []), ordered)
        origins.setdefault(table, []).append(table_schema)
    return DbSchema(tables, types=types, merged=_merged(origins))


def load_schema(path: Path | None, dialect: str) -> DbSchema:
    if path is None:
        return DbSchema()
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, data, exc) from None
    except FileNotFoundError:
        raise ConfigError(
            _("schema file {path} does not exist").format(path=path),
            hint=_(
                "give the DDL (pg_dump --schema-only, mysqldump --no-data) or an information_schema.columns CSV export"
            ),
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("cannot read schema file {path}: {exc}").format(path=path, exc=exc.strerror or exc),
            hint=_("schema names a file (a relative path is read from the settings file's folder)"),
        ) from exc
    head = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    if path.suffix.lower() in (".csv", ".tsv") or ("table_name" in head and "column_name" in head):
        return parse_columns_csv(text, str(path), dialect)
    schema = parse_ddl(text, dialect)
    if not schema.tables:
        other = "mysql" if dialect == "postgres" else "postgres"
        if "create" in text.lower() and parse_ddl(text, other).tables and _looks(text, other):
            raise ConfigError(
                _(
                    "schema file {path} is a {other} dump, but the source's kind reads {this} logs"
                ).format(path=path, other=_DIALECT_NAME[other], this=_DIALECT_NAME[dialect]),
                hint=_(
                    "give the {this} server's dump ({command}), or correct kind in the source "
                    "settings"
                ).format(this=_DIALECT_NAME[dialect], command=_DUMP_COMMAND[dialect]),
            )
        raise ConfigError(
            _("schema file {path} holds no CREATE TABLE statement").format(path=path),
            hint=_("give the output of pg_dump --schema-only or mysqldump --no-data"),
        )
    return schema


_DIALECT_NAME = {"postgres": "PostgreSQL", "mysql": "MySQL/MariaDB"}
_DUMP_COMMAND = {"postgres": "pg_dump --schema-only", "mysql": "mysqldump --no-data"}


def _looks(text: str, dialect: str) -> bool:
    """Whether a dump is written in ``dialect``: MySQL's backquoted names or ENGINE=."""
    mysql = "`" in text or re.search(r"\)\s*ENGINE\s*=", text, re.I) is not None
    return mysql if dialect == "mysql" else not mysql


def _not_utf8(path: Path, data: bytes, exc: UnicodeDecodeError) -> ConfigError:
    """A schema file in another encoding (a GBK dump): where, and the command converting it.
    Names are matched as written, so the file is not guessed at: it is converted once."""
    import shlex

    line = data.count(b"\n", 0, exc.start) + 1
    source = "UTF-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "GB18030"
    out = path.with_name(f"{path.stem}.utf8{path.suffix}")
    return ConfigError(
        _("schema file {path} is not UTF-8 (line {line}: byte 0x{byte:02x})").format(
            path=path, line=line, byte=data[exc.start]
        ),
        hint=_(
            "convert it to UTF-8 and give the converted file as schema, e.g. {command} "
            "(GB18030 reads GBK too; name the file's own encoding if it is another)"
        ).format(
            command=f"iconv -f {source} -t UTF-8 {shlex.quote(str(path))} > {shlex.quote(str(out))}"
        ),
    )
