"""The canonical (pre-serialisation) event frame every part of the generator shares.

One row is one event as the generator means it, before surface variety (aliases, time forms,
field-name spellings) or damage is applied. Labels are computed from these frames, never from
the files, so they state what the events are, not how they were written.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import polars as pl

LAKE_TIMEZONE = "Asia/Shanghai"  # naive times are written, and labels dated, in this zone

CANONICAL_SCHEMA: dict[str, Any] = {
    "event_id": pl.String,  # null: written without an id, ingest derives one
    "time_s": pl.Int64,  # UTC epoch seconds (whole seconds, so every time form is exact)
    "provider_id": pl.String,
    "provider_type": pl.String,
    "system": pl.String,
    "actor_id": pl.String,
    "actor_type": pl.String,  # canonical value; "unknown" may be written as absent
    "action": pl.String,
    "subject_id": pl.String,
    "record_count": pl.Int64,
    "data_fields": pl.List(pl.String),  # canonical catalog names
    "destination_type": pl.String,
    "destination_party": pl.String,
    "authorization_ref": pl.String,
    "purpose": pl.String,
    "amount_cents": pl.Int64,  # amount x 100; null when absent
    "currency": pl.String,  # null: absent (CNY by default)
    "outcome": pl.String,
    "source_ip": pl.String,
    "session_ua": pl.String,  # extras: not in the contract, must land in `extras`
    "request_id": pl.String,
    "planted_case": pl.String,  # null for background traffic
}


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=CANONICAL_SCHEMA)


def events_from_dicts(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A canonical frame from a few hand-built events (planted cases); missing keys are null."""
    return pl.DataFrame(
        [{name: row.get(name) for name in CANONICAL_SCHEMA} for row in rows],
        schema=CANONICAL_SCHEMA,
        orient="row",
    )


def local_midnight_epoch(day: dt.date) -> int:
    """UTC epoch seconds of 00:00 on ``day`` in the lake timezone."""
    tz = zoneinfo.ZoneInfo(LAKE_TIMEZONE)
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp())


def local_date_expr(time_s: pl.Expr) -> pl.Expr:
    """The event_date of an epoch-seconds column: its date in the lake timezone."""
    return (
        pl.from_epoch(time_s, time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(LAKE_TIMEZONE)
        .dt.date()
    )
