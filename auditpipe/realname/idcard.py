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
    1900-01-01 or after the day of the check.
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
# Full-width digits and X (common in Chinese text) and their ASCII forms.
_WIDE = "".join(chr(0xFF10 + i) for i in range(10)) + "\uff38\uff58"
_NARROW = "0123456789Xx"


def normalised_sql(column: str) -> str:
    """The number as checked and hashed: separators removed, full-width digits and X as
    ASCII, ``x`` as ``X``."""
    folded = f"translate({column}, {quote_literal(_WIDE)}, {quote_literal(_NARROW)})"
    return f"upper(regexp_replace({folded}, {quote_literal(SEPARATORS)}, '', 'g'))"


def weighted_sum_sql(n: str) -> str:
    """sum(digit_i * weight_i) over the first 17 characters of ``n`` (digits checked before)."""
    return " + ".join(f"{w} * (ascii(substr({n}, {i + 1}, 1)) - 48)" for i, w in enumerate(WEIGHTS))


def problem_sql(n: str, today: dt.date) -> str:
    """The first check the normalised number ``n`` fails (see the module docstring), or NULL.
    ``today``: a birth date after it fails. NULL when ``n`` is NULL."""
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
            OR {birth} > DATE {quote_literal(today.isoformat())} THEN 'birth_date'
        WHEN {first_two} NOT IN ({provinces}) THEN 'region'
    END)"""


def check_numbers(
    numbers: Sequence[str | None] | pa.Array, today: dt.date | None = None, con: Any = None
) -> pa.Table:
    """The checks over a column of numbers as given: ``normalised``, ``valid`` (NULL where the
    number is absent) and ``problem``, one row per number, in order. The library face of the
    same SQL the account snapshot ingest runs. ``con``: a DuckDB connection to use (default:
    a new in-memory one)."""
    import duckdb
    import pyarrow as pa

    from ..db import arrow_table

    values = numbers if isinstance(numbers, pa.Array) else pa.array(list(numbers), pa.string())
    n = normalised_sql("nullif(trim(v), '')")
    query = f"""SELECT n AS normalised,
            CASE WHEN n IS NOT NULL THEN problem IS NULL END AS valid, problem
        FROM (SELECT i, n, {problem_sql("n", today or dt.date.today())} AS problem
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
_DIGIT = r"(?:\p{Nd}|\\u003[0-9]|\\u[fF][fF]1[0-9])"
_CHECK = rf"(?:{_DIGIT}|[Xx\x{{FF38}}\x{{FF58}}]|\\u00[57]8|\\u[fF][fF][35]8)"
_ESCAPED_SEP = (
    r"\\[tnrbf/\\]|\\u(?:00[0-2][0-9a-fA-F]|00[aA][0-9a-fA-F]|00[bB]7|005[cCfF]"
    r"|20[0-6][0-9a-fA-F]|2212|3000|30[fF][bB]|[fF][eE][fF][fF]|[fF][fF]0[0-9a-fA-F]"
    r"|[fF][fF]3[cCfF])"
)
_GAP = rf"(?:{_ESCAPED_SEP}|{SEPARATOR_CHARS})*"
_NOT_DIGIT = r"[^\p{Nd}]"
ID_LIKE = (
    rf"(^|{_NOT_DIGIT})"
    rf"({_DIGIT}(?:{_GAP}{_DIGIT}){{16}}{_GAP}{_CHECK}|{_DIGIT}(?:{_GAP}{_DIGIT}){{14}})"
    rf"({_NOT_DIGIT}|$)"
)
REDACTED = "[id number removed]"
# A phone number in a free-text column: 11 to 13 digits (a mobile number, with 86 before it,
# or a landline with its area code), cut and written like an ID number.
PHONE_LIKE = rf"(^|{_NOT_DIGIT})({_DIGIT}(?:{_GAP}{_DIGIT}){{10,12}})({_NOT_DIGIT}|$)"
PHONE_REDACTED = "[phone number removed]"


def redact_sql(text: str, known: str | None = None) -> str:
    """``text`` with ``known`` (the row's id number as read, when it is at least 6
    characters) and every ID-like token replaced by ``REDACTED``."""
    expr = text
    if known is not None:
        expr = (
            f"CASE WHEN length({known}) >= 6 THEN replace({expr}, {known}, "
            f"{quote_literal(REDACTED)}) ELSE {expr} END"
        )
    for _ in range(2):
        expr = (
            f"regexp_replace({expr}, {quote_literal(ID_LIKE)}, "
            f"{quote_literal(chr(92) + '1' + REDACTED + chr(92) + '3')}, 'g')"
        )
    return expr


def redact_free_text_sql(text: str) -> str:
    """A stored free-text value (``verification_method``) with every ID-like token and then
    every phone-like one replaced (see ``redact_sql``)."""
    expr = redact_sql(text)
    for _ in range(2):
        expr = (
            f"regexp_replace({expr}, {quote_literal(PHONE_LIKE)}, "
            f"{quote_literal(chr(92) + '1' + PHONE_REDACTED + chr(92) + '3')}, 'g')"
        )
    return expr
