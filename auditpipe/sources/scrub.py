"""Literal scrubbing and fingerprints: the lake keeps statement shapes, never their values.

One regular expression per dialect finds every literal of a statement (strings, dollar-quoted
strings, numbers, hex); the same pattern runs in Polars over whole columns (Rust regex) and in
Python over one representative statement per fingerprint, so the k-th literal means the same
thing on both sides. Bound parameters (``$1``) are not literals and are kept. A quote left
open (a statement cut short by the logger) scrubs everything after it.

The scrubbed text has ``?`` for each literal and its whitespace collapsed; the fingerprint is
the first 16 hex digits of its sha256.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

# A number must not follow a word character or '$' (that would be part of a name or a $n
# parameter). Rust's regex has no look-behind, so that character is captured (group 1) and
# put back by the replacement.
_NUMBER = r"(^|[^\w$])(?:0[xX][0-9A-Fa-f]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)\b"
_PG_STRINGS = r"[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|\$\$.*?\$\$"
_MY_STRINGS = r"'(?:[^'\\]|''|\\.)*'|\"(?:[^\"\\]|\"\"|\\.)*\""

LITERAL = {
    "postgres": rf"(?s){_PG_STRINGS}|{_NUMBER}",
    "mysql": rf"(?s){_MY_STRINGS}|{_NUMBER}",
}
# After every complete literal is gone, a remaining quote opens one the logger cut short.
OPEN_QUOTE = {"postgres": r"(?s)'.*$", "mysql": r"(?s)['\"].*$"}
PLACEHOLDER = "?"


def scrub_text(sql: str, dialect: str) -> str:
    out = re.sub(LITERAL[dialect], lambda m: (m.group(1) or "") + PLACEHOLDER, sql)
    out = re.sub(OPEN_QUOTE[dialect], PLACEHOLDER, out)
    return " ".join(out.split())


def scrub_expr(col: Any, dialect: str) -> Any:
    """The Polars expression doing what ``scrub_text`` does, over a column."""
    return (
        col.str.replace_all(LITERAL[dialect], "${1}" + PLACEHOLDER)
        .str.replace(OPEN_QUOTE[dialect], PLACEHOLDER)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def literal_list_expr(col: Any, dialect: str) -> Any:
    """Each statement's literals in order, as written (quotes kept; see ``literal_value``)."""
    import polars as pl

    e = pl.element()
    starts_literal = e.str.contains(r"^(?:\d|[Ee]'|'|\"|\$\$)")
    return col.str.extract_all(LITERAL[dialect]).list.eval(
        pl.when(starts_literal).then(e).otherwise(e.str.slice(1))
    )


def literals(sql: str, dialect: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every literal, the captured leading character left out."""
    out = []
    for m in re.finditer(LITERAL[dialect], sql):
        start = m.end(1) if m.group(1) is not None else m.start()
        out.append((start, m.end(), sql[start : m.end()]))
    return out


def literal_value(text: str) -> str:
    """A literal's value: quotes removed and doubled quotes undone."""
    if text.startswith("$$"):
        return text[2:-2]
    if text[:1] in "Ee" and text[1:2] == "'":
        text = text[1:]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        q = text[0]
        return text[1:-1].replace(q + q, q).replace("\\" + q, q)
    return text


def literal_value_expr(col: Any) -> Any:
    """``literal_value`` as a Polars expression (used for the few subject values per row)."""
    import polars as pl

    body = (
        pl.when(col.str.starts_with("$$"))
        .then(col.str.slice(2).str.head(-2))
        .when(col.str.contains(r"^[Ee]?'"))
        .then(col.str.replace(r"^[Ee]?'", "").str.head(-1).str.replace_all("''", "'"))
        .when(col.str.starts_with('"'))
        .then(col.str.slice(1).str.head(-1).str.replace_all('""', '"'))
        .otherwise(col)
    )
    return body


def fingerprint(scrubbed: str) -> str:
    return hashlib.sha256(scrubbed.encode("utf-8", "surrogateescape")).hexdigest()[:16]
