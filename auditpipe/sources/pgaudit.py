"""PostgreSQL + pgaudit: stderr, csvlog, jsonlog and syslog into statements.

Each destination is first turned into *records* (one per log message: time, pid, session,
user, database, remote host, severity, message, and the failing statement of an ERROR), then
the same code reads the AUDIT payload

    AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]

with one regular expression over the whole column (STATEMENT and PARAMETER are CSV fields,
PARAMETER a CSV inside that), and groups the lines of one statement (one per relation with
``log_relation``, substatements) by session and statement id. ``<previously logged>`` takes
the text from an earlier line of the same statement. A denied statement is never AUDIT-logged
(the permission check fails first): its ERROR and STATEMENT lines become a failure event; an
ERROR whose statement was audited just before marks that event as failed instead.

stderr: a record starts with a line matching ``log_line_prefix``; PostgreSQL writes every
further line of a message with a leading tab, so a line inside a statement that merely looks
like a log line (even an AUDIT one) is never taken for a record.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import IO, Any

from ..ingest.read_csv import csv_block_size
from ..ingest.sources import COMPRESSION_SUFFIXES
from . import syslog
from .lines import (
    CUT_AT_END,
    TextBatch,
    cut_rows,
    fold,
    non_data_rows,
    oversize_rows,
    text_batches,
    unreadable_rows,
    with_last,
)
from .pg_messages import CONNECTION_AUTHORIZED, SEVERITY_WORDS, STDERR_TOKENS
from .settings import SourceSettings
from .times import to_utc

AUDIT_PREFIX = "AUDIT: "
# pgaudit quotes a field holding a quote, a comma or a line break (append_valid_csv), so an
# unquoted field holds no quote: a quoted statement cut short (a file ending inside it) is
# then no field, rather than an unquoted one starting with '"'.
_CSV_FIELD = r'("(?:[^"]|"")*"|[^,"]*)'
PAYLOAD = (
    r"(?s)^(SESSION|OBJECT),(\d+),(\d+),([A-Z_]+),([^,]*),([^,]*),"
    + _CSV_FIELD
    + ","
    + _CSV_FIELD
    + ","
    + _CSV_FIELD
    + r"(?:,(\d+))?$"
)
_PAYLOAD_NAMES = [
    "audit_type",
    "statement_id",
    "substatement_id",
    "class",
    "command",
    "object_type",
    "object_name",
    "stmt",
    "param",
    "rows",
]
SPECIAL = ("<none>", "<not logged>", "<previously logged>")
# Between the texts of one statement's sub-statements: a line break first, so that a text
# ending in a -- comment does not hide the semicolon.
SUB_JOIN = "\n;\n"
DATA_CLASSES = ("READ", "WRITE")
NOT_DATA_COMMANDS = ("PREPARE", "DEALLOCATE", "DEALLOCATE ALL", "EXECUTE")
_AUX = ("STATEMENT", "DETAIL", "HINT", "CONTEXT", "QUERY", "LOCATION")
_ZONE = r"(?: (?:[A-Za-z]{1,6}|[+-]\d\d(?::?\d\d)?))?"
_PLACEHOLDER = r"\[[^\]\s]*\]"
# Every severity and label token PostgreSQL prints, longest first, then any English-like word
# a later version may add.
_SEVERITY_TOKEN = (
    "|".join(re.escape(t) for t in sorted(STDERR_TOKENS, key=len, reverse=True))
    + r"|[A-Z]+[0-9]?:  "
)
# A SQLSTATE holds a digit; "AUDIT: " (five capitals and a colon) must not be taken for one.
_SQLSTATE = (
    r"[0-9][0-9A-Z]{4}|[A-Z][0-9][0-9A-Z]{3}|[A-Z]{2}[0-9][0-9A-Z]{2}|[A-Z]{3}[0-9][0-9A-Z]"
    r"|[A-Z]{4}[0-9]"
)
# The three time escapes each have a group of their own, as a prefix may hold several: the
# record's time is %n's where it has one (an instant in UTC, to the millisecond, never an
# ambiguous zone), else %m's (milliseconds), else %t's (seconds); see _record_time.
_PREFIX_ESCAPES = {
    "m": ("time", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+" + _ZONE),
    "t": ("time_s", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d" + _ZONE),
    "n": ("epoch", r"\d+\.\d+"),
    "p": ("pid", r"\d+"),
    # PostgreSQL prints "[unknown]" (translated with lc_messages) for the user, database and
    # application before a connection is authenticated, and "[local]" for a Unix-socket
    # client; a user name may hold "@" (cloud logins are e-mail addresses), so the user is
    # matched lazily, up to where the rest of the prefix fits; a client may be IPv6 ("::1").
    "u": ("user", _PLACEHOLDER + r"|[^\s\[\]:()]*?"),
    "d": ("db", _PLACEHOLDER + r"|[^\s@:\[\]]*"),
    "r": ("remote", _PLACEHOLDER + r"|[^\s\[\]()]*?(?:\(\d+\))?"),
    "h": ("remote", _PLACEHOLDER + r"|[^\s\[\]()]*?"),
    "c": ("session", r"[0-9a-f]+\.[0-9a-f]+"),
    "l": (None, r"\d+"),
    "s": (None, r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d" + _ZONE),
    "v": (None, r"\S*"),
    "x": (None, r"\S*"),
    "e": (None, r"[0-9A-Z]{5}"),
    "a": (None, r".*?"),
    "i": (None, r".*?"),
    "b": ("backend", r".*?"),
    "Q": (None, r"-?\d+"),
    "P": (None, r"\d*"),
    "L": (None, r"\S*"),
}
# A role or database name may hold spaces (CREATE ROLE "kefu wang"), which %u and %d print
# as they are: where the prefix's text after the escape tells where the name ends (see
# _spaces_unambiguous), the name may hold spaces inside it (never at its ends: those are
# padding or the prefix's own). Same characters left out as above, and no tab or line break.
_SPACED_NAMES = {
    "u": ("user", _PLACEHOLDER + r"|(?:[^\s\[\]:()](?:[^\t\n\r\f\v\[\]:()]*?[^\s\[\]:()])?)??"),
    "d": ("db", _PLACEHOLDER + r"|(?:[^\s@:\[\]](?:[^\t\n\r\f\v@:\[\]]*[^\s@:\[\]])?)?"),
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S%.f"
# csvlog column positions (PostgreSQL 13: 24 columns; 14 and later: 26).
_CSV_COLS = {
    "time": 0,
    "user": 1,
    "db": 2,
    "pid": 3,
    "remote": 4,
    "session": 5,
    "severity": 11,
    "sqlstate": 12,
    "message": 13,
    "query": 19,
    "backend": 23,  # backend_type (PostgreSQL 13 and later)
}
CARRY_RECORDS = 1000  # records near a batch's end wait for the next batch (open statements)


def _prefix_parts(prefix: str) -> list[str | tuple[str, int]]:
    """``log_line_prefix`` as PostgreSQL reads it: literal text, and (escape letter, padding)
    for each escape. ``%-12u`` is ("u", -12): PostgreSQL pads the value with spaces to 12
    characters, on the right when negative, on the left when positive ("%%" is ("%", 0))."""
    parts: list[str | tuple[str, int]] = []
    for m in re.finditer(r"%(-?)(\d*)(.)|[^%]+|%$", prefix, re.S):
        if m.group(3) is None:
            parts.append(m.group(0))
        else:
            width = int(m.group(2) or 0)
            parts.append((m.group(3), -width if m.group(1) else width))
    return parts


def _padded(field: str, padding: int) -> str:
    """A field printed with padding: up to that many spaces before it (positive) or after it
    (negative), outside the field's group, so its value comes out without them. (A value
    longer than the padding has none; an absent one, such as %u of a background process, is
    the spaces alone.)"""
    if padding > 0:
        return f" {{0,{padding}}}{field}"
    if padding < 0:
        return f"{field} {{0,{-padding}}}"
    return field


# Escapes whose values are free text (names, hosts, application): two of them with only
# spaces between cannot be told apart when one holds spaces.
_FREE_TEXT = set("udahrib")


def _spaces_unambiguous(parts: list[str | tuple[str, int]], at: int) -> bool:
    """May the value of the escape at ``parts[at]`` hold spaces? Not when only spaces stand
    between it and another free-text escape, before or after it: with '%u %d', 'a b c' could
    be user 'a b' and database 'c' or user 'a' and database 'b c', so such a name is not
    read (its line is quarantined as not matching the prefix) rather than read wrongly.
    Otherwise yes: the text after it holds something other than spaces ('@' in '%u@%d', '|',
    ',db=', ' ['), or a fixed-shape field (a number, a time) or the severity (with a colon,
    which no name pattern takes) follows, and the name ends where that begins."""
    for step in (-1, 1):
        text, k = "", at + step
        while 0 <= k < len(parts):
            part = parts[k]
            if isinstance(part, str) or part[0] in "%q":
                text += part if isinstance(part, str) else part[0].replace("q", "")
            else:
                if part[0] in _FREE_TEXT and text.strip(" ") == "":
                    return False
                break
            k += step
    return True


def prefix_regex(prefix: str) -> str:
    """``log_line_prefix`` as a regular expression with named groups."""
    out, seen, optional = [], set(), False
    parts = _prefix_parts(prefix)
    for at, part in enumerate(parts):
        if isinstance(part, str):
            out.append(re.escape(part))
            continue
        code, padding = part
        if code == "%":
            out.append("%")
        elif code == "q":
            out.append("(?:")
            optional = True
        elif code in _PREFIX_ESCAPES:
            spaced = code in _SPACED_NAMES and _spaces_unambiguous(parts, at)
            name, pattern = (_SPACED_NAMES if spaced else _PREFIX_ESCAPES)[code]
            if name and name not in seen:
                seen.add(name)
                out.append(_padded(f"(?P<{name}>{pattern})", padding))
            else:
                out.append(_padded(f"(?:{pattern})", padding))
    body = "".join(out) + (")?" if optional else "")
    for name in ("time", "time_s", "epoch", "pid", "user", "db", "remote", "session", "backend"):
        if name not in seen:
            body += f"(?P<{name}>)"  # absent groups come out empty
    # The message is not captured: the engine stops after the severity, and the message is
    # the rest of the line (a capture over the whole line is what costs). The severity is
    # captured with its separator, in any language PostgreSQL prints it in (normalised to
    # English by english_severity); log_error_verbosity = verbose puts the SQLSTATE after it.
    return "^(?P<head>" + body + f"(?P<severity>{_SEVERITY_TOKEN})(?:(?P<sqlstate>{_SQLSTATE}): )?)"


def english_severity(token: Any) -> Any:
    """A stderr severity token ("日志:  ", "ERROR:  ") or a csvlog severity ("错误") as the
    English word the rest of the reading tests (LOG, ERROR, STATEMENT ...)."""
    return token.replace(STDERR_TOKENS).replace(SEVERITY_WORDS).str.replace(r"\s*:\s*$", "")


def _record_schema() -> dict[str, Any]:
    import polars as pl

    return {
        "line_number": pl.Int64,
        "lines": pl.Int64,
        "time": pl.String,
        "pid": pl.String,
        "session": pl.String,
        "user": pl.String,
        "db": pl.String,
        "remote": pl.String,
        "severity": pl.String,
        "sqlstate": pl.String,
        "message": pl.String,
        "query": pl.String,
        "backend": pl.String,  # backend_type (%b, csvlog, jsonlog): "parallel worker" ...
        "bad_utf8": pl.Boolean,
        "problem_text": pl.String,  # why a record is unreadable (then severity UNREADABLE)
    }


# ---------------------------------------------------------------- destinations -> records


def stderr_records(
    stream: IO[bytes],
    settings: SourceSettings,
    batch_bytes: int,
    max_line_bytes: int,
    file_name: str = "",
) -> Iterator[tuple[Any, Any]]:
    """(records, oversize) per batch. The last record of a batch waits for the next one, as
    its continuation lines may follow."""
    import polars as pl

    pattern = prefix_regex(settings.log_line_prefix)
    names_users = prefix_names_users(settings.log_line_prefix)
    known_users = None
    carry = None
    batches: Iterator[Any] = text_batches(
        stream,
        quoted_newlines=False,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
    )
    if settings.format == "syslog":
        batches = _syslog_lines(batches, pattern, syslog.file_year(file_name, settings.timezone))
    for batch, final in with_last(batches):
        frame = batch.frame
        if "phys" not in frame.columns:  # physical log lines behind each line (syslog: more)
            frame = frame.with_columns(
                pl.lit(1, pl.Int64).alias("phys"),
                pl.lit(None, pl.String).alias("stime"),
                pl.lit(None, pl.String).alias("spid"),
            )
        frame = frame if carry is None else pl.concat([carry, frame])
        parts = (
            frame.with_columns(pl.col("text").str.extract_groups(pattern).alias("p"))
            .unnest("p")
            .with_columns(
                pl.col("text").str.slice(pl.col("head").str.len_chars()).alias("message"),
                english_severity(pl.col("severity")),
                _record_time().alias("time"),
            )
        )
        # PostgreSQL writes every further line of a message with a leading tab, so any other
        # line starts a record: one matching the prefix, or a foreign line (quarantined).
        start = ~pl.col("text").str.starts_with("\t")
        parts = parts.with_columns(start.alias("start"))
        parts = parts.with_columns(pl.col("start").cast(pl.Int64).cum_sum().alias("rec"))
        if not final and parts.height:
            # The last record waits for its continuation lines, and with it the last message's
            # further records (an ERROR's STATEMENT, DETAIL ... follow it as records of their
            # own): everything from the last record that is not one of those.
            owners = parts.filter(pl.col("start") & ~pl.col("severity").is_in(list(_AUX)))
            last_rec = owners["rec"].max() if owners.height else parts["rec"].max()
            carry = parts.filter(pl.col("rec") >= last_rec).select(frame.columns)
            parts = parts.filter(pl.col("rec") < last_rec)
        else:
            carry = None
        # Continuation lines: the leading tab PostgreSQL adds is not part of the message.
        body = (
            pl.when(pl.col("start") & pl.col("severity").is_not_null())
            .then(pl.col("message"))
            .when(pl.col("start"))
            .then(pl.col("text"))
            .otherwise(pl.col("text").str.strip_prefix("\t"))
        )
        first = {
            name: (pl.col(name).first(), pl.col(name))
            for name in (
                "line_number",
                "time",
                "pid",
                "session",
                "user",
                "db",
                "remote",
                "severity",
                "sqlstate",
                "stime",
                "spid",
                "backend",
            )
        }
        records = fold(
            parts.with_columns(body.alias("body")),
            "rec",
            first
            | {
                "lines": (pl.col("phys").sum(), pl.col("phys")),
                "is_record": (pl.col("start").first(), pl.col("start")),
                "message": (pl.col("body").str.join("\n"), pl.col("body")),
                "bad_utf8": (pl.col("bad_utf8").any(), pl.col("bad_utf8")),
            },
        ).sort("line_number")
        records = records.with_columns(
            pl.col("remote").str.replace(r"\(\d+\)$", ""),
            # a syslog file's own time where log_line_prefix prints none
            pl.when(pl.col("time").fill_null("") == "")
            .then(pl.col("stime"))
            .otherwise(pl.col("time"))
            .alias("time"),
            # and its process id (postgres[PID]) where the prefix prints no %p
            pl.coalesce(pl.col("pid").replace("", None), pl.col("spid")).alias("pid"),
            pl.lit(None, pl.String).alias("query"),
            # A foreign line, or continuation lines before the first record (a file cut
            # mid-message), are not records: quarantined; an empty line is not data.
            pl.when(pl.col("is_record") & pl.col("severity").is_not_null())
            .then(pl.col("severity"))
            .when(pl.col("is_record") & (pl.col("message").str.strip_chars() == ""))
            .then(pl.lit("BLANK"))
            .otherwise(pl.lit("UNREADABLE"))
            .alias("severity"),
            pl.when(~pl.col("is_record"))
            .then(pl.lit("continuation line of a message that starts before this file"))
            .when(pl.col("severity").is_null() & pl.col("message").str.contains(_SYSLOG_LINE))
            .then(
                pl.lit(
                    "line is a syslog record (log_destination = 'syslog'): set format = "
                    '"syslog" in the source settings'
                )
            )
            .when(pl.col("severity").is_null() & pl.col("message").str.contains(_CSVLOG_LINE))
            .then(pl.lit(_WRONG_FORMAT.format(fmt="csvlog")))
            .when(pl.col("severity").is_null() & pl.col("message").str.contains(_JSONLOG_LINE))
            .then(pl.lit(_WRONG_FORMAT.format(fmt="jsonlog")))
            .when(pl.col("severity").is_null() & (pl.col("message").str.strip_chars() != ""))
            .then(pl.lit("line matches neither log_line_prefix nor a continuation (tab) line"))
            .alias("problem_text"),
        )
        records = _attach_statement_lines(records)
        if not names_users:
            records, known_users = _users_from_connections(records, known_users)
        yield _mark_cut(records, batch.cut_line), batch.oversize


def _record_time() -> Any:
    """A stderr record's time as to_utc reads it ("<date> <time>[ <zone>]"), from the prefix's
    time escapes: %n (Unix epoch with milliseconds, "1796158791.364") as its UTC time, else
    %m, else %t; empty when the prefix prints none (syslog's time is then used)."""
    import polars as pl

    millis = (pl.col("epoch").cast(pl.Float64, strict=False) * 1000).round(0).cast(pl.Int64)
    from_epoch = pl.from_epoch(millis, time_unit="ms").dt.strftime("%Y-%m-%d %H:%M:%S%.3f")
    given = lambda c: pl.when(pl.col(c).fill_null("") != "")  # noqa: E731
    return pl.coalesce(
        given("epoch").then(pl.concat_str(from_epoch, pl.lit(" UTC"))),
        given("time").then(pl.col("time")),
        given("time_s").then(pl.col("time_s")),
        pl.col("time"),
    )


SYSLOG_CARRY_LINES = 2000
# A csvlog or jsonlog file read as stderr (the settings' format, or a name that does not say):
# its records start with csvlog's time, user, database and process id, or with jsonlog's
# {"timestamp":.
_CSVLOG_LINE = r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [^,\s]*,(?:"[^"]*")?,(?:"[^"]*")?,\d*,'
_JSONLOG_LINE = r'^\{"timestamp":"'
_WRONG_FORMAT = (
    "line is a {fmt} record (log_destination = '{fmt}'): set format = \"{fmt}\" in the source "
    "settings"
)
_SYSLOG_LINE = r"^(?P<shead>" + syslog.HEAD + r"(?:\[(?P<seq>\d+)(?:-(?P<chunk>\d+))?\] ?)?)"


def _syslog_lines(
    batches: Iterator[Any], prefix_pattern: str, year_of: tuple[int, int]
) -> Iterator[Any]:
    """PostgreSQL's log_destination = 'syslog' as the stderr lines it stands for.

    PostgreSQL sends each message as syslog records "[SEQ-CHUNK] text": split at its newlines
    (a further line starts with a tab, or with log_line_prefix for a STATEMENT or DETAIL
    record of the same message) and at 900 bytes (the rest of the same line). The chunks of
    one message (process id and SEQ) are put together in order, other processes' records may
    lie between them in the file; a message whose first chunk is near a batch's end waits for
    the next batch. Each line keeps the line number of its first chunk and counts its chunks
    as its physical lines (``phys``); ``stime`` and ``spid`` are syslog's time and process id,
    for a prefix without them.
    Lines of other programs (another ident than PostgreSQL's syslog_ident) are not data: they
    become empty lines, counted as such."""
    import polars as pl

    carry = None
    for batch, final in with_last(batches):
        frame = batch.frame if carry is None else pl.concat([carry, batch.frame])
        parts = frame.with_columns(
            pl.col("text").str.extract_groups(_SYSLOG_LINE).alias("h")
        ).unnest("h")
        postgres = pl.col("seq").is_not_null() | pl.col("ident").str.starts_with("postgres")
        parts = parts.with_columns(
            pl.when(pl.col("shead").is_null())
            .then(pl.col("text"))  # not a syslog line: read as it is (then quarantined)
            .when(postgres)
            .then(
                syslog.unescape_control(pl.col("text").str.slice(pl.col("shead").str.len_chars()))
            )
            .otherwise(pl.lit(""))  # another program's line
            .alias("body"),
            pl.when(pl.col("seq").is_not_null())
            .then(pl.concat_str(pl.col("spid").fill_null(""), pl.lit(":"), pl.col("seq")))
            .otherwise(pl.col("line_number").cast(pl.String))
            .alias("_msg"),
            pl.col("chunk").cast(pl.Int64),
            pl.coalesce(
                pl.when(pl.col("bsd").is_not_null()).then(syslog.bsd_as_iso(year_of)),
                pl.col("iso").str.replace("T", " ").str.replace(r"(Z|[+-]\d\d:?\d\d)$", " $1"),
            ).alias("stime"),
        )
        parts = parts.with_columns(pl.col("line_number").min().over("_msg").alias("_first"))
        if not final and parts.height:
            cutoff = parts["line_number"].max() - SYSLOG_CARRY_LINES
            waiting = parts.filter(pl.col("_first") > cutoff)["line_number"]
            carry = frame.filter(pl.col("line_number").is_in(waiting.implode()))
            parts = parts.filter(~pl.col("line_number").is_in(waiting.implode()))
        else:
            carry = None
        parts = parts.sort("_first", "chunk", "line_number", nulls_last=False)
        new_line = (
            pl.col("chunk").is_null()
            | (pl.col("chunk") <= 1)
            | pl.col("body").str.starts_with("\t")
            | pl.col("body").str.contains(prefix_pattern)
        )
        lines = (
            parts.with_columns(new_line.cum_sum().alias("_line"))
            .group_by("_line", maintain_order=True)
            .agg(
                pl.col("line_number").first(),
                pl.col("body").str.join("").alias("text"),
                pl.col("bad_utf8").any(),
                pl.len().cast(pl.Int64).alias("phys"),
                pl.col("stime").first(),
                pl.col("spid").first(),
            )
            .drop("_line")
        )
        yield TextBatch(lines, batch.oversize, batch.cut_line)


def prefix_names_users(prefix: str) -> bool:
    """Does log_line_prefix print the user (%u, or padded: %-12u)? ("%%u" is a literal "%u".)"""
    return any(isinstance(part, tuple) and part[0] == "u" for part in _prefix_parts(prefix))


_AUTHORIZED = "^(?:" + "|".join(re.escape(p) for p in CONNECTION_AUTHORIZED) + r")(\S+)"


def _users_from_connections(records: Any, known: Any) -> tuple[Any, Any]:
    """A log_line_prefix without %u names no user on the records; log_connections' record
    "connection authorized: user=NAME" opens each session, so its records take that name
    (forward within the session, by process id or %c; ``known``: each session's user from
    earlier batches). A session opened before the file began stays without a user."""
    import polars as pl

    skey = pl.coalesce(pl.col("session").replace("", None), pl.col("pid"))
    records = records.with_columns(
        skey.alias("_skey"),
        pl.when(pl.col("severity") == "LOG")
        .then(pl.col("message").str.extract(_AUTHORIZED, 1))
        .alias("_auth"),
    ).with_columns(pl.col("_auth").forward_fill().over("_skey", order_by="line_number"))
    if known is not None and known.height:
        records = records.join(known, on="_skey", how="left").with_columns(
            pl.coalesce("_auth", "_known").alias("_auth")
        )
    latest = (
        records.filter(pl.col("_auth").is_not_null())
        .group_by("_skey")
        .agg(pl.col("_auth").sort_by("line_number").last().alias("_known"))
    )
    known = (
        latest if known is None else pl.concat([known.join(latest, on="_skey", how="anti"), latest])
    )
    records = records.with_columns(
        pl.coalesce(pl.col("user").replace("", None), pl.col("_auth")).alias("user")
    )
    return records.select(list(_record_schema())), known


def _attach_statement_lines(records: Any) -> Any:
    """stderr writes an ERROR's statement as a separate STATEMENT record (and DETAIL, HINT,
    CONTEXT ...): fold those into the record before them from the same process."""
    import polars as pl

    records = records.with_columns(
        pl.col("severity").is_in(list(_AUX)).fill_null(False).alias("aux"),
        pl.coalesce(pl.col("session").replace("", None), pl.col("pid")).alias("_proc"),
    )
    records = records.with_columns(
        pl.when(~pl.col("aux")).then(pl.col("line_number")).alias("_owner")
    ).with_columns(pl.col("_owner").forward_fill().over("_proc", order_by="line_number"))
    aux = (
        records.filter(pl.col("aux") & pl.col("_owner").is_not_null())
        .group_by("_owner")
        .agg(
            pl.col("lines").sum().alias("_aux_lines"),
            pl.col("message").filter(pl.col("severity") == "STATEMENT").first().alias("_stmt"),
        )
    )
    main = records.filter(~pl.col("aux") | pl.col("_owner").is_null())
    main = main.join(aux, left_on="line_number", right_on="_owner", how="left")
    return main.with_columns(
        (pl.col("lines") + pl.col("_aux_lines").fill_null(0)).alias("lines"),
        pl.col("_stmt").alias("query"),
    ).select(list(_record_schema()))


# A csvlog row as PostgreSQL writes it: fields separated by commas, each quoted (quotes
# doubled inside) or holding no quote, carriage return or newline.
_CSVLOG_FIELD = r'(?:"(?:[^"]|"")*"|[^,"\r\n]*)'
_CSV_ROW = rf"^{_CSVLOG_FIELD}(?:,{_CSVLOG_FIELD})*$"
CSV_MALFORMED = (
    "csvlog row is not well-formed CSV (a quote inside an unquoted field): a record cut at "
    "the top of the file, or a damaged line"
)


def csvlog_records(
    stream: IO[bytes],
    settings: SourceSettings,
    batch_bytes: int,
    max_line_bytes: int,
    file_name: str = "",
) -> Iterator[tuple[Any, Any]]:
    import polars as pl
    import pyarrow as pa
    import pyarrow.csv as pcsv

    for batch in text_batches(
        stream,
        quoted_newlines=True,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
    ):
        frame = batch.frame.filter(pl.col("text").str.strip_chars() != "")
        if frame.height == 0:
            yield pl.DataFrame(schema=_record_schema()), batch.oversize
            continue
        # A row that is not well-formed CSV (a quote inside an unquoted field: the tail of a
        # record cut at the top of the file, or a damaged line) would be split otherwise by
        # pyarrow than by the row grouping: quarantined, so each row parsed is one record.
        malformed = frame.filter(~pl.col("text").str.contains(_CSV_ROW))
        frame = frame.filter(pl.col("text").str.contains(_CSV_ROW))
        if frame.height == 0:
            records = pl.concat(
                [pl.DataFrame(schema=_record_schema()), _unreadable(malformed, CSV_MALFORMED)],
                how="diagonal_relaxed",
            )
            yield _mark_cut(records, batch.cut_line), batch.oversize
            continue
        # the columns of most rows (PostgreSQL 13 writes 24, 14 and later 26; the batch's
        # first 1,000 tell): a first row that is the tail of a record cut at the top of the
        # file tells nothing
        sample = frame["text"].head(1000)
        fields = sample.str.replace_all(r'"(?:[^"]|"")*"', "").str.count_matches(",") + 1
        ncol = int(fields.mode().sort()[-1])
        names = [f"c{i}" for i in range(ncol)]
        bad: list[int] = []

        def on_invalid(row: Any, bad: list[int] = bad) -> str:
            bad.append(row.number)
            return "skip"

        joined = frame.select(pl.col("text").str.join("\n"))["text"][0]  # one string, in Rust
        data = joined.encode("utf-8", "surrogateescape") + b"\n"
        longest = int(frame.select(pl.col("text").str.len_bytes().max()).item())
        parsed = pcsv.read_csv(
            io.BytesIO(data),
            # Single-threaded: only then does pyarrow tell the number of a row it rejects.
            read_options=pcsv.ReadOptions(
                column_names=names, use_threads=False, block_size=csv_block_size(longest)
            ),
            parse_options=pcsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True
            ),
        )
        table = pl.from_arrow(parsed)
        assert isinstance(table, pl.DataFrame)
        if table.height + len(set(bad)) != frame.height:  # never expected: all unreadable
            bad, table = [], table.clear()
            malformed = pl.concat([malformed, frame])
            frame = frame.clear()
        if bad:  # rows with another column count: kept as unreadable records
            # pyarrow numbers the rows it rejects by row (1-based), not by physical line: a
            # record with newlines in its statement is one row. Each row of ``frame`` is one.
            bad_idx = pl.Series(sorted(set(bad)), dtype=pl.Int64) - 1
            keep = ~pl.int_range(0, frame.height, eager=True).is_in(bad_idx.implode())
            broken = frame.filter(~keep)
            frame = frame.filter(keep)
        else:
            broken = frame.clear()
        col = {
            k: pl.col(f"c{v}") if v < ncol else pl.lit(None, pl.String)
            for k, v in _CSV_COLS.items()
        }
        records = table.select(
            pl.Series("line_number", frame["line_number"]),
            pl.Series("lines", frame["text"].str.count_matches("\n").cast(pl.Int64) + 1),
            col["time"].alias("time"),
            col["pid"].alias("pid"),
            col["session"].alias("session"),
            col["user"].alias("user"),
            col["db"].alias("db"),
            col["remote"].str.replace(r":\d+$", "").alias("remote"),
            english_severity(col["severity"]).alias("severity"),
            col["sqlstate"].alias("sqlstate"),
            col["message"].alias("message"),
            col["query"].alias("query"),
            col["backend"].alias("backend"),
            pl.Series("bad_utf8", frame["bad_utf8"]),
        )
        if broken.height:
            records = pl.concat(
                [records, _unreadable(broken, "csvlog row has the wrong number of columns")],
                how="diagonal_relaxed",
            )
        if malformed.height:
            records = pl.concat(
                [records, _unreadable(malformed, CSV_MALFORMED)], how="diagonal_relaxed"
            )
        yield _mark_cut(records, batch.cut_line), batch.oversize


