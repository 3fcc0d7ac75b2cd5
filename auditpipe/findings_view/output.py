"""``findings list`` and ``findings show`` as text, JSON or CSV.

Evidence records are formatted by DuckDB (``evidence_text_sql``, ``evidence_json_sql``,
``evidence_csv_sql`` over ``evidence_shown``) and written a batch at a time: Python joins the
batch's strings, it does not visit events one by one. Times are in the lake's timezone (the
connection's), with their UTC offset.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rich.cells import cell_len

from ..console import visible, visible_sql
from ..db import quote_literal
from ..detect.summary import amount_sql
from ..i18n import N_, _, current_language, ngettext
from ..lake.locations import CHANGED, IN_PLACE, MOVED
from ..outputs import neutralise_csv_cell, neutralise_csv_sql
from ..penalty import amount_text
from ..report.masking import FINDING_MASKS
from ..report.render.common import actor_type_word, category_label, cny, severity_word
from .listing import LIST_COLUMNS, FindingList
from .show import FindingEvidence

# The default catalog's data categories (schemas/data_catalog.json), for people: in English
# the category itself, in another language its word with the category after it (what SQL
# over the lake filters on). A category of the user's own catalog shows as it is.
DATA_CATEGORY_WORDS = {
    "credential": N_("credential"),
    "login_record": N_("login_record"),
    "real_name": N_("real_name"),
    "id_document": N_("id_document"),
    "biometric_image": N_("biometric_image"),
    "phone": N_("phone"),
    "contact": N_("contact"),
    "financial": N_("financial"),
    "other": N_("other"),
}


def data_category_word(category: str) -> str:
    word = _(DATA_CATEGORY_WORDS[category]) if category in DATA_CATEGORY_WORDS else category
    return (
        category
        if word == category
        else _("{word} ({category})").format(word=word, category=category)
    )


FORMATS = ("text", "json", "csv")
Write = Callable[[str], None]

# to the second, and the part of a second when there is one (milliseconds, or microseconds):
# render.common.fraction in SQL
_TIME = (
    "strftime(event_time, '%Y-%m-%d %H:%M:%S') || CASE "
    "WHEN epoch_us(event_time) % 1000000 = 0 THEN '' "
    "WHEN epoch_us(event_time) % 1000 = 0 THEN strftime(event_time, '.%g') "
    "ELSE strftime(event_time, '.%f') END || strftime(event_time, '%z')"
)
_ISO_TIME = "strftime(event_time, '%Y-%m-%dT%H:%M:%S.%f%z')"
_AMOUNT = (
    "CASE WHEN amount IS NULL THEN '-' "
    f"ELSE {amount_sql('amount')} || ' ' || coalesce(currency, 'CNY') END"
)


def sql_text(template: str, **exprs: str) -> str:
    """``template`` (a message with ``{name}`` placeholders, as translations keep them) as a
    SQL text expression: the literal parts quoted, each placeholder its SQL expression."""
    parts = re.split(r"\{(\w+)\}", template)
    pieces = [
        f"CAST(({exprs[part]}) AS VARCHAR)" if i % 2 else quote_literal(part)
        for i, part in enumerate(parts)
        if i % 2 or part
    ]
    return " || ".join(pieces) or "''"


def _source_text() -> str:
    """The source line of a record: where the file is now, and what happened to it."""
    at = {"path": "source_now", "line": "line_number", "ingested": "source_file"}
    lost = {"path": "source_file", "line": "line_number"}
    moved = sql_text(_("{path}:{line} (moved; ingested from {ingested})"), **at)
    changed = sql_text(
        _("{path}:{line} (CHANGED: the file there now is not the one ingested)"), **lost
    )
    missing = sql_text(
        _("{path}:{line} (MISSING: not there, and not where nightly moved it)"), **lost
    )
    return f"""CASE
    WHEN source_sha256 IS NULL THEN '-'
    WHEN source_status = '{IN_PLACE}' THEN {sql_text("{path}:{line}", **at)}
    WHEN source_status = '{MOVED}' THEN {moved}
    WHEN source_status = '{CHANGED}' THEN {changed}
    ELSE {missing}
