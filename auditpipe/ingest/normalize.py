"""The one query that turns rows read into canonical events or quarantine reasons.

Every input kind yields batches shaped as kinds.py describes; the pipeline registers each as
the relation ``read_batch(line_number, raw, reason, extras, <one text column per contract
field>)``. This module builds, from the contract in ``schemas/``, the SQL that trims, maps
aliases, parses times, checks every rule and produces either typed columns or a ``reason`` a
person can read. The SQL is plain text built from the contract, the catalog and the lake's
timezone (all escaped through ``quote_literal``); row values never enter it. The query is built
once per file and its parts are separate functions, each testable without a lake.

Times: a time without an offset is read in the lake's timezone. In a timezone with daylight
saving time, a local time that does not exist (skipped when clocks go forward) is quarantined
with a reason: shifting it would store an instant nobody logged. A local time that happens
twice (when clocks go back) is read as its first occurrence, the earlier instant, as
PostgreSQL and Python (fold=0) do; a provider that needs the other one must send an offset.
The 1990-2100 range is checked in the lake's timezone.
A zone named after the time is read when it is a zone name (Asia/Shanghai), UTC or GMT; an
abbreviation (CST, IST) is quarantined (``ZONE_ABBREVIATION``). A time followed by a zone name
is checked against that zone's clock changes as a local time is against the lake's.
"""

from __future__ import annotations

import datetime as dt
import itertools
from functools import cache
from typing import Any

from ..contract import NAME_FOLD, NAME_SEPARATORS, NAME_WHITESPACE, Catalog, Contract, FieldSpec
from ..db import quote_identifier, quote_literal
from ..lake.layout import FOLDER_NAME_MAX_BYTES

EPOCH_MS_FROM = 100_000_000_000  # |n| at or above this is epoch milliseconds (year 5138 in s)
# Microseconds and nanoseconds by their digits: 16 (pandas' date_unit="us") and 19 (Go's
# UnixNano), 2001-09-09 on. Other sizes stay milliseconds (beyond 2100: quarantined), so an
# ID number of 15 or 18 digits sent as a time is never read as one.
EPOCH_US_FROM, EPOCH_US_TO = 10**15, 10**16
EPOCH_NS_FROM = 10**18
EARLIEST, LATEST = "1990-01-01", "2100-01-01"
EXCEL_ROUNDED_IDS = ("event_id", "actor_id", "subject_id")
EXCEL_SCIENTIFIC = r"[0-9]([.][0-9]+)?E[+][0-9]+"  # as Excel's General format shows 1.23457E+17
IPV4 = r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV6 = r"[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(:" + IPV4 + r")?(%[0-9A-Za-z]+)?"
# Data field separators inside one data_fields string (after width folding, so the full-width
# '，', '；' and '｜' count), plus the ideographic comma '、' Chinese lists are written with.
FIELD_SEPARATORS = "[;,|\u3001]"
# One item of a bracketed list that is not JSON: a quoted name, or a run of characters up to
# a separator or a quote (spaces between NumPy's quoted items are runs too, blank once trimmed).
LIST_ITEM = "'[^']*'|\"[^\"]*\"|[^;,|\u3001'\"]+"


def fold_width_sql(expr: str) -> str:
    """``contract.fold_width`` in SQL (DuckDB's translate, one character for one)."""
    chars = quote_literal("".join(NAME_FOLD))
    mapped = quote_literal("".join(NAME_FOLD.values()))
    return f"translate({expr}, {chars}, {mapped})"


def _norm_name_sql(expr: str) -> str:
    """``contract.normalize_name`` in SQL, the same steps in the same order."""
    trimmed = f"trim({fold_width_sql(expr)}, {quote_literal(NAME_WHITESPACE)})"
    return f"regexp_replace(lower({trimmed}), {quote_literal(NAME_SEPARATORS)}, '_', 'g')"


_ITEM_SPACE = " \t\n\r"  # NumPy's repr breaks long arrays over lines


def _unquoted(expr: str) -> str:
    """``expr`` without surrounding white space, then without one pair of surrounding ' or "."""
    t = f"trim({expr}, {quote_literal(_ITEM_SPACE)})"
    single, double = quote_literal("'"), quote_literal('"')
    return (
        f"(CASE WHEN length({t}) >= 2 AND ((starts_with({t}, {single}) AND ends_with({t}, {single}))"
        f" OR (starts_with({t}, {double}) AND ends_with({t}, {double}))) THEN {t}[2:-2] ELSE {t} END)"
    )


def _trimmed(expr: str) -> str:
    """Surrounding spaces removed; trim() is costly, so only values that have them pay."""
    return (
        f"(CASE WHEN starts_with({expr}, ' ') OR ends_with({expr}, ' ') "
        f"THEN trim({expr}) ELSE {expr} END)"
    )


def _shown(col: str) -> str:
    """A value quoted for a reason sentence, cut to 60 characters. A cut that falls inside a
    number takes the number's digits before it away too: the quarantine removes the ID-like
    numbers of a reason (stage.redact_quarantine), and the first digits of one cut short would
    be too few to be found as one."""
    return (
        f"'''' || CASE WHEN length({col}) > 60 THEN rtrim(left({col}, 60), {_number_chars()}) "
        f"ELSE {col} END || ''''"
    )


