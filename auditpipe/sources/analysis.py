"""What one statement shape does to users' data: tables, columns, subject, action, export.

``analyse`` runs once per distinct fingerprint (callers cache by fingerprint), on one
representative statement of that shape. Its literals are first replaced by numbered markers
(string ``'§k'``, number ``7000000000+k``), so the result can say "the subject is literal k"
or "parameter $n" and every statement of the shape reads its own value from its own k-th
literal, set-wise. Literal values never enter the result.

Parsing is sqlglot's (postgres or mysql dialect). Columns are resolved by a small resolver
over the parse tree rather than ``optimizer.qualify``: qualify expands ``*`` well for SELECT
but leaves UPDATE/DELETE columns unqualified, and a resolver that knows each SELECT, UPDATE,
DELETE, INSERT and MERGE scope handles all of them alike (``*`` and ``t.*`` are expanded from
the schema; CTE and subquery columns are counted inside their own scope). Small fallbacks cut
what sqlglot does not parse: ``PREPARE name(...) AS``, ``INTO OUTFILE/DUMPFILE`` and
``LOAD DATA INFILE`` (MySQL).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from ..contract import normalize_name
from .schema import DbSchema, ident, quote_dotted, ref_parts, ref_table
from .scrub import literals, prepared

NUMBER_MARK = 7_000_000_000
_STRING_MARK = re.compile(r"^§(\d+)$")
_BITS_MARK = re.compile(r"^§x\d+$")
# X or B right before a quoted literal, not ending a longer name (the literal's prefix); the
# text matched is the one or two characters before the quote.
_BITS_PREFIX = re.compile(r"(?:^|(?<=[^\w$]))[xXbB]$")
_PREPARE = re.compile(r"^\s*PREPARE\s+\S+?(\s*\([^)]*\))?\s+AS\s+", re.I | re.S)
# A cursor reads what its query reads (pgaudit logs DECLARE CURSOR as READ); EXPLAIN ANALYZE
# runs its statement, a plain EXPLAIN only plans it and reads no data.
_DECLARE_CURSOR = re.compile(
    r"^\s*DECLARE\s+\S+\s+(?:(?:BINARY|ASENSITIVE|INSENSITIVE|NO\s+SCROLL|SCROLL)\s+)*"
    r"CURSOR\s+(?:(?:WITH|WITHOUT)\s+HOLD\s+)?FOR\s+",
    re.I | re.S,
)
_EXPLAIN = re.compile(
    r"^\s*(?:(?:EXPLAIN|DESCRIBE|DESC)\s+(?:\((?P<options>[^)]*)\)\s*"
    r"|(?P<analyze>ANALY[SZ]E\s+)?(?:VERBOSE\s+)?(?:FORMAT\s*=\s*\w+\s+)?)"
    # MariaDB's ANALYZE <statement> runs it, as EXPLAIN ANALYZE does
    r"|(?P<mariadb>ANALYZE\s+)(?:FORMAT\s*=\s*\w+\s+)?(?=(?:SELECT|UPDATE|DELETE|INSERT|REPLACE"
    r"|WITH)\b))",
    re.I | re.S,
)
# Statements that change the schema, users or grants, or maintain tables, read no user's data:
# not events, even where sqlglot cannot parse them (CREATE TRIGGER, CREATE PROCEDURE). CREATE
# TABLE ... AS and CREATE MATERIALIZED VIEW ... AS copy data and are analysed.
_NOT_DATA = re.compile(
    r"^\s*(?:/\*.*?\*/\s*)*(?:"
    r"CREATE\s+(?!(?:OR\s+REPLACE\s+)?(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?"
    r"TABLE\b|(?:OR\s+REPLACE\s+)?MATERIALIZED\b)"
    r"|ALTER\s|DROP\s|RENAME\s|GRANT\s|REVOKE\s|COMMENT\s+ON\s|VACUUM\b|OPTIMIZE\s|REPAIR\s"
    # LOCK TABLES t READ (mysqldump's first step), PostgreSQL's LOCK [TABLE] t: no row read
    r"|LOCK\s|UNLOCK\s+TABLES?\b"
    r"|CHECK\s+TABLE\s|CHECKSUM\s+TABLE\s|ANALYZE\s+(?:NO_WRITE_TO_BINLOG\s+|LOCAL\s+)?TABLE\s"
    r"|ANALYZE\s*(?:VERBOSE\s*)?(?:[\w.\"`]+\s*)?;?\s*$)",
    re.I | re.S,
)
# MySQL's REPLACE [INTO] writes like INSERT INTO (it deletes a clashing row first); sqlglot reads
# it only as an opaque command. INSERT's and REPLACE's modifiers (LOW_PRIORITY, DELAYED,
# HIGH_PRIORITY, IGNORE) and an INTO left out change no row written, and sqlglot does not
# parse the priorities: the statement is read as INSERT INTO.
_REPLACE_INTO = re.compile(
    r"^(\s*(?:/\*.*?\*/\s*)*)(?:REPLACE|(?P<insert>INSERT))\s+"
    r"(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY)\s+)?(?:IGNORE\s+)?(?:INTO\s+)?(?=[\w`\"])",
    re.I | re.S,
)
# PostgreSQL's INSERT ... OVERRIDING {SYSTEM | USER} VALUE (an identity column's value given):
# the rows are written all the same; sqlglot does not parse it.
_OVERRIDING = re.compile(r"\bOVERRIDING\s+(?:SYSTEM|USER)\s+VALUE\b", re.I)
# PostgreSQL's routine invocations (a procedure's CALL, a DO block) read nothing themselves: the
# statements they run are audited as they run (pgaudit logs each with its own text, a CALL's
# arguments cannot hold a subquery), so a CALL is read as the SELECT of its procedure, as a
# function's call is (no table; its literals the values of the body's variables), and a DO
# block as a statement that names no table. Not for MySQL/MariaDB, whose audit plugins do not
# all log a procedure's statements.
_PG_CALL = re.compile(r"^(\s*(?:/\*.*?\*/\s*)*)CALL\s", re.I | re.S)
_PG_DO = re.compile(r"^\s*(?:/\*.*?\*/\s*)*DO(?:\s|'|\$|$)", re.I | re.S)
# PostgreSQL's EXECUTE of a prepared statement: with MISC in pgaudit.log, pgaudit logs it as a
# record of its own (MISC,EXECUTE) under the statement id of the READ/WRITE record that holds
# the PREPARE text and the bound values, so its own text names no table and reads nothing.
_PG_EXECUTE = re.compile(
    r'^\s*(?:/\*.*?\*/\s*)*EXECUTE\s+(?:"(?:[^"]|"")*"|[^\s("]+)\s*(?:\(.*\))?\s*;?\s*$',
    re.I | re.S,
)
_ANALYZE_OPTION = re.compile(r"\bANALY[SZ]E\b(?!\s+(?:FALSE|OFF|0)\b)", re.I)
_OUTFILE = re.compile(
    r"\bINTO\s+(?:OUTFILE|DUMPFILE)\s+'§(\d+)'.*?(?=\bFROM\b|\bLIMIT\b|;|$)", re.I | re.S
)
# MySQL's SELECT ... INTO @a, @b (or a procedure's local variables), before FROM or at the
# end: the values go to variables, the columns are read all the same. sqlglot does not parse
# it at the end, nor a list of several, so it is removed (INTO OUTFILE/DUMPFILE is _OUTFILE's).
_SELECTS = re.compile(r"^\s*(?:\(\s*)*(?:SELECT|WITH)\b", re.I)
_VARIABLE = r"(?:@@?(?:\w+|`[^`]*`|'[^']*'|\"[^\"]*\")|\w+)"
_INTO_VARIABLES = re.compile(
    rf"\bINTO\s+(?!OUTFILE\b|DUMPFILE\b){_VARIABLE}(?:\s*,\s*{_VARIABLE})*", re.I
)
# PostgreSQL's REFRESH MATERIALIZED VIEW runs the view's query again: it reads what the view
# copies (a view the schema keeps; of another, the log's tables are the fallback).
_REFRESH = re.compile(
    r"^\s*REFRESH\s+MATERIALIZED\s+VIEW\s+(?:CONCURRENTLY\s+)?([\w$.\"]+)\s*(?:WITH\s+(?:NO\s+)?DATA\s*)?;?\s*$",
    re.I,
)
_LOAD_DATA = re.compile(
    r"^\s*LOAD\s+DATA\s+(?:LOW_PRIORITY\s+|CONCURRENT\s+)?(LOCAL\s+)?INFILE\s+'§(\d+)'"
    r"\s+(?:REPLACE\s+|IGNORE\s+)?INTO\s+TABLE\s+([\w.`\"]+)",
    re.I | re.S,
)

# The servers' own catalogs: no user's data. A statement reading only these (a client's
# SHOW-like query on information_schema, a monitor's on performance_schema or pg_stat_*)
# reads no personal data and is not an event, as SELECT 1 is not; their tables are never a
# user table of the same name (mysql.user is not an application's `user` table).
SYSTEM_SCHEMAS = {
    "mysql": ("mysql", "information_schema", "performance_schema", "sys"),
    "postgres": ("pg_catalog", "information_schema", "pg_toast"),
}
CATALOG = "§catalog"  # the name a catalog table is given in the parse tree

# Statement kinds -> contract action (a SELECT is view or search depending on narrowing).
READ, WRITE, DELETE, EXPORT, OTHER = "read", "write", "delete", "export", "other"


@dataclass(frozen=True)
class Mapping:
    """What analysis needs from the source settings and the catalog."""

    schema: DbSchema
    columns: dict[str, str]  # table.column -> data field
    subject_keys: frozenset[str]
    protected_fields: frozenset[str]
    # The data catalog's field names: an unmapped column named like one (sfzh, 身份证号,
    # password) is that field, so the catalog classifies it as it does any data_fields name.
    catalog_fields: frozenset[str] = frozenset()
    # Personal columns a statement finds users by (mobile, ID number): compared with values,
    # they narrow the statement as a subject key does, but their values are never a subject.
    lookup_keys: frozenset[str] = frozenset()


@dataclass
class Analysis:
    parsed: bool
    kind: str = OTHER  # read | write | delete | export | other
    tables: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)  # table.column
    written: list[str] = field(default_factory=list)
    subject_literals: list[int] = field(default_factory=list)  # literal indexes (0-based)
    subject_param: int | None = None  # $n (1-based)
    # every $n the subject key is compared with or given, in order (``id IN ($1, $2)``, the
    # key's parameter in each row of ``VALUES ($1, $2), ($3, $4)``): the subject is the first
    # whose value the log gives (a NULL one, which pgaudit logs as an empty field, matches no
    # row and names no one); ``subject_param`` is the first of them
    subject_params: list[int] = field(default_factory=list)
    # how many subjects an IN list of $n parameters (id IN ($2, $3, $4): from subject_param
    # on) or of values the log does not give (MySQL's id IN (?, ?)) names; 0 otherwise
    subject_count: int = 0
    # the subject key's type ("number", "text"; None when the schema does not tell): what a
    # statement's hex literal there means (MySQL's 0x3133: 12595 for a number, '13' for text)
    subject_type: str | None = None
    # narrowed by a routine's variable whose value the log does not give (`WHERE id = i` in a
    # SQL function's body, `@x` in MySQL), or by a hex string (X'3133'): one subject, not known
    subject_variable: bool = False
    # narrowed by a lookup key (`WHERE mobile = '139...'`): users found by a personal value,
    # which is never the subject; ``subject_count`` says how many when more than one
    subject_lookup: bool = False
    export_literal: int | None = None  # literal index of the file path
    # literal index of the row limit of the rows a read returns (`LIMIT 200`, MySQL's `LIMIT
    # 1000, 200`, `FETCH FIRST 200 ROWS ONLY`): not narrowed, yet at most that many records
    limit_literal: int | None = None
    # of several statements (merged): the literal of the one call among them, the value of the
    # routine variable its body's statements are narrowed by
    call_literal: int | None = None
    literals: list[int] = field(default_factory=list)  # the literal indexes in the statement
    export_stdout: bool = False
    inserts_values: bool = False  # INSERT ... VALUES: adds rows, selects none
    # the rows an INSERT ... VALUES (MySQL's REPLACE ... VALUES) writes: its record count when
    # the log gives none (0 for any other statement)
    values_rows: int = 0
    # the subject key compared with NULL only (``id = NULL``, ``id IN (NULL)``): no row, yet
    # narrowed (a read of no one is no unbounded read)
    subject_none: bool = False
    problem: str | None = None

    @property
    def narrowed(self) -> bool:
        return (
            bool(self.subject_literals)
            or self.subject_param is not None
            or self.subject_variable
            or self.subject_lookup
            or self.subject_none
        )


def marked(sql: str, dialect: str) -> str:
    """The statement without its comments, literal k replaced by a marker, numbers by a
    number (``literals`` numbers them in the statement without its comments).

    A hex or bit string (``X'3133'``, ``B'0101'``) keeps no prefix before its marker: the
    parser reads ``X'§0'`` as a hex string of bad digits and fails on the whole statement.
    It is marked ``'§xk'``: a string for the parser, and no subject value (what X'3133' is
    depends on the column's type: 12595 in a number context in MySQL, '13' in a string one)."""
    plain, _ = prepared(sql, dialect)
    out, pos = [], 0
    for k, (start, end, text) in enumerate(literals(sql, dialect)):
        bits = text[:1] in "xXbB" and text[1:2] == "'"
        if not bits and text[:1] == "'" and _BITS_PREFIX.search(plain[max(pos, start - 2) : start]):
            start, bits = start - 1, True
        out.append(plain[pos:start])
        number = text[:1].isdigit() or text[:1] == "."
        out.append(f"'§x{k}'" if bits else str(NUMBER_MARK + k) if number else f"'§{k}'")
        pos = end
    out.append(plain[pos:])
    return "".join(out)


def _unwrapped(node: Any) -> Any:
    """The value under casts, parentheses, a character set introducer (MySQL's
    ``_utf8mb4'13'``, ``_binary'13'``) and MariaDB's NAME_CONST('var', value), which is how
    server_audit logs a stored procedure's variable inside its statements."""
    from sqlglot import exp

    while True:
        if isinstance(node, (exp.Cast, exp.Paren, exp.TryCast)):
            node = node.this
        elif isinstance(node, exp.Introducer):
            node = node.expression
        elif (
            isinstance(node, exp.Anonymous)
            and str(node.this).upper() == "NAME_CONST"
            and len(node.expressions) == 2
        ):
            node = node.expressions[1]
        else:
            return node


def _marker(node: Any) -> int | None:
    from sqlglot import exp

    node = _unwrapped(node)
    if isinstance(node, (exp.National, exp.UnicodeString)):  # N'13', U&'13': the string 13
        m = _STRING_MARK.match(str(node.this))
        return int(m.group(1)) if m else None
    if not isinstance(node, exp.Literal):
        return None
    if node.is_string:
        m = _STRING_MARK.match(node.this)
        return int(m.group(1)) if m else None
    try:
        value = int(node.this)
    except ValueError:
        return None
    return value - NUMBER_MARK if value >= NUMBER_MARK else None


def _bits(node: Any) -> bool:
    """A hex or bit string literal (marked '§xk' by ``marked``)."""
    from sqlglot import exp

    node = _unwrapped(node)
    return isinstance(node, exp.Literal) and bool(_BITS_MARK.match(str(node.this)))


def _param(node: Any) -> int | None:
    from sqlglot import exp

    node = _unwrapped(node)
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
        text = str(node.this.this)
        return int(text) if text.isdigit() else None
    return None


# A statement this long (after marking) has its long lists condensed before it is parsed:
# sqlglot took 14.7 s to parse a 1.4 MB INSERT of 40,000 rows, and a log of such statements
# stalled a night. Long runs of literals (an IN list, a row of values) keep their first two,
# long runs of row tuples (VALUES (…), (…), …) their first: the tables, the columns and
# whether the statement is narrowed to a subject are the same, and with that many values
# there is no single subject anyway.
LONG_STATEMENT = 20_000
_MARKED = r"(?:'§x?\d+'|(?<![\w$.])\d{10,})"  # a marked literal (number marks have 10 digits)
_LITERAL_RUN = re.compile(rf"({_MARKED}\s*,\s*{_MARKED})(?:\s*,\s*{_MARKED}){{8,}}")
_TUPLE = r"\((?:[^()']|'[^']*')*\)"
_TUPLE_RUN = re.compile(rf"({_TUPLE})(?:\s*,\s*{_TUPLE}){{8,}}")


def condensed(text: str) -> str:
    """``text`` (marked) with its long lists shortened when it is over ``LONG_STATEMENT``."""
    return _condensed(text)[0]


@dataclass
class _LeftOut:
    """What condensing a long statement left out: the literals of each shortened run, by the
    run's second kept literal (a subject key compared with the run, ``id IN (1, 2, …)``, is
    compared with all of them, so each is a subject), and how many row tuples each shortened
    ``VALUES`` run lost, by the text of the one it kept (each is a row the INSERT writes)."""

    literals: dict[int, list[int]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    # the literals of each row tuple left out, by the text of the one kept: a key compared
    # with a list of rows (``(id, city) IN ((1, 'a'), …)``) has its value at its place in each
    row_literals: dict[str, list[list[int]]] = field(default_factory=dict)


def _condensed(text: str) -> tuple[str, _LeftOut]:
    """``condensed``, and what it left out (``_with_left_out``)."""
    left_out = _LeftOut()
    if len(text) <= LONG_STATEMENT:
        return text, left_out

    def shorten(run: re.Match[str]) -> str:
        marks = _marks(run.group(0))
        left_out.literals[marks[1]] = marks[2:]
        return run.group(1)

    def shorten_rows(run: re.Match[str]) -> str:
        kept = run.group(1)
        rows = re.findall(_TUPLE, run.group(0))
        left_out.rows[kept] = left_out.rows.get(kept, 0) + len(rows) - 1
        left_out.row_literals.setdefault(kept, []).extend(_marks(r) for r in rows[1:])
        return kept

    return _TUPLE_RUN.sub(shorten_rows, _LITERAL_RUN.sub(shorten, text)), left_out


def _with_left_out(result: Analysis, left_out: _LeftOut, text: str) -> Analysis:
    """``result`` (of ``text``, a condensed statement) whose subject literals count the
    literals condensing left out of a run it compares a subject key with (both kept literals
    of the run are subject literals), and whose INSERT's rows count the rows it left out."""
    if result.values_rows and left_out.rows:
        result.values_rows += sum(n for kept, n in left_out.rows.items() if kept in text)
    if result.subject_literals and left_out.row_literals and not result.values_rows:
        # a key's value in the kept row is a subject: so is its value in each row left out
        first = result.subject_literals[0]
        for kept, rows in left_out.row_literals.items():
            marks = _marks(kept)
            if first in marks and kept in text:
                at = marks.index(first)
                result.subject_literals = result.subject_literals + [
                    row[at] for row in rows if len(row) == len(marks)
                ]
    subjects = set(result.subject_literals)
    left_out_literals = left_out.literals
    if left_out_literals and subjects:
        extra = [k for kept, rest in left_out_literals.items() if kept in subjects for k in rest]
        if extra:
            result.subject_literals = result.subject_literals + extra
    return result


def analyse(sql: str, dialect: str, mapping: Mapping) -> Analysis:
    try:
        text, left_out = _condensed(marked(sql, dialect))
        return _with_left_out(_analyse(text, dialect, mapping), left_out, text)
    except Exception as exc:  # a parser failure is a fallback case, never a crash
        return Analysis(parsed=False, problem=f"{type(exc).__name__}: {str(exc)[:120]}")


def analyse_parts(sql: str, dialect: str, mapping: Mapping) -> list[Analysis]:
    """Each statement of a log record's text, in order: one for most records; several for a
    multi-statement query (``SELECT ...; SELECT ...`` sent at once) or for the sub-statements
    of one call that pgaudit.py joins with ``;``. Literal indexes stay those of the whole
    text, so a part's subject is read from the whole statement as any other."""
    try:
        text, left_out = _condensed(marked(sql, dialect))
        parts = _split(text, dialect)
    except Exception as exc:  # a tokenizer failure is a fallback case, never a crash
        return [Analysis(parsed=False, problem=f"{type(exc).__name__}: {str(exc)[:120]}")]
    if len(parts) <= 1:
        return [_with_left_out(_safe(text, dialect, mapping), left_out, text)]
    # A routine's definition holds its body's statements (MySQL's BEGIN ... END, PostgreSQL's
    # BEGIN ATOMIC): one DDL statement, not statements of its own.
    if _CREATE.match(parts[0]) and _NOT_DATA.match(parts[0]):
        return [Analysis(parsed=True, kind=OTHER)]
    return [_with_left_out(_safe(part, dialect, mapping), left_out, part) for part in parts]


# The statement kinds from the weakest to the strongest: what one event of several statements
# is (an export of what is read outranks the read; a delete outranks a write), as _kind ranks
# a single statement's.
_STRENGTH = [OTHER, READ, WRITE, DELETE, EXPORT]
_CREATE = re.compile(r"^\s*(?:/\*.*?\*/\s*)*CREATE\b", re.I | re.S)


def merged(parts: list[Analysis]) -> Analysis:
    """Several statements as one event: the tables and columns of all, the strongest kind,
    and a subject only where every statement touching columns is narrowed to one (their
    literals in order; else a parameter; else a routine's variable)."""
    if len(parts) == 1:
        return parts[0]
    bad = next((p for p in parts if not p.parsed), None)
    if bad is not None:
        return Analysis(parsed=False, problem=bad.problem)
    out = Analysis(parsed=True, kind=max((p.kind for p in parts), key=_STRENGTH.index))
    for p in parts:
        out.tables += p.tables
        out.read += p.read
        out.written += p.written
        out.export_stdout = out.export_stdout or p.export_stdout
        if out.export_literal is None:
            out.export_literal = p.export_literal
    # An INSERT of values that reads no row (a trigger's INSERT INTO history VALUES (NEW.id,
    # ...), logged under its UPDATE's statement id) adds a row and selects none: it does not
    # widen whose data the event is.
    touching = [p for p in parts if p.read or (p.written and not _adds_only(p))]
    if touching and all(p.narrowed for p in touching):
        out.subject_literals = list(dict.fromkeys(k for p in touching for k in p.subject_literals))
        out.subject_param = next((p.subject_param for p in touching if p.subject_param), None)
        out.subject_params = next((p.subject_params for p in touching if p.subject_params), [])
        out.subject_none = any(p.subject_none for p in touching)
        out.subject_count = next((p.subject_count for p in touching if p.subject_count), 0)
        out.subject_variable = any(p.subject_variable for p in touching)
        out.subject_lookup = any(p.subject_lookup for p in touching)
        out.subject_type = next((p.subject_type for p in touching if p.subject_type), None)
    # INSERTs of values alone (a client's `INSERT ... VALUES (1, ...), (2, ...); INSERT ...`
    # sent at once): the rows of all, their first subject the event's, as one INSERT's
    adding = [p for p in parts if p.read or p.written]
    if adding and all(_adds_only(p) for p in adding):
        out.values_rows = sum(p.values_rows for p in adding)
        out.subject_literals = [k for p in adding for k in p.subject_literals]
        out.subject_params = [n for p in adding for n in p.subject_params]
        out.subject_param = out.subject_params[0] if out.subject_params else None
        out.subject_type = next((p.subject_type for p in adding if p.subject_type), None)
    # A call whose body's statements use its variable (`WHERE id = i`): the call's one literal
    # (`SELECT touch(2)`) is the value, as a SQL function's one logged parameter is.
    calls = [p for p in parts if p.parsed and not p.tables and len(p.literals) == 1]
    if out.subject_variable and len(calls) == 1:
        out.call_literal = calls[0].literals[0]
    out.tables = sorted(set(out.tables))
    out.read = sorted(set(out.read))
    out.written = sorted(set(out.written))
    return out


def _adds_only(part: Analysis) -> bool:
    """An INSERT ... VALUES: writes, reads no column, and is narrowed to nothing."""
    return part.kind == WRITE and part.inserts_values and not part.read


def _split(text: str, dialect: str) -> list[str]:
    """The statements of a (marked) text, cut at the tokenizer's semicolons: a semicolon in a
    string, a quoted name, a comment or a dollar-quoted body is no cut."""
    import sqlglot
    from sqlglot.tokens import TokenType

    cuts = [
        t.start
        for t in sqlglot.Dialect.get_or_raise(dialect).tokenize(text)
        if t.token_type == TokenType.SEMICOLON
    ]
    parts, pos = [], 0
    for cut in [*cuts, len(text)]:
        if text[pos:cut].strip():
            parts.append(text[pos:cut])
        pos = cut + 1
    return parts


def statements_of(sql: str, dialect: str) -> list[str]:
    """The statements of one logged text, cut as ``analyse_parts`` cuts them (at the
    tokenizer's semicolons), each stripped; the text whole when it cannot be tokenized."""
    try:
        parts = [p.strip() for p in _split(sql, dialect)]
    except Exception:  # a tokenizer failure: the text stays one statement
        return [sql]
    return parts or [sql]


def _safe(text: str, dialect: str, mapping: Mapping) -> Analysis:
    try:
        result = _analyse(text, dialect, mapping)
    except Exception as exc:  # a parser failure is a fallback case, never a crash
        return Analysis(parsed=False, problem=f"{type(exc).__name__}: {str(exc)[:120]}")
    result.literals = _marks(text)
    return result


def _marks(text: str) -> list[int]:
    """The literal indexes whose markers are in this (part of a marked) text."""
    found = re.findall(r"'§x?(\d+)'|\b(\d{10,})\b", text)
    out = [int(s) if s else int(n) - NUMBER_MARK for s, n in found]
    return [k for k in out if k >= 0]


def _analyse(text: str, dialect: str, mapping: Mapping) -> Analysis:
    import sqlglot
    from sqlglot import exp

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    text = _PREPARE.sub("", text, count=1)
    text = _DECLARE_CURSOR.sub("", text, count=1)
    if _NOT_DATA.match(text):
        return Analysis(parsed=True, kind=OTHER)
    refresh = _REFRESH.match(text) if dialect == "postgres" else None
    name = _bare(refresh.group(1)) if refresh else ""
    view = mapping.schema.views.get(name) if name else None
    if view is not None:
        base = mapping.schema.base_refs
        read = sorted({b for column in view for b in base(f"{name}.{column}")})
        tables = sorted({ref_table(r) for r in read})
        return Analysis(parsed=True, kind=READ, tables=tables, read=read)
    if dialect == "postgres":
        if _PG_DO.match(text) or _PG_EXECUTE.match(text):
            return Analysis(parsed=True, kind=OTHER)
        text = _PG_CALL.sub(r"\1SELECT ", text, count=1)
    head = _REPLACE_INTO.match(text)
    if head and (dialect == "mysql" or not head.group("insert")):
        text = head.group(1) + "INSERT INTO " + text[head.end() :]
    if dialect == "postgres" and head and head.group("insert"):
        text = _OVERRIDING.sub(" ", text, count=1)
    explain = _EXPLAIN.match(text)
    if explain:
        options = explain.group("options")
        runs = (
            explain.group("analyze") is not None
            or explain.group("mariadb") is not None
            or bool(options and _ANALYZE_OPTION.search(options))
        )
        if not runs:  # planned, not run: no row is read
            return Analysis(parsed=True, kind=OTHER)
        text = text[explain.end() :]
    export_literal = None
    m = _OUTFILE.search(text)
    if m:
        export_literal = int(m.group(1))
        text = text[: m.start()] + " " + text[m.end() :]
    if dialect == "mysql" and _SELECTS.match(text):
        text = _INTO_VARIABLES.sub(" ", text, count=1)
    load = _LOAD_DATA.match(text)
    if load:
        table = _bare(load.group(3))
        cols = [f"{table}.{c}" for c in mapping.schema.columns(table)]
        return Analysis(parsed=True, kind=WRITE, tables=[table], written=cols)
    trees = [t for t in sqlglot.parse(text, dialect=dialect) if t is not None]
    if len(trees) != 1:
        return Analysis(parsed=False, problem=f"{len(trees)} statements in one log record")
    tree = quote_dotted(trees[0])
    if isinstance(tree, exp.Command):
        return Analysis(parsed=False, problem=f"{tree.name} is not analysed")
    result = Analysis(parsed=True, export_literal=export_literal)
    _hide_catalog(tree, dialect, mapping.schema)
    _Resolver(mapping.schema, result).run(tree)
    result.kind = _kind(tree, result)
    result.inserts_values = isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Values)
    _find_subject(tree, mapping, result)
    if result.inserts_values:
        _inserted_subjects(tree, mapping, result)
    result.limit_literal = _row_limit(tree)
    if result.kind == WRITE and _copies_out(tree, result, mapping):
        result.kind = READ
    result.read = [r for r in result.read if not r.startswith(CATALOG)]
    result.written = [r for r in result.written if not r.startswith(CATALOG)]
    if mapping.schema.views:  # a view's columns are the table columns beneath them
        base = mapping.schema.base_refs
        result.read = [b for ref in result.read for b in base(ref)]
        result.written = [b for ref in result.written for b in base(ref)]
        result.tables += [ref_table(r) for r in result.read + result.written]
    result.tables = sorted(set(result.tables))
    result.read = sorted(set(result.read))
    result.written = sorted(set(result.written))
    return result


def _copies_out(tree: Any, result: Analysis, mapping: Mapping) -> bool:
    """Whether an INSERT ... SELECT (MySQL's REPLACE ... SELECT) copies mapped columns into
    columns no mapping covers (``INSERT INTO tmp SELECT real_name, mobile FROM accounts``):
    it reads those users' data and changes none of it, so it is a read of what it selects."""
    from sqlglot import exp

    if not isinstance(tree, exp.Insert) or not isinstance(
        tree.expression, (exp.Select, exp.SetOperation, exp.Subquery)
    ):
        return False
    mapped = mapping.columns

    def maps(ref: str) -> bool:
        return any(b in mapped for b in mapping.schema.base_refs(ref))

    return not any(maps(r) for r in result.written) and any(maps(r) for r in result.read)


def _row_limit(tree: Any) -> int | None:
    """The literal index of the row count a query's own LIMIT or FETCH FIRST gives (`LIMIT
    200`, `LIMIT 1000, 200`, `FETCH FIRST 200 ROWS ONLY`), or None: no limit, a parameter,
    `LIMIT ALL`, a percentage or WITH TIES (which may return more)."""
    from sqlglot import exp

    while isinstance(tree, exp.Subquery):
        tree = tree.this
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        return None
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit):
        return _marker(limit.expression)
    if isinstance(limit, exp.Fetch):
        options = limit.args.get("limit_options")
        if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
            return None
        return _marker(limit.args.get("count"))
    return None


