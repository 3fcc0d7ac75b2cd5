"""Literal scrubbing and fingerprints: the lake keeps statement shapes, never their values.

One regular expression per dialect and quoting rule finds every literal of a statement
(strings, dollar-quoted strings, numbers, hex); the same pattern runs in Polars over whole
columns (Rust regex) and in Python over one representative statement per fingerprint, so the
k-th literal means the same thing on both sides. Bound parameters (``$1``) are not literals
and are kept. A quote or comment left open (a statement cut short by the logger) scrubs
everything after it.

**Comments go first, whole.** A name or a note in ``/* customer Zhang San */`` or after
``--`` is as much a value as a literal, and a quote inside a comment (``/* it's */``) must not
open a string that would leave the literals after it in the clear. Comments and strings are
found in one left-to-right pass, so ``'a -- b'`` stays a string and ``-- it's`` a comment;
each comment becomes a space (and every string is followed by one: the replacement cannot
tell them apart, and a space after a string changes no statement). MySQL's executable
comments (``/*!50001 … */``, MariaDB's ``/*M!…*/``) are SQL the server runs: their markers go
and their text stays, to be scrubbed like the rest. The ticket and purpose keys are read from
the raw statement's comments before this (events.py).

**Backslashes.** MySQL and MariaDB escape with ``\\`` inside quotes, unless the session's
sql_mode has NO_BACKSLASH_ESCAPES; PostgreSQL does not (``E'…'`` aside), unless
standard_conforming_strings is off. The log does not say which, and reading a statement with
the wrong rule leaves literal text outside its quotes (``'x\\' AND b = 'Zhang San'`` read
with escapes has ``Zhang San`` between two literals). So a statement holding a backslash is
read both ways: the dialect's own reading is kept unless it leaves a quote open and the other
does not (a server logs a statement whole, so its quotes pair up). When both readings pair
their quotes, the dialect's own is kept: choosing the one that hides more text would take
two MySQL literals with escaped quotes (``'O\\'Brien' AND b = 'D\\'Arcy'``) for three, and
show ``Brien`` and ``D\\``. What this leaves: PostgreSQL with standard_conforming_strings
off (not the default since 9.1) and a statement holding two or more ``\\'``: it can read as
standard quoting, and text between them shows.

**A statement the logger cut short** (server_audit at its query_log_limit) holding a backslash
is read neither way: its quotes need not pair up, so the reading that pairs them proves
nothing (``city = 'it\\'s 北京' AND mobile = '138001`` cut there pairs its quotes read
without escapes, and shows ``s 北京`` and the number), and the one that does not may be the
wrong one (a session with NO_BACKSLASH_ESCAPES). Everything from its first quote on goes.

The scrubbed text has ``?`` for each literal, comments removed and whitespace collapsed; the
fingerprint is the first 16 hex digits of its sha256.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

# A number (or a tagged dollar quote) must not follow a word character or '$' (that would be
# part of a name or a $n parameter). Rust's regex has no look-behind, so that character is
# captured (group 1) and put back by the replacement.
_AFTER_NAME = r"(^|[^\w$])"
_NUMBER = r"(?:0[xX][0-9A-Fa-f]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)\b"
# $tag$ … $tag$. Rust's regex has no back-reference to pair the tags, so the literal runs to
# the LAST tag-like token of the statement: two such literals become one (and a name holding
# '$' after them, a$b$c, goes with them), and no text between nested ones ($fn$ … $q$Zhang$q$
# … $fn$) is left in the clear.
_TAGGED = r"\$[^\W\d]\w*\$.*\$[^\W\d]\w*\$"
_STRINGS = {
    # (dialect, do backslashes escape?) -> its string literals
    ("postgres", False): r"[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|\$\$.*?\$\$",
    ("postgres", True): r"[Ee]?'(?:[^'\\]|''|\\.)*'|\$\$.*?\$\$",
    ("mysql", True): r"'(?:[^'\\]|''|\\.)*'|\"(?:[^\"\\]|\"\"|\\.)*\"",
    ("mysql", False): r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"",
}
OWN_RULE = {"postgres": False, "mysql": True}  # does the dialect's default escape?
_TAIL = {"postgres": f"(?:{_TAGGED}|{_NUMBER})", "mysql": _NUMBER}
LITERAL = {key: rf"(?s){strings}|{_AFTER_NAME}{_TAIL[key[0]]}" for key, strings in _STRINGS.items()}

# Comments, found with the strings and quoted names (group 1, put back) so that none hides
# in another; group 2 is an executable comment's text, kept. A block comment is C's: an inner
# one (PostgreSQL nests them) ends the match early, and its outer '*/' left behind scrubs the
# text before it (OPEN). MySQL's '-- ' needs a blank after the dashes.
_BLOCK = r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/"
_NAMES = {"postgres": r'"(?:[^"]|"")*"', "mysql": r"`(?:[^`]|``)*`"}
_COMMENTS = {
    "postgres": rf"{_BLOCK}|--[^\n]*",
    "mysql": rf"/\*M?!\d*((?:[^*]|\*+[^*/])*)\*+/|{_BLOCK}|--(?:[ \t\r\n\f\v][^\n]*|$)|#[^\n]*",
}
COMMENT = {
    key: rf"(?s)({strings}|{_NAMES[key[0]]})|{_COMMENTS[key[0]]}"
    for key, strings in _STRINGS.items()
}
_COMMENT_TEMPLATE = {"postgres": "${1} ", "mysql": "${1}${2} "}
_COMMENT_START = {"postgres": r"/\*|--", "mysql": r"/\*|--|#"}

# After every complete literal and comment is gone, a remaining quote opens a literal (or
# '/*' a comment) the logger cut short: everything after it goes; a '*/' left by a nested
# comment takes everything before it.
OPEN = {"postgres": r"(?s)(?:'|/\*).*$|^.*\*/", "mysql": r"(?s)(?:['\"]|/\*).*$"}
_OPENERS = {"postgres": r"'|/\*|\*/", "mysql": r"['\"]|/\*"}
# A cut statement holding a backslash: everything from its first quote or comment on.
CUT_REST = {
    "postgres": r"(?s)(?:'|/\*|\$(?:[^\W\d]\w*)?\$).*$",
    "mysql": r"(?s)(?:['\"]|/\*).*$",
}
PLACEHOLDER = "?"


# -- one statement, in Python (once per distinct shape) -------------------------------------
def _uncommented(sql: str, key: tuple[str, bool]) -> str:
    if not re.search(_COMMENT_START[key[0]], sql):
        return sql
    mysql = key[0] == "mysql"
    return re.sub(
        COMMENT[key],
        lambda m: (m.group(1) or "") + ((m.group(2) or "") if mysql else "") + " ",
        sql,
    )


def _literals_removed(text: str, key: tuple[str, bool]) -> str:
    return re.sub(LITERAL[key], lambda m: (m.group(1) or "") + PLACEHOLDER, text)


def escapes(sql: str, dialect: str) -> bool:
    """Whether backslashes escape inside ``sql``'s quotes, as the module's docstring says."""
    own = OWN_RULE[dialect]
    if "\\" not in sql:
        return own
    mine, other = (
        _literals_removed(_uncommented(sql, (dialect, rule)), (dialect, rule))
        for rule in (own, not own)
    )
    mine_open = re.search(_OPENERS[dialect], mine) is not None
    other_open = re.search(_OPENERS[dialect], other) is not None
    return not own if mine_open and not other_open else own


def prepared(sql: str, dialect: str) -> tuple[str, tuple[str, bool]]:
    """``sql`` without its comments, and the (dialect, escapes) key of its literals."""
    key = (dialect, escapes(sql, dialect))
    return _uncommented(sql, key), key


def scrub_text(sql: str, dialect: str) -> str:
    text, key = prepared(sql, dialect)
    out = re.sub(OPEN[dialect], PLACEHOLDER, _literals_removed(text, key))
    return " ".join(out.split())


def literals(sql: str, dialect: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every literal of ``prepared(sql, dialect)[0]`` (the statement
    without its comments: the positions are in that text), the leading character captured
    before a number left out."""
    text, key = prepared(sql, dialect)
    out = []
    for m in re.finditer(LITERAL[key], text):
        start = m.end(1) if m.group(1) is not None else m.start()
        out.append((start, m.end(), text[start : m.end()]))
    return out


