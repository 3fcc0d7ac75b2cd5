"""Masking of personal identifiers, as DuckDB macros so it runs vectorised over many rows.

``mask_text(s)`` masks what *looks like* an identifier anywhere in a text; ``mask_id(s)`` masks
a value that *is* an identifier (a subject id, or the actor id of a user acting on their own
data) even when it looks like nothing in particular. Both leave NULL as NULL.

What counts as looking like an identifier (digits only; letters around them do not protect it;
the separators of the written forms below are hyphens, spaces (no-break and ideographic ones
too), dots and underscores; characters that show nothing after a digit are read through):
- a Chinese resident ID: 17 digits and a digit or X -> first 4, ten ``*``, last 4
  (``110105194912310021`` -> ``1101**********0021``), also written 6-8-4 with spaces or hyphens;
- a mobile number: 11 digits starting with 1 -> first 3, ``****``, last 4
  (``13812345678`` -> ``138****5678``), also written 3-4-4 with spaces or hyphens;
- any other run of 12 or more digits (bank cards, 15-digit IDs) -> first 4 and last 4 kept;
- any other run of 9 to 11 digits -> only the last 4 kept.
Runs of 8 digits or fewer (dates, counts, amounts) are left alone.
A number printed in groups of four digits with spaces (``6222 0212 3456 7890``), 9 digits or
more -> the first and last groups kept (``6222 **** **** 7890``).
Every Unicode decimal digit is a digit: fullwidth ones (１３８..., as Chinese input methods type
them), Arabic-Indic (١٣٨...), Devanagari, mathematical bold (𝟏𝟑𝟖...) and the rest, as the
quarantine's redaction reads them (``realname.idcard``); a text holding an identifier written
in them is shown masked, in ASCII digits.
A value given to ``mask_id`` that holds none of those keeps its first 2 and last 2 characters
(``alice-01`` -> ``al****01``); one of 4 characters or fewer becomes all ``*``.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..db.database import SqlConnection

# One digit run (or any other text): the tokens mask_text rebuilds the string from.
_MASK_DIGIT_RUN = """
CREATE OR REPLACE MACRO mask_digit_run(t) AS
    CASE
        WHEN NOT regexp_full_match(t, '[0-9]+') THEN t
        WHEN length(t) = 18 THEN left(t, 4) || repeat('*', 10) || right(t, 4)
        WHEN length(t) = 11 AND left(t, 1) = '1' THEN left(t, 3) || '****' || right(t, 4)
        WHEN length(t) >= 12 THEN left(t, 4) || repeat('*', length(t) - 8) || right(t, 4)
        WHEN length(t) >= 9 THEN repeat('*', length(t) - 4) || right(t, 4)
        ELSE t
    END