def is_catalog(schema_name: str, table: str, dialect: str, schema: DbSchema) -> bool:
    """A table of the server's own catalogs: in one of its system schemas, or (PostgreSQL)
    an unqualified ``pg_*`` name the user's schema does not define (pg_catalog is searched
    first: pg_class, pg_stat_activity)."""
    if schema_name:
        return schema_name.lower() in SYSTEM_SCHEMAS.get(dialect, ())
    return dialect == "postgres" and table.lower().startswith("pg_") and not schema.columns(table)


def _hide_catalog(tree: Any, dialect: str, schema: DbSchema) -> None:
    """Rename the catalog tables in the tree to CATALOG (keeping their alias), so they are no
    table of the statement and no column of theirs resolves to a user table's."""
    from sqlglot import exp

    for table in list(tree.find_all(exp.Table)):
        if not table.name or not is_catalog(table.db, table.name, dialect, schema):
            continue
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
        table.set("this", exp.to_identifier(CATALOG))
        table.set("db", None)
        table.set("catalog", None)


def _merge_deletes(tree: Any) -> bool:
    """Whether a MERGE has a WHEN ... THEN DELETE (sqlglot keeps it as the word DELETE)."""
    from sqlglot import exp

    return any(
        isinstance(when.args.get("then"), exp.Var)
        and str(when.args["then"].this).upper() == "DELETE"
        for when in tree.find_all(exp.When)
    )