# The Unicode planes that hold characters of those categories: the basic and supplementary
# multilingual planes (0 and 1) and the tags of plane 14; the others are ideographs, private
# use or unassigned. Scanning only these takes 13 ms instead of 190 ms, paid by every process
# that ingests; tests/unit/test_ingest_quarantine_redaction.py holds it equal to scanning all.
_NUMBER_CHAR_PLANES = (range(1, 0x20000), range(0xE0000, 0xF0000))
_NUMBER_CATEGORIES = frozenset({"Nd", "Zs", "Zl", "Zp", "Cc", "Cf", "Pd"})


def _is_number_char(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) in _NUMBER_CATEGORIES and not 0xD800 <= ord(ch) < 0xE000


@cache
def _number_chars() -> str:
    """Every character the ID-like redaction reads as part of a number (realname.idcard: a
    decimal digit of any script, or a separator: spaces, controls, format characters,
    dashes, and the slashes, dots and underscores it names), as a SQL string literal for
    ``rtrim``: a set of characters costs nothing to plan, where a regular expression of the
    same classes is compiled each time the query is (once per batch). NUL is left out: it
    cannot stand in a query's text."""
    codes = itertools.chain.from_iterable(_NUMBER_CHAR_PLANES)
    chars = [ch for ch in map(chr, codes) if _is_number_char(ch)]
    named = "/\\._\u00b7\u2212\u30fb\uff0e\uff0f\uff3c\uff3f"  # SEPARATOR_CHARS' own
    return quote_literal("".join(chars) + named)


def _enum_case(spec: FieldSpec, col: str) -> str:
    whens = " ".join(
        f"WHEN {quote_literal(k)} THEN {quote_literal(v)}"
        for k, v in sorted(spec.value_map.items())
    )
    # Most values are already plain lower-case words; only the rest pay for the regex.
    return f"coalesce(CASE lower({col}) {whens} END, CASE {_norm_name_sql(col)} {whens} END)"


def _map_literal(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "MAP {}::MAP(VARCHAR, VARCHAR)"
    body = ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in pairs)
    return f"MAP {{{body}}}"


TIME = '"v_event_time"'
# A time that names its zone, by an offset (of seconds too: -05:00:00) or by letters after the
# clock (UTC, GMT+8, Europe/London): not a local time of the lake's timezone.
NAIVE_OFFSET = (
    r":[0-9]{2}(\.[0-9]+)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2}){0,2})$|[0-9]:[0-9]{2}.*[A-Za-z]"
)
# A UTC offset no clock has (RFC 3339: hours 00-23, minutes 00-59): DuckDB's cast reads
# "+25:00", "+99:00" or "+08:99" and moves the instant by that much, days away from what was
# logged. Such a time is not a date and time, and its row is quarantined. An offset of
# seconds too (+08:05:43, local mean time) is read when each part is in range: "+25:00:00"
# and "+08:99:00" moved the instant as far.
OUT_OF_RANGE_OFFSET = (
    r":[0-9]{2}(\.[0-9]+)?\s*[+-]((2[4-9]|[3-9][0-9])(:?[0-9]{2}){0,2}"
    r"|[0-9]{2}:?[6-9][0-9](:?[0-9]{2})?|[0-9]{2}:?[0-9]{2}:?[6-9][0-9])$"
)
# A time followed by a zone abbreviation (letters only: "10:00:00 CST"). DuckDB's cast reads
# many, each as one zone of its own choosing: CST as US central time, where a Chinese system
# means China Standard Time (14 hours apart), IST as India's, BST as Bangladesh's. Such a time
# is quarantined, except UTC and GMT (one meaning each); zone names (Asia/Shanghai, with a
# "/") and offsets are read.
ZONE_ABBREVIATION = r"[0-9]{2}(\.[0-9]*)?\s*[A-Za-z]{2,}$"
ZONE_UNAMBIGUOUS = ("UTC", "GMT")
FOLDER_NAME_LIMIT = FOLDER_NAME_MAX_BYTES  # the lake layout's limit for a folder name


def _time_spelling(expr: str) -> str:
    """A time's text in the spelling DuckDB's cast reads: RFC 3339's lower-case ``t`` and
    ``z`` (section 5.6) upper-cased, and the zone name Java's ZonedDateTime writes in brackets
    after an offset (``10:00+08:00[Asia/Shanghai]``) left out, the offset deciding; without an
    offset (``10:00[Asia/Shanghai]``) the name is put after a space, a local time of that zone
    as ``10:00 Asia/Shanghai`` is. Only texts
    holding a ``t``, a ``z`` or ending in ``]`` pay for the regular expressions."""
    steps = [
        (r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})t", r"\1T"),
        (r"([0-9])z(\[|$)", r"\1Z\2"),
        # (a zone id of an offset has a colon: Java prints ZoneId.of("GMT+8") as GMT+08:00)
        (r"([+-][0-9]{2}(:?[0-9]{2}){0,2}|Z)\[[A-Za-z0-9_/+\-:]+\]$", r"\1"),
        # a zone name in brackets straight after the clock, no offset: a local time of that
        # zone, spelled as the same name after a space is (NAMED_ZONE)
        (r"([0-9])\[([A-Za-z][A-Za-z0-9_/+\-:]*)\]$", r"\1 \2"),
    ]
    out = expr
    for pattern, replacement in steps:
        out = f"regexp_replace({out}, {quote_literal(pattern)}, {quote_literal(replacement)})"
    return (
        f"CASE WHEN contains({expr}, 't') OR contains({expr}, 'z') OR ends_with({expr}, ']') "
        f"THEN {out} ELSE {expr} END"
    )


