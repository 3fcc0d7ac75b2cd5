"""Percona Server ``audit_log`` in JSON (``audit_log_format = JSON``) into statements.

One JSON object per line:

    {"audit_record":{"name":"Query","record":"4707_2014-08-27T10:43:52",
     "timestamp":"2014-08-27T10:44:19 UTC","command_class":"select","connection_id":"37",
     "status":0,"sqltext":"SELECT ...","user":"kefu_li[kefu_li] @ localhost [10.0.0.7]",
     "host":"localhost","os_user":"","ip":"10.0.0.7","db":"shop"}}

``Query`` and ``Execute`` records are statements (``Execute``: a server-side prepared
statement run, logged with its values in place; ``status`` other than 0 is a failure, e.g.
1142 for a denied table); ``Connect``, ``Quit``, ``Prepare`` and other records are not data
access. Times carry their zone (``UTC``); the log names no tables, so a statement that cannot
be parsed keeps the field ``unresolved``. The same records in XML and CSV are read by
mysql_xml.py and percona_csv.py, which hand ``percona_statements`` the same fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .lines import cut_reason, non_data_rows, oversize_rows, text_batches, unreadable_rows
from .settings import SourceSettings
from .times import to_utc

FIELDS = {
    "name": "name",
    "record": "record",
    "ts": "timestamp",
    "command_class": "command_class",
    "conn": "connection_id",
    "status": "status",
    "sqltext": "sqltext",
    "user_field": "user",
    "host": "host",
    "ip": "ip",
    "db": "db",
}
# Record names that are statements run: a plain query, and a prepared statement executed
# (logged with its values in place). ``Prepare`` runs nothing.
STATEMENT_NAMES = ("Query", "Execute")
DATA_COMMANDS = r"(?i)^(select|insert|update|delete|replace|load|truncate|insert_select|update_multi|delete_multi|replace_select)$"


def query_columns(command: str, status: str) -> list[Any]:
    """The statement columns the MySQL-family JSON logs share: the command class (is it data
    access?), the status (0 success, else a failure with that error code), no params, rows,
    logged tables or truncation."""
    import polars as pl

    return [
        pl.lit(None, pl.String).alias("params"),
        pl.lit(None, pl.Int64).alias("rows"),
        pl.lit([], pl.List(pl.String)).alias("objects"),
        pl.col(command).str.to_uppercase().alias("log_command"),
        pl.col(command).str.contains(DATA_COMMANDS).fill_null(False).alias("data_access"),
        pl.when(pl.col(status).is_null() | (pl.col(status) == "0"))
        .then(pl.lit("success"))
        .otherwise(pl.lit("failure"))
        .alias("outcome"),
        pl.when(pl.col(status) != "0").then(pl.col(status)).alias("error_code"),
        pl.lit(False).alias("truncated"),
        pl.lit(None, pl.String).alias("problem"),
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
        quoted_newlines=False,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
    ):
        why = cut_reason(batch.cut_line)
        frame = batch.frame.with_columns(
            *[
                pl.col("text").str.json_path_match(f"$.audit_record.{key}").alias(name)
                for name, key in FIELDS.items()
            ]
        )
        blank = pl.col("text").str.strip_chars() == ""
        readable = pl.col("name").is_not_null()
        run = pl.col("name").is_in(STATEMENT_NAMES)
        queries = frame.filter(readable & run)
        other = frame.filter((readable & ~run) | blank)
        bad = frame.filter(~readable & ~blank)
        parts = [
            percona_statements(
                queries.with_columns(pl.lit(1, pl.Int64).alias("lines")), settings, file_name
            ),
            non_data_rows(other),
            unreadable_rows(bad, why(bad, "line is not a Percona audit_log JSON record")),
            oversize_rows(batch.oversize, max_line_bytes),
        ]
        yield pl.concat(parts, how="diagonal_relaxed")


def percona_statements(
    records: Any, settings: SourceSettings, file_name: str, key_prefix: str = "percona"
) -> Any:
    """Statement rows of audit_log records (any format) run as statements: ``records`` has
    line_number, lines and the record's fields as ``FIELDS`` names them (text, as logged,
    unescaped). ``key_prefix`` starts each event key, before the record id."""
    import polars as pl

    user = pl.col("user_field").str.extract(r"^[^\[]*\[([^\]]*)\]", 1)
    statements = records.select(
        "line_number",
        "lines",
        pl.col("ts").str.replace("T", " ").str.replace(r"Z$", " UTC").alias("time"),
        pl.coalesce(user.replace("", None), pl.col("user_field").str.extract(r"^(\S*)", 1)).alias(
            "actor"
        ),
        pl.col("db").replace("", None).alias("database"),
        pl.coalesce(pl.col("ip").replace("", None), pl.col("host")).alias("source_ip"),
        pl.col("conn").alias("session"),
        pl.col("record").alias("statement_id"),
        pl.col("sqltext").alias("statement"),
        *query_columns("command_class", "status"),
        pl.concat_str(
            pl.lit(f"{key_prefix} "),
            pl.col("name"),
            pl.lit(" "),
            pl.col("record"),
            pl.lit(" "),
            pl.col("user_field"),
        ).alias("raw_head"),
        pl.concat_str(pl.lit(f"{key_prefix}:"), pl.col("record")).alias("event_key"),
    )
    return to_utc(
        statements, "time", "event_time", "%Y-%m-%d %H:%M:%S%.f", settings.timezone, file_name
    )