def _mark_cut(records: Any, cut_line: int | None) -> Any:
    """The record holding the file's unterminated last line, quarantined as cut short
    (lines.TextBatch.cut_line says why)."""
    import polars as pl

    if cut_line is None or records.height == 0:
        return records
    hit = cut_rows(records, cut_line)
    if "problem_text" not in records.columns:
        records = records.with_columns(pl.lit(None, pl.String).alias("problem_text"))
    return records.with_columns(
        pl.when(hit).then(pl.lit("UNREADABLE")).otherwise(pl.col("severity")).alias("severity"),
        pl.when(hit)
        .then(pl.lit(CUT_AT_END))
        .otherwise(pl.col("problem_text"))
        .alias("problem_text"),
    )


def _unreadable(frame: Any, why: str) -> Any:
    import polars as pl

    return frame.select(
        "line_number",
        (pl.col("text").str.count_matches("\n").cast(pl.Int64) + 1).alias("lines"),
        pl.lit("UNREADABLE").alias("severity"),
        pl.lit(why).alias("problem_text"),
        pl.col("text").alias("message"),
        "bad_utf8",
    )


def jsonlog_records(
    stream: IO[bytes],
    settings: SourceSettings,
    batch_bytes: int,
    max_line_bytes: int,
    file_name: str = "",
) -> Iterator[tuple[Any, Any]]:
    import polars as pl

    fields = {
        "time": "timestamp",
        "pid": "pid",
        "session": "session_id",
        "user": "user",
        "db": "dbname",
        "remote": "remote_host",
        "severity": "error_severity",
        "sqlstate": "state_code",
        "message": "message",
        "query": "statement",
        "backend": "backend_type",
    }
    for batch in text_batches(
        stream,
        quoted_newlines=False,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
    ):
        frame = batch.frame.filter(pl.col("text").str.strip_chars() != "")
        valid = frame.with_columns(pl.col("text").str.starts_with("{").alias("_obj"))
        records = valid.select(
            "line_number",
            pl.lit(1, pl.Int64).alias("lines"),
            *[
                pl.col("text").str.json_path_match(f"$.{key}").alias(name)
                for name, key in fields.items()
            ],
            "bad_utf8",
            "_obj",
        )
        records = records.with_columns(
            pl.when(pl.col("_obj") & pl.col("severity").is_not_null())
            .then(pl.col("severity"))
            .otherwise(pl.lit("UNREADABLE"))
            .alias("severity")
        ).drop("_obj")
        yield _mark_cut(records, batch.cut_line), batch.oversize


