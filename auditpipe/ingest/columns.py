"""SQL pieces the input kinds share to build contract-named columns and ``extras``."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ..db import quote_literal

# The counter of the columns pandas wrote for a DataFrame's index that a file's extras leave
# out (``pandas_index_columns``): row labels, not event fields.
PANDAS_INDEX = "columns_pandas_index"
_UNNAMED = re.compile(r"Unnamed: [0-9]+")
_INDEX_LEVEL = re.compile(r"__index_level_[0-9]+__")


def pandas_index_columns(names: Sequence[str], pandas_metadata: bytes | None = None) -> set[int]:
    """The positions of the columns pandas wrote for a DataFrame's index, which ``extras``
    leave out: the leading columns named ``""`` (``to_csv`` writes its index so by default)
    or ``Unnamed: N`` (that column read back by ``read_csv``, then written again); and in
    Parquet, the columns ``__index_level_N__`` that pandas' schema metadata lists as the
    index (``to_parquet`` of a frame whose index is not the default range). A named index
    (``set_index("event_id")``) is data and is read as any column."""
    found: set[int] = set()
    for i, name in enumerate(names):
        if name != "" and not _UNNAMED.fullmatch(name):
            break
        found.add(i)
    if pandas_metadata:
        try:
            listed = json.loads(pandas_metadata).get("index_columns", [])
        except (ValueError, AttributeError):
            listed = []
        index = {n for n in listed if isinstance(n, str) and _INDEX_LEVEL.fullmatch(n)}
        found |= {i for i, name in enumerate(names) if name in index}
    return found


def own_spelling_first(canon: str, names: list[str]) -> list[int]:
    """The order in which several inputs named for one field (``names``: "action", "Action",
    a repeated CSV header) are tried: the contract's own spelling first, then the others in
    the order given. Every format gives one record the same value this way, whatever order
    its keys or columns come in (sorted JSON keys had put "Action" before "action")."""
    return sorted(range(len(names)), key=lambda i: names[i] != canon)


def first_present(exprs: list[str]) -> str:
    """Several inputs for one field (two spellings of a key, a repeated CSV header name): the
    first, in the kind's order, whose trimmed text is not empty wins."""
    if len(exprs) == 1:
        return exprs[0]
    return "coalesce(" + ", ".join(f"nullif(trim({e}), '')" for e in exprs) + ")"


def json_member(name: str, json_value: str) -> str:
    """``"name":<value>`` as JSON text, for an extras object built by concatenation."""
    return f"to_json({quote_literal(name)}::VARCHAR) || ':' || {json_value}"


def json_object(members: list[str]) -> str:
    """An object of the non-NULL ``members``, or NULL when all are NULL."""
    if not members:
        return "CAST(NULL AS VARCHAR)"
    return f"nullif('{{' || concat_ws(',', {', '.join(members)}) || '}}', '{{}}')"


def extras_keys(names: list[str], extras: dict[str, list[int]]) -> list[tuple[str, int]]:
    """(key in ``extras``, column position) for the columns outside the contract (``extras``:
    name -> its positions, in order; ``names``: every column's name). A name that repeats
    (a CSV header or Parquet schema naming two columns alike) keeps every column: the first
    under the name, each later one under ``<name>#<column number>`` (1-based), so no value
    is lost for another's sake; a key another column already has gets more ``#``."""
    taken = set(names)
    keys: list[tuple[str, int]] = []
    for name, cols in extras.items():
        keys.append((name, cols[0]))
        for i in cols[1:]:
            key = f"{name}#{i + 1}"
            while key in taken:
                key += "#"
            taken.add(key)
            keys.append((key, i))
    return keys
