"""JSON Lines: one JSON object per line (``.jsonl``, ``.ndjson``).

Per batch, one DuckDB query marks the lines that are not UTF-8, not JSON or not an object as a
``reason`` column (so nothing after it needs ``TRY``), counts each line's keys, and extracts the
values of every key seen so far with one ``json_extract_string`` (contract fields) and one
``json_extract`` (the rest, kept as ``extras``). A second, small query lists the keys of the
few lines whose key count does not match (another spelling, a null value, a new key) and
takes their fields from every spelling. Keys are addressed as JSON pointers, so any key
works, the empty key ``""`` included. When a batch shows a key not seen before, the batch is
extracted again with it (normally only the first batch pays this).

A batch whose lines carry more than ``WIDE_KEYS`` distinct keys is not extracted key by key
(a query as long as the key list costs more than linear time to plan); its lines are exploded
into (line, key, value) rows with ``json_each`` and grouped back, which costs time linear in
the number of keys present. Both ways give the same columns; a test holds them equal.

Strict JSON: DuckDB's parser accepts NaN, Infinity (in any case), numbers too large for a
double, and trailing commas; JSON does not. Lines where a cheap pattern finds such a token
outside quotes (rare in real logs) are checked again by Python's parser with constants and
non-finite numbers rejected; those that fail are quarantined as not valid JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import Contract
from ..db import arrow_table, quote_identifier, quote_literal
from .columns import first_present, own_spelling_first
from .kinds import ReadContext, register_kind
from .lines import LineBatch, iter_line_batches, prefetch
from .text import (
    BLANK_LINES,
    GB18030_ROWS,
    decode_rows,
    in_line_order,
    no_content_rows,
    oversize_rows,
    spaces,
)

WIDE_KEYS = 256
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NOT_JSON = "line is not valid JSON"
BOM = "\ufeff"
# A token DuckDB accepts and JSON does not may follow '[', ':' or ','.
SUSPECT = r"[\[:,]\s*[-+]?(?i:nan|inf)|,\s*[\]}]|[\[:,]\s*-?[0-9.]+[eE]\+?[0-9]{3}|[0-9]{300}"
_JSON_KIND = (
    "CASE json_type(txt) WHEN 'ARRAY' THEN 'an array' WHEN 'VARCHAR' THEN 'a string' "
    "WHEN 'BOOLEAN' THEN 'true or false' WHEN 'NULL' THEN 'null' ELSE 'a number' END"
)
# ltrim copies its text: only the lines that do not start with '{' (almost none) pay for it.
_NOT_AN_OBJECT = f"""WHEN NOT (starts_with(txt, '{{') OR starts_with(ltrim(txt, E' \\t\\r\\n'), '{{'))
         THEN 'line is valid JSON but not an object (it is ' || {_JSON_KIND} || ')'"""
_CLASSIFIED = f"""SELECT line_number, txt, hint,
    CASE WHEN txt IS NULL THEN 'line is not valid UTF-8'
         WHEN NOT json_valid(txt) THEN '{NOT_JSON}'
         {_NOT_AN_OBJECT}
    END AS reason
    FROM json_lines"""
# A line that starts an object and does not end one (JSON whitespace aside) is not JSON,
# whatever lies between: told without parsing it. Lines cut short, the usual damage (a writer
# killed mid-line, a truncated copy), are all of this kind.
_JSON_SPACE = "E' \\t\\r\\n'"
_CUT_OBJECT = f"""WHEN (starts_with(txt, '{{') OR starts_with(ltrim(txt, {_JSON_SPACE}), '{{'))
         AND NOT (ends_with(txt, '}}') OR ends_with(rtrim(txt, {_JSON_SPACE}), '}}'))
         THEN '{NOT_JSON}'"""
# The same without json_valid, for a batch expected to hold no line that is not JSON other than
# those cut short: every other line is still parsed (objects by the extraction, the rest by
# json_type), and DuckDB's JSON functions raise on the first line that is not JSON, as
# json_valid (the same parser, the same options) says false.
_TRUSTED = f"""SELECT line_number, txt, hint,
    CASE WHEN txt IS NULL THEN 'line is not valid UTF-8'
         {_CUT_OBJECT}
         {_NOT_AN_OBJECT}
    END AS reason
    FROM json_lines"""


class JsonLines:
    name = "jsonl"
    suffixes: tuple[str, ...] = (".jsonl", ".ndjson")

    def batches(self, ctx: ReadContext) -> Iterator[pa.Table]:
        stream = ctx.open_bytes()
        keys = KnownKeys(ctx.contract)
        try:
            lines = iter_line_batches(
                stream, batch_bytes=ctx.batch_bytes, max_line_bytes=ctx.max_line_bytes
            )
            # The reading thread also looks for lenient tokens: it has time to spare, and the
            # extracting query is the slowest step of the pipeline.
            first = True
            noted: set[str] = set()  # the keys given to ctx.note_columns
            for batch, hints in prefetch((b, suspect_hints(b.rows)) for b in lines):
                oversize = oversize_rows(batch.oversize, ctx.max_line_bytes)
                table = read_batch(ctx.con, batch, keys, hints, ctx)
                if len(keys.keys) > len(noted):
                    ctx.note_columns(keys.keys - noted)
                    noted |= keys.keys
                merged = in_line_order(table, oversize)
                del batch, hints  # its bytes are text now: not kept while the batch waits
                if merged is not None:
                    if first:
                        check_line_endings(merged)
                        first = False
                    yield merged
        finally:
            stream.close()


register_kind(JsonLines())


class KnownKeys:
    """Every key seen so far in the file, and which contract field each one names; and
    whether the file's last batch was all JSON (``narrow_query`` then trusts the next one)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.keys: set[str] = set()
        self.all_json = True

    def add(self, new: set[str]) -> bool:
        grown = not new <= self.keys
        self.keys |= new
        return grown

    @property
    def wide(self) -> bool:
        return len(self.keys) > WIDE_KEYS

    def groups(self) -> tuple[dict[str, list[str]], list[str]]:
        """(contract field -> its input keys: the contract's own spelling first, then the
        others sorted; ``own_spelling_first``), and the sorted keys outside it."""
        groups: dict[str, list[str]] = {}
        extras: list[str] = []
        for key in sorted(self.keys):
            canon = self.contract.canonical_key(key)
            if canon is None:
                extras.append(key)
            else:
                groups.setdefault(canon, []).append(key)
        for canon, ks in groups.items():
            groups[canon] = [ks[i] for i in own_spelling_first(canon, ks)]
        return groups, extras


