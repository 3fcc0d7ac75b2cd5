"""Statements -> contract events, set-wise: every kind ends here.

A kind hands over a Polars frame of statements (one row per statement, its log lines already
grouped) with these columns:

  line_number  i64   the statement's first log line
  lines        i64   physical log lines grouped into it
  event_time   str   ISO-8601 UTC, null when the time could not be read
  actor        str   the database user
  database     str   (nullable)
  source_ip    str   (nullable)
  session      str   session / connection id
  statement_id str   the log's statement id within the session
  statement    str   the statement text as logged (in memory only; never stored)
  params       str   the bound parameters as the log's CSV (nullable; never stored)
  rows         i64   rows read or written, when the log has them (nullable)
  objects      list[str]  tables the log itself names (pgaudit OBJECT_NAME, TABLE lines)
  log_command  str   the command the log names (SELECT, UPDATE ...; nullable)
  data_access  bool  false for statements that touch no table data (DDL, SET, PREPARE ...)
  outcome      str   success | failure
  error_code   str   SQLSTATE / retcode of a failure (nullable)
  truncated    bool  the logger cut the statement short
  event_key    str   stable id of the statement in this log (the event_id)
  raw_head     str   the record's fixed fields, safe to keep (prefix, ids, command)
  problem      str   a reason to quarantine the statement (nullable)

Each distinct fingerprint is analysed once (``Analyser`` caches across batches); results are
joined back by fingerprint, and per-row values (the subject key's literal or parameter, the
export path, the ticket in a comment) are read with vectorised string functions.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .analysis import (
    DELETE,
    EXPORT,
    OTHER,
    READ,
    SYSTEM_SCHEMAS,
    WRITE,
    Analysis,
    Mapping,
    analyse_parts,
    merged,
)
from .analysis import data_fields as analysis_fields
from .schema import ref_table
from .scrub import fingerprint, literal_list_expr, literal_value_expr, scrub_expr
from .settings import SourceSettings
from .times import TIME_PROBLEM

UNRESOLVED_FIELD = "unresolved"
# What a `?` of the statement itself is while literals are scrubbed (see to_events).
_KEPT_MARK = "\x00"
# A client address that is an IP goes to source_ip; a name (localhost, [local]) to extras.
_IP = r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$"
_ACTION = {EXPORT: "export", WRITE: "update", DELETE: "delete"}
_COMMAND_KIND = {
    "SELECT": READ,
    "INSERT": WRITE,
    "UPDATE": WRITE,
    "MERGE": WRITE,
    "DELETE": DELETE,
    "TRUNCATE": DELETE,
    "TRUNCATE TABLE": DELETE,
    "COPY": EXPORT,
    "READ": READ,
    "WRITE": WRITE,
}
# Output columns handed to ingest, in order (contract names plus the seam's own).
OUTPUT_COLUMNS = [
    "line_number",
    "raw",
    "pre_error",
    "event_id",
    "event_time",
    "provider_id",
    "provider_type",
    "system",
    "actor_id",
    "actor_type",
    "action",
    "subject_id",
    "record_count",
    "data_fields",
    "destination_type",
    "authorization_ref",
    "purpose",
    "outcome",
    "source_ip",
    "extras",
]


@dataclass
class Counters:
    """Per-file counts for the manifest; lines_read = lines_in_events + non_data_lines +
    lines_quarantined always holds."""

    lines_read: int = 0
    lines_in_events: int = 0
    non_data_lines: int = 0
    lines_quarantined: int = 0
    events: int = 0
    resolved_from_tables_only: int = 0
    unbounded_reads: int = 0
    truncated_statements: int = 0
    fingerprints: set[str] = field(default_factory=set)
    # The quarantined rows' (line_number, raw, n: their lines) since take_quarantined: ingest
    # records them, to count a grown log's old bad lines as quarantined before, not again.
    quarantined_rows: list[Any] = field(default_factory=list)
    # Events per database user no [actors] pattern matched (their actor_type is unknown), and
    # the patterns that matched a user: what the ingest summary tells about [actors].
    unmatched_users: dict[str, int] = field(default_factory=dict)
    matched_patterns: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        kept = {"fingerprints", "quarantined_rows", "unmatched_users", "matched_patterns"}
        counts = {k: v for k, v in vars(self).items() if k not in kept}
        return counts | {"statement_shapes": len(self.fingerprints)}

    def take_quarantined(self) -> Any:
        """The quarantined rows recorded so far (a pyarrow table), forgotten here."""
        import pyarrow as pa

        rows, self.quarantined_rows = self.quarantined_rows, []
        if not rows:
            return pa.table({"line_number": pa.array([], pa.int64()), "raw": [], "n": []})
        return pa.concat_tables(rows)

    @property
    def reconciles(self) -> bool:
        return self.lines_read == (
            self.lines_in_events + self.non_data_lines + self.lines_quarantined
        )


class Analyser:
    """Statement analysis cached by fingerprint, as a small frame to join."""

    def __init__(self, dialect: str, mapping: Mapping) -> None:
        self.dialect = dialect
        self.mapping = mapping
        self.cache: dict[str, list[dict[str, Any]]] = {}

    def rows_for(self, shapes: Any) -> Any:
        """``shapes``: frame of (fingerprint, statement) with one representative statement
        per new fingerprint. Returns the analysis frame for every fingerprint asked: part 0
        is the whole text (of several statements: all of them, merged), and a text of
        several statements has parts 1..n_parts, one per statement, beside it."""
        import polars as pl

        for fp, sql in shapes.iter_rows():  # one per distinct shape, not per statement
            if fp not in self.cache:
                parts = analyse_parts(sql, self.dialect, self.mapping)
                rows = [merged(parts)] + (parts if len(parts) > 1 else [])
                self.cache[fp] = [
                    {"part_no": i, "n_parts": len(parts), **self._row(a)}
                    for i, a in enumerate(rows)
                ]
        wanted = shapes["fingerprint"].to_list()
        return pl.DataFrame(
            [{"fingerprint": fp, **row} for fp in wanted for row in self.cache[fp]],
            schema=_analysis_schema(),
        )

    def _row(self, a: Analysis) -> dict[str, Any]:
        fields = analysis_fields(a, self.mapping)
        touched = bool(a.read or a.written)
        known = all(self.mapping.schema.columns(t) for t in a.tables)
        # Read, and no user's data touched: a statement of no data kind (DDL, SET, a plain
        # EXPLAIN), or tables the schema knows with none of their columns read or written
        # (SELECT count(*) FROM accounts). Not an event, whatever tables the log names.
        no_user_data = a.parsed and not touched and (a.kind == OTHER or (bool(a.tables) and known))
        return {
            # Tables found but none of their columns resolved (a table missing from the
            # schema): fall back to the tables the log names.
            "parsed": a.parsed and (touched or not a.tables or no_user_data),
            "no_user_data": no_user_data,
            "kind": a.kind,
            "fields": fields,
            "protected": any(f in self.mapping.protected_fields for f in fields),
            "touches_tables": bool(a.tables),
            "subject_literals": a.subject_literals,
            "subject_param": a.subject_param,
            "subject_params": a.subject_params,
            "subject_count": a.subject_count,
            "subject_none": a.subject_none,
            "values_rows": a.values_rows,
            "subject_variable": a.subject_variable,
            "subject_lookup": a.subject_lookup,
            "subject_type": a.subject_type,
            "export_literal": a.export_literal,
            "limit_literal": a.limit_literal,
            "export_stdout": a.export_stdout,
            "call_literal": a.call_literal,
            "parse_problem": a.problem,
        }


def _analysis_schema() -> dict[str, Any]:
    import polars as pl

    return {
        "fingerprint": pl.String,
        "part_no": pl.Int64,
        "n_parts": pl.Int64,
        "parsed": pl.Boolean,
        "kind": pl.String,
        "fields": pl.List(pl.String),
        "protected": pl.Boolean,
        "touches_tables": pl.Boolean,
        "no_user_data": pl.Boolean,
        "subject_literals": pl.List(pl.Int64),
        "subject_param": pl.Int64,
        "subject_params": pl.List(pl.Int64),
        "subject_count": pl.Int64,
        "subject_none": pl.Boolean,
        "values_rows": pl.Int64,
        "subject_variable": pl.Boolean,
        "subject_lookup": pl.Boolean,
        "subject_type": pl.String,
        "export_literal": pl.Int64,
        "limit_literal": pl.Int64,
        "export_stdout": pl.Boolean,
        "call_literal": pl.Int64,
        "parse_problem": pl.String,
    }


def _count_actors(events: Any, settings: SourceSettings, counters: Counters) -> None:
    """Events per user no [actors] pattern matches, and the patterns that match a user (one
    look per distinct user of the batch)."""
    for user, n in events.group_by("actor").len().iter_rows():
        if user is None:
            continue
        matched = [p for p, _t in settings.actors if fnmatch.fnmatchcase(user, p)]
        if matched:
            counters.matched_patterns.add(matched[0])
        else:
            counters.unmatched_users[user] = counters.unmatched_users.get(user, 0) + n


def _actor_types(users: list[str], settings: SourceSettings) -> dict[str, str]:
    out = {}
    for user in users:  # distinct database users, a handful per file
        out[user] = next(
            (t for pattern, t in settings.actors if fnmatch.fnmatchcase(user, pattern)), "unknown"
        )
    return out


def _comment_value(col: Any, key: str | None) -> Any:
    import polars as pl

    if not key:
        return pl.lit(None, pl.String)
    import re

    commented = pl.when(col.str.contains("/*", literal=True)).then(col)
    return commented.str.extract(r"(?s)/\*.*?\b" + re.escape(key) + r"\s*=\s*'([^']*)'", 1)


def _url_decoded(series: Any) -> Any:
    import polars as pl

    distinct = [v for v in series.unique().to_list() if v is not None]
    if not distinct:
        return series
    mapping = {v: unquote(v) for v in distinct}  # per distinct value, not per row
    return series.replace_strict(mapping, default=None, return_dtype=pl.String)


def _param_value(params: Any, index: Any) -> Any:
    """The n-th (1-based) value of pgaudit's PARAMETER CSV, unquoted."""
    import polars as pl

    fields = (
        (pl.lit(",") + params)
        .str.extract_all(r',("(?:[^"]|"")*"|[^,]*)')
        .list.get(index - 1, null_on_oob=True)
        .str.slice(1)
    )
    return (
        pl.when(fields.str.starts_with('"'))
        .then(fields.str.slice(1).str.head(-1).str.replace_all('""', '"', literal=True))
        .otherwise(fields)
    )


