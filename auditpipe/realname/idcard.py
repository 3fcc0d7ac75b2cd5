"""The resident identity card number checks (GB 11643-1999), as SQL over a whole column.

A number is normalised (full-width digits folded, separators removed, ``x`` upper-cased)
and then checked in this order; the first check it fails is its ``problem``:

``length``
    not 18 characters. First-generation 15-digit numbers (replaced since 2013) fail here.
``format``
    not 17 digits followed by a digit or ``X``.
``check_digit``
    the 18th character is not the ISO 7064 MOD 11-2 check character of the first 17:
    ``sum(digit_i * weight_i) mod 11`` indexes ``10X98765432``, weights ``2^(17-i) mod 11``.
``birth_date``
    characters 7-14 are not a real date ``YYYYMMDD`` (``19990230`` is not), or it is before
    1900-01-01 or after the day the number is known as of: a snapshot row's snapshot_date
    (nobody is verified before being born), not the day of the ingest, which would make the
    verdict on one file depend on the day it is ingested.
``region``
    the first two digits are not a province-level code of GB/T 2260: 11-15, 21-23, 31-37,
    41-46, 50-54, 61-65, 71 (Taiwan), 81 and 82 (Hong Kong and Macao residence permits since
    2018), 83 (Taiwan residence permits); or ``9`` followed by one of those (the foreigners'
    permanent residence identity card of 2023, which uses the same 18-character layout and
    check character).

Why only the province: the full six-digit table (GB/T 2260) has some 3,000 county codes,
changes every year, and numbers issued before a county was merged or renamed keep its old
code for life. A current table would reject real numbers, and a table of every code ever used
would have to ship and be kept up to date. The province code is stable, rejects made-up
prefixes (``00``, ``99``, ``10``...), and together with the check character and the birth
date catches typed and invented numbers. The check is *plausibility*, not existence: only the
issuing authority can say whether a number was issued.

Every check is a column expression: the weighted sum is 17 ``ascii()`` terms, so a batch of a
million numbers is one vectorised DuckDB projection, with no Python per number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..db import quote_literal

if TYPE_CHECKING:
    import pyarrow as pa

PROBLEMS = ("length", "format", "check_digit", "birth_date", "region")
WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
PROVINCES = (
    *("11", "12", "13", "14", "15"),
    *("21", "22", "23"),
    *("31", "32", "33", "34", "35", "36", "37"),
    *("41", "42", "43", "44", "45", "46"),
    *("50", "51", "52", "53", "54"),
    *("61", "62", "63", "64", "65"),
    *("71", "81", "82", "83"),
)
EARLIEST_BIRTH = dt.date(1900, 1, 1)
# What a number may be cut by, in a parsed value (checked and hashed without them) and, as
# written, in text that is searched for numbers: white space and other space separators,
# control and format characters (tab, newline, zero-width space, BOM...), dashes (ASCII,
# U+2010-2015, full-width, minus), slashes, backslash, dot, underscore, middle dots.
# (RE2 syntax: \x{FF10} is a code point, \p{..} a Unicode category.)
SEPARATOR_CHARS = (
    r"[\s\p{Z}\p{Cc}\p{Cf}\p{Pd}/\\._\x{00B7}\x{2212}\x{30FB}\x{FF0E}\x{FF0F}\x{FF3C}\x{FF3F}]"
)
SEPARATORS = SEPARATOR_CHARS + "+"
# How a spreadsheet is told that a cell of digits is text (so that it keeps all 18 and the
# leading zeros instead of showing 1.10105E+17), as CSV exports write it: a leading apostrophe
# (ASCII, full-width, or curled by autocorrect) or the formula ="...". Not part of the number:
# the number inside is checked and hashed (as separators, they are removed before).
SPREADSHEET_TEXT = r"^[\x{0027}\x{2018}\x{2019}\x{FF07}](.*)$|^=\"(.*)\"$"
# Full-width digits and X (common in Chinese text) and their ASCII forms.
_WIDE = "".join(chr(0xFF10 + i) for i in range(10)) + "\uff38\uff58"
_NARROW = "0123456789Xx"


def normalised_sql(column: str) -> str:
    """The number as checked and hashed: separators removed, full-width digits and X as
    ASCII, a spreadsheet's text marker around it removed (``SPREADSHEET_TEXT``), ``x`` as
    ``X``. NULL (absent) when nothing is left: a value of separators only
    (``-``, ``--``, ``/``: a spreadsheet's "none") is no number, and kept as an empty
    string it was refused on length and hashed, one identity shared by every such account."""
    folded = f"translate({column}, {quote_literal(_WIDE)}, {quote_literal(_NARROW)})"
    bare = f"regexp_replace({folded}, {quote_literal(SEPARATORS)}, '', 'g')"
    unmarked = f"regexp_replace({bare}, {quote_literal(SPREADSHEET_TEXT)}, '\\1\\2')"
    return f"nullif(upper({unmarked}), '')"


def weighted_sum_sql(n: str) -> str:
    """sum(digit_i * weight_i) over the first 17 characters of ``n`` (digits checked before)."""
    return " + ".join(f"{w} * (ascii(substr({n}, {i + 1}, 1)) - 48)" for i, w in enumerate(WEIGHTS))


def problem_sql(n: str, latest_birth: str) -> str:
    """The first check the normalised number ``n`` fails (see the module docstring), or NULL.
    ``latest_birth`` (a DATE in SQL): a birth date after it fails. NULL when ``n`` is NULL."""
    birth = f"TRY_STRPTIME(substr({n}, 7, 8), '%Y%m%d')"
    provinces = ", ".join(quote_literal(p) for p in PROVINCES)
    first_two = (
        f"(CASE WHEN starts_with({n}, '9') THEN substr({n}, 2, 2) ELSE substr({n}, 1, 2) END)"
    )
    return f"""(CASE
        WHEN {n} IS NULL THEN NULL
        WHEN length({n}) <> 18 THEN 'length'
        WHEN NOT regexp_full_match({n}, '[0-9]{{17}}[0-9X]') THEN 'format'
        WHEN substr({n}, 18, 1) <> substr({quote_literal(CHECK_CHARS)},
            ({weighted_sum_sql(n)}) % 11 + 1, 1) THEN 'check_digit'
        WHEN {birth} IS NULL OR {birth} < DATE {quote_literal(EARLIEST_BIRTH.isoformat())}
            OR {birth} > {latest_birth} THEN 'birth_date'
        WHEN {first_two} NOT IN ({provinces}) THEN 'region'
    END)"""


def check_numbers(
    numbers: Sequence[str | None] | pa.Array, today: dt.date | None = None, con: Any = None
) -> pa.Table:
    """The checks over a column of numbers as given: ``normalised``, ``valid`` (NULL where the
    number is absent) and ``problem``, one row per number, in order; ``today``: the day they
    are known as of (a later birth date fails; default: the clock's day). The library face of the
    same SQL the account snapshot ingest runs. ``con``: a DuckDB connection to use (default:
    a new in-memory one)."""
    import duckdb
    import pyarrow as pa

    from ..db import arrow_table

    values = numbers if isinstance(numbers, pa.Array) else pa.array(list(numbers), pa.string())
    n = normalised_sql("nullif(trim(v), '')")
    query = f"""SELECT n AS normalised,
            CASE WHEN n IS NOT NULL THEN problem IS NULL END AS valid, problem
        FROM (SELECT i, n, {problem_sql("n", "DATE " + quote_literal((today or dt.date.today()).isoformat()))} AS problem
              FROM (SELECT i, {n} AS n FROM id_numbers)) ORDER BY i"""
    own = con is None
    con = duckdb.connect() if con is None else con
    try:
        con.register("id_numbers", pa.table({"i": pa.array(range(len(values))), "v": values}))
        try:
            return arrow_table(con, query)
        finally:
            con.unregister("id_numbers")
    finally:
        if own:
            con.close()


def with_check_characters(bodies: Sequence[str]) -> list[str]:
    """Each 17-digit body with its check character appended (for generating valid numbers);
    numpy over the whole list, one matrix product."""
    import numpy as np

    if not bodies:
        return []
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    index = (digits.astype(np.int64) @ np.array(WEIGHTS, dtype=np.int64)) % 11
    checks = np.array(list(CHECK_CHARS))[index]
    return [b + c for b, c in zip(bodies, checks.tolist(), strict=True)]


# -- finding numbers in text, to keep them out of the quarantine --------------------------
# An 18-character number or a 15-digit one, its characters cut by any number of separators
# anywhere, not inside a longer run of digits (letters around it do not protect it:
# "u110105..."). RE2 has no look-behind, so the characters around it are captured and put
# back; a second pass catches a number whose left neighbour the first pass consumed as the
# right neighbour of another.
# Text searched here is as written (a raw line is not parsed), so each character may take
# any form: a digit is any Unicode decimal digit (ASCII, full-width U+FF10-FF19...) or a JSON
# escape of an ASCII or full-width one (\u0031, \uff11); the same for the check character X;
# a separator is one of SEPARATOR_CHARS or a JSON escape of a control character, a space or
# a punctuation mark (\t \n \r \b \f \/ \\, \u0009, \u00a0, \u200b, \u2010, \u3000...).
#
# A match must not start inside a \uXXXX escape: in ``\u0030 1100...`` the hex digits "0030"
# follow the letter u, a non-digit, and were taken as the number's first digits, which ate
# the escape the number before it ended with and left 17 of its digits in clear. So the text
# is first searched with every escape's hex digits marked (``MARK`` before each): there, a
# number may start only after a character that is not a mark, or after a whole escape that
# is not itself a digit. The marks are then taken out and the text searched again unmarked,
# as before, for digit runs that only read as a number with the escapes' own hex digits
# (``\u110105...`` in a line that never was JSON): searching twice can only remove more.
MARK = "\ufdd0"  # a Unicode noncharacter: never text, and not a separator or a digit here
_HEX = "[0-9a-fA-F]"
# Escapes, each as the classes of its four hex digits.
_DIGIT_ESCAPES = (("0", "0", "3", "[0-9]"), ("[fF]", "[fF]", "1", "[0-9]"))
_CHECK_ESCAPES = (("0", "0", "[57]", "8"), ("[fF]", "[fF]", "[35]", "8"))
_SEP_ESCAPES = (
    ("0", "0", "[0-2]", _HEX),
    ("0", "0", "[aA]", _HEX),
    ("0", "0", "[bB]", "7"),
    ("0", "0", "5", "[cCfF]"),
    ("2", "0", "[0-6]", _HEX),
    ("2", "2", "1", "2"),
    ("3", "0", "0", "0"),
    ("3", "0", "[fF]", "[bB]"),
    ("[fF]", "[eE]", "[fF]", "[fF]"),
    ("[fF]", "[fF]", "0", _HEX),
    ("[fF]", "[fF]", "3", "[cCfF]"),
)
# Every escape but a digit's (the negation of _DIGIT_ESCAPES, written out for RE2).
_NOT_DIGIT_ESCAPES = (
    ("[1-9a-eA-E]", _HEX, _HEX, _HEX),
    ("0", "[1-9a-fA-F]", _HEX, _HEX),
    ("0", "0", "[0-24-9a-fA-F]", _HEX),
    ("0", "0", "3", "[a-fA-F]"),
    ("[fF]", "[0-9a-eA-E]", _HEX, _HEX),
    ("[fF]", "[fF]", "[02-9a-fA-F]", _HEX),
    ("[fF]", "[fF]", "1", "[a-fA-F]"),
)


def _escapes(forms: tuple[tuple[str, ...], ...], mark: str) -> str:
    return "|".join(r"\\u" + "".join(mark + c for c in form) for form in forms)


def _number_patterns(mark: str) -> tuple[str, str, str]:
    """(ID_LIKE, PHONE_LIKE, CUT_LIKE) for text whose escapes carry ``mark`` before each hex
    digit ("" for text as written)."""
    digit = rf"(?:\p{{Nd}}|{_escapes(_DIGIT_ESCAPES, mark)})"
    check = rf"(?:{digit}|[Xx\x{{FF38}}\x{{FF58}}]|{_escapes(_CHECK_ESCAPES, mark)})"
    # A byte that is not UTF-8, as a quarantined raw line shows it (\xFF; \xff in the kept
    # KiB of a line over the size limit) separates too: it is no character of a number.
    gap = (
        rf"(?:\\[tnrbf/\\]|{_escapes(_SEP_ESCAPES, mark)}|{SEPARATOR_CHARS}"
        r"|\\x[89a-fA-F][0-9a-fA-F])*"
    )
    if mark:
        before = rf"(^|[^\p{{Nd}}{mark}]|{_escapes(_NOT_DIGIT_ESCAPES, mark)})"
    else:
        before = r"(^|[^\p{Nd}])"
    after = r"([^\p{Nd}]|$)"
    id_like = (
        rf"{before}({digit}(?:{gap}{digit}){{16}}{gap}{check}|{digit}(?:{gap}{digit}){{14}})"
        f"{after}"
    )
    # A phone number in a free-text column: 11 to 13 digits (a mobile number, with 86
    # before it, or a landline with its area code), cut and written like an ID number.
    phone_like = rf"{before}({digit}(?:{gap}{digit}){{10,12}}){after}"
    # The kept first KiB of a line over the size limit ends in " ..." (ingest.text): digits
    # that run into that cut, with what the cut left of an escape, may be the start of a
    # number the cut split, too short to read as one, so they go however few they are.
    partial_escape = r"(?:\\(?:u[0-9a-fA-F]{0,3})?)?"
    cut_like = rf"{before}({digit}(?:{gap}{digit})*{gap}{partial_escape})( \.\.\.)$"
    return id_like, phone_like, cut_like


ID_LIKE, PHONE_LIKE, CUT_LIKE = _number_patterns("")
_MARKED_ID_LIKE, _MARKED_PHONE_LIKE, _MARKED_CUT_LIKE = _number_patterns(MARK)
REDACTED = "[id number removed]"
PHONE_REDACTED = "[phone number removed]"
_ESCAPE = rf"\\u({_HEX})({_HEX})({_HEX})({_HEX})"
_MARKED_ESCAPE = rf"\\u{MARK}({_HEX}){MARK}({_HEX}){MARK}({_HEX}){MARK}({_HEX})"


def _replaced(expr: str, pattern: str, label: str) -> str:
    """Two passes of ``pattern`` (see above), its match's number replaced by ``label``."""
    put_back = quote_literal(chr(92) + "1" + label + chr(92) + "3")
    for _ in range(2):
        expr = f"regexp_replace({expr}, {quote_literal(pattern)}, {put_back}, 'g')"
    return expr


def _numbers_replaced(text: str, found: tuple[tuple[str, str, str], ...]) -> str:
    """``text`` (SQL) with the numbers of each (pattern, pattern on marked text, label)
    replaced, searched with the escapes marked and then as written."""
    backslash = chr(92)
    marked = (
        f"regexp_replace({text}, {quote_literal(_ESCAPE)}, "
        + quote_literal(
            backslash * 2 + "u" + "".join(MARK + backslash + str(i) for i in range(1, 5))
        )
        + ", 'g')"
    )
    for _, pattern, label in found:
        marked = _replaced(marked, pattern, label)
    # Only the marks the first step put in are taken out (a text holding the noncharacter keeps
    # it, unless it stands exactly where a mark would).
    unmarked = (
        f"regexp_replace({marked}, {quote_literal(_MARKED_ESCAPE)}, "
        + quote_literal(backslash * 2 + "u" + "".join(backslash + str(i) for i in range(1, 5)))
        + ", 'g')"
    )
    # Most values hold no escape: they skip the marked search (half the cost). Each pattern
    # is written once: DuckDB compiles it where it stands, for every batch.
    escaped = f"strpos({text}, {quote_literal(backslash + 'u')}) > 0"
    expr = f"CASE WHEN {escaped} THEN {unmarked} ELSE {text} END"
    for pattern, _, label in found:
        expr = _replaced(expr, pattern, label)
    return expr


def redact_sql(text: str, known: str | None = None) -> str:
    """``text`` with ``known`` (the row's id number as read, when it is at least 6
    characters) and every ID-like token replaced by ``REDACTED``."""
    expr = text
    if known is not None:
        expr = (
            f"CASE WHEN length({known}) >= 6 THEN replace({expr}, {known}, "
            f"{quote_literal(REDACTED)}) ELSE {expr} END"
        )
    return _numbers_replaced(
        expr, ((ID_LIKE, _MARKED_ID_LIKE, REDACTED), (CUT_LIKE, _MARKED_CUT_LIKE, REDACTED))
    )


def redact_free_text_sql(text: str) -> str:
    """A stored free-text value (``verification_method``) with every ID-like token and then
    every phone-like one replaced (see ``redact_sql``)."""
    return _numbers_replaced(
        text,
        (
            (ID_LIKE, _MARKED_ID_LIKE, REDACTED),
            (PHONE_LIKE, _MARKED_PHONE_LIKE, PHONE_REDACTED),
        ),
    )