def literal_value(text: str) -> str:
    """A literal's value: quotes removed and doubled quotes undone."""
    if text.startswith("$"):  # $$…$$ or $tag$…$tag$
        return text[text.index("$", 1) + 1 : text.rindex("$", 0, len(text) - 1)]
    if text[:1] in "Ee" and text[1:2] == "'":
        text = text[1:]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        q = text[0]
        return text[1:-1].replace(q + q, q).replace("\\" + q, q)
    return text


# -- whole columns, in Polars ---------------------------------------------------------------
def _uncommented_expr(col: Any, key: tuple[str, bool]) -> Any:
    import polars as pl

    commented = col.str.contains(_COMMENT_START[key[0]])
    return (
        pl.when(commented)
        .then(col.str.replace_all(COMMENT[key], _COMMENT_TEMPLATE[key[0]]))
        .otherwise(col)
    )


def _flip_expr(col: Any, dialect: str) -> Any:
    """Per row: is the kept reading the other one than the dialect's own (``escapes``)?"""
    import polars as pl

    own = OWN_RULE[dialect]
    backslashed = pl.when(col.str.contains("\\", literal=True)).then(col)
    mine, other = (
        _uncommented_expr(backslashed, (dialect, rule)).str.replace_all(
            LITERAL[(dialect, rule)], "${1}" + PLACEHOLDER
        )
        for rule in (own, not own)
    )
    mine_open = mine.str.contains(_OPENERS[dialect])
    other_open = other.str.contains(_OPENERS[dialect])
    return (mine_open & ~other_open).fill_null(False)