def _data_fields_text(fields: Any) -> Any:
    """The data field names as ingest reads a data_fields text: joined with ';', or, where a
    name holds a character that separates names in such a text (a table or column named
    "省、市", "a,b", "x|y", or with their full-width forms), a JSON list of the names, which
    ingest reads name by name, never cut."""
    import re

    import polars as pl

    from ..contract import NAME_FOLD
    from ..ingest.normalize import FIELD_SEPARATORS

    separators = set(FIELD_SEPARATORS.strip("[]"))
    folded = {c for c, f in NAME_FOLD.items() if set(str(f)) & separators}
    cut = "[" + "".join(re.escape(c) for c in sorted(separators | folded)) + "]"
    quoted = pl.concat_str(
        pl.lit('"'),
        pl.element()
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True),
        pl.lit('"'),
    )
    as_json = pl.concat_str(pl.lit("["), fields.list.eval(quoted).list.join(","), pl.lit("]"))
    return (
        pl.when(fields.list.eval(pl.element().str.contains(cut)).list.any())
        .then(as_json)
        .otherwise(fields.list.join(";"))
    )


def _param_values(params: Any, indexes: Any) -> Any:
    """The values pgaudit's PARAMETER CSV gives for the (1-based) ``indexes``, in their
    order, without the NULLs (an empty field: a NULL matches no row). ``id IN ($1, $2)``
    bound to NULL and 2 is subject 2's read. A value pgaudit did not log (``<long param
    suppressed>``) stays: it matched its row, though it names no subject (``_told``)."""
    import polars as pl

    fields = (pl.lit(",") + params).str.extract_all(r',("(?:[^"]|"")*"|[^,]*)')
    picked = fields.list.gather(indexes.list.eval(pl.element() - 1), null_on_oob=True)
    value = pl.element().str.slice(1)
    unquoted = (
        pl.when(value.str.starts_with('"'))
        .then(value.str.slice(1).str.head(-1).str.replace_all('""', '"', literal=True))
        .otherwise(value)
    )
    present = pl.element().is_not_null() & (pl.element() != "")
    return picked.list.eval(unquoted).list.eval(pl.element().filter(present))