# A carriage return followed by more of the line: the line holds several lines ended by a
# carriage return alone. (JSON allows a CR only as whitespace between tokens, and no writer
# of JSON Lines puts one there.)
_INNER_CR = re.compile(r"\r\s*\{")
CR_ONLY_HINT = (
    "convert the file's line endings to LF (for example tr '\\r' '\\n' < in.jsonl > "
    "out.jsonl, or dos2unix -c mac in.jsonl) and ingest it again"
)


def check_line_endings(first: pa.Table) -> None:
    """Rejects a file whose first line fails (not JSON, or over the size limit) and holds a
    carriage return that does not end it: the file's lines end in a carriage return alone
    (classic Mac OS), so the whole file is one line, which would be one quarantined row and
    no hint; the CSV reader rejects such a file in the same words. Looks at one row, once."""
    from ..errors import InputFileError

    row = first.slice(0, 1).to_pylist()[0]
    if row["line_number"] != 1 or row.get("reason") is None:
        return
    raw = row.get("raw") or ""
    if _INNER_CR.search(raw):
        raise InputFileError(
            "line 1 of the JSON Lines file has a carriage return that does not end the line: "
            "the file's lines end in a carriage return alone (CR-only, classic Mac OS line "
            "endings), so the file reads as one line",
            hint=CR_ONLY_HINT,
        )
    # A JSON document, not JSON Lines: an export's array or a pretty-printed object. Read line
    # by line, each of its lines would be a quarantined row of punctuation ('{', '"actor_id":
    # "u1",' ...), or the whole array one row, and nothing stored. Only a first line that
    # cannot start a file of good rows is taken as the sign: '[' or '{' alone (a document
    # over several lines), or an array that is the file's only line; and only when no row of
    # the first batch is good, so a stray '{' above good rows stays one quarantined row.
    opened = raw.strip(" \t\r\n\ufeff")
    every_row_failed = first["reason"].null_count == 0
    if every_row_failed and (
        opened in ("[", "{", "[{", "[ {")
        or (first.num_rows == 1 and "(it is an array)" in row["reason"] and opened[:1] == "[")
    ):
        raise InputFileError(
            "the JSON Lines file is one JSON document (its line 1 is "
            + (repr(opened) if len(opened) < 4 else "an array")
            + "), not one JSON object a line",
            hint="convert it, e.g. jq -c '.[]' in.json > out.jsonl for an array of events, or "
            "jq -c . in.json > out.jsonl for objects written over several lines, and ingest that",
        )