_LAST_NAME = re.compile(r'(?:"((?:[^"]|"")+)"|`((?:[^`]|``)+)`|([^."`]+))\s*$')


def _bare(name: str) -> str:
    """A (possibly qualified and quoted) table name's last part, as the schema keys it
    (``public."user.profile"`` is ``"user.profile"``, ``shop.accounts`` is ``accounts``)."""
    m = _LAST_NAME.search(name.strip())
    if m is None:
        return name.strip('`"').lower()
    quoted, backticked, bare = m.groups()
    if quoted is not None:
        return ident(quoted.replace('""', '"').lower())
    if backticked is not None:
        return ident(backticked.replace("``", "`").lower())
    return bare.strip().lower()


def _kind(tree: Any, result: Analysis) -> str:
    from sqlglot import exp

    if isinstance(tree, exp.Copy):
        if tree.args.get("kind"):  # COPY ... FROM: an import writes the table
            result.written, result.read = result.read, []
            return WRITE
        files = tree.args.get("files") or []
        target = files[0] if files else None
        marker = _marker(target) if target is not None else None
        if isinstance(target, exp.Identifier) and target.name.upper() == "PROGRAM":
            # COPY ... TO PROGRAM 'gzip > /backup/a.gz': to a command the server runs, which
            # sqlglot keeps as the first parameter; it is where the rows go
            params = tree.args.get("params") or []
            first = str(params[0].this) if params and params[0].this is not None else ""
            mark = _STRING_MARK.match(first) or _STRING_MARK.match(first.strip("'"))
            marker = int(mark.group(1)) if mark else None
        if marker is not None:
            result.export_literal = marker
        else:
            result.export_stdout = True
        return EXPORT
    if result.export_literal is not None:
        return EXPORT
    if (
        isinstance(tree, (exp.Delete, exp.TruncateTable))
        or tree.find(exp.Delete)
        or (isinstance(tree, exp.Merge) and _merge_deletes(tree))
    ):
        return DELETE  # a DELETE in a WITH clause too: the strongest of the statement's
    if isinstance(tree, (exp.Update, exp.Insert, exp.Merge)):
        return WRITE
    if result.written:  # a SELECT whose CTE updates (WITH u AS (UPDATE ...) SELECT ...)
        return WRITE
    if isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)):
        return READ
    copies = str(tree.args.get("kind", "")).upper() == "TABLE" or (
        tree.find(exp.MaterializedProperty) is not None
    )
    if (
        isinstance(tree, exp.Create)
        and copies
        and isinstance(
            tree.expression, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)
        )
    ):
        # CREATE TABLE ... AS SELECT and CREATE MATERIALIZED VIEW copy what they read into a
        # new table; a plain view reads nothing until it is queried
        return READ
    return OTHER