def text_columns(contract: Contract) -> list[str]:
    """``v_<field>``: the field's text, NULL when empty; a time's in the spelling DuckDB reads
    (``_time_spelling``), and its text as sent in ``o_<field>``. The texts come trimmed (``trimmed_texts``, which normalize_batch
    applies to every batch)."""
    q = quote_identifier
    columns = []
    for spec in contract.fields:
        text = f"nullif({q(spec.name)}, '')"
        if spec.storage.startswith("TIMESTAMP"):
            # ``o_<field>``: the time as sent, which reasons quote (the respelled one was
            # quoted: '...T23:59:60Z' for a line holding '...t23:59:60z', not found by grep)
            columns.append(f"{text} AS {q('o_' + spec.name)}")
            text = _time_spelling(text)
        columns.append(f"{text} AS {q('v_' + spec.name)}")
    return columns


# What DuckDB's trim() removes from either end: the Unicode space separators (category Zs).
SPACES = "\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def trimmed_texts(column: Any) -> Any:
    """A text column (pyarrow) as ``_trimmed`` gives it in SQL: the values that start or end
    with a space lose the ``SPACES`` at both ends, the rest are kept as they are. Done in
    Arrow, where the two tests and the few trims cost a third of the CASE expression per
    column in the normalising query (it was a quarter of that query's time)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    edges = pc.or_(pc.starts_with(column, " "), pc.ends_with(column, " "))
    if not pc.any(edges).as_py():
        return column
    return pc.if_else(edges, pc.utf8_trim(column, SPACES), column)


def enum_tables(contract: Contract, source: str = "read_batch") -> list[tuple[str, str]]:
    """(field, query): for each enum field, its distinct values in the batch and the canonical
    value of each (``e_<field>``, NULL when not one of them). Mapping spellings costs a regular
    expression; paying it per distinct value instead of per row is the cheap way."""
    q = quote_identifier
    out = []
    for spec in contract.fields:
        if spec.enum:
            v = q("v_" + spec.name)
            out.append(
                (
                    spec.name,
                    f"SELECT {q('r_' + spec.name)}, {_enum_case(spec, v)} AS {q('e_' + spec.name)} "
                    f"FROM ({_distinct_text(spec.name, source)})",
                )
            )
    return out


def _distinct_text(name: str, source: str = "read_batch") -> str:
    """The distinct texts of a column of ``source`` (``r_<name>``, as read) with their trimmed
    value (``v_<name>``, as text_columns gives it): lookups join back on the text as read."""
    q = quote_identifier
    return (
        f"SELECT {q(name)} AS {q('r_' + name)}, nullif({_trimmed(q(name))}, '') AS {q('v_' + name)} "
        f"FROM (SELECT DISTINCT {q(name)} FROM {source} WHERE {q(name)} IS NOT NULL)"
    )


def data_field_table(catalog: Catalog, source: str = "read_batch") -> str:
    """The distinct ``data_fields`` texts of ``source`` with their normalised list
    (``t_fields``), classes and categories, computed once per distinct text."""
    class_map = _map_literal([(e.name, e.data_class) for e in catalog.entries])
    category_map = _map_literal([(e.name, e.category) for e in catalog.entries])
    return f"""SELECT r_data_fields, t_fields, t_fields_unfit,
      list_sort(list_distinct(list_transform(t_fields,
        lambda x: coalesce(map_extract_value({class_map}, x), 'other')))) AS d_classes,
      list_sort(list_distinct(list_transform(t_fields,
        lambda x: coalesce(map_extract_value({category_map}, x), 'other')))) AS d_categories
    FROM (SELECT r_data_fields, list_filter(list_transform(
        CASE WHEN (CASE WHEN starts_with(v_data_fields, '[') AND json_valid(v_data_fields)
                        THEN json_type(v_data_fields) END) = 'ARRAY'
             THEN json_extract_string(v_data_fields, '$[*]')
             -- A list in brackets that is not JSON, as pandas (Python's or NumPy's repr:
             -- ['a', 'b'], ['a' 'b']) and DuckDB ([a, b]) write a list column to CSV: its
             -- quoted items and the unquoted runs between separators, each unquoted.
             WHEN starts_with(v_data_fields, '[') AND ends_with(v_data_fields, ']')
             THEN list_transform(regexp_extract_all({fold_width_sql("v_data_fields")}[2:-2],
                                                    {quote_literal(LIST_ITEM)}),
                                 lambda x: {_unquoted("x")})
             ELSE regexp_split_to_array({fold_width_sql("v_data_fields")},
                                        {quote_literal(FIELD_SEPARATORS)}) END,
        lambda x: {_norm_name_sql("x")}), lambda x: x IS NOT NULL AND x <> '') AS t_fields,
        -- The contract takes a list of names or one string: a JSON object, or a list holding
        -- anything but names (objects, lists, numbers, true/false; a null is skipped), is
        -- quarantined, never stored as a name made of its JSON text.
        CASE (CASE WHEN (starts_with(v_data_fields, '{{') OR starts_with(v_data_fields, '['))
                        AND json_valid(v_data_fields) THEN json_type(v_data_fields) END)
             WHEN 'OBJECT' THEN 'is a JSON object, not a list of names or one string'
             WHEN 'ARRAY' THEN CASE WHEN list_bool_or(list_transform(
                     json_extract(v_data_fields, '$[*]'),
                     lambda x: json_type(x) NOT IN ('VARCHAR', 'NULL')))
                 THEN 'is a list holding something other than names (a JSON object, list, '
                      || 'number or true/false)' END
        END AS t_fields_unfit
      FROM ({_distinct_text("data_fields", source)}) WHERE v_data_fields IS NOT NULL)"""


@cache
def transition_hours(timezone: str) -> list[int]:
    """Hours (epoch seconds // 3600) near every UTC-offset change of ``timezone`` in
    1989-2101: only rows whose instant falls there need the costly daylight-saving checks."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(timezone)
    hours: set[int] = set()
    t = dt.datetime(1989, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2102, 1, 1, tzinfo=dt.UTC)
    step = dt.timedelta(hours=1)
    previous = t.astimezone(zone).utcoffset()
    # Hour by hour over 113 years is ~1M steps; weeks first, hours only where it changed.
    month = dt.timedelta(days=7)
    while t < end:
        nxt = t + month
        if nxt.astimezone(zone).utcoffset() != previous:
            u = t
            while u < nxt:
                off = (u + step).astimezone(zone).utcoffset()
                if off != previous:
                    h = int((u + step).timestamp()) // 3600
                    hours.update(range(h - 3, h + 4))
                    previous = off
                u += step
        t = nxt
    return sorted(hours)


ABBREVIATION_REASON = (
    "' names its time zone by an abbreviation, which may stand for several zones (CST is "
    "China''s and US central time): send the time with its UTC offset (+08:00) or a zone "
    "name (Asia/Shanghai)'"
)
# A day alone ("2026-03-01", a Parquet date column): DuckDB's cast reads it as the day's
# midnight, a moment nobody logged (a verification sent so would count from 00:00).
DATE_ONLY = r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}"
DATE_ONLY_REASON = (
    "' is a date without a time of day: send the time of the event (a day alone would be "
    "stored as its midnight)'"
)