END"""


def evidence_text_sql() -> str:
    """One readable block per evidence event (a SELECT list over ``evidence_shown``), its
    words in the current language."""
    n = "coalesce(record_count, 1)"
    count = f"format($${{:,}}$$, {n})"
    records = (
        f"CASE WHEN {n} = 1 THEN {sql_text(ngettext('{n} record', '{n} records', 1), n=count)} "
        f"ELSE {sql_text(ngettext('{n} record', '{n} records', 2), n=count)} END"
    )
    actor = sql_text(
        _("{actor} ({type})"),
        actor="coalesce(actor_id, '-')",
        type=f"coalesce(actor_type, {quote_literal(_('unknown'))})",
    )
    lines = [
        (_("time"), _TIME),
        (_("actor"), actor),
        (_("action"), "coalesce(action, '-') || coalesce(' (' || outcome || ')', '')"),
        (_("subject"), f"coalesce(subject_id, '-') || ', ' || {records}"),
        (_("data fields"), "coalesce(nullif(array_to_string(data_fields, ', '), ''), '-')"),
        (
            _("destination"),
            "coalesce(destination_type, '-') || coalesce(': ' || destination_party, '')",
        ),
        (_("ticket"), f"coalesce(authorization_ref, {quote_literal(_('none'))})"),
        (_("purpose"), "coalesce(purpose, '-')"),
        (_("amount"), _AMOUNT),
        (_("source"), _source_text()),
        ("sha256", "coalesce(source_sha256, '-')"),
    ]
    labels = _labelled([(label, "") for label, _expr in lines], "  ")
    # Values spelled as ``visible`` spells them, in the query (no Python per event).
    body = " || chr(10) || ".join(
        f"{quote_literal(label)} || {visible_sql(f'coalesce({expr}, {chr(39)}-{chr(39)})')}"
        for label, (_label, expr) in zip(labels, lines, strict=True)
    )
    head = sql_text(
        _("Evidence {rank} of {total}: event {event}"),
        rank="evidence_rank",
        total="evidence_total",
        event=visible_sql("coalesce(event_id, '-')"),
    )
    missing = quote_literal("  " + _("(this event is no longer in the lake)"))
    return (
        f"CASE WHEN in_lake THEN {head} || chr(10) || {body} "
        f"ELSE {head} || chr(10) || {missing} END"
    )


def evidence_json_sql() -> str:
    """One JSON object per evidence event."""
    return (
        """to_json({
    'rank': evidence_rank, 'in_lake': in_lake, 'event_id': event_id,
    'event_time': """
        + _ISO_TIME
        + """, 'actor_id': actor_id, 'actor_type': actor_type,
    'action': action, 'outcome': outcome, 'subject_id': subject_id,
    'record_count': record_count, 'data_fields': data_fields,
    'data_categories': data_categories, 'system': system,
    'destination_type': destination_type, 'destination_party': destination_party,
    'authorization_ref': authorization_ref, 'purpose': purpose,
    'amount': CAST(amount AS VARCHAR), 'currency': currency,
    'source': {'file': source_now, 'status': source_status, 'ingested_as': source_file,
               'line': line_number, 'sha256': source_sha256}
})"""
    )


CSV_COLUMNS = (
    "finding_id",
    "rank",
    "event_id",
    "event_time",
    "actor_id",
    "actor_type",
    "action",
    "outcome",
    "subject_id",
    "record_count",
    "data_fields",
    "destination_type",
    "destination_party",
    "authorization_ref",
    "purpose",
    "amount",
    "currency",
    "source_file",
    "source_status",
    "line_number",
    "source_sha256",
    "ingested_as",
)


def evidence_csv_sql() -> str:
    """One CSV row per evidence event, columns ``CSV_COLUMNS``, text neutralised against
    spreadsheet formulas."""
    text = {
        "finding_id": "finding_id",
        "event_id": "event_id",
        "event_time": _ISO_TIME,
        "actor_id": "actor_id",
        "actor_type": "actor_type",
        "action": "action",
        "outcome": "outcome",
        "subject_id": "subject_id",
        "data_fields": "array_to_string(data_fields, '; ')",
        "destination_type": "destination_type",
        "destination_party": "destination_party",
        "authorization_ref": "authorization_ref",
        "purpose": "purpose",
        "currency": "currency",
        "source_file": "source_now",
        "source_status": "source_status",
        "source_sha256": "source_sha256",
        "ingested_as": "source_file",
    }
    plain = {
        "rank": "evidence_rank",
        "record_count": "record_count",
        "amount": "CAST(amount AS VARCHAR)",
        "line_number": "line_number",
    }
    return ", ".join(neutralise_csv_sql(text[c]) if c in text else plain[c] for c in CSV_COLUMNS)


# -- show ---------------------------------------------------------------------------------
def write_show(found: FindingEvidence, fmt: str, write: Write, timezone: str) -> None:
    """The finding and its evidence in ``fmt``, written batch by batch."""
    if fmt == "json":
        _show_json(found, write, timezone)
    elif fmt == "csv":
        _show_csv(found, write)
    else:
        _show_text(found, write, timezone)


def _labelled(rows: list[tuple[str, str]], indent: str = "") -> list[str]:
    """``label  value`` lines, the values aligned by display width (Chinese labels too)."""
    width = max(cell_len(label) for label, _value in rows) + 2
    # A value from a provider's log (an actor, a party) shows what it holds: characters that
    # would act on a terminal (ESC, carriage return, bidirectional overrides) spelled out.
    return [
        f"{indent}{label}{' ' * (width - cell_len(label))}{visible(value)}" for label, value in rows
    ]


def _finding_lines(found: FindingEvidence, timezone: str) -> list[str]:
    f = found.finding
    amounts = ", ".join(
        f"{amount_text(Decimal(u['amount']))} {u['currency']}" for u in f["unconverted_amounts"]
    )
    proceeds = cny(f["proceeds_cny"]) + (f" + {amounts}" if amounts else "")
    events, records, users = f["event_count"], f["record_count"], f["subject_count"]
    counts = _(", ").join(
        [
            ngettext("{n} event", "{n} events", events).format(n=f"{events:,}"),
            ngettext("{n} record", "{n} records", records).format(n=f"{records:,}"),
            ngettext("{n} user", "{n} users", users).format(n=f"{users:,}"),
        ]
    )
    return _labelled(
        [
            (_("finding"), f["finding_id"]),
            (
                _("severity"),
                _("{severity} ({category}, rule {rule})").format(
                    severity=severity_word(f["severity"]),
                    category=category_label(f["category"]),
                    rule=f["rule_id"],
                ),
            ),
            (_("summary"), f["summary_shown"] or "-"),
            (_("provider"), f"{f['provider_id']}, {f['event_date']}"),
            (_("actor"), f"{f['actor_shown'] or '-'} ({actor_type_word(f['actor_type'])})"),
            (_("party"), f["party_shown"] or "-"),
            (
                _("seen"),
                _("{first} to {last} ({timezone})").format(
                    first=_moment(f["first_seen"]), last=_moment(f["last_seen"]), timezone=timezone
                ),
            ),
            (
                _("counts"),
                counts,
            ),
            (_("data"), _(", ").join(map(data_category_word, f["data_categories"])) or "-"),
            (_("proceeds"), proceeds),
        ]
    )


def _rule_lines(found: FindingEvidence) -> list[str]:
    rule = found.rule
    if rule is None:
        return [
            _("Rule: {rule} ({problem})").format(
                rule=found.finding["rule_id"], problem=found.rule_problem
            )
        ]
    source = _("built-in") if rule.builtin else str(rule.path)
    language = current_language()
    title = rule.localized("title", language) or rule.title
    head = _("Rule: {rule}: {title} ({source})").format(rule=rule.id, title=title, source=source)
    clause = rule.localized("clause", language) or rule.clause
    description = rule.localized("description", language) or rule.description
    return [head, *_labelled([(_("clause"), clause), (_("description"), description)], "  ")]


def _show_text(found: FindingEvidence, write: Write, timezone: str) -> None:
    head = _finding_lines(found, timezone) + [""] + _rule_lines(found) + [""]
    head.append(_evidence_heading(found, timezone))
    write("\n".join(head) + "\n\n")
    for batch in found.batches(evidence_text_sql()):
        write("\n\n".join(r[0] for r in batch) + "\n\n")


def _evidence_heading(found: FindingEvidence, timezone: str) -> str:
    if found.shown == found.total:
        return ngettext(
            "Evidence: {total} event (times in {timezone})",
            "Evidence: {total} events (times in {timezone})",
            found.total,
        ).format(total=f"{found.total:,}", timezone=timezone)
    return _(
        "Evidence: events {first} to {last} of {total} (times in {timezone}); "
        "--limit and --offset choose others"
    ).format(
        first=f"{found.offset + 1:,}",
        last=f"{found.offset + found.shown:,}",
        total=f"{found.total:,}",
        timezone=timezone,
    )


def _show_json(found: FindingEvidence, write: Write, timezone: str) -> None:
    rule = found.rule
    head = {
        "finding": _plain(found.finding),
        "rule": None
        if rule is None
        else {
            "id": rule.id,
            "title": rule.title,
            "category": rule.category,
            "severity": rule.severity,
            "clause": rule.clause,
            "description": rule.description,
            "source": rule.source,
        },
        "rule_problem": found.rule_problem,
        "masked": not found.unmask,
        "timezone": timezone,
        "evidence_total": found.total,
        "evidence_offset": found.offset,
        "evidence_shown": found.shown,
    }
    text = json.dumps(head, indent=2, default=str)
    write(text[: text.rindex("}")].rstrip() + ',\n  "evidence": [')
    first = True
    for batch in found.batches(evidence_json_sql()):
        write(("\n    " if first else ",\n    ") + ",\n    ".join(r[0] for r in batch))
        first = False
    write(("\n  ]" if not first else "]") + "\n}\n")


def _show_csv(found: FindingEvidence, write: Write) -> None:
    write(_csv_lines([CSV_COLUMNS]))
    for batch in found.batches(evidence_csv_sql()):
        write(_csv_lines(batch))


def _csv_lines(rows: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


# -- list ---------------------------------------------------------------------------------
def write_list(found: FindingList, fmt: str, write: Write) -> None:
    """The listed findings as JSON (with the count that matched) or CSV; the text format
    is the console's table (``list_table``)."""
    if fmt == "json":
        docs = [_plain(dict(zip(LIST_COLUMNS, row, strict=True))) for row in found.rows]
        write(json.dumps({"matched": found.matched, "findings": docs}, indent=2) + "\n")
        return
    rows = [[neutralise_csv_cell(_cell(v)) for v in row] for row in found.rows]
    write(_csv_lines([LIST_COLUMNS, *rows]))


def list_table(found: FindingList) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """(columns, rows) for the console's table (text format)."""
    shown = (
        *("finding_id", "severity", "category", "provider_id", "event_date", "actor_id"),
        *("event_count", "record_count", "summary"),
    )
    index = [LIST_COLUMNS.index(c) for c in shown]
    right = {"event_count", "record_count"}
    columns = [(c, "right" if c in right else "left") for c in shown]
    return columns, [[_cell(row[i]) for i in index] for row in found.rows]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


_SHOWN_NAMES = {n: column for n, column, _ in FINDING_MASKS}


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in doc.items():
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, list):
            value = [_plain(v) if isinstance(v, dict) else v for v in value]
        out[_SHOWN_NAMES.get(key, key)] = value
    return out


def _moment(value: Any) -> str:
    from ..report.render.common import fraction

    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S") + fraction(value) + value.strftime("%z")