class _Resolver:
    """Columns read and written, per scope (SELECT, UPDATE, DELETE, INSERT, MERGE)."""

    def __init__(self, schema: DbSchema, result: Analysis) -> None:
        self.schema = schema
        self.result = result

    def run(self, tree: Any) -> None:
        from sqlglot import exp

        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        self.ctes = ctes
        # MySQL's multi-table DELETE (DELETE a FROM accounts a JOIN ...) lists the tables it
        # deletes from by alias before FROM; they are those tables, not tables of their own.
        deleted = tree.args.get("tables") if isinstance(tree, exp.Delete) else None
        if deleted:
            tree.set("tables", None)
            aliases = {t.alias_or_name.lower(): t.name.lower() for t in tree.find_all(exp.Table)}
            for target in deleted:
                name = target.name.lower()
                self._all_columns(aliases.get(name, name), self.result.written)
        for table in tree.find_all(exp.Table):
            name = table.name.lower()
            if name and name not in ctes and name != CATALOG:
                self.result.tables.append(name)
        if isinstance(tree, exp.TruncateTable):
            for t in tree.expressions:
                self._all_columns(t.name.lower(), self.result.written)
            return
        if isinstance(tree, exp.Copy) and isinstance(tree.this, exp.Table):
            self._all_columns(tree.this.name.lower(), self.result.read)
            return
        if isinstance(tree, exp.Copy) and isinstance(tree.this, exp.Schema):
            target = tree.this.this.name.lower()
            for col in tree.this.expressions:
                self.result.read.append(f"{target}.{col.name.lower()}")
            return
        self._writes(tree)
        # A DELETE deletes every column of its table, also in a WITH clause (PostgreSQL's
        # WITH d AS (DELETE ... RETURNING *) INSERT INTO archive SELECT * FROM d)
        for node in tree.find_all(exp.Delete):
            if isinstance(node.this, exp.Table) and not (node is tree and deleted):
                self._all_columns(node.this.name.lower(), self.result.written)
        # MERGE ... WHEN MATCHED THEN DELETE deletes whole rows of its target too
        if (
            isinstance(tree, exp.Merge)
            and _merge_deletes(tree)
            and isinstance(tree.this, exp.Table)
        ):
            self._all_columns(tree.this.name.lower(), self.result.written)
        for col in tree.find_all(exp.Column):
            if isinstance(col.this, exp.Star):
                self._star(col, col.table.lower())
                continue
            ref = self._resolve(col)
            if ref and not self._is_write_target(col):
                self.result.read.append(ref)
            elif ref is None and not col.table:
                self._whole_row(col)
        # A SELECT's `*`, and RETURNING * of an UPDATE, DELETE or INSERT: the returned rows
        # are read by the caller, every column of the statement's own tables (UPDATE ... FROM
        # and DELETE ... USING return the joined tables' columns too)
        for star in tree.find_all(exp.Star):
            if isinstance(star.parent, (exp.Select, exp.Returning)):
                self._star(star, "")

    def _all_columns(self, table: str, into: list[str]) -> None:
        into.extend(f"{table}.{c}" for c in self.schema.columns(table))

    def _scope_tables(self, node: Any, derived: bool = False) -> list[tuple[str, str | None]]:
        """(alias, table) of the base tables visible from ``node``, innermost scope first.
        With ``derived``, also (alias, None) for each derived table, CTE reference, LATERAL or
        table function in scope: an alias that names one of them is not an outer table of the
        same alias (its columns are counted inside it)."""
        out: list[tuple[str, str | None]] = []
        scope = _scope_of(node)
        while scope is not None:
            out.extend(self._sources(scope, derived))
            scope = _scope_of(scope)
        return out

    def _sources(self, scope: Any, derived: bool = False) -> list[tuple[str, str | None]]:
        """(alias, table) of this scope's FROM/JOIN/USING/target, not inside nested queries;
        with ``derived``, (alias, None) for the sources that are not base tables."""
        from sqlglot import exp

        found: list[tuple[str, str | None]] = []
        kinds = (exp.Table, exp.Subquery, exp.Lateral, exp.Unnest) if derived else (exp.Table,)
        for source in scope.find_all(*kinds):
            if _scope_of(source) is not scope:
                continue
            alias = source.alias_or_name.lower()
            if isinstance(source, exp.Table) and source.name.lower() not in self.ctes:
                found.append((alias, source.name.lower()))
            elif alias and not isinstance(source.parent, exp.Lateral):
                found.append((alias, None))  # derived: a subquery in WHERE has no alias
        return found

    def _resolve(self, col: Any) -> str | None:
        name, qualifier = col.name.lower(), col.table.lower()
        if qualifier:
            for alias, table in self._scope_tables(col, derived=True):
                if alias == qualifier:
                    # a CTE or subquery column (table None): counted inside it
                    return f"{table}.{name}" if table else None
            return None
        for _, table in self._scope_tables(col):
            if table and name in self.schema.columns(table):
                return f"{table}.{name}"
        return None

    def _star(self, node: Any, qualifier: str) -> None:
        """``*`` reads every column of its own scope's base tables: a correlated subquery's
        ``SELECT *`` reads nothing of the outer query's tables, and a ``*`` over a derived
        table or CTE reads what that one selects, which is counted inside it. ``t.*`` reads
        the table its alias names in the nearest scope that has the alias."""
        scope = _scope_of(node)
        if not qualifier:
            for _, table in self._sources(scope) if scope is not None else []:
                if table:
                    self._all_columns(table, self.result.read)
            return
        for alias, table in self._scope_tables(node, derived=True):
            if alias == qualifier:
                if table:
                    self._all_columns(table, self.result.read)
                return

    def _whole_row(self, col: Any) -> None:
        """A bare name that is no column but a table's alias in scope is its whole row
        (PostgreSQL's ``SELECT row_to_json(a) FROM accounts a``, ``SELECT a FROM accounts a``):
        every column of the table is read. A derived table's or CTE's row is counted inside."""
        name = col.name.lower()
        for alias, table in self._scope_tables(col, derived=True):
            if alias == name:
                if table:
                    self._all_columns(table, self.result.read)
                return

    def _is_write_target(self, col: Any) -> bool:
        return id(col) in self._targets

    def _writes(self, tree: Any) -> None:
        from sqlglot import exp

        self._targets: set[int] = set()
        for node in tree.find_all(exp.Update, exp.Insert):
            if isinstance(node, exp.Update):
                target = node.this if isinstance(node.this, exp.Table) else None
                for eq in node.expressions:
                    if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
                        self._targets.add(id(eq.this))
                        table = target.name.lower() if target is not None else None
                        ref = self._resolve(eq.this) or (
                            f"{table}.{eq.this.name.lower()}" if table else None
                        )
                        if ref:
                            self.result.written.append(ref)
            else:
                schema = node.this
                if isinstance(schema, exp.Schema) and isinstance(schema.this, exp.Table):
                    table = schema.this.name.lower()
                    for ident in schema.expressions:
                        self.result.written.append(f"{table}.{ident.name.lower()}")
                elif isinstance(schema, exp.Table):
                    self._all_columns(schema.name.lower(), self.result.written)
                conflict = node.args.get("conflict")
                if conflict is not None:
                    table_name = (
                        schema.this.name.lower()
                        if isinstance(schema, exp.Schema)
                        else schema.name.lower()
                    )
                    for eq in conflict.find_all(exp.EQ):
                        if isinstance(eq.this, exp.Column) and isinstance(
                            eq.parent, exp.OnConflict
                        ):
                            self._targets.add(id(eq.this))
                            self.result.written.append(f"{table_name}.{eq.this.name.lower()}")
                    for col in conflict.find_all(exp.Column):
                        if id(col) not in self._targets and col.table.lower() != "excluded":
                            self._targets.add(id(col))
        for merge in tree.find_all(exp.Merge):
            merged = merge.this.name.lower() if isinstance(merge.this, exp.Table) else ""
            for upd in merge.find_all(exp.Update):
                for eq in upd.expressions:
                    if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
                        self._targets.add(id(eq.this))
                        self.result.written.append(f"{merged}.{eq.this.name.lower()}")