# Second 60 of a minute: a leap second (23:59:60 UTC at the end of June or December), which
# neither DuckDB's timestamps nor Unix time count, so the cast fails and the row read as "not a
# date and time". It is quarantined with its own reason rather than stored at another second:
# 23:59:59.999999 would make every event of the leap second one instant and could put it
# after an event logged later in the same second (a verification after the post it checks).
# (the clock after a date only: ":60" in an offset, +08:00:60, is an offset out of range)
LEAP_SECOND = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(T|\s+)[0-9]{1,2}:[0-9]{2}:60([.,][0-9]*)?([^0-9]|$)"
LEAP_SECOND_REASON = (
    "' has second 60, a leap second, which the lake cannot store (its times, as Unix time, "
    "have no leap seconds); it is not moved to another second, which could change the order "
    "of the events around it: send the row again with the time as the system clock kept it "
    "(second 59.999999 of that minute or 00 of the next)'"
)

# A zone name after the clock (Region/City: "2026-03-08 02:30:00 America/New_York"). DuckDB's
# cast moves a wall-clock time the zone skips (02:30 to 03:30, an instant nobody logged) and
# takes the second of one it passes twice: the zone's own clock is checked as the lake's is.
NAMED_ZONE = r"[0-9]\s+([A-Za-z][A-Za-z0-9_+\-]*/[A-Za-z0-9_+\-/]+)$"
NAMED_ZONE_WALL = r"^(.*[0-9])\s+[^\s]+$"
# A Region/City name the time zone database does not know ("Mars/Olympus", "Asia/Beijing"):
# quarantined naming it, where it read as "not a date and time".
UNKNOWN_ZONE_REASON_START = "' names the time zone '''"
UNKNOWN_ZONE_REASON_END = (
    "''', which the time zone database does not know (a misspelling, or a name newer than "
    "the database): send the time with its UTC offset (+08:00) or a zone name of the IANA "
    "database (Asia/Shanghai)'"
)


@cache
def _zone_name_map() -> str:
    """The Region/City names DuckDB knows, by their lower-case spelling, as a MAP literal:
    ``timezone()`` fails a query on a name it does not know, so it is only given these."""
    from ..db.timezones import engine_timezones

    return _map_literal(sorted((n.lower(), n) for n in engine_timezones() if "/" in n))


def _wall_checks(zone: str, wall: str) -> tuple[str, str]:
    """(the instant stored, the gap test) for a wall-clock time ``wall`` read in ``zone``
    (SQL expressions) as ``p_time``: its first occurrence when it happens twice, and true
    when the zone's clocks skip it."""
    earlier = " ".join(
        f"WHEN timezone({zone}, p_time - INTERVAL {d}) = {wall} THEN p_time - INTERVAL {d}"
        for d in ("1 HOUR", "30 MINUTE", "2 HOUR")
    )
    return f"CASE {earlier} ELSE p_time END", f"timezone({zone}, p_time) <> {wall}"


