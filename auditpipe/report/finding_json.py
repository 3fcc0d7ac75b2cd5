"""Each finding of the JSON report written as JSON text by DuckDB, column-wise.

A report can hold tens of thousands of findings; turning each into Python objects and then
into JSON cost more than every query of the report together. So DuckDB writes each finding's
JSON object as a text column, as ``json.dumps(row.to_dict(), ensure_ascii=False)`` writes it
for a ``FindingRow`` (``model.py``): the same keys in the same order, ``", "`` and ``": "``
between them, texts through ``to_json`` (which escapes as Python does, non-ASCII as is), dates
and times as ``isoformat()`` writes them (microseconds only when not zero, the UTC offset of
the lake's timezone with its seconds when it has any), amounts as exact strings. The one
difference, the case of the hex digits in the escape of a control character (to_json writes
\\u001F, Python \\u001f), is left to ``finding_list.python_escapes``. ``FindingRow.to_dict``
stays the definition; tests hold this SQL to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..db.database import SqlConnection

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

JSON_MACROS: tuple[str, ...] = (_JSON_TIME,)


def _text(column: str) -> str:
    return f"coalesce(to_json({column}), 'null')"


# How each kind of value is written, ``{c}`` standing for the column.
_KINDS: dict[str, str] = {
    "text": _text("{c}"),
    "date": """CASE WHEN {c} IS NULL THEN 'null' ELSE '"' || {c}::VARCHAR || '"' END""",
    "time": "report_json_time({c})",
    "int": "coalesce({c}::VARCHAR, 'null')",
    "money": """CASE WHEN {c} IS NULL THEN 'null' ELSE '"' || {c}::VARCHAR || '"' END""",
    "text_list": (
        "CASE WHEN {c} IS NULL THEN 'null' ELSE '[' || array_to_string(list_transform({c}, "
        f"lambda v: {_text('v')}), ', ') || ']' END"
    ),
    # currency -> amount (a MAP), amounts as exact strings
    "money_map": (
        "CASE WHEN {c} IS NULL THEN 'null' ELSE '{{' || array_to_string(list_transform("
        f"map_entries({{c}}), lambda e: {_text('e.key')} || ': ' || CASE WHEN "
        """e.value IS NULL THEN 'null' ELSE '"' || e.value::VARCHAR || '"' END), ', ') """
        "|| '}}' END"
    ),
}

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


def finding_json_sql(alias: str) -> str:
    """The expression of one finding's JSON object, over the columns ``alias``.<field>."""
    parts = []
    for i, (name, kind) in enumerate(FINDING_FIELDS):
        opening = ", " if i else "{"
        parts.append(f"""'{opening}"{name}": '""")
        parts.append(_KINDS[kind].format(c=f"{alias}.{name}"))
    # one concat of every part: a chain of || copied the growing text once per part
    return "concat(\n    " + ",\n    ".join(parts) + ",\n    '}')"


def create_json_macros(con: SqlConnection) -> None:
    for statement in JSON_MACROS:
        con.execute(statement)