def _scope_of(node: Any) -> Any:
    """The query (SELECT, UPDATE, DELETE, INSERT, MERGE) a node belongs to: the nearest one
    above it (a SELECT's own ``*`` belongs to that SELECT)."""
    from sqlglot import exp

    scope = node.parent
    while scope is not None and not isinstance(
        scope, (exp.Select, exp.Update, exp.Delete, exp.Insert, exp.Merge)
    ):
        scope = scope.parent
    return scope


def _find_subject(tree: Any, mapping: Mapping, result: Analysis) -> None:
    """An equality or IN on a subject key column, with literals or a $n parameter, in a
    WHERE or JOIN condition and not under OR/NOT, narrows the statement to its subjects; so
    does an OR of such comparisons alone (``id = 1 OR id = 2``)."""
    from sqlglot import exp

    if not mapping.subject_keys and not mapping.lookup_keys:
        return
    if not _set_operations_narrowed(tree, mapping) or not _joins_connected(tree, mapping):
        return
    if not _output_subqueries_narrowed(tree, mapping):
        return
    # the query whose rows the statement returns, exports or copies: COPY (query) TO,
    # INSERT ... query, CREATE TABLE ... AS query
    rows = tree
    if isinstance(tree, exp.Copy):
        rows = tree.this
    elif isinstance(tree, (exp.Insert, exp.Create)):
        rows = tree.expression
    while isinstance(rows, exp.Subquery):
        rows = rows.this
    if isinstance(rows, exp.Union):
        _union_subjects(rows, mapping, result)
        return
    resolver = _Resolver(mapping.schema, Analysis(parsed=True))
    resolver.ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    for node in tree.find_all(exp.EQ, exp.In):
        if not _in_condition(node, tree, narrowing=True):
            continue
        column, other = node.this, node.expression if isinstance(node, exp.EQ) else None
        listed_all = list(node.expressions) if isinstance(node, exp.In) else []
        if isinstance(column, exp.Tuple):  # (id, city) IN ((1, 'a'), (2, 'b')), = (1, 'a')
            picked = _row_values(column, other, listed_all, node, resolver, mapping)
            if picked is None:
                continue
            column, other, listed_all = picked
        elif isinstance(node, exp.EQ) and not isinstance(column, exp.Column):
            column, other = node.expression, node.this
        if not isinstance(column, exp.Column):
            continue
        ref = _subject_key(column, resolver, mapping)
        if ref is None:
            looked_up = _lookup_count(node, other, column, resolver, mapping, listed_all)
            if looked_up:
                result.subject_lookup = True  # keep looking: a subject key says who
                result.subject_count = max(result.subject_count, looked_up)
            continue
        key_type = mapping.schema.types.get(ref)
        if isinstance(node, exp.In):
            # a NULL in the list matches no row: the list is its other values
            listed = [e for e in listed_all if not _is_null(e)]
            if listed_all and not listed and not node.args.get("query"):
                result.subject_none = True  # id IN (NULL): no one
                continue
            # id IN ($1, $2): a driver's list of bound values, each a subject
            params = [_param(e) for e in listed]
            if params and all(p is not None for p in params):
                result.subject_params = [p for p in params if p is not None]
                result.subject_param = params[0]
                result.subject_count = len(params)
                return
            marks = [_marker(e) for e in listed]
            if marks and all(m is not None for m in marks):
                result.subject_literals = [m for m in marks if m is not None]
                result.subject_type = key_type
                return
            pairs = zip(marks, listed, strict=True)
            if marks and all(
                m is not None or _bits(e) or _is_variable(e, resolver) for m, e in pairs
            ):
                result.subject_variable = True  # hex keys, `?`: narrowed, values not told
                result.subject_count = max(result.subject_count, len(marks))
            continue
        inner = _unwrapped(other)
        if _is_null(inner):  # id = NULL: no row (a NULL bound to id = $1 is the param's)
            result.subject_none = True
            continue
        if isinstance(inner, exp.Any):  # PostgreSQL's id = ANY(ARRAY[1, 2]), = ANY($1)
            array = _unwrapped(inner.this)
            elements = array.expressions if isinstance(array, exp.Array) else []
            if elements and all(_is_null(e) for e in elements):
                result.subject_none = True  # = ANY(ARRAY[NULL]): no one
                continue
            elements = [e for e in elements if not _is_null(e)]
            marks = [_marker(e) for e in elements]
            if marks and all(m is not None for m in marks):
                result.subject_literals = [m for m in marks if m is not None]
                result.subject_type = key_type
                return
            # an array bound or spelled as one string ('{1,2}'), or of values the log does
            # not give: narrowed, values not told. Not a subquery's rows (= ANY(SELECT ...)
            # is IN (SELECT ...)) nor an array of columns: those can be every subject.
            told = elements if isinstance(array, exp.Array) else [array]
            if told and all(_is_value(e, resolver) for e in told):
                result.subject_variable = True
            continue
        mark = _marker(other)
        if mark is not None:
            result.subject_literals = [mark]
            result.subject_type = key_type
            return
        if _bits(other):  # id = X'3133': one subject, its value depends on the key's type
            result.subject_variable = True
            continue
        param = _param(other)
        if param is not None:
            result.subject_param = param
            result.subject_params = [param]
            return
        if _is_variable(other, resolver):
            result.subject_variable = True  # keep looking: a literal or $n says more
    if not result.narrowed:
        _find_subjects_ored(tree, mapping, resolver, result)