def time_columns(timezone: str) -> list[list[str]]:
    """The time columns in four steps (each may use the ones before): ``p_unread`` (why a
    time that reads as one is not taken: a zone abbreviation, a date alone) and ``p_zone``
    (a zone named after the clock), then ``p_time`` (the instant as written), then
    ``dst_check`` (true for a time without an offset near a change of the lake's UTC offset)
    and ``p_wall`` (the clock of a time followed by a zone name),
    then ``t_time`` (the instant stored), ``t_gap_zone`` (the zone, the lake's or the named
    one, whose clocks skip the time written) and ``t_local_gap`` (true when there is one).
    See the module docstring for the choices; the costly checks run only where ``dst_check``
    holds or a zone is named."""
    t = TIME
    # Seconds, milliseconds, microseconds or nanoseconds by size (EPOCH_*). Micro- and
    # nanoseconds count exactly (to the microsecond, nanoseconds cut as the other forms cut
    # digits below it), with no trip through a double.
    whole = f"TRY_CAST({t} AS HUGEINT)"
    micro_or_nano = (
        f"(abs({{n}}) >= {EPOCH_NS_FROM} OR "
        f"(abs({{n}}) >= {EPOCH_US_FROM} AND abs({{n}}) < {EPOCH_US_TO}))"
    )
    epoch = (
        f"CASE WHEN {micro_or_nano.format(n=whole)} THEN TRY(to_timestamp(0) + to_microseconds("
        f"TRY_CAST(CASE WHEN abs({whole}) >= {EPOCH_NS_FROM} "
        f"THEN floor({whole}::DECIMAL(38, 0) / 1000) ELSE {whole} END AS BIGINT))) "
        f"WHEN abs({whole}) >= {EPOCH_MS_FROM} "
        f"THEN TRY(to_timestamp({whole} / 1000.0)) "
        f"ELSE TRY(to_timestamp({whole}::DOUBLE)) END"
    )
    # A fraction (1772323200.5 from time.time(), nginx's $msec, a float column of an export
    # whose integers had a null) counts exactly, to the microsecond, with no trip through a
    # double; whole numbers keep the path above. Digits below the microsecond are cut, as the
    # text and Parquet forms cut them (rounded, a check at .9999996 s in epoch seconds was
    # stored after a post at .9999999 s in text, the order of the two events turned round).
    exact = f"TRY_CAST({t} AS DECIMAL(38, 9))"
    fraction = (
        "to_timestamp(0) + to_microseconds(TRY_CAST(floor("
        f"CASE WHEN abs({exact}) >= {EPOCH_NS_FROM} THEN {exact} * 0.001 "
        f"WHEN {micro_or_nano.format(n=exact)} THEN {exact} "
        f"WHEN abs({exact}) >= {EPOCH_MS_FROM} THEN {exact} * 1000 "
        f"ELSE {exact} * 1000000 END) AS BIGINT))"
    )
    offset_ok = f"NOT regexp_matches({t}, {quote_literal(OUT_OF_RANGE_OFFSET)})"
    # Both checks run their patterns only on the few texts that can match (a CASE evaluates
    # its THEN only for the rows its WHEN holds for): an abbreviation ends in a letter, which
    # sorts after every digit ('A' > '9'), and a date alone is at most 10 characters long.
    abbreviation = (
        f"CASE WHEN right({t}, 1) >= 'A' THEN "
        f"coalesce(regexp_matches({t}, {quote_literal(ZONE_ABBREVIATION)}) AND "
        f"upper(regexp_extract({t}, '[A-Za-z]+$')) NOT IN "
        f"({', '.join(map(quote_literal, ZONE_UNAMBIGUOUS))}), false) ELSE false END"
    )
    date_only = (
        f"CASE WHEN length({t}) <= 10 THEN "
        f"coalesce(regexp_full_match({t}, {quote_literal(DATE_ONLY)}) "
        f"AND TRY_CAST(replace({t}, '/', '-') AS DATE) IS NOT NULL, false) ELSE false END"
    )
    # Second 60, when the text reads as a time with second 59 instead (only texts holding
    # ":60" pay for the pattern and the second cast).
    leap = (
        f"coalesce(regexp_matches({t}, {quote_literal(LEAP_SECOND)}) AND TRY_CAST("
        f"regexp_replace({t}, '^([^:]*:[0-9]{{2}}):60', '\\1:59') AS TIMESTAMPTZ) IS NOT NULL, false)"
    )
    # A Region/City name the time zone database does not know: the clock before it reads, the
    # whole text does not (only texts holding a "/" pay).
    zone_name = f"regexp_extract({t}, {quote_literal(NAMED_ZONE)}, 1)"
    zone_wall = f"regexp_extract({t}, {quote_literal(NAMED_ZONE_WALL)}, 1)"
    unknown_zone = (
        f"coalesce({zone_name} <> '' AND TRY_CAST({zone_wall} AS TIMESTAMP) IS NOT NULL "
        f"AND TRY_CAST({t} AS TIMESTAMPTZ) IS NULL, false)"
    )
    # (the usual text, longer than a date and ending in a digit, is none of these: two cheap
    # tests; a CASE runs its THEN only for the rows its WHEN holds for, an AND may not)
    unread = (
        f"CASE WHEN CASE WHEN contains({t}, ':60') THEN {leap} ELSE false END "
        f"THEN {LEAP_SECOND_REASON} "
        f"WHEN CASE WHEN contains({t}, '/') THEN {unknown_zone} ELSE false END "
        f"THEN {UNKNOWN_ZONE_REASON_START} || "
        f"{zone_name} || {UNKNOWN_ZONE_REASON_END} "
        f"WHEN strlen({t}) > 10 AND right({t}, 1) < 'A' THEN NULL "
        f"WHEN {abbreviation} THEN {ABBREVIATION_REASON} "
        f"WHEN {date_only} THEN {DATE_ONLY_REASON} END"
    )
    parsed = (
        f"coalesce(CASE WHEN p_unread IS NULL AND {offset_ok} "
        f"THEN TRY_CAST({t} AS TIMESTAMPTZ) END, "
        f"CASE WHEN regexp_full_match({t}, '[+-]?[0-9]{{1,19}}') THEN {epoch} "
        f"WHEN regexp_full_match({t}, '[+-]?[0-9]{{1,19}}[.][0-9]{{1,9}}') THEN TRY({fraction}) "
        "END)"
    )
    hours = transition_hours(timezone)
    # p_unread first, so that p_time reads it instead of running its checks again
    first = [f"{unread} AS p_unread"]
    # the zone a time names after its clock, when DuckDB knows it (only texts with a "/" pay)
    named = (
        f"CASE WHEN contains({t}, '/') THEN map_extract_value({_zone_name_map()}, "
        f"lower(regexp_extract({t}, {quote_literal(NAMED_ZONE)}, 1))) END"
    )
    first.append(f"{named} AS p_zone")
    parsing = [f"{parsed} AS p_time"]
    wall = f"TRY_CAST(regexp_extract({t}, {quote_literal(NAMED_ZONE_WALL)}, 1) AS TIMESTAMP)"
    named_time, named_gap = _wall_checks("p_zone", "p_wall")
    second = [f"CASE WHEN p_zone IS NOT NULL AND p_time IS NOT NULL THEN {wall} END AS p_wall"]
    if hours:
        tz = quote_literal(timezone)
        near = f"floor(epoch(p_time) / 3600)::BIGINT IN ({', '.join(map(str, hours))})"
        local = f"TRY_CAST({t} AS TIMESTAMP)"
        naive = f"({local} IS NOT NULL AND NOT regexp_matches({t}, {quote_literal(NAIVE_OFFSET)}))"
        local_time, local_gap = _wall_checks(tz, local)
        second.append(f"coalesce(p_time IS NOT NULL AND {near} AND {naive}, false) AS dst_check")
    else:
        tz, local_time, local_gap = quote_literal(timezone), "p_time", "false"
        second.append("false AS dst_check")
    gap_zone = (
        f"CASE WHEN dst_check AND {local_gap} THEN {tz} "
        f"WHEN p_wall IS NOT NULL AND {named_gap} THEN p_zone END"
    )
    return [
        first,
        parsing,
        second,
        [
            f"CASE WHEN dst_check THEN {local_time} WHEN p_wall IS NOT NULL THEN {named_time} "
            "ELSE p_time END AS t_time",
            f"{gap_zone} AS t_gap_zone",
            f"{gap_zone} IS NOT NULL AS t_local_gap",
        ],
    ]


