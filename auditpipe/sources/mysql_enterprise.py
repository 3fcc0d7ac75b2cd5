"""MySQL Enterprise Audit in JSON (``audit_log_format = JSON``) into statements.

The file is one JSON array written pretty-printed, an object over several lines:

    [
     {
      "timestamp": "2026-03-02 01:00:00", "id": 0, "class": "general", "event": "status",
      "connection_id": 11,
      "account": { "user": "kefu_li", "host": "localhost" },
      "login": { "user": "kefu_li", "os": "", "ip": "10.0.0.7", "proxy": "" },
      "general_data": { "command": "Query", "sql_command": "select",
                        "query": "SELECT ...", "status": 0 }
     },
     ...

Objects are found set-wise: string contents are removed from each line (JSON strings never
hold a raw newline), the braces left are counted, and an object starts where the depth inside
the array goes from 1 to 2. Each object's lines are joined and read by JSON path. ``general``
``Query`` and ``Execute`` events (a server-side prepared statement run) are statements
(``status`` other than 0 is a failure); everything else (connections, startup, table_access
events) is not data access. Times are UTC. An object the file ends inside (its closing brace
never came) is quarantined as such.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .lines import (
    CUT_AT_END,
    fold,
    non_data_rows,
    oversize_rows,
    text_batches,
    unreadable_rows,
    with_last,
)
from .mysql_json import STATEMENT_NAMES, query_columns
from .settings import SourceSettings
from .times import to_utc

_STRING = r'"(?:[^"\\]|\\.)*"'
FIELDS = {
    "ts": "$.timestamp",
    "id": "$.id",
    "class": "$.class",
    "conn": "$.connection_id",
    "user": "$.account.user",
    "ip": "$.login.ip",
    "host": "$.account.host",
    "command": "$.general_data.command",
    "sql_command": "$.general_data.sql_command",
    "query": "$.general_data.query",
    "status": "$.general_data.status",
}


def read_statements(
    stream: IO[bytes],
    settings: SourceSettings,
    file_name: str,
    batch_bytes: int,
    max_line_bytes: int,
) -> Iterator[Any]:
    import polars as pl

    carry = None
    depth_in = 0  # brace depth before the batch's first line
    batches = text_batches(
        stream,
        quoted_newlines=False,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
    )
    for batch, final in with_last(batches):
        frame = batch.frame
        bare = pl.col("text").str.replace_all(_STRING, '""')
        delta = bare.str.count_matches(r"\{").cast(pl.Int64) - bare.str.count_matches(r"\}").cast(
            pl.Int64
        )
        frame = frame.with_columns(delta.alias("delta"))
        frame = frame.with_columns(
            (pl.col("delta").cum_sum() - pl.col("delta") + pl.lit(depth_in, pl.Int64)).alias(
                "depth"
            )
        )
        depth_in += int(frame["delta"].sum())
        if carry is not None:
            frame = pl.concat([carry, frame])
        # Objects sit at brace depth 0 (the array's brackets are not counted): a line there
        # holding a brace starts one; every line at depth 1 or more belongs to it.
        start = (pl.col("depth") == 0) & bare.str.contains(r"\{")
        frame = frame.with_columns(start.alias("start")).with_columns(
            pl.col("start").cast(pl.Int64).cum_sum().alias("obj")
        )
        in_object = pl.col("start") | (pl.col("depth") >= 1)
        objects = frame.filter(in_object)
        outside = frame.filter(~in_object)
        carry = None
        if not final and depth_in > 0 and objects.height:  # the last object is still open
            last = objects["obj"].max()
            carry = objects.filter(pl.col("obj") == last).drop("start", "obj")
            objects = objects.filter(pl.col("obj") != last)
        records = fold(
            objects,
            "obj",
            {
                "line_number": (pl.col("line_number").min(), pl.col("line_number")),
                "lines": (pl.len().cast(pl.Int64), pl.lit(1, pl.Int64)),
                "text": (
                    pl.col("text").str.join("\n").str.strip_chars().str.strip_chars_end(","),
                    pl.col("text").str.strip_chars().str.strip_chars_end(","),
                ),
            },
        )
        records = records.with_columns(
            *[pl.col("text").str.json_path_match(path).alias(name) for name, path in FIELDS.items()]
        )
        readable = pl.col("class").is_not_null()
        query = readable & (pl.col("class") == "general") & pl.col("command").is_in(STATEMENT_NAMES)
        statements = records.filter(query).select(
            "line_number",
            "lines",
            (pl.col("ts") + pl.lit(" UTC")).alias("time"),
            pl.col("user").alias("actor"),
            pl.lit(None, pl.String).alias("database"),
            pl.coalesce(pl.col("ip").replace("", None), pl.col("host")).alias("source_ip"),
            pl.col("conn").alias("session"),
            pl.concat_str(pl.col("ts"), pl.lit("/"), pl.col("id")).alias("statement_id"),
            pl.col("query").alias("statement"),
            *query_columns("sql_command", "status"),
            pl.concat_str(
                pl.lit("mysql general Query "), pl.col("ts"), pl.lit(" "), pl.col("user")
            ).alias("raw_head"),
            pl.concat_str(
                pl.lit("mysql:"),
                pl.col("conn"),
                pl.lit(":"),
                pl.col("ts"),
                pl.lit(":"),
                pl.col("id"),
            ).alias("event_key"),
        )
        statements = to_utc(
            statements, "time", "event_time", "%Y-%m-%d %H:%M:%S", settings.timezone, file_name
        )
        # the object the file ends inside (its closing brace never came), if any
        open_at_end = records["obj"].max() if final and depth_in > 0 and records.height else -1
        parts = [
            statements,
            non_data_rows(records.filter(readable & ~query)),
            non_data_rows(outside),  # the array's brackets and separators
            unreadable_rows(
                records.filter(~readable),
                # the file's last object left open: the file ends inside it
                pl.when(pl.col("obj") == open_at_end)
                .then(pl.lit(CUT_AT_END))
                .otherwise(pl.lit("object is not a MySQL audit record")),
            ),
            oversize_rows(batch.oversize, max_line_bytes),
        ]
        yield pl.concat(parts, how="diagonal_relaxed")