def _told(values: Any) -> Any:
    """``values`` (a list) without those pgaudit did not log (``<long param suppressed>``)."""
    import polars as pl

    return values.list.eval(pl.element().filter(~pl.element().str.contains(_UNTOLD)))


# What pgaudit prints for a parameter it does not give (the parameter is no subject).
_UNTOLD = r"^<(?:none|not logged|previously logged|long param suppressed)>$"


def _object_table(name: Any) -> Any:
    """The table of a name the log gives (pgaudit's OBJECT_NAME, server_audit's db.table),
    unquoted and lower-cased as the settings' and the schema's names are. PostgreSQL quotes a
    name holding anything but a-z, 0-9 and _ (capitals, spaces, Chinese): ``public."Customer
    Data"`` is the table ``customer data``, ``public."a""b"`` is ``a"b``, ``"my.app".t`` is ``t``,
    and ``public."user.profile"`` is ``"user.profile"``, quoted as the settings' references
    quote a name holding a dot (``ident``)."""
    import polars as pl

    quoted = name.str.extract(r'(?:^|\.)"((?:[^"]|"")+)"$', 1).str.replace_all(
        '""', '"', literal=True
    )
    dotted = quoted.str.contains(".", literal=True) | quoted.str.starts_with('"')
    quoted = (  # (the result keeps the name of ``name``)
        pl.when(~dotted)
        .then(quoted)
        .otherwise(pl.lit('"') + quoted.str.replace_all('"', '""', literal=True) + pl.lit('"'))
    )
    return pl.coalesce(quoted, name.str.split(".").list.last()).str.to_lowercase()