"""


def _digit_zeros() -> list[int]:
    """The zero of each of Unicode's sets of decimal digits (category Nd: each set is ten code
    points in a row, 0 to 9), as this Python's Unicode database knows them. All lie in the
    first two planes; reading those costs about 10 ms, once per process."""
    return [
        code
        for code in range(0x20000)
        if unicodedata.decimal(chr(code), -1) == 0 and unicodedata.category(chr(code)) == "Nd"
    ]


_ZEROS = _digit_zeros()


def _digit_class(values: range, zeros: list[int] | None = None) -> str:
    """An RE2 class of the digits with ``values`` in every set (or the sets of ``zeros``)."""
    ranges = [(zero + values.start, zero + values.stop - 1) for zero in zeros or _ZEROS]
    return "[" + "".join(rf"\x{{{lo:04X}}}-\x{{{hi:04X}}}" for lo, hi in ranges) + "]"


# A digit as the prefilter reads it: any Unicode decimal digit, ASCII or not (fullwidth
# １３８... as Chinese input methods type them; Arabic-Indic, Devanagari, mathematical...: a
# number on screen all the same). A text that holds an identifier has its digits read as ASCII
# (``ascii_digits``) and is shown masked in ASCII digits. The class is spelled out (not
# \p{Nd}) so that it holds exactly the digits ``ascii_digits`` translates: one RE2 knew and
# Python did not would match here and then be shown in clear.
_D = _digit_class(range(10))
_ONE = _digit_class(range(1, 2))  # the digit 1 of every set: a mobile number's first
# The digits neither ASCII nor fullwidth (those two are translated on their own, being the
# common ones), and the value of each as an ASCII digit, for translate().
_RARE_ZEROS = [zero for zero in _ZEROS if zero not in (0x30, 0xFF10)]
_RARE = _digit_class(range(10), _RARE_ZEROS)
_RARE_DIGITS = "".join(chr(zero + n) for zero in _RARE_ZEROS for n in range(10))
_RARE_VALUES = "0123456789" * len(_RARE_ZEROS)
# Characters that show nothing (soft hyphen, zero-width space and joiners, word joiner,
# byte-order mark, bidirectional marks): after a digit they leave a number reading as one
# number on screen (138<U+200B>1234<U+200B>5678 shows 13812345678) while it no longer matched,
# so it was shown in clear. A text with one after a digit is read, and shown, without them.
_INVISIBLE = (
    r"[\x{00AD}\x{061C}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}"
    r"\x{2066}-\x{2069}\x{FEFF}]"
)
# Separators an identifier is written with: hyphens, spaces (also no-break and ideographic),
# dots and underscores (``138.1234.5678``, ``138_1234_5678``).
_SEP = r"[-. _\x{00A0}\x{2007}\x{2009}\x{202F}\x{3000}]"
_SHAPED = "|".join(
    (
        f"{_D}{{9}}",  # a run of 9 digits or more
        f"{_D}{{6}}{_SEP}{_D}{{8}}{_SEP}{_D}{{3}}(?:{_D}|[XxＸｘ])",  # an ID number written 6-8-4
        f"{_ONE}{_D}{{2}}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}",  # a mobile written 3-4-4
        f"{_D}{{4}} {_D}{{4}} {_D}",  # a number printed in groups of four
        f"{_D}{_INVISIBLE}",  # a digit and a character that shows nothing: read without it
    )
)

_ASCII_DIGITS = f"""
CREATE OR REPLACE MACRO ascii_digits(s) AS
    rare_ascii_digits(translate(
        regexp_replace(s, '({_D}){_INVISIBLE}+', '\\1', 'g'),
        '０１２３４５６７８９Ｘｘ', '0123456789Xx'))
"""
# The digits of the other scripts: translate() builds its map of characters for every row,
# and a map of 640 digits made it 70 times slower (12 s against 0.18 s for 200,000 texts),
# so it runs only on a text that still holds such a digit. The lambda names the text once:
# DuckDB copies a macro's argument wherever it is named.
_RARE_ASCII_DIGITS = f"""
CREATE OR REPLACE MACRO rare_ascii_digits(s) AS
    list_transform([s], lambda t: CASE
        WHEN regexp_matches(t, '{_RARE}') THEN translate(t, '{_RARE_DIGITS}', '{_RARE_VALUES}')
        ELSE t
    END)[1]
"""

# A number printed in groups of four digits with spaces (a bank card, 6222 0212 3456 7890,
# or an ID or mobile number so written), 9 digits or more (two groups of four and a last one
# of one to four): the first and last groups kept, the digits between starred. Done before the
# mobile 3-4-4 form, which would otherwise match inside it and leave most of it in clear.
_GROUPED = "[0-9]{4}(?: [0-9]{4})+ [0-9]{1,4}"
_MASK_GROUPED = rf"""
CREATE OR REPLACE MACRO mask_grouped(s) AS
    array_to_string(
        list_transform(
            regexp_extract_all(s, '{_GROUPED}|[0-9]+|[^0-9]+'),
            lambda t: CASE
                WHEN regexp_full_match(t, '{_GROUPED}')
                THEN left(t, 4)
                    || regexp_replace(
                        substr(t, 5, length(t) - 4 - length(regexp_extract(t, ' [0-9]+$'))),
                        '[0-9]', '*', 'g')
                    || regexp_extract(t, ' [0-9]+$')
                ELSE t
            END),
        '')