# The largest values the lake's columns hold: record_count BIGINT, amount DECIMAL(18,4).
_BIGINT_MAX = 2**63 - 1
_AMOUNT_MAX = "99999999999999.9999"
_AMOUNT_MAX_TEXT = "99,999,999,999,999.9999"


def typed_columns() -> list[str]:
    """``t_record_count`` and ``t_amount`` (``t_fields`` comes from data_field_table)."""
    return [
        # a whole number, read exactly (through a DOUBLE, 9007199254740993 was stored as
        # ...992): the digits before an all-zero fraction, cast straight to BIGINT
        """CASE WHEN regexp_full_match(v_record_count, '\\+?[0-9]{1,19}(\\.0*)?')
              AND TRY_CAST(split_part(ltrim(v_record_count, '+'), '.', 1) AS BIGINT) >= 1
         THEN TRY_CAST(split_part(ltrim(v_record_count, '+'), '.', 1) AS BIGINT)
         END AS t_record_count""",
        """CASE WHEN TRY_CAST(v_amount AS DOUBLE) >= 0 AND isfinite(TRY_CAST(v_amount AS DOUBLE))
         THEN TRY_CAST(v_amount AS DECIMAL(18,4)) END AS t_amount""",
    ]


def _local_midnight(day: str, timezone: str) -> str:
    import zoneinfo

    instant = dt.datetime.fromisoformat(day).replace(tzinfo=zoneinfo.ZoneInfo(timezone))
    return f"TIMESTAMPTZ '{instant.astimezone(dt.UTC).isoformat()}'"