RECORD_READERS = {
    "stderr": stderr_records,
    "syslog": stderr_records,  # the same records, once the syslog heads are undone
    "csvlog": csvlog_records,
    "jsonlog": jsonlog_records,
}


# What logrotate adds after a file's name: a number (postgresql.csv.1) or a date (dateext's
# postgresql.json-20261203, dateformat's -%Y%m%d-%s), before its .gz or .zst.
_ROTATION_SUFFIX = re.compile(r"(?:[.-]\d+)+$")


def destination(settings: SourceSettings, file_name: str) -> str:
    """The log destination a file holds: the settings' format, else its name's suffix (read
    through a rotation suffix: postgresql.csv.1 is csvlog)."""
    if settings.format:
        return settings.format
    lower = file_name.lower()
    for suffix in COMPRESSION_SUFFIXES:  # one of them at most, at the end
        lower = lower.removesuffix(suffix)
    lower = _ROTATION_SUFFIX.sub("", lower)
    if lower.endswith((".csv", ".csvlog")):
        return "csvlog"
    if lower.endswith((".json", ".jsonl", ".jsonlog")):
        return "jsonlog"
    return "stderr"


# ---------------------------------------------------------------- records -> statements


def read_statements(
    stream: IO[bytes],
    settings: SourceSettings,
    file_name: str,
    batch_bytes: int,
    max_line_bytes: int,
) -> Iterator[Any]:
    """Statements frames (see events.py for the columns), batch by batch."""
    import polars as pl

    reader = RECORD_READERS[destination(settings, file_name)]
    carry = None
    batches = reader(stream, settings, batch_bytes, max_line_bytes, file_name)
    for (records, oversize), final in with_last(batches):
        if carry is not None:
            records = pl.concat([carry, records], how="diagonal_relaxed")
        records = records.sort("line_number")
        statements, carry = _statements(records, settings, file_name, final)
        if oversize:
            statements = pl.concat(
                [statements, oversize_rows(oversize, max_line_bytes)], how="diagonal_relaxed"
            )
        yield statements