"""

# Each macro names its argument as few times as it can: DuckDB expands a macro in place, so
# an argument named twice is copied twice (the summary's mask_text holds mask_id of the actor).
# A text not shaped like an identifier is returned as it is; NULL stays NULL.
_MASK_TEXT = f"""
CREATE OR REPLACE MACRO mask_text(s) AS
    CASE
        WHEN NOT regexp_matches(s, '{_SHAPED}') THEN s
        ELSE mask_shaped(ascii_digits(s))
    END
"""

_MASK_SHAPED = r"""
CREATE OR REPLACE MACRO mask_shaped(s) AS
    array_to_string(
        list_transform(
            regexp_extract_all(
                -- written forms with separators and IDs ending in X first, then digit runs
                regexp_replace(
                    regexp_replace(
                        regexp_replace(
                            mask_grouped(s),
                            '([0-9]{4})[0-9]{2}(SEP)[0-9]{8}(SEP)[0-9]([0-9]{2}[0-9Xx])',
                            '\1**\2********\3*\4', 'g'),
                        '(1[0-9]{2})(SEP)[0-9]{4}(SEP)([0-9]{4})', '\1\2****\3\4', 'g'),
                    '([0-9]{4})[0-9]{10}([0-9]{3}[Xx])', '\1**********\2', 'g'),
                '[0-9]+|[^0-9]+'),
            lambda t: mask_digit_run(t)),
        '')
""".replace("SEP", _SEP)

_MASK_ID = f"""
CREATE OR REPLACE MACRO mask_id(s) AS
    CASE
        WHEN regexp_matches(s, '{_SHAPED}') THEN mask_shaped(ascii_digits(s))
        WHEN length(s) <= 4 THEN repeat('*', length(s))
        ELSE left(s, 2) || repeat('*', length(s) - 4) || right(s, 2)
    END
"""

# An actor id shown in a report: a user acting on their own data is a subject, so masked whole.
_MASK_ACTOR = """
CREATE OR REPLACE MACRO mask_actor(actor_id, actor_type) AS
    CASE WHEN actor_type = 'subject' THEN mask_id(actor_id) ELSE mask_text(actor_id) END
"""

MASK_MACROS: tuple[str, ...] = (
    _MASK_DIGIT_RUN,
    _RARE_ASCII_DIGITS,
    _ASCII_DIGITS,
    _MASK_GROUPED,
    _MASK_SHAPED,
    _MASK_TEXT,
    _MASK_ID,
    _MASK_ACTOR,
)


class MaskInputs:
    """The values a row's masks are computed from, collected while the masked expressions are
    written: ``text(expr)`` stands for ``mask_text(expr)``, ``texts(expr)`` for a list of
    texts each masked so, ``ident(expr)`` for ``mask_id(expr)``. Together (the default), each
    returns a reference to the value computed once per row by ``masked_source_sql`` (the same
    expression given twice is computed once); ``inline``, the macro's call itself."""

    def __init__(self, inline: bool = False) -> None:
        self.inline = inline
        self.kinds: dict[str, list[str]] = {IDS: [], TEXTS: [], TEXT_LISTS: []}

    def _ref(self, kind: str, expr: str) -> str:
        if self.inline:
            return _INLINE[kind].format(expr)
        inputs = self.kinds[kind]
        if expr not in inputs:
            inputs.append(expr)
        return f"{kind}[{inputs.index(expr) + 1}]"

    def text(self, expr: str) -> str:
        return self._ref(TEXTS, expr)

    def texts(self, expr: str) -> str:
        return self._ref(TEXT_LISTS, expr)

    def ident(self, expr: str) -> str:
        return self._ref(IDS, expr)