def checks(contract: Contract, timezone: str) -> list[tuple[str, str]]:
    """(condition, reason) pairs; a row is stored when no condition holds."""
    q = quote_identifier
    t = TIME
    sent = _shown('"o_event_time"')  # the time as sent, for the reasons
    found: list[tuple[str, str]] = []
    for spec in contract.fields:
        v = q("v_" + spec.name)
        if spec.required:
            found.append((f"{v} IS NULL", f"'missing required field {spec.name}'"))
        if spec.enum:
            allowed = ", ".join(spec.enum)
            found.append(
                (
                    f"{v} IS NOT NULL AND {q('e_' + spec.name)} IS NULL",
                    f"'{spec.name} ' || {_shown(v)} || ' is not one of {allowed}'",
                )
            )
    # Excel shows a number of 12 or more digits in scientific form (1.23457E+17) and saves it
    # to CSV so, its other digits gone: ids that were different events would be one (the
    # later ones lost as duplicates), and a subject would be a number that is nobody's.
    names = {spec.name for spec in contract.fields}
    for name in (n for n in EXCEL_ROUNDED_IDS if n in names):
        v = q("v_" + name)
        found.append(
            (
                # (the pattern only where an "E+" is: a CASE runs THEN for those rows alone)
                f"CASE WHEN contains({v}, 'E+') THEN "
                f"regexp_full_match({v}, {quote_literal(EXCEL_SCIENTIFIC)}) ELSE false END",
                f"'{name} ' || {_shown(v)} || ' is a number Excel wrote in scientific form, its "
                "other digits lost: format the column as Text in Excel before saving the CSV "
                "(or export it without Excel) and send it again'",
            )
        )
    return found + [
        (
            f"{t} IS NOT NULL AND t_time IS NULL AND p_unread IS NULL",
            f"'event_time ' || {sent} || ' is not a date and time (ISO-8601, "
            "YYYY-MM-DD HH:MM:SS, or epoch seconds, milliseconds, microseconds or nanoseconds)'",
        ),
        ("p_unread IS NOT NULL", f"'event_time ' || {sent} || p_unread"),
        (
            "t_local_gap",
            f"'event_time ' || {sent} || ' does not exist in ' || t_gap_zone || ': clocks skip it "
            "for daylight saving time (send the time with its UTC offset)'",
        ),
        (
            f"t_time < {_local_midnight(EARLIEST, timezone)} OR "
            f"t_time >= {_local_midnight(LATEST, timezone)}",
            f"'event_time ' || {sent} || ' is outside {EARLIEST[:4]}-{LATEST[:4]} in {timezone}'",
        ),
        (
            "t_fields_unfit IS NOT NULL",
            "'data_fields ' || " + _shown("v_data_fields") + " || ' ' || t_fields_unfit",
        ),
        (
            "v_data_fields IS NOT NULL AND len(t_fields) = 0",
            "'data_fields ' || " + _shown("v_data_fields") + " || ' names no field'",
        ),
        # A number too large for its column is said to be so: "is not a whole number" about
        # 9223372036854775808 (or "not a decimal number" about a 20-digit amount) sent the
        # reader looking for a typo in a value that is only out of range.
        (
            "v_record_count IS NOT NULL AND t_record_count IS NULL",
            "'record_count ' || "
            + _shown("v_record_count")
            + " || CASE WHEN regexp_full_match(v_record_count, '\\+?[0-9]+(\\.0*)?') "
            "AND TRY_CAST(v_record_count AS DOUBLE) >= 1 "
            f"THEN ' is larger than the lake keeps ({_BIGINT_MAX:,}, a BIGINT)' "
            "ELSE ' is not a whole number of at least 1' END",
        ),
        (
            "v_amount IS NOT NULL AND t_amount IS NULL",
            "'amount ' || "
            + _shown("v_amount")
            + " || CASE WHEN TRY_CAST(v_amount AS DOUBLE) < 0 THEN ' is negative' "
            "WHEN isfinite(TRY_CAST(v_amount AS DOUBLE)) "
            f"AND TRY_CAST(v_amount AS DOUBLE) >= {_AMOUNT_MAX} "
            f"THEN ' is larger than the lake keeps ({_AMOUNT_MAX_TEXT}, a DECIMAL(18,4))' "
            "ELSE ' is not a decimal number of at least 0' END",
        ),
        (
            "v_currency IS NOT NULL AND NOT regexp_full_match(upper(v_currency), '[A-Z]{3}')",
            "'currency ' || " + _shown("v_currency") + " || ' is not an ISO 4217 code'",
        ),
        (
            "v_source_ip IS NOT NULL AND NOT (regexp_full_match(v_source_ip, "
            + quote_literal(IPV4)
            + ") OR regexp_full_match(v_source_ip, "
            + quote_literal(IPV6)
            + "))",
            "'source_ip ' || " + _shown("v_source_ip") + " || ' is not an IPv4 or IPv6 address'",
        ),
        (
            "list_contains($unfit_providers, v_provider_id)",
            f"'provider_id ' || {_shown('v_provider_id')} || ' is too long: its lake folder "
            f"name would exceed the file system limit of {FOLDER_NAME_LIMIT} bytes'",
        ),
    ]


def failed_columns(found: list[tuple[str, str]]) -> list[str]:
    """``failed_<i>``: whether check i failed (NULL counts as passed)."""
    return [f"coalesce({cond}, false) AS failed_{i}" for i, (cond, _) in enumerate(found)]


def reason_expr(found: list[tuple[str, str]]) -> str:
    """The reader's reason if any, else every failed check's sentence joined by '; '
    (over ``failed_<i>``). Building the sentence is costly, so only rows that failed a check
    pay for it; ``concat_ws`` skips the checks that passed (NULL) without the list and the
    lambda that filtering a list takes (7% of the normalising query)."""
    any_failed = " OR ".join(f"failed_{i}" for i in range(len(found)))
    messages = ", ".join(f"CASE WHEN failed_{i} THEN {msg} END" for i, (_, msg) in enumerate(found))
    return (
        f"CASE WHEN pre_error IS NOT NULL THEN pre_error WHEN NOT ({any_failed}) THEN NULL "
        f"ELSE concat_ws('; ', {messages}) END"
    )