def _subject_value(literal: Any, key_type: Any, dialect: str) -> Any:
    """The subject key's value from the literal it is compared with, per row. A MySQL hex
    literal (``0x3133``) is what the server compares it as: the number it spells against a
    number column (12595), the string its bytes spell against a text one ('13'; none when
    the bytes are not UTF-8 text), and no value when the schema does not tell the key's
    type. PostgreSQL (16+) reads 0x3133 as the integer 12595 whatever it is compared with.
    (Statements with ``id = 5`` and ``id = 0x3133`` share a shape, so this is decided per
    row, not by the shape's analysis.)"""
    import polars as pl

    digits = literal.str.extract(r"^0[xX]([0-9A-Fa-f]+)$", 1)
    even = pl.when(digits.str.len_chars() % 2 == 1).then(pl.lit("0") + digits).otherwise(digits)
    number = digits.str.to_integer(base=16, strict=False).cast(pl.String)
    text = even.map_batches(_hex_text, return_dtype=pl.String)
    as_number = key_type == "number" if dialect == "mysql" else pl.lit(True)
    return (
        pl.when(digits.is_null())
        .then(literal_value_expr(literal))
        .when(as_number)
        .then(number)
        .when(key_type == "text")
        .then(text)
        .otherwise(pl.lit(None, pl.String))
    )


def _hex_text(digits: Any) -> Any:
    """Hex digits -> the UTF-8 text their bytes spell (null when they spell none), decoded
    once per distinct value, as ``_url_decoded`` does (Polars cannot cast bytes that are not
    UTF-8 to a string without failing the whole column)."""
    import polars as pl

    def text(value: str) -> str | None:
        try:
            return bytes.fromhex(value).decode("utf-8")
        except ValueError:
            return None

    mapping = {v: text(v) for v in digits.drop_nulls().unique().to_list()}
    if not mapping:
        return digits.cast(pl.String)
    return digits.replace_strict(mapping, default=None, return_dtype=pl.String)


