"""Output formats the generator writes, and which malformed-row kinds each can carry.

Kept free of heavy imports: the CLI reads these names to build ``--formats`` choices.
"""

from __future__ import annotations

# Format name -> (family, compression). The family decides how a row is rendered.
FORMATS: dict[str, tuple[str, str | None]] = {
    "jsonl": ("json", None),
    "jsonl.gz": ("json", "gzip"),
    "jsonl.zst": ("json", "zstd"),
    "csv": ("csv", None),
    "csv.gz": ("csv", "gzip"),
    "csv.zst": ("csv", "zstd"),
    "parquet": ("parquet", None),
}
DEFAULT_FORMATS = ("jsonl", "csv", "jsonl.gz")

# Malformed-row kinds, in the order they are handed out, and the families that can carry them
# (a Parquet file cannot hold broken JSON or invalid UTF-8; a JSON line has no column count).
ALL_FAMILIES = frozenset({"json", "csv", "parquet"})
BAD_KINDS: dict[str, frozenset[str]] = {
    "malformed_json": frozenset({"json"}),
    "not_an_object": frozenset({"json"}),
    "csv_column_count": frozenset({"csv"}),
    "invalid_utf8": frozenset({"json", "csv"}),
    "missing_required": ALL_FAMILIES,
    "bad_time": ALL_FAMILIES,
    "unknown_enum": ALL_FAMILIES,
    "negative_amount": ALL_FAMILIES,
    "non_numeric_amount": ALL_FAMILIES,
    "negative_record_count": ALL_FAMILIES,
    "non_numeric_record_count": ALL_FAMILIES,
}


def family(fmt: str) -> str:
    return FORMATS[fmt][0]


def bad_kinds_for(formats: tuple[str, ...]) -> list[str]:
    """The malformed-row kinds at least one of ``formats`` can carry, in hand-out order."""
    families = {family(f) for f in formats}
    return [kind for kind, fams in BAD_KINDS.items() if fams & families]