def _statements(
    records: Any, settings: SourceSettings, file_name: str, final: bool
) -> tuple[Any, Any]:
    import polars as pl

    if "problem_text" not in records.columns:
        records = records.with_columns(pl.lit(None, pl.String).alias("problem_text"))
    # Without %p or %c in log_line_prefix (stderr, syslog) a record names no process: its
    # user, database and client are the nearest to a session there is (marked '~').
    anonymous = pl.concat_str(
        pl.lit("~"),
        *[
            pl.col(c).fill_null("") if c in records.columns else pl.lit("")
            for c in ("user", "db", "remote")
        ],
        separator="@",
    )
    records = records.with_columns(
        pl.coalesce(
            pl.col("session").replace("", None), pl.col("pid").replace("", None), anonymous
        ).alias("skey"),
        (
            pl.col("message").str.starts_with(AUDIT_PREFIX)
            & ~pl.col("severity").is_in(["ERROR", "FATAL", "PANIC", "UNREADABLE"])
        )
        .fill_null(False)
        .alias("is_audit"),
    )
    if "backend" not in records.columns:
        records = records.with_columns(pl.lit(None, pl.String).alias("backend"))
    # pgaudit before 18 also logs a parallel query's AUDIT record in each parallel worker,
    # with the worker's process id and no user or database (the worker has no client
    # connection): a copy of the leader's record, which is the statement. Told by the backend
    # type (csvlog, jsonlog, %b) or, where the log does not print it, as a record without a
    # user whose text a record with a user in the batch has. Counted as not data.
    parallel = pl.col("backend").fill_null("").str.to_lowercase() == "parallel worker"
    no_user = pl.col("user").fill_null("").is_in(["", "[unknown]"])
    # the record after its statement and substatement ids, which each worker counts itself,
    # and before its ROWS, which are each process's own
    copied = pl.col("message").str.extract(
        r"(?s)^AUDIT: (?:SESSION|OBJECT),\d+,\d+,(.*?)(?:,\d+)?$", 1
    )
    leaders = records.filter(pl.col("is_audit") & ~no_user & ~parallel).select(
        copied.drop_nulls().unique().alias("_copied")
    )["_copied"]
    unknown = pl.col("backend").fill_null("") == ""
    # (only where a client's records always name their user: without %u in the prefix, a
    # session opened before the file began has no user either, and stays quarantined)
    names_users = destination(settings, file_name) in ("csvlog", "jsonlog") or (
        prefix_names_users(settings.log_line_prefix)
    )
    worker = parallel | (no_user & unknown & pl.lit(names_users) & copied.is_in(leaders.implode()))
    records = records.with_columns(
        (pl.col("is_audit") & ~worker.fill_null(False)).alias("is_audit")
    )
    audit = records.filter(pl.col("is_audit"))
    payload = audit.with_columns(
        pl.col("message").str.strip_prefix(AUDIT_PREFIX).str.extract_groups(PAYLOAD).alias("p")
    ).unnest("p")
    rename = {str(i + 1): name for i, name in enumerate(_PAYLOAD_NAMES)}
    payload = payload.rename({k: v for k, v in rename.items() if k in payload.columns})
    unquote = lambda c: (  # noqa: E731
        pl.when(pl.col(c).str.starts_with('"'))
        .then(pl.col(c).str.slice(1).str.head(-1).str.replace_all('""', '"'))
        .otherwise(pl.col(c))
    )
    payload = payload.with_columns(
        unquote("stmt").alias("stmt"),
        unquote("param").alias("param"),
        unquote("object_name").alias("object_name"),
        pl.col("rows").cast(pl.Int64, strict=False),
    )
    malformed = payload.filter(pl.col("audit_type").is_null())
    payload = payload.filter(pl.col("audit_type").is_not_null())
    # One statement: consecutive records of one session with one statement id. Where the
    # session is only a process id (stderr without %c), a later session reusing the pid
    # starts again at statement 1: a record more than a second after the one before, whose
    # substatement does not advance, starts a new statement (the lines of one statement are
    # written together).
    at = pl.col("time").str.extract(r"^(\S+ \S+)", 1).str.to_datetime(TIME_FORMAT, strict=False)
    prev = lambda c: c.shift(1).over("skey")  # noqa: E731
    sub = pl.col("substatement_id").cast(pl.Int64, strict=False)
    restarted = ((at - prev(at)) > pl.duration(seconds=1)) & (sub <= prev(sub))
    # Where the session is only the user, database and client (no %p or %c), two sessions of
    # one user interleave under the same statement ids: a record whose text differs from the
    # one before, at a substatement that does not advance, is another statement (the lines of
    # one statement, one per relation, repeat its text or say <previously logged>).
    other_text = (
        pl.col("skey").str.starts_with("~")
        & (sub <= prev(sub))
        & (pl.col("stmt") != prev(pl.col("stmt")))
        & ~pl.col("stmt").is_in(list(SPECIAL))
        & ~prev(pl.col("stmt")).is_in(list(SPECIAL))
    )
    # The records of one statement at one sub-statement (one per relation, by object and by
    # session audit) share its ROWS: another count there is another statement (of another
    # session, or of a session reusing the process id), even where the text cannot tell
    # (<not logged>, or the same text).
    other_rows = (sub == prev(sub)) & (pl.col("rows") != prev(pl.col("rows")))
    payload = payload.sort("skey", "line_number").with_columns(
        (
            (pl.col("statement_id") != prev(pl.col("statement_id")))
            | restarted.fill_null(False)
            | other_text.fill_null(False)
            | other_rows.fill_null(False)
        )
        .fill_null(True)
        .cum_sum()
        .alias("group")
    )
    carry = None
    if not final and payload.height:
        cutoff = records["line_number"].sort()[max(records.height - CARRY_RECORDS, 0)]
        last_groups = payload.group_by("skey").agg(
            pl.col("group").max(), pl.col("line_number").max().alias("_last")
        )
        open_groups = last_groups.filter(pl.col("_last") >= cutoff)["group"]
        held = payload.filter(pl.col("group").is_in(open_groups.implode()))["line_number"]
        held_errors = records.filter(~pl.col("is_audit") & (pl.col("line_number") >= cutoff))[
            "line_number"
        ]
        keep_back = pl.concat([held, held_errors])
        carry = records.filter(pl.col("line_number").is_in(keep_back.implode())).drop(
            "skey", "is_audit"
        )
        payload = payload.filter(~pl.col("line_number").is_in(keep_back.implode()))
        records = records.filter(~pl.col("line_number").is_in(keep_back.implode()))
    real = ~pl.col("stmt").is_in(list(SPECIAL))
    real_param = ~pl.col("param").is_in(list(SPECIAL))
    head = pl.concat_str(
        pl.col("audit_type"), pl.lit(","), pl.col("statement_id"), pl.lit(","),
        pl.col("class"), pl.lit(","), pl.col("command"),
    )  # fmt: skip
    # A FUNCTION record (pgaudit.log with `function`) names the routine called, not a table:
    # the routine's own statements are logged with their tables as they run.
    named = (pl.col("object_name") != "") & (pl.col("object_type") != "FUNCTION")
    groups = fold(
        payload,
        "group",
        {
            "line_number": (pl.col("line_number").min(), pl.col("line_number")),
            "lines": (pl.col("lines").sum(), pl.col("lines")),
            "time": (pl.col("time").first(), pl.col("time")),
            "actor": (pl.col("user").first(), pl.col("user")),
            "database": (pl.col("db").first(), pl.col("db")),
            "source_ip": (pl.col("remote").first(), pl.col("remote")),
            "session": (pl.col("skey").first(), pl.col("skey")),
            "pid": (pl.col("pid").first(), pl.col("pid")),
            "statement_id": (pl.col("statement_id").first(), pl.col("statement_id")),
            # Every sub-statement's text counts (a function's UPDATE, then its SELECT of
            # another column, then the call): the distinct texts in the order logged, each
            # on its own after a semicolon; analysis reads each and merges them into one event.
            "statement": (
                pl.col("stmt")
                .filter(real)
                .unique(maintain_order=True)
                .str.join(SUB_JOIN)
                .replace("", None),  # no text logged: null, as for a single line
                pl.when(real).then("stmt"),
            ),
            "_texts": (
                pl.col("stmt").filter(real).unique(maintain_order=True),
                pl.when(real)
                .then(pl.concat_list("stmt"))
                .otherwise(pl.lit([], pl.List(pl.String))),
            ),
            # A text's $n are its own record's parameters: a trigger's INSERT logged under an
            # UPDATE ... WHERE id = $1 has the trigger's arguments as its parameters, the
            # UPDATE the client's. The first text holding a $n gives them, else the first.
            "params": (
                pl.coalesce(
                    pl.col("param")
                    .filter(real_param & pl.col("stmt").str.contains(r"\$\d"))
                    .first(),
                    pl.col("param").filter(real_param).first(),
                ),
                pl.when(real_param).then("param"),
            ),
            "rows": (pl.col("rows").max(), pl.col("rows")),
            "objects": (
                pl.col("object_name").filter(named).unique().sort(),
                pl.when(named)
                .then(pl.concat_list("object_name"))
                .otherwise(pl.lit([], pl.List(pl.String))),
            ),
            "log_command": (
                pl.col("command").sort_by("substatement_id").first(),
                pl.col("command"),
            ),
            "_data_class": (
                pl.col("class").is_in(list(DATA_CLASSES)).any(),
                pl.col("class").is_in(list(DATA_CLASSES)),
            ),
            # the first READ/WRITE record's command: with the FUNCTION class logged, a call
            # (CALL p(1), SELECT f(1)) is first a FUNCTION,EXECUTE record naming the routine,
            # which is not SQL's EXECUTE of a prepared statement
            "_data_command": (
                pl.col("command")
                .filter(pl.col("class").is_in(list(DATA_CLASSES)))
                .sort_by(
                    pl.col("substatement_id")
                    .cast(pl.Int64, strict=False)
                    .filter(pl.col("class").is_in(list(DATA_CLASSES)))
                )
                .first(),
                pl.when(pl.col("class").is_in(list(DATA_CLASSES))).then("command"),
            ),
            "bad_utf8": (pl.col("bad_utf8").any(), pl.col("bad_utf8")),
            "_head": (head.first(), head),
        },
    )
    groups = groups.with_columns(
        (
            pl.col("_data_class")
            & ~pl.col("_data_command").str.to_uppercase().is_in(list(NOT_DATA_COMMANDS))
        ).alias("data_access"),
        pl.lit("success").alias("outcome"),
        pl.lit(None, pl.String).alias("error_code"),
    )
    groups = _runs(groups, settings.dialect)
    errors, groups = _errors(records, groups, settings.dialect)
    statements = pl.concat([groups, errors], how="diagonal_relaxed")
    others = records.filter(~pl.col("is_audit"))
    consumed = errors["line_number"] if errors.height else pl.Series([], dtype=pl.Int64)
    merged = (
        groups["_merged_errors"].explode().drop_nulls()
        if "_merged_errors" in groups.columns
        else pl.Series([], dtype=pl.Int64)
    )
    unreadable = others.filter(pl.col("severity") == "UNREADABLE")
    non_data = others.filter(
        ~pl.col("line_number").is_in(pl.concat([consumed, merged]).implode())
        & (pl.col("severity") != "UNREADABLE").fill_null(True)
    )
    where = f"{file_name}"
    statements = to_utc(statements, "time", "event_time", TIME_FORMAT, settings.timezone, where)
    head = pl.concat_str(
        pl.col("time").fill_null(""),
        pl.lit(" ["),
        pl.col("session").fill_null(""),
        pl.lit("] "),
        pl.col("actor").fill_null(""),
        pl.lit("@"),
        pl.col("database").fill_null(""),
        pl.lit(" "),
        pl.col("_head").fill_null(""),
    )
    statements = _event_key(statements)
    statements = statements.with_columns(
        head.alias("raw_head"),
        pl.lit(False).alias("truncated"),
        pl.lit(None, pl.String).alias("problem"),
        # quarantines the statement only if it is an event (events.py)
        pl.when(pl.col("actor").fill_null("") == "")
        .then(pl.lit(_no_user_reason(settings, file_name)))
        .alias("event_problem"),
    )
    bad = pl.concat(
        [
            unreadable_rows(malformed, "AUDIT record is not in pgaudit's format", "message"),
            unreadable_rows(
                unreadable,
                pl.coalesce("problem_text", pl.lit("line is not a readable jsonlog record")),
                "message",
            ),
            non_data_rows(non_data),
        ],
        how="diagonal_relaxed",
    )
    statements = pl.concat([statements, bad], how="diagonal_relaxed")
    return statements, carry


