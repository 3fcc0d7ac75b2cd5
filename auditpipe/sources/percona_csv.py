"""Percona Server's audit_log in CSV (``audit_log_format = CSV``) into statements.

One record per row, no header; text fields in double quotes (a quote doubled inside), numbers
bare. The plugin escapes nothing else, so a statement's newlines are in the row as they were
typed: rows are split on newlines outside quotes, as CSV's are (csv_quotes.py). The columns
depend on the record (Percona's audit_log.cc):

    "Query","4707_2026-03-02T01:00:00","2026-03-02T01:00:00 UTC","select","37",0,
        "SELECT ...","kefu_li[kefu_li] @ localhost [10.0.0.7]","localhost","","10.0.0.7","shop"
    name, record, timestamp, command_class, connection_id, status, sqltext, user, host,
        os_user, ip, db                                          (Query, Execute, Prepare ...)
    name, record, timestamp, connection_id, status, user, priv_user, os_login, proxy_user,
        host, ip, db                                             (Connect, Quit, Change user)
    name, record, timestamp, mysql_version, startup_options, os_version     (Audit, NoAudit)

``Query`` and ``Execute`` rows become statements through the JSON format's path
(mysql_json.percona_statements); a statement row that does not have the twelve columns of its
layout is quarantined (the row the file ends inside, with no newline after it, says so);
every other row (and a blank one) is not data access.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .lines import cut_reason, non_data_rows, oversize_rows, text_batches, unreadable_rows
from .mysql_json import STATEMENT_NAMES, percona_statements
from .settings import SourceSettings

_TEXT = r'"((?:[^"]|"")*)"'
_NUMBER = r"(-?\d+)"
# A statement record: name, record, timestamp, command_class, "connection_id", status (bare),
# sqltext, user, host, os_user, ip, db.
STATEMENT = "(?s)^" + ",".join([_TEXT] * 5 + [_NUMBER] + [_TEXT] * 6) + "$"
COLUMNS = [
    "name",
    "record",
    "ts",
    "command_class",
    "conn",
    "status",
    "sqltext",
    "user_field",
    "host",
    "os_user",
    "ip",
    "db",
]


def read_statements(
    stream: IO[bytes],
    settings: SourceSettings,
    file_name: str,
    batch_bytes: int,
    max_line_bytes: int,
) -> Iterator[Any]:
    import polars as pl

    for batch in text_batches(
        stream,
        quoted_newlines=True,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
    ):
        why = cut_reason(batch.cut_line)
        frame = batch.frame.with_columns(
            (pl.col("text").str.count_matches("\n").cast(pl.Int64) + 1).alias("lines"),
            pl.col("text").str.extract(r'^"([^"]*)",', 1).alias("name"),
        )
        run = pl.col("name").is_in(STATEMENT_NAMES).fill_null(False)
        rows = frame.filter(run)
        fields = rows.select(
            pl.col("text").str.extract_groups(STATEMENT).struct.rename_fields(COLUMNS)
        ).unnest("text")
        rows = pl.concat(
            [
                rows.select("line_number", "lines", "text"),
                fields.with_columns(
                    pl.col(c).str.replace_all('""', '"', literal=True) for c in COLUMNS
                ),
            ],
            how="horizontal",
        )
        parsed = pl.col("record").is_not_null()
        blank = pl.col("text").str.strip_chars() == ""
        known = pl.col("name").is_not_null()
        short = rows.filter(~parsed)
        foreign = frame.filter(~run & ~known & ~blank)
        parts = [
            percona_statements(rows.filter(parsed), settings, file_name),
            non_data_rows(frame.filter(~run & (known | blank))),
            unreadable_rows(
                short,
                why(
                    short,
                    "row does not have the columns of a Percona audit_log CSV statement record",
                ),
            ),
            unreadable_rows(foreign, why(foreign, "row is not a Percona audit_log CSV record")),
            oversize_rows(batch.oversize, max_line_bytes),
        ]
        yield pl.concat(parts, how="diagonal_relaxed")