def derived_event_id() -> str:
    """An event id for rows without one: a hash of every canonical value."""
    return (
        "v_provider_id || '-' || left(md5(to_json(struct_pack("
        "t := t_time, p := v_provider_id, pt := e_provider_type, s := v_system, a := v_actor_id, "
        "at := coalesce(e_actor_type, 'unknown'), ac := e_action, su := v_subject_id, "
        "rc := coalesce(t_record_count, 1), f := t_fields, dt := coalesce(e_destination_type, 'internal'), "
        "dp := v_destination_party, ar := v_authorization_ref, pu := v_purpose, am := t_amount, "
        "cu := coalesce(upper(v_currency), 'CNY'), o := coalesce(e_outcome, 'success'), ip := v_source_ip"
        ")::VARCHAR)), 24)"
    )


def event_columns() -> list[str]:
    """The stored columns the query computes; the others are ``PASSED`` (below)."""
    return [
        f"CASE WHEN v_event_id IS NOT NULL THEN v_event_id ELSE {derived_event_id()} END AS event_id",
        "t_time AS event_time",
        "coalesce(t_record_count, 1) AS record_count",
        "t_amount AS amount",
        "coalesce(upper(v_currency), 'CNY') AS currency",
        "v_event_id IS NULL AS event_id_derived",
    ]


# Stored columns that are a column of the batch as normalize_batch registers it: stored column
# -> (that column, whether an empty text is NULL, the value for NULL). The query does not hand
# them back: normalize_batch puts them beside its result (``passed_columns``), which saves
# DuckDB's conversion of them to Arrow, about a fifth of the query's time.
PASSED: dict[str, tuple[str, bool, str | None]] = {
    "provider_id": ("provider_id", True, None),
    "provider_type": ("e_provider_type", False, None),
    "system": ("system", True, None),
    "actor_id": ("actor_id", True, None),
    "actor_type": ("e_actor_type", False, "unknown"),
    "action": ("e_action", False, None),
    "subject_id": ("subject_id", True, None),
    "data_fields": ("t_fields", False, None),
    "data_classes": ("d_classes", False, None),
    "data_categories": ("d_categories", False, None),
    "destination_type": ("e_destination_type", False, "internal"),
    "destination_party": ("destination_party", True, None),
    "authorization_ref": ("authorization_ref", True, None),
    "purpose": ("purpose", True, None),
    "outcome": ("e_outcome", False, "success"),
    "source_ip": ("source_ip", True, None),
    "extras": ("extras", False, None),
}


def passed_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """The ``PASSED`` columns from the batch's columns (pyarrow), as the query's
    ``nullif(<text>, '')`` and ``coalesce(<looked up>, <default>)`` would give them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {}
    for name, (source, empty_is_null, default) in PASSED.items():
        column = columns[source]
        if empty_is_null:
            column = column.cast(pa.string())
            empty = pc.equal(column, "")
            if pc.any(empty).as_py():
                column = pc.if_else(empty, pa.scalar(None, pa.string()), column)
        if default is not None:
            column = pc.fill_null(column, default)
        out[name] = column
    return out


def looked_up_columns(contract: Contract) -> list[str]:
    """The columns the lookups add to a batch before normalize_sql reads it."""
    enums = [f"e_{spec.name}" for spec in contract.fields if spec.enum]
    return [*enums, "t_fields", "t_fields_unfit", "d_classes", "d_categories"]


def lookup_queries(contract: Contract, catalog: Catalog) -> dict[str, str]:
    """Column as read -> the query that maps its distinct texts (a relation
    ``lookup_values`` with that one column) to the looked-up columns, keyed ``r_<column>``."""
    queries = dict(enum_tables(contract, source="lookup_values"))
    queries["data_fields"] = data_field_table(catalog, source="lookup_values")
    return queries


def normalize_sql(contract: Contract, timezone: str) -> str:
    """SELECT over ``read_batch`` returning line_number, raw (kept for rejected rows only),
    reason, the canonical columns it computes (``event_columns``) and event_date, row for row
    in the batch's order; the other stored columns are ``PASSED``. ``read_batch`` also holds
    the looked-up columns ``lookups.ValueLookups`` adds (``e_<enum>``, ``t_fields``,
    ``d_classes``, ``d_categories``). The query takes one parameter,
    ``$unfit_providers``: provider ids (trimmed) whose partition folder name is too long. The
    session TimeZone must be ``timezone``: times without an offset are read in it, and
    event_date is the date there."""
    # Classes and categories are only passed on (PASSED): the query does not read them.
    read = [c for c in looked_up_columns(contract) if c not in ("d_classes", "d_categories")]
    looked_up = ", ".join(quote_identifier(c) for c in read)
    time = time_columns(timezone)
    found = checks(contract, timezone)
    return f"""
WITH f AS (
  SELECT line_number, raw, reason AS pre_error, {", ".join(text_columns(contract))}, {looked_up}
  FROM read_batch
), u AS (
  SELECT *, {", ".join(time[0])} FROM f
), p AS (
  SELECT *, {", ".join(time[1])} FROM u
), e AS (
  SELECT *, {", ".join(time[2] + typed_columns())} FROM p
), t AS (
  SELECT *, {", ".join(time[3])} FROM e
), k AS (
  SELECT *, {", ".join(failed_columns(found))} FROM t
), r AS (
  SELECT *, {reason_expr(found)} AS reason FROM k
)
SELECT line_number, CASE WHEN reason IS NOT NULL THEN raw END AS raw, reason,
  {", ".join(event_columns())},
  CAST(timezone(current_setting('TimeZone'), t_time) AS DATE) AS event_date
FROM r
"""