def _event_key(statements: Any) -> Any:
    """The event id of each statement, the same whichever destination logged it (stderr,
    csvlog, jsonlog, syslog: a server may write several, and a provider may hand over more
    than one): the process id (from %p, or from %c, whose second half is it in hex), the UTC
    second of its first line (%t prints no milliseconds), and pgaudit's statement id. Within a
    process statement ids only grow, and a process id is not reused within a second. pgaudit
    does not number a denied statement: its text stands in (a hash of it, once per distinct
    text), with its rank among the same text's denials in that process and second."""
    import polars as pl

    from .scrub import fingerprint

    from_session = (
        pl.col("session").str.extract(r"\.([0-9a-f]+)$", 1).str.to_integer(base=16, strict=False)
    )
    proc = pl.coalesce(
        pl.col("pid").replace("", None), from_session.cast(pl.String), pl.col("session")
    )
    second = pl.coalesce(pl.col("event_time").str.slice(0, 19), pl.col("time"), pl.lit(""))
    statements = statements.with_columns(proc.alias("_proc"), second.alias("_second"))
    # No process id (a log_line_prefix with neither %p nor %c): the statement id alone would
    # give every session's first statement of a second one id, and all but one would be
    # counted as duplicates. The user, database, client and text stand in for the process
    # (a hash, once per distinct value), with the rank among equal ones in that second.
    anonymous = (pl.col("_proc").fill_null("") == "") | pl.col("_proc").str.starts_with("~")
    who = pl.concat_str(
        *[pl.col(c).fill_null("") for c in ("actor", "database", "source_ip", "statement")],
        separator="\x1f",
    )
    whos = statements.filter(anonymous).select(who.alias("_who")).unique()
    if whos.height:
        whos = whos.with_columns(
            pl.Series("_who_id", [fingerprint(w) for w in whos["_who"].to_list()], pl.String)
        )
        statements = (
            statements.with_columns(pl.when(anonymous).then(who).alias("_who"))
            .join(whos, on="_who", how="left")
            .with_columns(
                pl.when(anonymous)
                .then(
                    pl.concat_str(
                        pl.lit("~"),
                        pl.col("_who_id"),
                        pl.lit("."),
                        pl.int_range(1, pl.len() + 1)
                        .over("_who_id", "_second", "statement_id", order_by="line_number")
                        .cast(pl.String),
                    )
                )
                .otherwise(pl.col("_proc"))
                .alias("_proc")
            )
        )
    denied = pl.col("statement_id").str.starts_with("e")
    texts = statements.filter(denied).select(pl.col("statement").fill_null("")).unique()
    if texts.height:
        texts = texts.with_columns(
            pl.Series("_text_id", [fingerprint(t) for t in texts["statement"].to_list()])
        )  # one hash per distinct denied text, not per statement
        statements = statements.join(
            texts, left_on=pl.col("statement").fill_null(""), right_on="statement", how="left"
        )
        rank = pl.int_range(1, pl.len() + 1).over(
            "_proc", "_second", "_text_id", order_by="line_number"
        )
        number = pl.concat_str(pl.lit("e"), pl.col("_text_id"), pl.lit("."), rank.cast(pl.String))
    else:
        number = pl.lit(None, pl.String)
    key = pl.concat_str(
        pl.lit("pg:"),
        pl.col("_proc"),
        pl.lit(":"),
        pl.col("_second"),
        pl.lit(":"),
        pl.when(denied).then(number).otherwise(pl.col("statement_id")),
    )
    return statements.with_columns(key.alias("event_key")).drop(
        "_proc", "_second", "_text_id", "_who", "_who_id", strict=False
    )