def to_events(stmts: Any, settings: SourceSettings, analyser: Analyser, counters: Counters) -> Any:
    """Statements frame -> Arrow table of OUTPUT_COLUMNS (events and quarantined rows)."""
    import polars as pl

    if stmts.height == 0:
        return _empty()
    dialect = settings.dialect
    counters.lines_read += int(stmts["lines"].sum())
    # A `?` the statement already holds (a MySQL prepared statement's placeholder, which
    # server_audit logs as written) is kept apart from the `?` a scrubbed literal becomes:
    # `id = ?` and `id = 1` scrub alike, but the k-th literal is not in the same place in
    # both, so they are two shapes (analysed apart), though shown alike.
    text = pl.col("statement").fill_null("")
    marked = pl.when(text.str.contains("?", literal=True)).then(
        text.str.replace_all("?", _KEPT_MARK, literal=True)
    )
    s = stmts.with_columns(
        scrub_expr(marked.otherwise(text), dialect, cut=pl.col("truncated")).alias("_shape")
    )
    s = s.with_columns(
        pl.when(pl.col("_shape").str.contains(_KEPT_MARK, literal=True))
        .then(pl.col("_shape").str.replace_all(_KEPT_MARK, "?", literal=True))
        .otherwise(pl.col("_shape"))
        .alias("scrubbed")
    )
    # Fingerprints: hashed once per distinct shape.
    distinct = s.select("_shape").unique()
    distinct = distinct.with_columns(
        pl.Series("fingerprint", [fingerprint(t) for t in distinct["_shape"].to_list()])
    )
    s = s.join(distinct, on="_shape", how="left").drop("_shape")
    bad = s.filter(pl.col("problem").is_not_null() | pl.col("event_time").is_null())
    good = s.filter(pl.col("problem").is_null() & pl.col("event_time").is_not_null())
    good_data = good.filter(pl.col("data_access"))
    shapes = good_data.group_by("fingerprint").agg(pl.col("statement").first())
    counters.fingerprints.update(shapes["fingerprint"].to_list())
    analysed = _with_analysis(good_data, analyser.rows_for(shapes))
    # The server's own catalog tables the log names (pgaudit's pg_catalog.pg_class under
    # information_schema.tables) are no user's data, for every reader as for server_audit's
    # TABLE lines: a statement that names only those is no event (see analysis.SYSTEM_SCHEMAS).
    system = list(SYSTEM_SCHEMAS.get(dialect, ()))
    schema_of = pl.element().str.extract(r"^([^.]*)\.", 1).str.to_lowercase()
    analysed = analysed.with_columns(
        pl.col("objects").list.eval(pl.element().filter(~schema_of.is_in(system).fill_null(False)))
    )
    # A statement the parser could not read, the logger cut short, or that resolved to no
    # table although the log names some, falls back to the tables the log names.
    n_objects = pl.col("objects").list.len()
    fallback = (
        ~pl.col("parsed") | pl.col("truncated") | (~pl.col("touches_tables") & (n_objects > 0))
    ) & ~(pl.col("no_user_data") & ~pl.col("truncated"))
    analysed = analysed.with_columns(fallback.alias("tables_only"))
    # Statements that touch no table data at all (SELECT 1, a parsed DDL) are not events.
    no_data = ~pl.col("tables_only") & (
        (pl.col("kind") == OTHER) | ~pl.col("touches_tables") | pl.col("no_user_data")
    )
    events = analysed.filter(~no_data)
    counters.non_data_lines += int(good.filter(~pl.col("data_access"))["lines"].sum()) + int(
        analysed.filter(no_data)["lines"].sum()
    )
    # A problem only an event has (pgaudit: no database user named): the statements that are
    # not events (SELECT pg_reload_conf()) stay counted as not data, the events are quarantined.
    if "event_problem" in events.columns:
        unusable = pl.col("event_problem").is_not_null()
        bad = pl.concat(
            [
                bad,
                events.filter(unusable)
                .with_columns(pl.col("event_problem").alias("problem"))
                .select(bad.columns),
            ],
            how="vertical_relaxed",
        )
        events = events.filter(~unusable)
    events = _resolve(events, settings, analyser.mapping)
    counters.lines_in_events += int(events["lines"].sum())
    counters.lines_quarantined += int(bad["lines"].sum())
    counters.events += events.height
    counters.resolved_from_tables_only += int(events["tables_only"].sum())
    counters.unbounded_reads += int(events["unbounded"].sum())
    counters.truncated_statements += int(events["truncated"].sum())
    _count_actors(events, settings, counters)
    out = _event_columns(events, settings)
    quarantined = _quarantine_columns(bad, settings)
    if bad.height:
        counters.quarantined_rows.append(
            quarantined.select("line_number", "raw", bad["lines"].alias("n")).to_arrow()
        )
    table = pl.concat([out, quarantined], how="diagonal_relaxed").select(OUTPUT_COLUMNS)
    return table.sort("line_number").to_arrow()