def _row_values(
    row: Any, other: Any, listed: list[Any], node: Any, resolver: _Resolver, mapping: Mapping
) -> tuple[Any, Any, list[Any]] | None:
    """A row value holding a subject (or lookup) key, ``(city, id) IN (('a', 1), ('b', 2))``
    or ``(city, id) = ('a', 1)``: the key's column, and what it is compared with (the value at
    its place of each row of the list, or of the one row); None when no key is in the row or
    the rows are not written out (``(id, city) IN ($1, $2)``, a subquery)."""
    from sqlglot import exp

    place = next(
        (
            i
            for i, c in enumerate(row.expressions)
            if isinstance(c, exp.Column)
            and (_subject_key(c, resolver, mapping) or _lookup_key(c, resolver, mapping))
        ),
        None,
    )
    if place is None:
        return None
    width = len(row.expressions)

    def value(row_value: Any) -> Any:
        inner = _unwrapped(row_value) if not isinstance(row_value, exp.Tuple) else row_value
        if isinstance(inner, exp.Tuple) and len(inner.expressions) == width:
            return inner.expressions[place]
        return None

    if isinstance(node, exp.In):
        values = [value(v) for v in listed]
        if not values or any(v is None for v in values):
            return None
        return row.expressions[place], None, values
    one = value(other)
    return None if one is None else (row.expressions[place], one, [])


def _is_null(node: Any) -> bool:
    """The literal NULL (under casts and parentheses: ``NULL::bigint``)."""
    from sqlglot import exp

    return isinstance(_unwrapped(node), exp.Null)


def _inserted_subjects(tree: Any, mapping: Mapping, result: Analysis) -> None:
    """An INSERT ... VALUES: how many rows it writes, and the subject key's value in each row
    (a literal or a $n; a NULL one names no one), in order, as an IN list's values are: the
    first is the subject, the rows are the records."""
    from sqlglot import exp

    rows = list(tree.expression.expressions)
    result.values_rows = len(rows)
    target = tree.this
    if isinstance(target, exp.Schema) and isinstance(target.this, exp.Table):
        table = target.this.name.lower()
        columns = [c.name.lower() for c in target.expressions]
    elif isinstance(target, exp.Table):
        table = target.name.lower()
        columns = mapping.schema.columns(table)
    else:
        return
    at = next((i for i, c in enumerate(columns) if f"{table}.{c}" in mapping.subject_keys), None)
    if at is None:
        return
    values = []
    for row in rows:
        cells = row.expressions if isinstance(row, exp.Tuple) else [row]
        if at >= len(cells):
            return  # a row shorter than the column list (cut): no subject told
        if not _is_null(cells[at]):
            values.append(cells[at])
    marks = [_marker(v) for v in values]
    params = [_param(v) for v in values]
    if marks and all(m is not None for m in marks):
        result.subject_literals = [m for m in marks if m is not None]
        result.subject_type = mapping.schema.types.get(f"{table}.{columns[at]}")
    elif params and all(p is not None for p in params):
        result.subject_params = [p for p in params if p is not None]
        result.subject_param = result.subject_params[0]


def _narrowed(node: Any, mapping: Mapping) -> bool:
    """Whether a query (a branch, a subquery, a CTE's body) is narrowed by itself, computed
    once per node of the tree: each check asks it of the queries nested in its own, so asked
    afresh each time, the work doubled with every level of nesting (a query 14 derived tables
    deep took 26 s; the tree is parsed per analysis, so the node's ``meta`` holds the answer
    for this mapping alone)."""
    return _branch_subjects(node, mapping).narrowed


def _branch_subjects(node: Any, mapping: Mapping) -> Analysis:
    """What ``_find_subject`` finds in a query of its own (a branch, a subquery), once per
    node (``_narrowed``)."""
    key = "auditpipe_narrowed"
    if key not in node.meta:
        found = Analysis(parsed=True)
        _find_subject(node, mapping, found)
        node.meta[key] = found
    found = node.meta[key]
    assert isinstance(found, Analysis)
    return found


def _names_anyone(found: Analysis) -> bool:
    return bool(
        found.subject_literals
        or found.subject_params
        or found.subject_variable
        or found.subject_lookup
    )


def _union_subjects(tree: Any, mapping: Mapping, result: Analysis) -> None:
    """A UNION (ALL) whose branches are each narrowed (``_set_operations_narrowed`` said so)
    returns the rows of the subjects of all: their literals, else their parameters, in order;
    mixed, or values the log does not give, narrowed with how many. A branch reading no mapped
    table adds no one. The chain of UNIONs is walked once, each branch asked once."""
    from sqlglot import exp

    branches, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Union):
            stack += [node.expression, node.this]  # (the left branch first)
        else:
            branches.append(node)
    mapped = {ref_table(ref) for ref in mapping.columns} | set(mapping.schema.views)
    found = [
        _branch_subjects(b, mapping)
        for b in branches
        if {t.name.lower() for t in b.find_all(exp.Table)} & mapped
    ]
    found = [f for f in found if f.narrowed]
    if not found:
        return
    # a branch of no one (`WHERE id = NULL`) adds no subject beside the others
    someone = [f for f in found if not (f.subject_none and not _names_anyone(f))]
    if someone:
        found = someone

    def count(f: Analysis) -> int:
        return len(f.subject_literals) or max(len(f.subject_params), f.subject_count, 1)

    if all(f.subject_literals for f in found):
        result.subject_literals = [k for f in found for k in f.subject_literals]
        result.subject_type = next((f.subject_type for f in found if f.subject_type), None)
    elif all(f.subject_params and not f.subject_literals for f in found):
        result.subject_params = [n for f in found for n in f.subject_params]
        result.subject_param = result.subject_params[0]
        result.subject_count = sum(count(f) for f in found)
    elif all(f.subject_none for f in found):
        result.subject_none = True
    else:
        result.subject_variable = True
        result.subject_lookup = any(f.subject_lookup for f in found)
        result.subject_count = sum(count(f) for f in found)


def _subject_key(column: Any, resolver: _Resolver, mapping: Mapping) -> str | None:
    """The subject key (``table.column``) a column is, or None."""
    return _key_ref(column, resolver, mapping, mapping.subject_keys)


def _lookup_key(column: Any, resolver: _Resolver, mapping: Mapping) -> str | None:
    """The lookup key (``table.column``) a column is, or None."""
    return _key_ref(column, resolver, mapping, mapping.lookup_keys)


def _key_ref(
    column: Any, resolver: _Resolver, mapping: Mapping, keys: frozenset[str]
) -> str | None:
    """The key of ``keys`` (``table.column``) a column is, or None."""
    if not keys:
        return None
    ref = resolver._resolve(column)
    if ref is None and not column.table:
        ref = next((k for k in keys if k.endswith("." + column.name.lower())), None)
    if ref is not None and mapping.schema.views:  # a view's column: the key beneath it
        ref = next((b for b in mapping.schema.base_refs(ref) if b in keys), ref)
    return ref if ref in keys else None


def _lookup_count(
    node: Any,
    other: Any,
    column: Any,
    resolver: _Resolver,
    mapping: Mapping,
    listed: list[Any] | None = None,
) -> int:
    """How many users a comparison of a lookup key with values finds (``mobile = '139…'``: 1,
    ``mobile IN ($1, $2)``: 2), or 0 when ``column`` is no lookup key or is compared with
    anything but values (another column, a subquery)."""
    from sqlglot import exp

    if _lookup_key(column, resolver, mapping) is None:
        return 0
    if isinstance(node, exp.In):
        values = list(node.expressions) if listed is None else listed
    else:
        inner = _unwrapped(other)
        if isinstance(inner, exp.Any):  # mobile = ANY(ARRAY['a', 'b']), = ANY($1)
            array = _unwrapped(inner.this)
            if not isinstance(array, exp.Array):
                return 1 if _is_value(array, resolver) else 0
            values = list(array.expressions)
        else:
            values = [other]
    # a NULL finds no one: the others' users (NULL alone: narrowed, to no one)
    found = [v for v in values if not _is_null(v)]
    if values and not found:
        return 1
    return len(found) if found and all(_is_value(v, resolver) for v in found) else 0


def _is_value(node: Any, resolver: _Resolver) -> bool:
    """A literal, a $n parameter, a hex or bit string, or a variable the log does not give."""
    return (
        _marker(node) is not None
        or _param(node) is not None
        or _bits(node)
        or _is_variable(node, resolver)
    )