def _runs(groups: Any, dialect: str) -> Any:
    """``part``/``run``: a query of several statements sent at once (psql -c "SELECT ...;
    SELECT ...") runs them one by one, and pgaudit (before its 17.0) logs each under the next
    statement id with the whole query text. So records of one session with consecutive
    statement ids and the same query text form a run; ``part`` is the record's place in it
    (1-based), ``run`` its length, for events.py to pick the statement.

    A statement of the query that calls a function or fires a trigger has its body's texts
    too: its query text is the text it shares with the statement before or after it that
    holds several statements. It counts in the run, and when the run tells which of the
    query's statements it is, that statement alone replaces the query in its ``statement``
    (beside the body's texts), so that it is not all the query's statements merged. Such a
    group's ``part`` is null, as for any other statement of several texts."""
    import polars as pl

    from .analysis import statements_of

    number = pl.col("statement_id").cast(pl.Int64, strict=False)
    texts = pl.col("_texts")
    single = texts.list.len() == 1
    ordered = groups.sort("session", "line_number")
    follows = (pl.col("session") == pl.col("session").shift(1)) & (number == number.shift(1) + 1)
    precedes = (pl.col("session") == pl.col("session").shift(-1)) & (number == number.shift(-1) - 1)
    none = pl.lit([], pl.List(pl.String))
    shared = pl.concat_list(
        pl.when(follows.fill_null(False))
        .then(texts.list.set_intersection(texts.shift(1)))
        .otherwise(none),
        pl.when(precedes.fill_null(False))
        .then(texts.list.set_intersection(texts.shift(-1)))
        .otherwise(none),
    )
    ordered = ordered.with_row_index("_row").with_columns(
        pl.when(~single).then(shared).otherwise(none).alias("_shared")
    )
    # The shared texts of several statements, counted once per distinct text (rare: only
    # where a call or trigger ran inside a multi-statement query).
    candidates = (
        ordered.select("_row", pl.col("_shared").alias("_query"))
        .explode("_query")
        .drop_nulls("_query")
    )
    distinct = candidates["_query"].unique().to_list()
    split = {text: statements_of(text, dialect) for text in distinct}
    counts = pl.DataFrame(
        {"_query": distinct, "_n": [len(split[t]) for t in distinct]},
        schema={"_query": pl.String, "_n": pl.Int64},
    )
    chosen = (
        candidates.join(counts, on="_query", how="left")
        .filter(pl.col("_n") > 1)
        .sort("_row", pl.col("_n"), descending=[False, True])
        .group_by("_row", maintain_order=True)
        .first()
        .select("_row", "_query", "_n")
    )
    ordered = ordered.join(chosen, on="_row", how="left").with_columns(
        pl.when(single).then(texts.list.first()).otherwise(pl.col("_query")).alias("_query")
    )
    same = (
        follows & (pl.col("_query") == pl.col("_query").shift(1)) & pl.col("_query").is_not_null()
    ).fill_null(False)
    ordered = ordered.with_columns((~same).cum_sum().alias("_run"))
    in_run = pl.col("_query").is_not_null()
    ordered = ordered.with_columns(
        pl.when(in_run).then(pl.int_range(1, pl.len() + 1).over("_run")).alias("part"),
        pl.when(in_run).then(pl.len().over("_run")).cast(pl.Int64).alias("run"),
        pl.when(in_run).then(pl.col("_run")).alias("run_id"),
    )
    # A call's or trigger's statement whose place in the query the run tells: the query's
    # statement at that place, with the body's texts.
    told = (
        ~single & in_run & (pl.col("run") % pl.col("_n") == 0) & (pl.col("run") >= pl.col("_n"))
    ).fill_null(False)
    picked = ordered.filter(told).select(
        "_row", "_texts", "_query", ((pl.col("part") - 1) % pl.col("_n")).alias("_k")
    )
    if picked.height:
        # each distinct query's statements, by place (per distinct text, as analysis is)
        places = pl.DataFrame(
            [(query, k, part) for query in distinct for k, part in enumerate(split[query])],
            schema={"_query": pl.String, "_k": pl.Int64, "_part": pl.String},
            orient="row",
        )
        own = (
            picked.explode("_texts")
            .join(places, on=["_query", "_k"], how="left")
            .select(
                "_row",
                pl.when(pl.col("_texts") == pl.col("_query"))
                .then(pl.col("_part"))
                .otherwise(pl.col("_texts"))
                .alias("_own"),
            )
        )
        rewritten = own.group_by("_row", maintain_order=True).agg(
            pl.col("_own").unique(maintain_order=True).str.join(SUB_JOIN).alias("_statement")
        )
        ordered = ordered.join(rewritten, on="_row", how="left").with_columns(
            pl.coalesce("_statement", "statement").alias("statement")
        )
        ordered = ordered.drop("_statement")
    return ordered.with_columns(
        pl.when(single).then(pl.col("part")).alias("part"),
        pl.when(single).then(pl.col("run")).alias("run"),
    ).drop("_run", "_row", "_shared", "_query", "_n")