def _with_analysis(stmts: Any, analysis: Any) -> Any:
    """Each statement joined to its analysis. A text of several statements logged once per
    statement (pgaudit: a multi-statement query's statements get consecutive statement ids,
    each logged with the whole text; ``part``/``run`` say which of ``run`` such records in a
    row this one is) is its k-th statement when the records can be told apart: as many
    records in the row as statements (or whole repeats of it), and the k-th statement of the
    kind the log's command names. Otherwise (a statement pgaudit did not log, say a SET among
    SELECTs, or several texts of one call joined) it is all of them, merged."""
    import polars as pl

    for name in ("part", "run"):
        if name not in stmts.columns:
            stmts = stmts.with_columns(pl.lit(None, pl.Int64).alias(name))
    counts = analysis.filter(pl.col("part_no") == 0).select("fingerprint", "n_parts")
    n = pl.col("n_parts")
    told = (n > 1) & pl.col("part").is_not_null() & (pl.col("run") % n == 0)
    stmts = stmts.join(counts, on="fingerprint", how="left").with_columns(
        pl.when(told.fill_null(False))
        .then((pl.col("part") - 1) % n + 1)
        .otherwise(0)
        .alias("part_no")
    )
    kinds = analysis.select("fingerprint", "part_no", pl.col("kind").alias("_part_kind"))
    logged = (
        pl.col("log_command")
        .str.to_uppercase()
        .replace_strict(_COMMAND_KIND, default=None, return_dtype=pl.String)
    )
    agrees = (pl.col("_part_kind") == logged) | (
        (pl.col("_part_kind") == WRITE) & (pl.col("log_command").str.to_uppercase() == "COPY")
    )
    stmts = stmts.join(kinds, on=["fingerprint", "part_no"], how="left").with_columns(
        pl.when(agrees.fill_null(False)).then(pl.col("part_no")).otherwise(0).alias("part_no")
    )
    return stmts.drop("_part_kind", "n_parts").join(
        analysis.drop("n_parts"), on=["fingerprint", "part_no"], how="left"
    )


