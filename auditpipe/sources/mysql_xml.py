"""The audit_log plugins' XML into statements: Percona Server's (``audit_log_format = OLD``,
its default, or ``NEW``) and MySQL Enterprise Audit's (``NEW``, its default before JSON, or
``OLD``).

    <?xml version="1.0" encoding="UTF-8"?>
    <AUDIT>
    <AUDIT_RECORD                                    <AUDIT_RECORD>
      NAME="Query"                                     <NAME>Query</NAME>
      RECORD="4707_2026-03-02T01:00:00"                <RECORD>4707_2026-03-02T01:00:00</RECORD>
      TIMESTAMP="2026-03-02T01:00:00 UTC"              <TIMESTAMP>2026-03-02T01:00:00 UTC</...>
      COMMAND_CLASS="select"                           ...
      SQLTEXT="SELECT ... WHERE note = &quot;a&quot;"  <SQLTEXT>SELECT ...&#10;FROM t</SQLTEXT>
      ...                                              ...
    />                                               </AUDIT_RECORD>

OLD writes each field as an attribute on a line of its own, NEW as an element; MySQL
Enterprise names the record id ``RECORD_ID`` and may write an empty field as ``<OS_LOGIN/>``.
Both are read by one pass, set-wise: a record runs from its ``<AUDIT_RECORD`` line to its
``/>`` or ``</AUDIT_RECORD>`` line (or to the next record's start, when a crash cut it short),
its lines are joined, and every field is found by pattern in the joined text. The plugins
escape ``< > & "`` and control characters (a newline is ``&#10;``), so a field's value never
holds the text that ends it, and the entities are decoded in one pass.

``Query`` and ``Execute`` records become statements, through the same path as the JSON
format's (mysql_json.percona_statements). ``STATUS`` other than 0 is a failure. The XML
declaration, ``<AUDIT>`` and ``</AUDIT>`` and the other records (``Connect``, ``Quit``,
``Audit`` ...) are not data access; a line outside any record that is none of those is
quarantined, as is a record without a ``NAME``. A statement record (or one whose ``NAME`` is
missing) without its closing line is quarantined as cut short: the server stopped while
writing it, so its fields may be missing or cut; another record cut short is not data. A record cut by a batch boundary waits for the
next batch (at most ``CARRY_LINES`` lines: no record of these plugins is near that long).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from .lines import fold, non_data_rows, oversize_rows, text_batches, unreadable_rows, with_last
from .mysql_json import STATEMENT_NAMES, percona_statements
from .settings import SourceSettings

START = r"^\s*<AUDIT_RECORD\b"
# OLD's "/>" closes the record on a line of its own or after its last attribute's quote; an
# empty element (<OS_LOGIN/>) inside a NEW record does not.
END = r'(?:^\s*/>|"\s*/>|</AUDIT_RECORD>)\s*$'
# Lines outside records that belong to the file's frame: the declaration, <AUDIT>, </AUDIT>.
FRAME = r"^\s*(?:<\?xml\b.*\?>|</?AUDIT>)?\s*$"
CARRY_LINES = 1000
CUT_SHORT = (
    "record is cut short (no closing line: the server stopped while writing it, or the file "
    "was cut); what it ran cannot be known in full"
)
# Output name -> the XML field(s) holding it (the first present wins).
FIELDS = {
    "name": ("NAME",),
    "record": ("RECORD", "RECORD_ID"),
    "ts": ("TIMESTAMP",),
    "command_class": ("COMMAND_CLASS",),
    "conn": ("CONNECTION_ID",),
    "status": ("STATUS",),
    "sqltext": ("SQLTEXT",),
    "user_field": ("USER",),
    "host": ("HOST",),
    "ip": ("IP",),
    "db": ("DB",),
}
# What the plugins escape (Percona's xml_escape; MySQL's writer escapes the same characters),
# plus the two entities XML itself defines and a writer may use. None is a prefix of another,
# so one left-to-right pass decodes "&amp;lt;" to "&lt;", as XML does.
ENTITIES = {
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
    "&apos;": "'",
    **{f"&#{n};": chr(n) for n in range(1, 32)},
    **{f"&#x{n:x};": chr(n) for n in range(1, 32)},
    **{f"&#x{n:X};": chr(n) for n in range(10, 32)},
    "&amp;": "&",
}


def read_statements(
    stream: IO[bytes],
    settings: SourceSettings,
    file_name: str,
    batch_bytes: int,
    max_line_bytes: int,
) -> Iterator[Any]:
    import polars as pl

    prefix = "mysql" if settings.kind.startswith("mysql") else "percona"
    carry = None
    batches = text_batches(
        stream,
        quoted_newlines=False,
        batch_bytes=batch_bytes,
        max_line_bytes=max_line_bytes,
        non_utf8_encoding=settings.non_utf8_encoding,
    )
    for batch, final in with_last(batches):
        frame = batch.frame if carry is None else pl.concat([carry, batch.frame])
        carry = None
        start = pl.col("text").str.contains(START)
        end = pl.col("text").str.contains(END).cast(pl.Int64)
        frame = frame.with_columns(start.cast(pl.Int64).cum_sum().alias("rec"), end.alias("end"))
        # A line after its record's end line (and before the next start) is outside it.
        after_end = (pl.col("end").cum_sum().over("rec") - pl.col("end")) > 0
        frame = frame.with_columns(((pl.col("rec") > 0) & ~after_end).alias("inside"))
        records = frame.filter(pl.col("inside"))
        outside = frame.filter(~pl.col("inside"))
        if not final and records.height:
            last = records.filter(pl.col("rec") == records["rec"].max())
            if last["end"].sum() == 0 and last.height < CARRY_LINES:  # still open
                carry = last.select(batch.frame.columns)
                records = records.filter(pl.col("rec") != last["rec"][0])
        joined = fold(
            records,
            "rec",
            {
                "line_number": (pl.col("line_number").min(), pl.col("line_number")),
                "lines": (pl.len().cast(pl.Int64), pl.lit(1, pl.Int64)),
                "text": (pl.col("text").str.join("\n"), pl.col("text")),
                "closed": (pl.col("end").max() > 0, pl.col("end") > 0),
            },
        ).with_columns(*[_field(name, tags) for name, tags in FIELDS.items()])
        readable = pl.col("name").is_not_null()
        run = readable & pl.col("name").is_in(STATEMENT_NAMES)
        framing = pl.col("text").str.contains(FRAME)
        closed = pl.col("closed")
        parts = [
            percona_statements(joined.filter(run & closed), settings, file_name, prefix),
            unreadable_rows(joined.filter(~closed & (run | ~readable)), CUT_SHORT),
            non_data_rows(joined.filter(readable & ~run)),
            non_data_rows(outside.filter(framing)),
            unreadable_rows(
                joined.filter(closed & ~readable), "record is not an audit_log XML record"
            ),
            unreadable_rows(outside.filter(~framing), "line is outside any audit_log XML record"),
            oversize_rows(batch.oversize, max_line_bytes),
        ]
        yield pl.concat(parts, how="diagonal_relaxed")


def _field(name: str, tags: tuple[str, ...]) -> Any:
    """The first of ``tags`` present in the record's text, as an element (``<T>v</T>``, or
    ``<T/>``, empty) or an attribute (``T="v"``), its entities decoded."""
    import polars as pl

    text = pl.col("text")
    found = []
    for tag in tags:
        found += [
            text.str.extract(rf"<{tag}>([^<]*)</{tag}>", 1),
            text.str.extract(rf'(?:^|\s){tag}="([^"]*)"', 1),
            pl.when(text.str.contains(rf"<{tag}\s*/>")).then(pl.lit("")),
        ]
    value = pl.coalesce(found)
    return value.str.replace_many(list(ENTITIES), list(ENTITIES.values())).alias(name)