def _find_subjects_ored(tree: Any, mapping: Mapping, resolver: _Resolver, result: Analysis) -> None:
    """An OR of subject key comparisons (``id = 1 OR id = 2``, ``id = $1 OR id IN ($2, $3)``,
    as ORMs write a list) in a WHERE or JOIN condition and not under NOT narrows as the IN
    list of all its values does; an OR with any other comparison does not."""
    from sqlglot import exp

    for node in tree.find_all(exp.Or):
        if isinstance(node.parent, exp.Or) or not _in_condition(node, tree, narrowing=True):
            continue
        literals: list[int] = []
        params: list[int] = []
        variables = lookups = 0
        key_type: str | None = None
        for part in node.flatten():
            part = part.unnest()
            # a parenthesised OR inside: its own operands
            parts = [p.unnest() for p in part.flatten()] if isinstance(part, exp.Or) else [part]
            for one in parts:
                values = _key_values(one, resolver, mapping)
                if values is None:
                    break
                ref, found = values
                if ref in mapping.lookup_keys:  # users found by a personal value: none told
                    lookups += len(found)
                    continue
                key_type = key_type or mapping.schema.types.get(ref)
                for kind, value in found:
                    if kind == "variable":
                        variables += 1
                    else:
                        (literals if kind == "literal" else params).append(value)
            else:
                continue
            break
        else:
            if lookups:  # no value of it is a subject: narrowed, how many users told
                result.subject_lookup = True
                result.subject_count = len(literals) + len(params) + variables + lookups
            elif literals and not params and not variables:
                result.subject_literals = literals
                result.subject_type = key_type
            elif params and not literals and not variables:
                result.subject_param = params[0]
                result.subject_params = params
                result.subject_count = len(params)
            elif not (literals or params or variables):  # id = NULL OR id IN (NULL): no one
                result.subject_none = True
            else:  # mixed, or values the log does not give: narrowed, values not told
                result.subject_variable = True
                result.subject_count = len(literals) + len(params) + variables
            return


def _key_values(
    node: Any, resolver: _Resolver, mapping: Mapping
) -> tuple[str, list[tuple[str, int]]] | None:
    """A comparison of a subject or lookup key with literals or $n parameters (``id = 1``,
    ``id = $2``, ``id IN (1, 2)``): the key and its values (("literal", index) or ("param", n));
    None for anything else."""
    from sqlglot import exp

    if isinstance(node, exp.EQ):
        column, others = node.this, [node.expression]
        if not isinstance(column, exp.Column):
            column, others = node.expression, [node.this]
    elif isinstance(node, exp.In) and not node.args.get("query"):
        column, others = node.this, list(node.expressions)
    else:
        return None
    if not isinstance(column, exp.Column) or not others:
        return None
    ref = _subject_key(column, resolver, mapping) or _lookup_key(column, resolver, mapping)
    if ref is None:
        return None
    found: list[tuple[str, int]] = []
    inner = _unwrapped(others[0]) if isinstance(node, exp.EQ) else None
    if isinstance(inner, exp.Any):  # id = ANY(ARRAY[1, 2]): its elements; = ANY($1): not told
        array = _unwrapped(inner.this)
        if not isinstance(array, exp.Array):
            return (ref, [("variable", 0)]) if _is_value(array, resolver) else None
        others = list(array.expressions)
    for other in others:
        mark, param = _marker(other), _param(other)
        if _is_null(other):  # matches no row: no value of the list
            continue
        if mark is not None:
            found.append(("literal", mark))
        elif param is not None:
            found.append(("param", param))
        elif _is_variable(other, resolver):  # MySQL's `?`, a routine's variable
            found.append(("variable", 0))
        else:
            return None
    return ref, found


def _is_variable(node: Any, resolver: _Resolver) -> bool:
    """A bare name no table in scope has (a SQL function's or procedure's variable: pgaudit
    logs a function body's statements as written), a MySQL user variable (@x), or a prepared
    statement's `?`."""
    from sqlglot import exp

    node = _unwrapped(node)
    if isinstance(node, (exp.SessionParameter, exp.Parameter)) and not isinstance(
        node.this, exp.Literal
    ):
        return True  # @x
    if isinstance(node, exp.Placeholder) and not node.this:
        return True  # a prepared statement's `?`, logged as written (server_audit's EXECUTE)
    if not isinstance(node, exp.Column) or node.table or isinstance(node.this, exp.Star):
        return False
    name = node.name.lower()
    return resolver._resolve(node) is None and not any(
        table and name in resolver.schema.columns(table)
        for _, table in resolver._scope_tables(node)
    )


def _set_operations_narrowed(tree: Any, mapping: Mapping) -> bool:
    """Whether each set operation in ``tree`` returns only narrowed rows: a UNION (ALL) when
    each branch is, an EXCEPT when its first branch is, an INTERSECT when one is. A branch that
    reads no table with mapped columns (nor a view) returns no one's data and counts as
    narrowed. ``… WHERE id = 1 UNION SELECT mobile FROM accounts`` is every subject's mobile,
    not subject 1's."""
    from sqlglot import exp

    mapped = {ref_table(ref) for ref in mapping.columns}
    views = set(mapping.schema.views)

    def narrowed(branch: Any) -> bool:
        tables = {t.name.lower() for t in branch.find_all(exp.Table)}
        if not tables & (mapped | views):
            return True
        return _narrowed(branch, mapping)

    for op in tree.find_all(exp.SetOperation):
        if not _returns_rows(op, tree):
            continue
        left, right = op.this, op.expression
        if isinstance(op, exp.Intersect):
            ok = narrowed(left) or narrowed(right)
        elif isinstance(op, exp.Except):
            ok = narrowed(left)
        else:
            ok = narrowed(left) and narrowed(right)
        if not ok:
            return False
    return True


def _output_subqueries_narrowed(tree: Any, mapping: Mapping) -> bool:
    """Whether each subquery in a query's output list (a scalar subquery) that reads mapped
    columns is narrowed by itself: by its own key comparison, or by a column of the query
    around it (correlated: ``(SELECT o.amount FROM orders o WHERE o.account_id = a.id)``).
    ``SELECT (SELECT string_agg(mobile, ',') FROM accounts) FROM accounts WHERE id = 1``
    returns every user's mobile in subject 1's row: the outer key narrows only the outer
    query's rows."""
    from sqlglot import exp

    resolver = _Resolver(mapping.schema, Analysis(parsed=True))
    resolver.ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    for select in tree.find_all(exp.Select):
        if select is tree or not _in_output_list(select) or not _returns_rows(select, tree):
            continue  # (a LATERAL join's query counts with the output's)
        if not _reads_mapped(select, resolver, mapping) or _correlated(select, resolver):
            continue
        if not _narrowed(select, mapping):
            return False
    return True


def _in_output_list(select: Any) -> bool:
    """Whether a query is a value in the output list of the query around it, or a LATERAL
    join's query (its rows are joined to each row of the tables before it, so it is narrowed
    by its own key or by a column of theirs, as a scalar subquery is)."""
    from sqlglot import exp

    child, parent = select, select.parent
    while parent is not None and not isinstance(parent, exp.Select):
        if isinstance(parent, exp.Lateral):
            return True
        child, parent = parent, parent.parent
    return parent is not None and child.arg_key == "expressions"


def _reads_mapped(select: Any, resolver: _Resolver, mapping: Mapping) -> bool:
    """Whether a query reads a mapped column: by name, or by a ``*`` or ``t.*`` over its own
    tables that have one, or any column of a view."""
    from sqlglot import exp

    own = dict(resolver._sources(select))  # alias -> table
    mapped = {ref_table(ref) for ref in mapping.columns}
    mapped |= set(mapping.schema.views)
    if any(isinstance(e, exp.Star) for e in select.expressions) and set(own.values()) & mapped:
        return True
    for col in select.find_all(exp.Column):
        if isinstance(col.this, exp.Star):
            if own.get(col.table.lower()) in mapped:
                return True
        else:
            ref = resolver._resolve(col)
            if ref and any(b in mapping.columns for b in mapping.schema.base_refs(ref)):
                return True
    return False


def _correlated(select: Any, resolver: _Resolver) -> bool:
    """Whether a query's conditions compare its rows with a column of a query around it
    (``WHERE o.account_id = a.id``, ``b.id = a.id + 1``), not under OR/NOT."""
    from sqlglot import exp

    own = {alias for alias, _ in resolver._sources(select, derived=True)}
    conditions = [select.args.get("where")] + [
        j.args.get("on") for j in select.args.get("joins") or []
    ]
    for condition in conditions:
        if condition is None:
            continue
        for eq in condition.find_all(exp.EQ):
            if _scope_of(eq) is not select or not _in_condition(eq):
                continue
            for side, other in ((eq.this, eq.expression), (eq.expression, eq.this)):
                outer = [
                    c for c in other.find_all(exp.Column) if c.table and c.table.lower() not in own
                ]
                if isinstance(side, exp.Column) and side.table.lower() in own | {""} and outer:
                    return True
    return False