# The lists of masked values masked_source_sql adds to each row (and drops again). An input of
# mask_text may use a masked id (the summary of a user's own action), so ids come first.
IDS, TEXTS, TEXT_LISTS = "__masked_ids", "__masked_texts", "__masked_text_lists"
_MASKED_LISTS: tuple[tuple[str, str], ...] = (
    (IDS, "lambda v: mask_id(v)"),
    (TEXTS, "lambda v: mask_text(v)"),
    (TEXT_LISTS, "lambda l: list_transform(l, lambda v: mask_text(v))"),
)
_INLINE = {
    IDS: "mask_id({})",
    TEXTS: "mask_text({})",
    TEXT_LISTS: "list_transform({}, lambda v: mask_text(v))",
}

# A column as a person sees it: (name shown, the column, how it is masked, written with a
# MaskInputs). The expressions read the columns by their bare names.
Mask = tuple[str, str, "Callable[[MaskInputs], str] | None"]


def _text(column: str) -> Mask:
    return (column, column, lambda m: m.text(column))


def _text_list(column: str) -> Mask:
    return (column, column, lambda m: m.texts(column))


# An actor id shown in a report: a user acting on their own data is a subject, so masked whole
# (the mask_actor macro, for other DuckDB clients, says the same).
def _actor(m: MaskInputs) -> str:
    return (
        f"CASE WHEN actor_type = 'subject' THEN {m.ident('actor_id')} ELSE {m.text('actor_id')} END"
    )


def _summary(m: MaskInputs) -> str:
    # a user's own id may appear in the summary of a user rule: masked whole first
    own = m.text(f"replace(summary, actor_id, {m.ident('actor_id')})")
    return (
        "CASE WHEN actor_type = 'subject' AND actor_id IS NOT NULL AND actor_id <> '' "
        f"THEN {own} ELSE {m.text('summary')} END"
    )


# How each column a person sees is masked, the one definition every output shares (the report,
# ``findings list``/``findings show`` and the HTML evidence block).
FINDING_MASKS: tuple[Mask, ...] = (
    ("actor_shown", "actor_id", _actor),
    ("party_shown", "destination_party", lambda m: m.text("destination_party")),
    ("summary_shown", "summary", _summary),
)

# Every text column of an evidence event a person is shown: identifiers (the subject, a user
# acting on their own data) masked whole, every other text masked where it looks like an ID
# card, a mobile number or another long digit run - the file path included. The event id is
# not masked (docs/reports.md, Masking): it is what the evidence is looked up with, and the
# report prints it whole; a masked snowflake id would match no event.
EVIDENCE_MASKS: tuple[Mask, ...] = (
    ("event_id", "event_id", None),
    ("actor_id", "actor_id", _actor),
    _text("actor_type"),
    _text("action"),
    ("subject_id", "subject_id", lambda m: m.ident("subject_id")),
    _text_list("data_fields"),
    _text_list("data_categories"),
    _text("system"),
    _text("destination_type"),
    _text("destination_party"),
    _text("authorization_ref"),
    _text("purpose"),
    _text("currency"),
    _text("outcome"),
    _text("source_file"),
)


def masked_source_sql(
    source: str, masks: tuple[Mask, ...], unmask: str = "$unmask", *, together: bool = True
) -> str:
    """A parenthesised query to read FROM: every column of ``source`` (a table, a view or a
    parenthesised query) and each mask's column as shown, under its name (the column masked
    unless ``unmask`` is true; a mask shown under its column's own name replaces it).

    DuckDB expands a macro where it is called and binds each copy: a mask_text binds in about
    10 ms, so a dozen columns each masked in place take hundreds of milliseconds to plan.
    ``together``: each kind of mask is called once per row, over a list of every value masked
    that way, which plans in a fraction of that but runs about twice as long per row (a value
    in a list is masked once per row, a column's repeated values once per dictionary entry):
    for queries over few rows, like the findings. ``together=False`` masks each column in
    place, for queries over many rows, like a finding's evidence."""
    inputs = MaskInputs(inline=not together)
    shown = [
        (name, column, masked(inputs) if masked is not None else column)
        for name, column, masked in masks
    ]
    query = f"SELECT * FROM {source}"
    made = []
    for kind, transform in _MASKED_LISTS:
        if inputs.kinds[kind]:
            values = ", ".join(inputs.kinds[kind])
            query = f"SELECT *, list_transform([{values}], {transform}) AS {kind} FROM ({query})"
            made.append(kind)
    return f"(\n{_shown_select(masks, shown, made, unmask)}\nFROM ({query})\n)"