def _no_user_reason(settings: SourceSettings, file_name: str) -> str:
    """Why a statement with no database user is quarantined, and what to change."""
    if destination(settings, file_name) in ("stderr", "syslog") and not prefix_names_users(
        settings.log_line_prefix
    ):
        return (
            "the log names no database user for this statement: log_line_prefix has no %u "
            "and the record that opened its session (log_connections' 'connection "
            "authorized: user=...') is not in this file; add %u to log_line_prefix in "
            "postgresql.conf and in the source settings (e.g. '%m [%p] %q%u@%d '), or turn "
            "on log_connections"
        )
    return (
        "the log names no database user for this statement: its process had no client "
        "connection (a background worker, or a parallel worker whose leader's record of the "
        "same statement is not in this batch of the file); add %b to log_line_prefix in "
        "postgresql.conf and in the source settings so that a parallel worker's copy is told "
        "by its backend type, or use csvlog or jsonlog, which carry it"
    )


def _errors(records: Any, groups: Any, dialect: str) -> tuple[Any, Any]:
    """ERROR records carrying their statement: a failure of the statement audited just
    before in the same session (same text), or a denied statement of its own.

    A query of several statements stops at the one that fails. When the ERROR names such a
    query and the statements logged before it ran to their end (pgaudit logs a statement
    once it has run with log_rows on, and a denied one, SQLSTATE 42501, never), those are
    the query's first statements, each a success, and the failed one is the next statement
    of the query: a failure event of its own."""
    import polars as pl

    from .analysis import statements_of

    errs = records.filter(
        pl.col("severity").is_in(["ERROR", "FATAL"]) & pl.col("query").is_not_null()
    ).select(
        pl.col("line_number").alias("err_line"),
        pl.col("lines").alias("err_lines"),
        pl.col("skey").alias("session"),
        "pid",
        "query",
        "sqlstate",
        "time",
        "user",
        "db",
        "remote",
        "bad_utf8",
    )
    if errs.height == 0:
        return errs.clear().select(pl.col("err_line").alias("line_number")), groups
    last_audit = groups.select(
        "session",
        pl.col("line_number").alias("g_line"),
        pl.col("_texts").alias("g_stmt"),
        pl.col("group"),
        "run_id",
        pl.col("run").alias("g_run"),
        pl.col("rows").alias("g_rows"),
    ).sort("g_line")
    matched = errs.sort("err_line").join_asof(
        last_audit,
        left_on="err_line",
        right_on="g_line",
        by="session",
        strategy="backward",
        check_sortedness=False,
    )
    # the failing statement is the call, or one of the texts of its sub-statements
    bare = lambda c: c.str.strip_chars().str.strip_chars_end(";")  # noqa: E731
    same = matched.filter(
        pl.col("g_stmt")
        .list.eval(bare(pl.element()))
        .list.contains(bare(pl.col("query")))
        .fill_null(False)
    )
    # the query's statements by place, per distinct query text (only errors of queries of
    # several statements logged as a run)
    queries = same.filter(pl.col("g_run").is_not_null())["query"].unique().to_list()
    split = {query: statements_of(query, dialect) for query in queries}
    places = pl.DataFrame(
        [(q, len(split[q]), k, part) for q in queries for k, part in enumerate(split[q])],
        schema={"query": pl.String, "_n": pl.Int64, "g_run": pl.Int64, "_part": pl.String},
        orient="row",
    )
    same = same.join(places, on=["query", "g_run"], how="left")
    ahead = (pl.col("g_run") < pl.col("_n")) & (
        pl.col("g_rows").is_not_null() | (pl.col("sqlstate") == "42501")
    )
    # Either way the records logged are the query's first statements (it stopped at the
    # failing one), so the run tells which each is.
    stopped = same.filter((pl.col("g_run") < pl.col("_n")).fill_null(False))
    next_failed = same.filter(ahead.fill_null(False))
    same = same.filter(~ahead.fill_null(False))
    if stopped.height:
        told = stopped.group_by("run_id").agg(pl.col("_n").first().alias("_told"))
        groups = (
            groups.join(told, on="run_id", how="left")
            .with_columns(pl.coalesce("_told", "run").alias("run"))
            .drop("_told")
        )
    failed = same.group_by("group").agg(
        pl.col("err_lines").sum().alias("_extra_lines"),
        pl.col("sqlstate").first().alias("_state"),
        pl.col("err_line").alias("_merged_errors"),
    )
    groups = groups.join(failed, on="group", how="left").with_columns(
        (pl.col("lines") + pl.col("_extra_lines").fill_null(0)).alias("lines"),
        pl.when(pl.col("_extra_lines").is_not_null())
        .then(pl.lit("failure"))
        .otherwise(pl.col("outcome"))
        .alias("outcome"),
        pl.coalesce("_state", "error_code").alias("error_code"),
    )
    own = pl.concat(
        [
            matched.filter(
                ~pl.col("err_line").is_in(
                    pl.concat([same["err_line"], next_failed["err_line"]]).implode()
                )
            ),
            next_failed.with_columns(pl.col("_part").alias("query")).select(matched.columns),
        ],
        how="vertical_relaxed",
    )
    denied = own.select(
        pl.col("err_line").alias("line_number"),
        pl.col("err_lines").alias("lines"),
        "time",
        pl.col("user").alias("actor"),
        pl.col("db").alias("database"),
        pl.col("remote").alias("source_ip"),
        "session",
        "pid",
        pl.concat_str(pl.lit("e"), pl.col("err_line")).alias("statement_id"),
        pl.col("query").alias("statement"),
        pl.lit(None, pl.String).alias("params"),
        pl.lit(None, pl.Int64).alias("rows"),
        pl.lit([], pl.List(pl.String)).alias("objects"),
        pl.lit(None, pl.String).alias("log_command"),
        pl.lit(True).alias("data_access"),
        pl.lit("failure").alias("outcome"),
        pl.col("sqlstate").alias("error_code"),
        "bad_utf8",
        pl.concat_str(pl.lit("ERROR "), pl.col("sqlstate").fill_null("")).alias("_head"),
    )
    return denied, groups