def _resolve(events: Any, settings: SourceSettings, mapping: Mapping) -> Any:
    import polars as pl

    dialect = settings.dialect
    # Costly string work only where it is needed: literals when the subject or the export
    # path is one, parameters when the subject is one (the others see nulls).
    wants_literals = (
        (pl.col("subject_literals").list.len() > 0)
        | pl.col("export_literal").is_not_null()
        | pl.col("call_literal").is_not_null()
        | pl.col("limit_literal").is_not_null()
    )
    lits = literal_list_expr(pl.when(wants_literals).then(pl.col("statement")), dialect)
    kind = (
        pl.when(pl.col("tables_only"))
        .then(
            pl.col("log_command")
            .str.to_uppercase()
            .replace_strict(_COMMAND_KIND, default=READ, return_dtype=pl.String)
        )
        .otherwise(pl.col("kind"))
    )
    events = events.with_columns(kind.alias("kind"), lits.alias("_lits"))
    # Fallback fields: every mapped column of every table the log names.
    table_fields = pl.DataFrame(
        {
            "_table": [ref_table(ref) for ref in mapping.columns],
            "_field": list(mapping.columns.values()),
        },
        schema={"_table": pl.String, "_field": pl.String},
    )
    exploded = (
        events.filter(pl.col("tables_only"))
        .select("line_number", pl.col("objects").alias("_table"))
        .explode("_table")
        .with_columns(_object_table(pl.col("_table")))
        .join(table_fields, on="_table", how="left")
        .group_by("line_number")
        .agg(
            pl.col("_field").drop_nulls().unique().sort().alias("_tfields"),
            pl.col("_table").drop_nulls().unique().sort().alias("_tables"),
        )
    )
    events = events.join(exploded, on="line_number", how="left")
    tables_only_fields = (
        pl.when(pl.col("_tfields").list.len() > 0)
        .then(pl.col("_tfields"))
        .when(pl.col("_tables").list.len() > 0)
        .then(pl.col("_tables"))
        .otherwise(pl.lit([UNRESOLVED_FIELD], pl.List(pl.String)))
    )
    protected = sorted(mapping.protected_fields)
    fields = pl.when(pl.col("tables_only")).then(tables_only_fields).otherwise(pl.col("fields"))
    events = events.with_columns(fields.alias("fields"))
    events = events.with_columns(
        pl.when(pl.col("tables_only"))
        .then(
            pl.col("fields").list.set_intersection(pl.lit(protected, pl.List(pl.String))).list.len()
            > 0
        )
        .otherwise(pl.col("protected"))
        .fill_null(False)
        .alias("protected")
    )
    n_subject = pl.col("subject_literals").list.len().fill_null(0)
    by_literal = _subject_value(
        pl.col("_lits").list.get(pl.col("subject_literals").list.first(), null_on_oob=True),
        pl.col("subject_type"),
        settings.dialect,
    )
    # the first of the key's parameters whose value the log gives (a NULL one names no one)
    indexes = (
        pl.when(pl.col("subject_params").list.len() > 0)
        .then(pl.col("subject_params"))
        .otherwise(pl.concat_list(pl.col("subject_param")))
    )
    param_values = _param_values(
        pl.when(pl.col("subject_param").is_not_null()).then(pl.col("params")), indexes
    )
    by_param = _told(param_values).list.first()
    use = ~pl.col("tables_only")
    # A routine's variable (WHERE id = i in a SQL function's body) with one parameter logged
    # beside the statement (the function's one argument, as pgaudit prints it): its value.
    one_param = (
        (pl.lit(",") + pl.col("params")).str.extract_all(r',("(?:[^"]|"")*"|[^,]*)').list.len() == 1
    ).fill_null(False)
    # (an array, `id = ANY($1)` bound to '{1,2}', is several subjects: none is told; pgaudit
    # quotes the value in its PARAMETER CSV, "{1,2}", for its comma)
    array_param = _param_value(pl.col("params"), pl.lit(1)).str.starts_with("{").fill_null(False)
    subject = (
        pl.when(use & (n_subject > 0))
        .then(by_literal)
        .when(use & pl.col("subject_param").is_not_null())
        .then(by_param)
        .when(use & pl.col("subject_variable") & one_param & ~array_param)
        .then(_param_value(pl.col("params"), pl.lit(1)))
        # else the one literal of the call whose body's statements these are (SELECT f(2))
        .when(use & pl.col("subject_variable") & pl.col("call_literal").is_not_null())
        .then(
            literal_value_expr(pl.col("_lits").list.get(pl.col("call_literal"), null_on_oob=True))
        )
        .otherwise(None)
    )
    events = events.with_columns(subject.alias("subject_id"))
    events = events.with_columns(
        # (an empty value is none: a NULL parameter, which pgaudit logs as an empty field)
        pl.when(pl.col("subject_id").str.contains(_UNTOLD) | (pl.col("subject_id") == ""))
        .then(None)
        .otherwise(pl.col("subject_id"))
        .alias("subject_id")
    )
    # (a lookup by a personal value, `WHERE mobile = '139...'`, is narrowed with no subject)
    narrowed = use & (
        (n_subject > 0)
        | pl.col("subject_param").is_not_null()
        | pl.col("subject_variable")
        | pl.col("subject_lookup").fill_null(False)
        | pl.col("subject_none").fill_null(False)
    )
    # A read with its own LIMIT returns at most that many rows: bounded, not narrowed to users
    # (a search), its limit the record count when the log gives no row count.
    row_limit = literal_value_expr(
        pl.col("_lits").list.get(pl.col("limit_literal"), null_on_oob=True)
    ).cast(pl.Int64, strict=False)
    limited = use & ~narrowed & (pl.col("kind") == READ) & row_limit.is_not_null()
    # An INSERT ... VALUES writes one record per row; a list of bound parameters names as
    # many subjects as it has values the log gives (a NULL one matches no row).
    values_rows = pl.col("values_rows").fill_null(0)
    params_told = pl.col("subject_params").list.len().fill_null(0) > 0
    params_told = params_told & pl.col("params").is_not_null()
    record_count = (
        pl.when(pl.col("rows").is_not_null())
        .then(pl.max_horizontal(pl.col("rows"), pl.lit(1)))
        .when(use & (values_rows > 1))
        .then(values_rows)
        .when(narrowed & (n_subject > 0))
        .then(n_subject)
        .when(narrowed & params_told)
        .then(pl.max_horizontal(param_values.list.len(), pl.lit(1)))
        .when(narrowed & (pl.col("subject_count").fill_null(0) > 1))
        .then(pl.col("subject_count"))
        .when(limited)
        .then(pl.max_horizontal(row_limit, pl.lit(1)))
        .otherwise(1)
    )
    # a narrowed read with its own LIMIT returns at most that many of its subjects' rows
    # (`WHERE id IN (1, 2, 3) LIMIT 1`: 1 record), unless the log counts them
    capped = (
        use
        & narrowed
        & (pl.col("kind") == READ)
        & row_limit.is_not_null()
        & pl.col("rows").is_null()
    ).fill_null(False)
    record_count = (
        pl.when(capped)
        .then(pl.min_horizontal(record_count, pl.max_horizontal(row_limit, pl.lit(1))))
        .otherwise(record_count)
    )
    unbounded = (
        use
        & ~narrowed
        & ~limited.fill_null(False)
        & pl.col("protected")
        & pl.col("kind").is_in([READ, EXPORT])
    ).fill_null(False)
    action = (
        pl.when(pl.col("kind") == READ)
        .then(pl.when(narrowed).then(pl.lit("view")).otherwise(pl.lit("search")))
        .otherwise(pl.col("kind").replace_strict(_ACTION, default="view", return_dtype=pl.String))
    )
    export_path = pl.when(use & pl.col("export_literal").is_not_null()).then(
        literal_value_expr(pl.col("_lits").list.get(pl.col("export_literal"), null_on_oob=True))
    )
    return events.with_columns(
        record_count.alias("record_count"),
        unbounded.alias("unbounded"),
        action.alias("action"),
        export_path.alias("export_path"),
        narrowed.fill_null(False).alias("narrowed"),
    )