def masked_by_value_sql(source: str, masks: tuple[Mask, ...], unmask: str = "$unmask") -> str:
    """A query with every row of ``source`` (a table, a view or a parenthesised query) and the
    columns ``masked_source_sql`` gives it, in no particular order (``source`` carries a key
    when the caller needs one). For a CTE or a parenthesised FROM.

    The masks are computed once per distinct value instead of once per row: the values the
    rows mask with ``mask_id`` and with ``mask_text`` are gathered (NULL included), each
    distinct one is masked, and every row looks its values up again (a join on ``IS NOT
    DISTINCT FROM``, so a NULL finds the mask of NULL). A masked value depends on nothing but
    the value, so each row gets exactly what masking it in place gives. A report's 35,000
    findings hold some 4,000 actors, a handful of parties and 7,000 summaries (docs/reports.md,
    Speed). Lists of texts (``MaskInputs.texts``) are not supported here."""
    inputs = MaskInputs()
    shown = [
        (name, column, masked(inputs) if masked is not None else column)
        for name, column, masked in masks
    ]
    if inputs.kinds[TEXT_LISTS]:
        raise ValueError("masked_by_value_sql masks ids and texts, not lists of texts")
    steps = [f"__rows AS (SELECT * FROM {source})"]
    previous = "__rows"
    made = []
    for kind, macro in ((IDS, "mask_id"), (TEXTS, "mask_text")):
        values = inputs.kinds[kind]
        if not values:
            continue
        steps.append(
            f"{kind}_values AS (SELECT __value, {macro}(__value) AS __masked FROM ("
            f"SELECT DISTINCT unnest([{', '.join(values)}]) AS __value FROM {previous}))"
        )
        joins = "".join(
            f"\n    LEFT JOIN {kind}_values AS {kind}_{n}"
            f" ON {kind}_{n}.__value IS NOT DISTINCT FROM ({value})"
            for n, value in enumerate(values, 1)
        )
        looked_up = ", ".join(f"{kind}_{n}.__masked" for n in range(1, len(values) + 1))
        steps.append(
            f"{kind}_rows AS (\n    SELECT {previous}.*, [{looked_up}] AS {kind}\n"
            f"    FROM {previous}{joins}\n)"
        )
        previous = f"{kind}_rows"
        made.append(kind)
    return (
        "WITH "
        + ",\n".join(steps)
        + f"\n{_shown_select(masks, shown, made, unmask)}\nFROM {previous}"
    )


def _shown_select(
    masks: tuple[Mask, ...], shown: list[tuple[str, str, str]], made: list[str], unmask: str
) -> str:
    """The SELECT list both masking queries end with: every column but the helper lists
    (``made``) and the columns masked in place, then each mask's column, shown in clear when
    ``unmask`` holds."""
    replaced = [name for name, column, _ in masks if name == column]
    exclude = f" EXCLUDE ({', '.join(made + replaced)})" if made or replaced else ""
    columns = ",\n    ".join(
        f"CASE WHEN {unmask} THEN {column} ELSE {expr} END AS {name}"
        for name, column, expr in shown
    )
    return f"SELECT *{exclude},\n    {columns}"


def create_mask_macros(con: SqlConnection) -> None:
    for statement in MASK_MACROS:
        con.execute(statement)


def masking_sql_text() -> str:
    """The macros as SQL text (printed by ``auditpipe sql --print-views``)."""
    return ";\n".join(s.strip() for s in MASK_MACROS) + ";\n"