def suspect_hints(rows: pa.Array) -> pa.BooleanArray:
    """Per row: whether ``SUSPECT`` finds a lenient token in it (pyarrow's RE2 scan over the
    rows' bytes, about 40% cheaper than DuckDB's ``regexp_matches`` over the same text)."""
    return pc.match_substring_regex(rows, SUSPECT)


def read_batch(
    con: Any,
    batch: LineBatch,
    keys: KnownKeys,
    hints: pa.BooleanArray | None = None,
    ctx: ReadContext | None = None,
) -> pa.Table:
    """One batch of lines as the kinds' batch shape (see kinds.py). ``hints``:
    ``suspect_hints(batch.rows)``, when the caller computed it already; ``ctx`` counts the
    blank lines and the lines that are not UTF-8 but read as GB18030."""
    lines, empty = _non_blank_lines(
        con, batch, suspect_hints(batch.rows) if hints is None else hints, ctx
    )
    con.register("json_lines", _chunked(lines.select(["line_number", "txt", "hint"])))
    try:
        if not keys.keys:
            keys.add(_discover_keys(con))
        while True:
            extracted = (wide_query if keys.wide else narrow_query)(con, keys)
            seen = pc.unique(pc.list_flatten(extracted["keys"])).to_pylist()
            if not keys.add({k for k in seen if k is not None}):
                break
    finally:
        con.unregister("json_lines")
    if not extracted["line_number"].equals(lines["line_number"]):
        extracted = extracted.sort_by("line_number")  # DuckDB kept the order, so far always
    extracted = extracted.append_column("raw", lines["raw"])
    extracted = _reject_lenient(extracted.drop_columns(["keys"]))
    extracted = extracted.drop_columns(["suspect", "suspect_txt"])
    if empty is None:
        return extracted
    merged = in_line_order(extracted, empty)
    assert merged is not None
    return merged


def _non_blank_lines(
    con: Any,
    batch: LineBatch,
    hints: pa.BooleanArray,
    ctx: ReadContext | None = None,
) -> tuple[pa.Table, pa.Table | None]:
    """line_number, txt (NULL if not UTF-8), raw and the suspect hint of the lines that are
    not blank and not only white space; and the lines with no content but white space, as
    quarantined rows (``text.spaces``). Only lines that do not start with '{' (almost none)
    are looked at for white space."""
    decoded = decode_rows(con, batch.rows)
    if decoded.gb18030_rows and ctx is not None:
        ctx.count_quarantined(GB18030_ROWS, decoded.gb18030(batch.line_numbers))
    lines = pa.table(
        {
            "line_number": batch.line_numbers,
            "txt": decoded.txt,
            "raw": decoded.raw,
            "hint": hints,
        }
    )
    other = pc.fill_null(pc.invert(pc.starts_with(decoded.txt, "{")), False)
    if not pc.any(other).as_py():
        return lines, None
    where = pc.indices_nonzero(other)
    txt = _without_byte_order_marks(decoded.txt, where)
    if txt is not decoded.txt:
        lines = lines.set_column(lines.schema.get_field_index("txt"), "txt", txt)
    spaced = spaces(pc.take(txt, where))
    if not spaced.any:
        return lines, None
    blanks = len(pc.indices_nonzero(spaced.blank))
    if blanks and ctx is not None:
        ctx.count(BLANK_LINES, blanks)
    empty = no_content_rows(
        spaced, pc.take(lines["line_number"], where), pc.take(lines["raw"], where)
    )
    drop = pc.filter(where, pc.or_(spaced.blank, spaced.no_content)).to_numpy()
    keep = np.ones(len(decoded.txt), dtype=bool)
    keep[drop] = False
    return lines.filter(pa.array(keep)), empty


def _without_byte_order_marks(txt: pa.Array, where: pa.Array) -> pa.Array:
    """``txt`` with a byte order mark dropped from the start of the lines at ``where`` (those
    not starting with '{'); ``txt`` itself when none has one. A BOM inside a file is where
    files were joined (``cat a.jsonl b.jsonl``, each saved with one by a Windows tool), as the
    one a file may start with, which the line reader drops: it is not part of the line's
    JSON. ``raw`` keeps it."""
    marked = pc.fill_null(pc.starts_with(pc.take(txt, where), BOM), False)
    if not pc.any(marked).as_py():
        return txt
    mask = np.zeros(len(txt), dtype=bool)
    mask[pc.filter(where, marked).to_numpy()] = True
    return pc.if_else(pa.array(mask), pc.utf8_ltrim(txt, BOM), txt)