def _joins_connected(tree: Any, mapping: Mapping) -> bool:
    """Whether, in each query whose rows ``tree`` returns, the tables with mapped columns or
    subject keys are joined to one another (a column equal to a column, in a JOIN's ON or
    USING or the WHERE, not under OR/NOT): a key compared with a value narrows its table and
    the tables joined to it, not one joined without a condition (``JOIN accounts b ON true``,
    a comma join with no equality), whose every row the query returns."""
    from sqlglot import exp

    relevant = {ref_table(ref) for ref in mapping.columns}
    relevant |= {ref_table(ref) for ref in mapping.subject_keys | mapping.lookup_keys}
    relevant |= set(mapping.schema.views)
    # A CTE or derived table returning mapped columns of rows no key narrows inside it is such
    # a table too (`FROM (SELECT * FROM accounts) t, accounts a WHERE a.id = 1` returns every
    # row of t); its columns are no schema table's (""), so only qualified ones link it.
    resolver = _Resolver(mapping.schema, Analysis(parsed=True))
    resolver.ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    relevant |= {
        c.alias_or_name.lower()
        for c in tree.find_all(exp.CTE)
        if _unnarrowed_rows(c.this, resolver, mapping)
    }
    derived = {
        id(q)
        for q in tree.find_all(exp.Subquery)
        if q.alias and _unnarrowed_rows(q.this, resolver, mapping)
    }
    return all(
        _select_connected(select, relevant, mapping, derived)
        for select in tree.find_all(exp.Select)
        if _returns_rows(select, tree)
    ) and all(
        _write_connected(write, relevant, mapping, derived)
        for write in tree.find_all(exp.Update, exp.Delete)
    )


def _write_connected(
    write: Any, relevant: set[str], mapping: Mapping, derived: set[int] | None = None
) -> bool:
    """``_joins_connected`` for an UPDATE or DELETE joined to other tables (PostgreSQL's
    ``UPDATE … FROM``, ``DELETE … USING``; MySQL's ``UPDATE a JOIN b``, ``UPDATE a, b``,
    ``DELETE a FROM a, b``): without a link it writes every row of its target."""
    from sqlglot import exp

    target = write.this
    if not isinstance(target, exp.Table):
        return True
    joins = list(target.args.get("joins") or [])
    sources = [target] + [j.this for j in joins]
    first = write.args.get("from") or write.args.get("from_")
    if first is not None:
        sources.append(first.this)
    using = write.args.get("using")
    if isinstance(using, list):
        sources += using
    return _sources_connected(write, sources, joins, relevant, mapping, derived)


def _unnarrowed_rows(body: Any, resolver: _Resolver, mapping: Mapping) -> bool:
    """Whether a CTE's or derived table's query reads mapped columns and no key narrows it."""
    from sqlglot import exp

    if not isinstance(body, (exp.Select, exp.SetOperation)):
        return False
    selects = [body] if isinstance(body, exp.Select) else list(body.find_all(exp.Select))
    if not any(_reads_mapped(s, resolver, mapping) for s in selects):
        return False
    return not _narrowed(body, mapping)


def _select_connected(
    select: Any, relevant: set[str], mapping: Mapping, derived: set[int] | None = None
) -> bool:
    """``_joins_connected`` for one query (its FROM, JOINs and WHERE)."""

    first = select.args.get("from") or select.args.get("from_")
    joins = select.args.get("joins") or []
    sources = ([first.this] if first is not None else []) + [j.this for j in joins]
    return _sources_connected(select, sources, joins, relevant, mapping, derived)


def _sources_connected(
    select: Any,
    sources: list[Any],
    joins: list[Any],
    relevant: set[str],
    mapping: Mapping,
    derived: set[int] | None = None,
) -> bool:
    """Whether the ``sources`` of a query (its FROM and JOIN tables, a write's target and
    joined tables) with mapped columns or keys are all linked, in ``joins``' ON or USING or
    the query's WHERE."""
    from sqlglot import exp

    aliases = {
        t.alias_or_name.lower(): t.name.lower()
        for t in sources
        if isinstance(t, exp.Table) and t.name.lower() in relevant
    }
    aliases |= {
        t.alias.lower(): ""
        for t in sources
        if isinstance(t, exp.Subquery) and id(t) in (derived or set())
    }
    if len(aliases) < 2:
        return True
    parent = {a: a for a in aliases}

    def find(a: str) -> str:
        while parent[a] != a:
            a = parent[a]
        return a

    def alias_of(col: Any) -> str | None:
        if col.table:
            return col.table.lower() if col.table.lower() in aliases else None
        having = [a for a, t in aliases.items() if col.name.lower() in mapping.schema.columns(t)]
        return having[0] if len(having) == 1 else None

    seen: list[str] = []
    for source in sources:
        name = source.alias_or_name.lower() if isinstance(source, exp.Table) else ""
        join = source.parent if isinstance(source.parent, exp.Join) else None
        natural = join is not None and str(join.args.get("method") or "").upper() == "NATURAL"
        if name in aliases and join is not None and (join.args.get("using") or natural):
            for other in seen:
                parent[find(name)] = find(other)
        if name in aliases:
            seen.append(name)
    for condition in [j.args.get("on") for j in joins] + [select.args.get("where")]:
        if condition is None:
            continue
        for eq in condition.find_all(exp.EQ):
            if not (isinstance(eq.this, exp.Column) and isinstance(eq.expression, exp.Column)):
                continue
            if _scope_of(eq) is not select or not _in_condition(eq):
                continue
            left, right = alias_of(eq.this), alias_of(eq.expression)
            if left and right:
                parent[find(left)] = find(right)
    return len({find(a) for a in aliases}) == 1


def _returns_rows(op: Any, root: Any) -> bool:
    """Whether a set operation's rows are those of ``root`` (its output, a CTE's or a derived
    table's body), not a filter's (a subquery under WHERE, HAVING or a JOIN's ON), and it is
    not a branch of another set operation under ``root`` (judged as that one's branch)."""
    from sqlglot import exp

    child, parent = op, op.parent
    while child is not root and parent is not None:
        if isinstance(parent, (exp.SetOperation, exp.Where, exp.Having)):
            return False
        if isinstance(parent, exp.Join) and child.arg_key in ("on", "using"):
            return False
        child, parent = parent, parent.parent
    return True


def _in_condition(node: Any, root: Any = None, narrowing: bool = False) -> bool:
    """Whether a comparison restricts the rows of its query: a conjunct of its WHERE or of a
    JOIN's ON, under AND and parentheses only. ``id = 5 IS NULL``, ``coalesce(id = 5,
    true)``, ``CASE WHEN id = 5 ...``, ``id = 5 = false``, OR and NOT restrict nothing.

    With ``narrowing`` (a key compared with a value, for whose rows the statement reads): the
    ON of an outer join restricts none of its preserved side's rows, and a comparison in a
    subquery restricts the rows of ``root`` (the query analysed) only through that subquery:
    as the rows of a CTE or derived table, the list of an ``IN`` that itself restricts, or a
    correlated ``EXISTS`` that does (``EXISTS (SELECT 1 FROM orders WHERE account_id = 5)``
    is true or false for every row alike)."""
    from sqlglot import exp

    child, parent = node, node.parent
    while isinstance(parent, (exp.And, exp.Paren)):
        child, parent = parent, parent.parent
    if isinstance(parent, exp.Join):
        if child.arg_key != "on":
            return False
        side = str(parent.args.get("side") or "").upper()
        if narrowing and side in ("LEFT", "RIGHT", "FULL"):
            return False
    elif not isinstance(parent, exp.Where):
        return False
    if not narrowing:
        return True
    query = parent.parent if isinstance(parent, exp.Where) else _scope_of(parent)
    return _restricts_root(query, root)


def _restricts_root(query: Any, root: Any) -> bool:
    """Whether restricting ``query``'s rows restricts the rows ``root`` reads (see
    ``_in_condition``)."""
    from sqlglot import exp

    if query is None or query is root:
        return True
    child, parent = query, query.parent
    while isinstance(parent, (exp.Subquery, exp.Paren)):
        child, parent = parent, parent.parent
    if parent is None:
        return True
    if isinstance(parent, exp.In) and child.arg_key == "query":
        return _in_condition(parent, root, narrowing=True)
    if isinstance(parent, exp.Exists):
        resolver = _Resolver(DbSchema(), Analysis(parsed=True))
        resolver.ctes = set()  # (aliases only: whether a name is a CTE does not matter)
        return _correlated(query, resolver) and _in_condition(parent, root, narrowing=True)
    # the rows of a CTE, a derived table, a set operation's branch, INSERT ... SELECT, a
    # LATERAL query, COPY (query) TO: judged where those rows are used (set operations,
    # joins, the output; COPY's are the rows exported)
    return isinstance(
        parent, (exp.CTE, exp.From, exp.Join, exp.SetOperation, exp.Insert, exp.Lateral, exp.Copy)
    )


def data_fields(analysis: Analysis, mapping: Mapping) -> list[str]:
    """Catalog fields of the columns touched: mapped ones by [columns], unmapped ones by their
    name when the catalog knows it (matched as data_fields names are), the others as
    table.column (class 'other'), so a statement touching no known column still names what
    it touched."""
    touched = sorted(set(analysis.read) | set(analysis.written))
    found = {mapping.columns[c] for c in touched if c in mapping.columns}
    unmapped = []
    for ref in touched:
        if ref in mapping.columns:
            continue
        name = normalize_name(ref_parts(ref)[1])
        if name in mapping.catalog_fields:
            found.add(name)
        else:
            unmapped.append(ref)
    return sorted(found) + unmapped


def tables_only_fields(tables: list[str], mapping: Mapping) -> list[str]:
    """Fallback when a statement cannot be analysed: every mapped column of the tables the
    log itself names counts as touched."""
    names = {_bare(t) for t in tables}
    fields = sorted({f for ref, f in mapping.columns.items() if ref_table(ref) in names})
    return fields or sorted(names)