def _by_rule(col: Any, dialect: str, make: Any) -> Any:
    """``make(text, key)`` on each row's comment-free text, under the row's kept rule: the
    dialect's own for most rows, the other only where ``_flip_expr`` says (few rows)."""
    import polars as pl

    own = OWN_RULE[dialect]
    flip = _flip_expr(col, dialect)
    mine = make(_uncommented_expr(col, (dialect, own)), (dialect, own))
    flipped = pl.when(flip).then(col)
    other = make(_uncommented_expr(flipped, (dialect, not own)), (dialect, not own))
    return pl.when(flip).then(other).otherwise(mine)


def scrub_expr(col: Any, dialect: str, cut: Any = None) -> Any:
    """The Polars expression doing what ``scrub_text`` does, over a column. ``cut``: an
    expression true for the statements the logger cut short (see the module's docstring)."""
    import polars as pl

    removed = _by_rule(
        col, dialect, lambda text, key: text.str.replace_all(LITERAL[key], "${1}" + PLACEHOLDER)
    )
    if cut is not None:
        own = (dialect, OWN_RULE[dialect])
        ambiguous = (cut & col.str.contains("\\", literal=True)).fill_null(False)
        head = (
            _uncommented_expr(pl.when(ambiguous).then(col), own)
            .str.replace(CUT_REST[dialect], PLACEHOLDER)
            .str.replace_all(LITERAL[own], "${1}" + PLACEHOLDER)
        )
        removed = pl.when(ambiguous).then(head).otherwise(removed)
    return (
        removed.str.replace_all(OPEN[dialect], PLACEHOLDER)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def literal_list_expr(col: Any, dialect: str) -> Any:
    """Each statement's literals in order, as written (quotes kept; see ``literal_value``)."""
    import polars as pl

    e = pl.element()
    starts_literal = e.str.contains(r"^(?:\d|[Ee]'|'|\"|\$)")
    found = _by_rule(col, dialect, lambda text, key: text.str.extract_all(LITERAL[key]))
    return found.list.eval(pl.when(starts_literal).then(e).otherwise(e.str.slice(1)))


def literal_value_expr(col: Any) -> Any:
    """``literal_value`` as a Polars expression (used for the few subject values per row)."""
    import polars as pl

    body = (
        pl.when(col.str.starts_with("$"))
        .then(col.str.replace(r"^\$[^$]*\$", "").str.replace(r"\$[^$]*\$$", ""))
        .when(col.str.contains(r"^[Ee]?'"))
        .then(col.str.replace(r"^[Ee]?'", "").str.head(-1).str.replace_all("''", "'"))
        .when(col.str.starts_with('"'))
        .then(col.str.slice(1).str.head(-1).str.replace_all('""', '"'))
        .otherwise(col)
    )
    return body


def fingerprint(scrubbed: str) -> str:
    return hashlib.sha256(scrubbed.encode("utf-8", "surrogateescape")).hexdigest()[:16]
