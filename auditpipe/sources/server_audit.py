"""MariaDB ``server_audit`` (also the audit plugin of cloud MySQL/MariaDB services) into
statements.

    timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode

``timestamp`` is local time with no zone (``20261130 14:24:22``; the source settings must
name the timezone) or, on Aurora, epoch microseconds (UTC). A query's TABLE lines (READ,
WRITE, CREATE, ALTER, DROP, RENAME) come before its QUERY line with the same connection and
query id; they are grouped into one statement whose first line is the first TABLE line. The
QUERY object is single-quoted with backslash escapes and is cut at
``server_audit_query_log_limit`` bytes: a statement that long (or one byte short, see
_statements) is flagged as truncated and resolved from its TABLE lines. A retcode other
than 0 is a failed statement (a denied one is logged with its TABLE lines and, e.g., 1143).
CONNECT, DISCONNECT, FAILED_CONNECT and CHANGEUSER lines are not data access and are counted
as such.
TABLE lines that end their connection's lines in the file with no QUERY line, in a file that
logs such statements with one, belong to a statement still running when the file was read
(or whose QUERY line a rotation put in the next file): they are quarantined, not read as a
statement of their own beside the whole one read later (``STILL_RUNNING``).

With ``server_audit_output_type = syslog`` the records reach a syslog file without their own
time: ``Dec  1 16:07:20 host mysql-server_auditing: [syslog_info] serverhost,username,...``
(rsyslog's traditional format; the time is local, and has no year), or with an RFC 3339 time
(``2026-12-01T16:07:20.123456+08:00``, rsyslog's high-precision format, Debian's default).
Both are read. A traditional time takes the year of the file's last change (a month after
that month is the year before: a file spanning New Year); an RFC 3339 time carries its zone.
Lines of other programs in the same file (another syslog ident) are not data access.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from . import analysis, syslog
from .lines import (
    CUT_AT_END,
    cut_rows,
    non_data_rows,
    oversize_rows,
    text_batches,
    unreadable_rows,
    with_last,
)
from .settings import SourceSettings
from .times import naive_to_utc

# syslog's head (sources/syslog.py), then server_audit's syslog_info before the record
# (empty by default: two spaces).
SYSLOG_HEAD = syslog.HEAD
RECORD = (
    r"(?P<serverhost>[^,\s]*),(?P<user>.*?),"
    r"(?P<host>[^,]*),(?P<conn>\d+),(?P<qid>\d+),(?P<op>[A-Z_]+),(?P<db>[^,]*),"
    r"(?P<object>.*),(?P<retcode>-?\d*)$"
)
LINE = r"^(?:(?P<ts>\d{8} \d\d:\d\d:\d\d|\d{10,19}),|" + SYSLOG_HEAD + r"(?:[^,]*? )?)" + RECORD
# The start of a record, enough to tell its connection in a line cut short.
_LINE_START = LINE[: -len(RECORD)]
RECORD_HEAD = _LINE_START + r"(?P<serverhost>[^,\s]*),.*?,[^,]*,(?P<conn>\d+),\d+,[A-Z_]+,"
SYSLOG_IDENT = "mysql-server_auditing"  # MariaDB's default server_audit_syslog_ident
TABLE_OPS = ("READ", "WRITE", "CREATE", "ALTER", "DROP", "RENAME")
DATA_OPS = ("READ", "WRITE")
DDL_OPS = ("CREATE", "ALTER", "DROP", "RENAME")
SYSTEM_SCHEMAS = analysis.SYSTEM_SCHEMAS["mysql"]
DATA_STATEMENT = (
    r"(?i)^\s*(?:/\*.*?\*/\s*)*(SELECT|INSERT|UPDATE|DELETE|REPLACE|LOAD|WITH|TRUNCATE|TABLE)\b"
)
CARRY_LINES = 1000
# server_audit_logging switched off (SET GLOBAL server_audit_logging = OFF, = 0, @@global.)
LOGGING_OFF = r"(?i)\bserver_audit_logging\s*=\s*(?:off|0|false)\b"
STILL_RUNNING = (
    "the statement's TABLE lines end its connection's lines in this file and its QUERY line "
    "is not there: it was still running when the file was read (server_audit writes the QUERY "
    "line when the statement ends), or a rotation wrote that line into the next file; ingest "
    "this file again once it grew, or the next file, which holds the statement"
)
CUT_SHORT = (
    "QUERY record is cut short: its statement is not closed by a quote, or it has no return "
    "code (the server stopped while writing the line, or the file was cut); what it ran, or "
    "how it ended, cannot be known"
)


# What server_audit escapes (escape_string's esc_map in plugin/server_audit/server_audit.c,
# MariaDB 10.x and 11.x): backspace, tab, newline, form feed, carriage return, quote and
# backslash, each as a backslash and a letter or itself. Nothing else is escaped.
ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "'": "'", "\\": "\\"}


def unescape(col: Any) -> Any:
    """server_audit's quoting undone: surrounding quotes and every escape of ``ESCAPES``
    (\\b \\t \\n \\f \\r \\' \\\\). A backslash before any other character is not an
    escape the plugin writes and is kept as it is."""
    import polars as pl

    inner = (
        pl.when(col.str.starts_with("'"))
        .then(col.str.slice(1).str.strip_suffix("'"))
        .otherwise(col)
    )
    # One left-to-right pass (leftmost match first): a logged backslash pair followed by n is
    # an escaped backslash, then the letter n, never a newline.
    escapes = ["\\" + letter for letter in ESCAPES]
    return inner.str.replace_many(escapes, list(ESCAPES.values()))


def _quoted(col: Any) -> Any:
    """Whether a QUERY object is whole: server_audit always quotes the statement (cutting it
    at its query_log_limit before escaping, so the closing quote is still written), and the
    closing quote follows an even run of backslashes (an odd one escapes it). A line cut
    just after a comma or a number inside the statement otherwise reads as a record."""

    backslashes = col.str.extract(r"(\\*)'$", 1).str.len_bytes()
    return (
        col.str.starts_with("'") & (col.str.len_bytes() >= 2) & (backslashes % 2 == 0)
    ).fill_null(False)


def read_statements(
    stream: IO[bytes],
    settings: SourceSettings,
    file_name: str,
    batch_bytes: int,
    max_line_bytes: int,
) -> Iterator[Any]:
    import polars as pl

    carry = None
    # The kinds of statement (DDL, READ, WRITE) this file logs with a QUERY line: the line of
    # the first of each.
    logged: dict[str, int] = {}
    year_of = syslog.file_year(file_name, settings.timezone)
    batches = text_batches(
        stream,
        quoted_newlines=False,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
        byte_lengths=True,
    )
    for batch, final in with_last(batches):
        frame = batch.frame.with_columns(pl.col("text").str.extract_groups(LINE).alias("p")).unnest(
            "p"
        )
        frame = _syslog_times(frame, year_of)
        if carry is not None:
            frame = pl.concat([carry, frame], how="diagonal_relaxed")
        statements, carry = _statements(frame, settings, file_name, final, batch.cut_line, logged)
        if batch.oversize:
            over = oversize_rows(batch.oversize, max_line_bytes)
            statements = pl.concat([statements, over], how="diagonal_relaxed")
        yield statements


def _statements(
    frame: Any,
    settings: SourceSettings,
    file_name: str,
    final: bool,
    cut_line: int | None = None,
    logged: dict[str, int] | None = None,
) -> tuple[Any, Any]:
    """The statements of ``frame`` and the lines carried to the next batch. ``logged``
    gathers, over the file's batches, the kinds of statement logged with a QUERY line and
    the line of the first (see ``running``)."""
    import polars as pl

    logged = {} if logged is None else logged

    blank = pl.col("text").str.strip_chars() == ""
    readable = pl.col("op").is_not_null()
    # another program's line in a syslog file: not an audit record, not data access (looked
    # for only among the lines that are not records)
    foreign = pl.col("text").str.extract(r"^" + SYSLOG_HEAD, 3).fill_null(SYSLOG_IDENT) != (
        SYSLOG_IDENT
    )
    # A QUERY line cut short still has a record's shape when it ends after a comma or a
    # number inside the statement: it is quarantined alone, and its TABLE lines are read as
    # when the QUERY line is missing (resolved from the tables).
    # (server_audit always ends a QUERY line with its retcode; a TABLE line's is empty)
    cut = (
        readable
        & (pl.col("op") == "QUERY")
        & (~_quoted(pl.col("object")) | (pl.col("retcode") == ""))
    )
    # The file's last line without a newline: its retcode or table name may be cut too (and
    # a line cut before it had a record's shape is no mystery line either).
    at_end = cut_rows(frame, cut_line) & ~blank
    cut_lines = frame.filter(cut & ~at_end)
    end_lines = frame.filter(at_end)
    frame = frame.filter(~cut & ~at_end)
    others = frame.filter(~readable).with_columns((blank | foreign).alias("_not_data"))
    unreadable = others.filter(~pl.col("_not_data")).drop("_not_data")
    blanks = others.filter(pl.col("_not_data")).drop("_not_data")
    # A statement is its TABLE lines and the QUERY line after them with the same connection
    # and query id. A server restarted within the file numbers its connections and queries
    # from the start again, so a pair can come back: after its QUERY line, the pair's next
    # lines are another statement (the key counts the pair's QUERY lines before the line).
    pair = ["serverhost", "conn", "qid"]
    lines = (
        frame.filter(readable)
        .sort("line_number")
        .with_columns(
            (pl.col("op") == "QUERY")
            .cast(pl.Int64)
            .cum_sum()
            .shift(1, fill_value=0)
            .over(pair)
            .alias("_queries_before")
        )
        .with_columns(
            pl.concat_str(*pair, pl.col("_queries_before").cast(pl.String), separator=":").alias(
                "key"
            ),
            pl.col("op").is_in(list(TABLE_OPS)).alias("is_table"),
        )
        .drop("_queries_before")
    )
    # The connection's user at each line: that of its next QUERY or connection line (else
    # the one before). A TABLE line of a definer's routine names the definer, and one with
    # no QUERY line of its own (a cursor's SELECT in a procedure) has only that to go by.
    login = pl.when(~pl.col("is_table")).then(pl.col("user"))
    connection = ["serverhost", "conn"]
    lines = lines.sort("line_number").with_columns(
        pl.coalesce(
            login.backward_fill().over(connection),
            login.forward_fill().over(connection),
            pl.col("user"),
        ).alias("_login"),
    )
    # the connection's last line in the batch, a QUERY line cut short included (a statement's
    # lines followed by none of its connection's may still be waiting for their QUERY line)
    heads = unreadable.select(
        pl.col("text").str.extract_groups(RECORD_HEAD).struct.field(*connection),
        "line_number",
    ).drop_nulls()
    conn_last = (
        pl.concat([x.select(*connection, "line_number") for x in (lines, cut_lines, heads)])
        .group_by(connection)
        .agg(pl.col("line_number").max().alias("_conn_last"))
    )
    lines = lines.join(conn_last, on=connection, how="left").sort("line_number")
    if "_later" not in lines.columns:
        lines = lines.with_columns(pl.lit(None, pl.Boolean).alias("_later"))
    # After a line, a statement's QUERY line will never come when the server restarted (its
    # query ids start again: a later line has a far lower one, under half; a query started a
    # little earlier and ended later has one a little lower) or logging was switched off.
    qid = pl.col("qid").cast(pl.Int64, strict=False)
    lower_later = (
        pl.when(qid > 0).then(qid).cum_min(reverse=True).backward_fill().shift(-1) * 2 < qid
    ).fill_null(False)
    off = ((pl.col("op") == "QUERY") & pl.col("object").str.contains(LOGGING_OFF)).fill_null(False)
    off_later = off.cast(pl.Int64).cum_sum(reverse=True).shift(-1).fill_null(0) > 0
    lines = lines.with_columns((lower_later | off_later).over("serverhost").alias("_ended"))
    # A statement: its TABLE lines and its QUERY line. Connection events stand alone.
    statement_lines = lines.filter(pl.col("is_table") | (pl.col("op") == "QUERY"))
    other = lines.filter(~pl.col("is_table") & (pl.col("op") != "QUERY"))
    carry = None
    if not final and statement_lines.height:
        has_query = statement_lines.group_by("key").agg((pl.col("op") == "QUERY").any().alias("q"))
        open_keys = has_query.filter(~pl.col("q"))["key"]
        cutoff = frame["line_number"].max() - CARRY_LINES
        waiting = statement_lines.filter(
            pl.col("key").is_in(open_keys.implode()) & (pl.col("line_number") > cutoff)
        ).with_columns(
            # whether its connection went on after it (in this batch or an earlier one)
            (
                pl.col("_later").fill_null(False).any().over("key")
                | pl.col("_ended").last().over("key")
                | (pl.col("_conn_last").max().over("key") > pl.col("line_number").max().over("key"))
            ).alias("_later")
        )
        carry = frame.drop("_later", strict=False).join(
            waiting.select("line_number", "_later"), on="line_number", how="inner"
        )
        statement_lines = statement_lines.filter(
            ~pl.col("line_number").is_in(waiting["line_number"].implode())
        )
    query = pl.col("op") == "QUERY"
    user_table = pl.col("is_table") & ~pl.col("db").is_in(list(SYSTEM_SCHEMAS))
    groups = statement_lines.group_by("key").agg(
        pl.col("line_number").min(),
        pl.len().cast(pl.Int64).alias("lines"),
        pl.coalesce(pl.col("ts").filter(query).first(), pl.col("ts").first()).alias("ts"),
        # the QUERY line's user, the login: a definer's routine logs its TABLE lines with the
        # definer (root) and its QUERY line with the user who called it
        # (a statement with no QUERY line: the connection's user, see _login)
        pl.coalesce(pl.col("user").filter(query).first(), pl.col("_login").first()).alias("actor"),
        pl.coalesce(pl.col("host").filter(query).first(), pl.col("host").first()).alias(
            "source_ip"
        ),
        pl.col("db").filter(query).first().alias("database"),
        pl.col("conn").first().alias("session"),
        pl.col("qid").first().alias("statement_id"),
        pl.col("serverhost").first(),
        pl.col("object").filter(query).first().alias("object"),
        pl.col("retcode").filter(query).first().alias("retcode"),
        (pl.col("bytes") - pl.col("text").str.len_bytes()).filter(query).first().alias("_extra"),
        # (a table whose name holds a dot, `user.profile`, is quoted as pgaudit quotes one:
        # shop."user.profile" is that table, not a table profile)
        pl.concat_str(pl.col("db"), pl.lit("."), _quoted_name(pl.col("object")))
        .filter(user_table)
        .unique()
        .sort()
        .alias("objects"),
        pl.col("op")
        .filter(user_table & pl.col("op").is_in(list(DATA_OPS)))
        .first()
        .alias("_data_op"),
        pl.col("bad_utf8").any(),
        pl.col("line_number").max().alias("_last"),
        pl.col("_conn_last").max(),
        pl.col("_later").fill_null(False).any(),
        pl.col("_ended").last(),
        query.any().alias("_has_query"),
        # what its QUERY line would be: DDL (a CREATE TABLE … AS SELECT also READs and WRITEs)
        # or the first READ/WRITE of a user table (server_audit_events may log one, not both)
        pl.when(pl.col("op").is_in(list(DDL_OPS)).any())
        .then(pl.lit("DDL"))
        .otherwise(pl.col("op").filter(user_table & pl.col("op").is_in(list(DATA_OPS))).first())
        .alias("_query_kind"),
    )
    # A statement of TABLE lines with no QUERY line, whose connection has no line after them,
    # in a file that logs such statements with a QUERY line: still running when the file was
    # read (or its QUERY line went into the next file at a rotation). Read now, it would be a
    # statement of its own beside the whole one read later (another event): it is quarantined.
    # (a kind logged with QUERY lines only after it, as when server_audit_events changed in
    # between, is not waited for)
    firsts = (
        groups.filter(pl.col("_has_query") & pl.col("_query_kind").is_not_null())
        .group_by("_query_kind")
        .agg(pl.col("line_number").min())
    )
    for kind, line in firsts.iter_rows():  # a few kinds, not rows
        logged[kind] = min(line, logged.get(kind, line))
    first_logged = pl.col("_query_kind").replace_strict(logged, default=None, return_dtype=pl.Int64)
    running = (
        pl.lit(final)
        & ~pl.col("_has_query")
        & ~pl.col("_later")
        & ~pl.col("_ended")
        & (pl.col("_last") == pl.col("_conn_last"))
        & (first_logged < pl.col("line_number")).fill_null(False)
    )
    statement = unescape(pl.col("object"))
    groups = groups.with_columns(statement.alias("statement"))
    # server_audit_query_log_limit is in bytes (MariaDB's log_statement_ex): the server cuts
    # the statement's bytes at the limit, then escapes them (\\ \' \n \r \t \b \f take two
    # bytes) into at most the limit's bytes, stopping one short when a two-byte escape does
    # not fit. So a cut statement is logged with the limit's bytes or one fewer between the
    # quotes; one of those lengths is flagged even when whole (it cannot be told from a cut
    # one). Measured in the file's bytes: a cut can split a UTF-8 character, the line is
    # then decoded as another encoding (``_extra``: its bytes beyond its text's UTF-8).
    inner = pl.col("object").str.strip_prefix("'").str.strip_suffix("'")
    logged_len = inner.str.len_bytes() + pl.col("_extra").fill_null(0)
    limit = settings.query_log_limit
    # A limit of 0 is none (log_statement_ex cuts only above 0): every statement is whole.
    cut_at_limit = logged_len >= limit - 1 if limit > 0 else pl.lit(False)
    groups = groups.with_columns(
        pl.lit(None, pl.String).alias("params"),
        pl.lit(None, pl.Int64).alias("rows"),
        pl.col("statement").str.extract(DATA_STATEMENT, 1).str.to_uppercase().alias("log_command"),
        (
            pl.col("_data_op").is_not_null()
            | pl.col("statement").str.contains(DATA_STATEMENT).fill_null(False)
        ).alias("data_access"),
        pl.when(
            pl.col("retcode").is_null() | (pl.col("retcode") == "0") | (pl.col("retcode") == "")
        )
        .then(pl.lit("success"))
        .otherwise(pl.lit("failure"))
        .alias("outcome"),
        pl.when(pl.col("retcode").is_not_null() & (pl.col("retcode") != "0"))
        .then(pl.col("retcode"))
        .alias("error_code"),
        cut_at_limit.fill_null(False).alias("truncated"),
        pl.when(running).then(pl.lit(STILL_RUNNING)).alias("problem"),
    )
    groups = groups.with_columns(
        pl.coalesce(pl.col("log_command"), pl.col("_data_op")).alias("log_command"),
        pl.when(running)
        .then(pl.concat_str(pl.col("_data_op"), pl.lit(" "), pl.col("objects").list.join(", ")))
        .otherwise(pl.col("statement"))
        .alias("statement"),
    ).drop("_last", "_conn_last", "_later", "_ended", "_has_query", "_query_kind")
    groups = _times(groups, settings, file_name)
    groups = groups.with_columns(
        pl.concat_str(
            pl.col("ts"),
            pl.lit(","),
            pl.col("serverhost"),
            pl.lit(","),
            pl.col("actor"),
            pl.lit(","),
            pl.col("source_ip"),
            pl.lit(","),
            pl.col("session"),
            pl.lit(","),
            pl.col("statement_id"),
            pl.lit(",QUERY,"),
            pl.col("database").fill_null(""),
        ).alias("raw_head"),
        pl.concat_str(
            pl.lit("my:"),
            pl.col("serverhost"),
            pl.lit(":"),
            pl.col("session"),
            pl.lit(":"),
            pl.col("statement_id"),
            pl.lit(":"),
            pl.col("ts"),
        ).alias("event_key"),
    )
    non_data = non_data_rows(pl.concat([other.select("line_number"), blanks.select("line_number")]))
    bad = pl.concat(
        [
            unreadable_rows(unreadable, "line is not a server_audit record"),
            unreadable_rows(cut_lines, CUT_SHORT),
            unreadable_rows(end_lines, CUT_AT_END),
        ],
        how="diagonal_relaxed",
    )
    return pl.concat([groups, non_data, bad], how="diagonal_relaxed"), carry


def _syslog_times(frame: Any, year_of: tuple[int, int]) -> Any:
    """A syslog line's time as a file's: traditional 'Dec  1 16:07:20' -> '20261201 16:07:20'
    (in the file's year, see syslog.bsd_as_iso); RFC 3339 -> UTC epoch microseconds (the form
    Aurora writes, read as UTC)."""
    import polars as pl

    if "bsd" not in frame.columns:
        return frame
    bsd = syslog.bsd_as_iso(year_of).str.replace_all("-", "")
    return frame.with_columns(
        pl.coalesce(
            pl.col("ts"), pl.when(pl.col("bsd").is_not_null()).then(bsd), syslog.iso_epoch_us()
        ).alias("ts")
    )


def _times(groups: Any, settings: SourceSettings, file_name: str) -> Any:
    """Local times in the settings' timezone; Aurora's epoch microseconds are UTC."""
    import polars as pl

    # (a time that could not be read is null: it goes with the local ones and stays null)
    epoch = pl.col("ts").str.contains(r"^\d+$").fill_null(False)
    if groups.height == 0:
        return groups.with_columns(pl.lit(None, pl.String).alias("event_time"))
    local = groups.filter(~epoch)
    micro = groups.filter(epoch)
    parts = []
    if local.height:
        parts.append(
            naive_to_utc(local, "ts", "event_time", "%Y%m%d %H:%M:%S", settings.timezone, file_name)
        )
    if micro.height:
        parts.append(
            micro.with_columns(
                pl.from_epoch(pl.col("ts").cast(pl.Int64), time_unit="us")
                .dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
                .alias("event_time")
            )
        )
    return pl.concat(parts, how="diagonal_relaxed")


def _quoted_name(name: Any) -> Any:
    """A table name server_audit writes bare, quoted as PostgreSQL quotes one when it holds a
    dot or a quote (``user.profile`` is ``"user.profile"``), so that the name's table is read
    whole (``_object_table``)."""
    import polars as pl

    dotted = name.str.contains(".", literal=True) | name.str.contains('"', literal=True)
    return (
        pl.when(~dotted)
        .then(name)
        .otherwise(pl.lit('"') + name.str.replace_all('"', '""', literal=True) + pl.lit('"'))
    )