def _event_columns(events: Any, settings: SourceSettings) -> Any:
    import polars as pl

    users = [u for u in events["actor"].unique().to_list() if u is not None]
    types = _actor_types(users, settings)
    ticket = _url_decoded(
        events.select(_comment_value(pl.col("statement"), settings.ticket_key)).to_series()
    )
    purpose = _url_decoded(
        events.select(_comment_value(pl.col("statement"), settings.purpose_key)).to_series()
    )
    extras = pl.struct(
        pl.col("database"),
        pl.col("scrubbed").alias("statement"),
        pl.col("fingerprint"),
        pl.col("session"),
        pl.col("statement_id"),
        pl.col("log_command").alias("command"),
        pl.col("export_path"),
        pl.when(pl.col("export_stdout").fill_null(False) & ~pl.col("tables_only"))
        .then(pl.lit("stdout"))
        .alias("export_to"),
        pl.col("rows"),
        pl.col("error_code"),
        pl.when(pl.col("unbounded")).then(True).alias("unbounded"),
        pl.when(pl.col("tables_only")).then(True).alias("resolved_from_tables_only"),
        pl.when(pl.col("truncated")).then(True).alias("truncated"),
        pl.col("lines").alias("log_lines"),
        pl.when(~pl.col("source_ip").str.contains(_IP))
        .then(pl.col("source_ip"))
        .alias("client_host"),
    )
    return events.with_columns(ticket.alias("authorization_ref"), purpose.alias("purpose")).select(
        pl.col("line_number"),
        pl.concat_str(pl.col("raw_head"), pl.lit(" "), pl.col("scrubbed")).alias("raw"),
        pl.lit(None, pl.String).alias("pre_error"),
        pl.col("event_key").alias("event_id"),
        pl.col("event_time"),
        pl.lit(settings.provider_id).alias("provider_id"),
        pl.lit(settings.provider_type, pl.String).alias("provider_type"),
        pl.lit(settings.system_name).alias("system"),
        pl.col("actor").alias("actor_id"),
        pl.col("actor")
        .replace_strict(types, default="unknown", return_dtype=pl.String)
        .alias("actor_type"),
        pl.col("action"),
        pl.col("subject_id"),
        pl.col("record_count").cast(pl.String),
        _data_fields_text(pl.col("fields")).alias("data_fields"),
        pl.when(pl.col("export_path").is_not_null())
        .then(pl.lit("external"))
        .otherwise(pl.lit("internal"))
        .alias("destination_type"),
        pl.col("authorization_ref"),
        pl.col("purpose"),
        pl.col("outcome"),
        pl.when(pl.col("source_ip").str.contains(_IP)).then(pl.col("source_ip")).alias("source_ip"),
        extras.struct.json_encode().alias("extras"),
    )


def _quarantine_columns(bad: Any, settings: SourceSettings) -> Any:
    import polars as pl

    # A record that could not be read may be anything (a broken JSON line with values in
    # double quotes): its text is also scrubbed of double-quoted strings, whatever the dialect.
    raw = scrub_expr(pl.col("scrubbed"), "mysql")
    # why the time could not be read, when the reader knows (a leap second: times.py)
    time_problem = pl.col(TIME_PROBLEM) if TIME_PROBLEM in bad.columns else pl.lit(None, pl.String)
    return bad.select(
        pl.lit(settings.provider_id).alias("provider_id"),
        pl.col("line_number"),
        pl.concat_str(pl.col("raw_head"), pl.lit(" "), raw).alias("raw"),
        pl.when(pl.col("problem").is_not_null())
        .then(pl.col("problem"))
        .otherwise(time_problem.fill_null(pl.lit("the log time could not be read")))
        .alias("pre_error"),
        pl.lit(None, pl.String).alias("event_id"),
    )


def _empty() -> Any:
    import polars as pl

    schema = {c: pl.Int64 if c == "line_number" else pl.String for c in OUTPUT_COLUMNS}
    return pl.DataFrame(schema=schema).to_arrow()
