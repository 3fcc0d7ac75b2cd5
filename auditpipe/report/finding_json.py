"""Each finding of the JSON report written as JSON text by DuckDB, column-wise.

A report can hold tens of thousands of findings; turning each into Python objects and then
into JSON cost more than every query of the report together. So DuckDB writes each finding's
JSON object as a text column, exactly as ``json.dumps(row.to_dict(), ensure_ascii=False)``
writes it for a ``FindingRow`` (``model.py``): the same keys in the same order, ``", "`` and
``": "`` between them, non-ASCII text as is, control characters escaped the way Python escapes
them (``\\n``, ``\\u001f``: lowercase hex, where DuckDB's ``to_json`` writes uppercase), dates
and times as ``isoformat()`` writes them (microseconds only when not zero, the UTC offset of
the lake's timezone with its seconds when it has any), amounts as exact strings.
``FindingRow.to_dict`` stays the definition; tests hold this SQL to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..db.database import SqlConnection

# A text as a JSON string, exactly as Python escapes it. DuckDB's to_json does the same but for
# the hex digits of control characters (\u000B where Python writes \u000b), and is much faster:
# ``finding_json_sql`` writes texts with to_json and only a finding whose JSON then holds "\u00"
# (a control character, or a backslash before "u00") with this macro. The text is taken apart
# into runs without control characters (backslash and quote escaped) and single control
# characters.
_JSON_TEXT = r"""
CREATE OR REPLACE MACRO report_json_text(s) AS
    CASE WHEN s IS NULL THEN 'null' ELSE '"' || array_to_string(
        list_transform(
            regexp_extract_all(s, '[\x00-\x1f]|[^\x00-\x1f]+'),
            lambda t: CASE
                WHEN NOT regexp_matches(t, '^[\x00-\x1f]$')
                    THEN replace(replace(t, '\', '\\'), '"', '\"')
                WHEN t = chr(8) THEN '\b'
                WHEN t = chr(9) THEN '\t'
                WHEN t = chr(10) THEN '\n'
                WHEN t = chr(12) THEN '\f'
                WHEN t = chr(13) THEN '\r'
                ELSE '\u' || lpad(lower(hex(ord(t))), 4, '0')
            END),
        '') || '"' END
"""

# A TIMESTAMPTZ as datetime.isoformat() writes it in the session's timezone (the lake's).
# strftime's %z is isoformat's offset ("+05:30", "+05:21:10" with seconds) except that it
# leaves out ":00" for whole hours ("+08"). Offsets are whole seconds, so the fraction of the
# local time is the instant's.
_JSON_TIME = """
CREATE OR REPLACE MACRO report_json_time(ts) AS
    CASE
        WHEN ts IS NULL THEN 'null'
        ELSE '"' || strftime(ts, '%Y-%m-%dT%H:%M:%S')
            || CASE WHEN epoch_us(ts) % 1000000 <> 0 THEN strftime(ts, '.%f') ELSE '' END
            || regexp_replace(strftime(ts, '%z'), '^([+-][0-9][0-9])$', '\\1:00')
            || '"'
    END
"""

JSON_MACROS: tuple[str, ...] = (_JSON_TEXT, _JSON_TIME)


def _kinds(text: str) -> dict[str, str]:
    """How each kind of value is written, ``{c}`` standing for the column; ``text``: how a
    text is."""
    return {
        "text": text,
        "date": """CASE WHEN {c} IS NULL THEN 'null' ELSE '"' || {c}::VARCHAR || '"' END""",
        "time": "report_json_time({c})",
        "int": "coalesce({c}::VARCHAR, 'null')",
        "money": """CASE WHEN {c} IS NULL THEN 'null' ELSE '"' || {c}::VARCHAR || '"' END""",
        "text_list": (
            "CASE WHEN {c} IS NULL THEN 'null' ELSE '[' || array_to_string(list_transform({c}, "
            f"lambda v: {text.format(c='v')}), ', ') || ']' END"
        ),
        # currency -> amount (a MAP), amounts as exact strings
        "money_map": (
            "CASE WHEN {c} IS NULL THEN 'null' ELSE '{{' || array_to_string(list_transform("
            f"map_entries({{c}}), lambda e: {text.format(c='e.key')} || ': ' || CASE WHEN "
            """e.value IS NULL THEN 'null' ELSE '"' || e.value::VARCHAR || '"' END), ', ') """
            "|| '}}' END"
        ),
    }


FAST = _kinds("coalesce(to_json({c}), 'null')")
EXACT = _kinds("report_json_text({c})")
# A finding written with FAST differs from EXACT only if this is in it (to_json's ).
FAST_DIFFERS = r"'\u00'"

# FindingRow's fields in to_dict's order, each with how its value is written.
FINDING_FIELDS: tuple[tuple[str, str], ...] = (
    ("finding_id", "text"),
    ("rule_id", "text"),
    ("category", "text"),
    ("severity", "text"),
    ("provider_id", "text"),
    ("event_date", "date"),
    ("actor_id", "text"),
    ("actor_type", "text"),
    ("destination_party", "text"),
    ("first_seen", "time"),
    ("last_seen", "time"),
    ("event_count", "int"),
    ("record_count", "int"),
    ("subject_count", "int"),
    ("data_classes", "text_list"),
    ("data_categories", "text_list"),
    ("proceeds_cny", "money"),
    ("unconverted_amounts", "money_map"),
    ("summary", "text"),
    ("evidence_count", "int"),
    ("evidence_sample", "text_list"),
    ("evidence_sql", "text"),
)


def finding_json_sql(alias: str, kinds: dict[str, str] = EXACT) -> str:
    """The expression of one finding's JSON object, over the columns ``alias``.<field>;
    ``kinds``: EXACT, or FAST where its result does not contain FAST_DIFFERS."""
    parts = []
    for i, (name, kind) in enumerate(FINDING_FIELDS):
        opening = ", " if i else "{"
        parts.append(f"""'{opening}"{name}": '""")
        parts.append(kinds[kind].format(c=f"{alias}.{name}"))
    # one concat of every part: a chain of || copied the growing text once per part
    return "concat(\n    " + ",\n    ".join(parts) + ",\n    '}')"


def create_json_macros(con: SqlConnection) -> None:
    for statement in JSON_MACROS:
        con.execute(statement)