def _discover_keys(con: Any) -> set[str]:
    """The keys of the batch's JSON objects (the first batch's, before any is known)."""
    rows = con.sql(
        "SELECT DISTINCT unnest(json_keys(txt)) FROM json_lines WHERE txt IS NOT NULL "
        "AND starts_with(ltrim(txt, E' \\t'), '{') AND json_valid(txt)"
    ).fetchall()
    return {r[0] for r in rows}


def _chunked(table: pa.Table) -> pa.Table:
    """Several record batches let DuckDB spread the work over its threads."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=32768), table.schema)


def json_path(key: str) -> str:
    """``$.key`` for plain keys (DuckDB's fastest form), else a JSON pointer, which can name
    any key, the empty one included."""
    if _PLAIN_KEY.fullmatch(key):
        return "$." + key
    return "/" + key.replace("~", "~0").replace("/", "~1")


def narrow_query(con: Any, keys: KnownKeys) -> pa.Table:
    """Key by key: one ``json_extract_string`` for the contract fields, one ``json_extract``
    for the rest. Most lines spell every field the contract's way; only the *unusual* lines
    (see ``_UNUSUAL``) are looked at again, on their own (``_unusual_lines``): their keys are
    listed, and those with another spelling ("Action", "event-time") pay for looking up
    every spelling."""
    groups, extra_keys = keys.groups()
    plain = [canon for canon, ks in groups.items() if canon in ks]
    at_plain = {k: i + 1 for i, k in enumerate(plain)}
    fields = [
        (f"plain_value[{at_plain[canon]}]" if canon in at_plain else "CAST(NULL AS VARCHAR)")
        + f" AS {quote_identifier(canon)}"
        for canon in groups
    ]
    plain_value = _extract_strings(plain, "reason IS NULL")
    ev, extras = _extras_json(extra_keys)

    def query(classified: str) -> str:
        return f"""SELECT line_number, reason, suspect,
            CASE WHEN suspect THEN txt END AS suspect_txt,
            CASE WHEN unusual THEN txt END AS unusual_txt,
            {", ".join([*fields, f"{extras} AS extras"])}
        FROM (SELECT *, {_UNUSUAL} AS unusual
            FROM (SELECT *, {plain_value} AS plain_value, {ev} AS ev
                FROM (SELECT *, json_keys(CASE WHEN reason IS NULL THEN txt END) AS all_keys,
                    CASE WHEN reason IS NULL THEN hint END AS suspect
                    FROM ({classified}))))"""

    usual = None
    if keys.all_json:
        # Checking every line with json_valid is one more parse of it (a tenth of this
        # query); a batch like the file's last one, all JSON, goes without, and one with a
        # line that is not JSON fails at that line and is run again with the check.
        try:
            usual = arrow_table(con, query(_TRUSTED))
        except duckdb.InvalidInputException:
            keys.all_json = False
    if usual is None:
        usual = arrow_table(con, query(_CLASSIFIED))
        keys.all_json = _only_cut_short(con, usual)
    return _unusual_lines(con, usual, groups)


def _only_cut_short(con: Any, checked: pa.Table) -> bool:
    """Whether every line of a checked batch that is not JSON is cut short (``_CUT_OBJECT``
    tells them without parsing): the next batch can then go without json_valid. Asked of
    the few lines that are not JSON alone."""
    bad = pc.equal(checked["reason"], NOT_JSON)
    if not pc.any(bad).as_py():
        return True
    numbers = pc.filter(checked["line_number"], bad).to_pylist()
    ((others,),) = con.execute(
        f"""SELECT count(*) FROM json_lines
        WHERE line_number IN (SELECT unnest($numbers::BIGINT[]))
          AND (CASE {_CUT_OBJECT} ELSE '' END) <> '{NOT_JSON}'""",
        {"numbers": numbers},
    ).fetchall()
    return int(others) == 0


def _unusual_lines(con: Any, table: pa.Table, groups: dict[str, list[str]]) -> pa.Table:
    """``table`` (narrow_query's first pass) with the ``keys`` of its unusual lines, and their
    fields that have other spellings taken from every spelling present: the first, in key
    order, whose trimmed text is not empty. Asked of the unusual lines alone (about one line
    in ten in the benchmark's files), so the other lines pay neither for listing keys nor for
    the spellings they do not use."""
    txt = table["unusual_txt"].combine_chunks()
    table = table.drop_columns(["unusual_txt"])
    at = pc.indices_nonzero(pc.is_valid(txt))
    if not len(at):
        return table.append_column("keys", pa.nulls(table.num_rows, pa.list_(pa.string())))
    mixed = {canon: ks for canon, ks in groups.items() if ks != [canon]}
    variants = [k for canon, ks in mixed.items() for k in ks if k != canon]
    at_variant = {k: i + 1 for i, k in enumerate(variants)}
    fields = []
    for i, (canon, ks) in enumerate(mixed.items()):
        usual = f"p{i}" if canon in ks else "NULL"
        # In key order; the contract's own spelling is the first pass's value, ``p<i>``.
        first = first_present(
            [usual if k == canon else f"every_value[{at_variant[k]}]" for k in ks]
        )
        fields.append(f"CASE WHEN every_value IS NOT NULL THEN {first} ELSE {usual} END AS f{i}")
    every_value = (
        _extract_strings(
            variants,
            "list_has_any(all_keys, [" + ", ".join(quote_literal(k) for k in variants) + "])",
        )
        if variants
        else "CAST(NULL AS VARCHAR[])"
    )
    lines = pa.table(
        {
            "pos": at,
            "txt": pc.take(txt, at),
            **{f"p{i}": pc.take(table[canon], at) for i, canon in enumerate(mixed)},
        }
    )
    con.register("unusual_lines", lines)
    try:
        found = arrow_table(
            con,
            f"""SELECT {", ".join(["pos", "all_keys", *fields])}
            FROM (SELECT *, {every_value} AS every_value
                FROM (SELECT *, json_keys(txt) AS all_keys FROM unusual_lines))""",
        )
    finally:
        con.unregister("unusual_lines")
    if not found["pos"].equals(lines["pos"]):
        found = found.sort_by("pos")  # DuckDB kept the order, so far always
    mask = pc.is_valid(txt)
    for i, canon in enumerate(mixed):
        column = table[canon].combine_chunks()
        values = found[f"f{i}"].combine_chunks().cast(column.type)
        table = table.set_column(
            table.schema.get_field_index(canon), canon, pc.replace_with_mask(column, mask, values)
        )
    where = np.full(table.num_rows, -1, dtype=np.int64)
    where[at.to_numpy()] = np.arange(len(at), dtype=np.int64)
    keys = pc.take(found["all_keys"], pa.array(where, mask=where < 0))
    return table.append_column("keys", keys)


# A line is *usual* when each of its keys is a known key spelled the contract's way (or a known
# extra) with a value: its key count equals the values found. Only unusual lines (another
# spelling, a null value, a repeated or a new key) are looked at key by key, and only their keys
# are handed back for discovery: a line holding a key not yet known is always unusual.
_UNUSUAL = (
    "reason IS NULL AND len(all_keys) <> "
    "coalesce(list_count(plain_value), 0) + coalesce(list_count(ev), 0)"
)


def _extract_strings(keys: list[str], when: str) -> str:
    if not keys:
        return "CAST(NULL AS VARCHAR[])"
    paths = ", ".join(quote_literal(json_path(k)) for k in keys)
    # The condition picks the text, not the list: a CASE choosing between lists copies them
    # one by one wherever a chunk holds a line that fails it (most chunks, with 1% malformed
    # lines), while a NULL text gives a NULL list at no cost.
    return f"json_extract_string(CASE WHEN {when} THEN txt END, [{paths}])"


def _extras_json(extra_keys: list[str]) -> tuple[str, str]:
    """SQL for the ``extras`` JSON object of one line: the keys outside the contract, with
    their JSON values, leaving out absent, null and empty ones (as for contract fields, empty
    means absent). Returns (the ``ev`` column, which parses the line once for all those keys;
    the extras expression over ``ev``)."""
    if not extra_keys:
        return "CAST(NULL AS JSON[])", "CAST(NULL AS VARCHAR)"
    pointers = ", ".join(quote_literal(json_path(k)) for k in extra_keys)
    # Plain string building: each value is already JSON text, each key JSON-escaped here.
    members = ", ".join(
        f"CASE WHEN ev[{i}] IS NOT NULL AND ev[{i}]::VARCHAR NOT IN ('null', '\"\"') "
        f"THEN {quote_literal(_member_prefix(k))} || ev[{i}]::VARCHAR END"
        for i, k in enumerate(extra_keys, 1)
    )
    return (
        f"json_extract(CASE WHEN reason IS NULL THEN txt END, [{pointers}])",
        f"nullif('{{' || concat_ws(',', {members}) || '}}', '{{}}')",
    )


def _member_prefix(key: str) -> str:
    return json.dumps(key, ensure_ascii=False) + ":"


def wide_query(con: Any, keys: KnownKeys) -> pa.Table:
    """The same columns as narrow_query, for lines with very many distinct keys: cost linear
    in the keys present, and a query whose length does not depend on them."""
    groups, extra_keys = keys.groups()
    canon_of = {k: canon for canon, ks in groups.items() for k in ks}
    # sorted, a field's own spelling before its others (as ``KnownKeys.groups``)
    rank = {k: i for i, k in enumerate(sorted(keys.keys, key=lambda k: (canon_of.get(k) != k, k)))}
    key_table = pa.table(
        {
            "key": pa.array(list(rank), pa.string()),
            "key_rank": pa.array(list(rank.values()), pa.int64()),
            "canon": pa.array([canon_of.get(k) for k in rank], pa.string()),
            "member": pa.array([_member_prefix(k) for k in rank], pa.string()),
        }
    )
    extra_members = (
        "string_agg(member || json_value, ',' ORDER BY key_rank) FILTER (canon IS NULL "
        "AND member IS NOT NULL AND json_value NOT IN ('null', '\"\"')) AS extra_members"
    )
    picked = [f"g.{quote_identifier(c)}" for c in groups] + [
        "'{' || g.extra_members || '}' AS extras"
    ]
    fields = [
        f"arg_min(val, (key_rank, pos)) FILTER (canon = {quote_literal(c)} "
        f"AND trim(val) <> '') AS {quote_identifier(c)}"
        for c in groups
    ]
    con.register("key_names", key_table)
    try:
        return arrow_table(
            con,
            f"""WITH classified AS (
                SELECT *, CASE WHEN reason IS NULL THEN hint END AS suspect FROM ({_CLASSIFIED})
            ), pairs AS (
                SELECT c.line_number, e.key, e.value::VARCHAR AS json_value,
                    json_extract_string(e.value, '$') AS val, e.id AS pos
                FROM classified c, json_each(CASE WHEN c.reason IS NULL THEN c.txt END) e
            ), first_pairs AS (
                SELECT p.*, k.key_rank, k.canon, k.member
                FROM pairs p LEFT JOIN key_names k USING (key)
                QUALIFY row_number() OVER (PARTITION BY p.line_number, p.key ORDER BY p.pos) = 1
            ), grouped AS (
                SELECT line_number, list(key) AS keys,
                    {", ".join([*fields, extra_members])}
                FROM first_pairs GROUP BY line_number
            )
            SELECT c.line_number, c.reason, c.suspect, CASE WHEN c.suspect THEN c.txt END AS suspect_txt,
                g.keys, {", ".join(picked)}
            FROM classified c LEFT JOIN grouped g USING (line_number) ORDER BY c.line_number""",
        )
    finally:
        con.unregister("key_names")


def strict_json_error(txt: str) -> str | None:
    """Why ``txt`` is not strict JSON (RFC 8259), or None: NaN and Infinity in any spelling,
    numbers beyond a double's range and trailing commas are refused."""
    try:
        json.loads(txt, parse_constant=_no_constant, parse_float=_finite, parse_int=len)
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, _NotJson) else ""
        return f"{NOT_JSON}: {detail}" if detail else NOT_JSON
    return None


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:40]} is too large")
    return value


def _reject_lenient(table: pa.Table) -> pa.Table:
    """Quarantine the suspect lines that Python's strict parser refuses (few lines pay)."""
    suspects = table.filter(pc.fill_null(table["suspect"], False))
    if not suspects.num_rows:
        return table
    errors = {
        n: err
        for n, txt in zip(
            suspects["line_number"].to_pylist(), suspects["suspect_txt"].to_pylist(), strict=True
        )
        if (err := strict_json_error(txt)) is not None
    }
    if not errors:
        return table
    where = pc.index_in(table["line_number"], value_set=pa.array(list(errors), pa.int64()))
    strict = pc.take(pa.array(list(errors.values()), pa.large_string()), where)
    reason = pc.coalesce(strict, table["reason"].cast(pa.large_string()))
    return table.set_column(table.schema.get_field_index("reason"), "reason", reason)
