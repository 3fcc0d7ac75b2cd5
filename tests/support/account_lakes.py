"""Hand-built account snapshots for the real-name rule and report tests.

``account(**fields)`` is one row of an account snapshot (a verified account of provider p1 with
a valid ID number, in the snapshot of ``DAY``); a test overrides only what it is about.
``write_accounts`` stores rows the way ingest does (the ``accounts`` table of the lake: hive
partitions ``provider_id=<p>/snapshot_date=<d>``, one file per snapshot), with the columns of the
interface both real-name branches share.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditpipe.lake import Lake

from .detect_lakes import DAY, at

_lines = itertools.count(1)

# The columns inside accounts/**/*.parquet, in file order (provider_id and snapshot_date come
# from the folders).
ACCOUNT_FILE_COLUMNS: list[tuple[str, str]] = [
    ("account_id", "string"),
    ("registered_at", "timestamptz"),
    ("verification_status", "string"),
    ("verified_at", "timestamptz"),
    ("verification_method", "string"),
    ("id_number_present", "bool"),
    ("id_number_valid", "bool"),
    ("id_number_problem", "string"),
    ("identity_hash", "string"),
    ("snapshot_id", "string"),
    ("source_file", "string"),
    ("source_line", "int64"),
    ("ingested_at", "timestamptz"),
]


def identity(name: str) -> str:
    """A stand-in for the keyed hash of one person's ID number (64 hex digits)."""
    return hashlib.sha256(name.encode()).hexdigest()


def account(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "provider_id": "p1",
        "snapshot_date": DAY,
        "account_id": "u1",
        "registered_at": at(DAY - dt.timedelta(days=30)),
        "verification_status": "verified",
        "verified_at": at(DAY - dt.timedelta(days=30), 11),
        "verification_method": "id_card_ocr",
        "id_number_present": True,
        "id_number_valid": True,
        "id_number_problem": None,
        "identity_hash": None,
        "source_line": next(_lines),
        "ingested_at": dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    }
    base.update(fields)
    if base["identity_hash"] is None and base["id_number_present"]:
        base["identity_hash"] = identity(f"person-of-{base['account_id']}")
    return base


def _schema() -> Any:
    import pyarrow as pa

    kinds = {
        "string": pa.string(),
        "timestamptz": pa.timestamp("us", tz="UTC"),
        "int64": pa.int64(),
        "bool": pa.bool_(),
    }
    return pa.schema([(n, kinds[t]) for n, t in ACCOUNT_FILE_COLUMNS])


def write_accounts(lake: Lake, rows: Iterable[dict[str, Any]]) -> None:
    """Store ``rows`` as snapshots: one file per (provider_id, snapshot_date)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    snapshots: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for row in rows:
        snapshots.setdefault((row["provider_id"], row["snapshot_date"]), []).append(dict(row))
    for (provider, day), snapshot in snapshots.items():
        snapshot_id = hashlib.sha256(f"{provider}/{day}/{uuid.uuid4()}".encode()).hexdigest()
        for row in snapshot:
            row.setdefault("snapshot_id", snapshot_id)
            row.setdefault("source_file", f"accounts-{provider}-{day}.jsonl")
        table = pa.Table.from_pylist(snapshot, schema=_schema())
        folder = lake.root / "accounts" / f"provider_id={quote(provider, safe='')}"
        folder = folder / f"snapshot_date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        staged = lake.root.parent / f".part-{uuid.uuid4().hex}.parquet"
        pq.write_table(table, staged, compression="zstd")
        os.replace(staged, folder / f"part-{snapshot_id[:16]}.parquet")


def accounts_root(lake: Lake) -> Path:
    return lake.root / "accounts"


# -- a small mixed corpus of real-name cases, for engine equivalence and report tests ------
def publish_event(
    provider: str, account_id: str, when: dt.datetime, **fields: Any
) -> dict[str, Any]:
    from .detect_lakes import event

    base: dict[str, Any] = {
        "provider_id": provider,
        "action": "publish",
        "actor_id": account_id,
        "actor_type": "subject",
        "subject_id": account_id,
        "event_time": when,
        "data_fields": ["post_body"],
    }
    return event(**(base | fields))


def register_event(provider: str, account_id: str, when: dt.datetime) -> dict[str, Any]:
    from .detect_lakes import event

    return event(
        provider_id=provider,
        action="register",
        actor_id=account_id,
        actor_type="subject",
        subject_id=account_id,
        event_time=when,
        data_fields=["nickname"],
    )


def verify_event(provider: str, account_id: str, when: dt.datetime, outcome: str) -> dict[str, Any]:
    from .detect_lakes import event

    return event(
        provider_id=provider,
        action="verify",
        actor_id="kyc",
        actor_type="service",
        subject_id=account_id,
        event_time=when,
        outcome=outcome,
        data_fields=["real_name", "id_number"],
    )


def real_name_cases(days: int = 3) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(events, snapshot rows) over ``days`` days from ``DAY`` at two iisp providers and one
    iasp provider: verified posters, unverified posters, an account verified at the second
    of its post, one revoked in a later snapshot, strangers (unknown accounts), an invalid
    ID number, an empty method, and six plus five accounts on two identities."""
    second = dt.timedelta(seconds=1)
    events: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for provider in ("forum-a", "blog-b"):
        for d in range(days):
            day = DAY + dt.timedelta(days=d)
            rows += [
                account(provider_id=provider, snapshot_date=day, account_id=f"ok{i}")
                for i in range(4)
            ]
            rows.append(
                account(
                    provider_id=provider,
                    snapshot_date=day,
                    account_id="flip",
                    verification_status="verified" if d == 0 else "revoked",
                )
            )
            rows.append(
                account(
                    provider_id=provider,
                    snapshot_date=day,
                    account_id="nover",
                    verification_status="unverified",
                    verified_at=None,
                )
            )
            for i in range(4):
                events.append(publish_event(provider, f"ok{i}", at(day, 9 + i)))
            events += [
                publish_event(provider, "flip", at(day, 15)),
                publish_event(provider, "nover", at(day, 16)),
            ]
            events.append(publish_event(provider, "stranger", at(day, 17)))
            t = at(day, 20)
            events += [
                verify_event(provider, f"late{d}", t, "success"),
                publish_event(provider, f"late{d}", t - second),
                publish_event(provider, f"late{d}", t),
                publish_event(provider, f"late{d}", t + second),
            ]
        last = DAY + dt.timedelta(days=days - 1)
        rows.append(
            account(
                provider_id=provider,
                snapshot_date=last,
                account_id="badid",
                id_number_valid=False,
                id_number_problem="check_digit",
            )
        )
        rows.append(
            account(
                provider_id=provider,
                snapshot_date=last,
                account_id="nomethod",
                verification_method="",
            )
        )
        for size, who in ((6, "six"), (5, "five")):
            rows += [
                account(
                    provider_id=provider,
                    snapshot_date=last,
                    account_id=f"{who}{i}",
                    identity_hash=identity(f"{provider}-{who}"),
                )
                for i in range(size)
            ]
    events += [publish_event("isp-c", "anyone", at(DAY, 10), provider_type="iasp")]
    return events, rows


def real_name_lake(root: Path, days: int = 3) -> Lake:
    """``real_name_cases`` stored the way users store them: the events as JSON Lines through
    ingest, the snapshots written as ingest writes them; then detect."""
    import json

    from auditpipe.config import Config
    from auditpipe.detect import DetectSettings, run_detect
    from auditpipe.ingest import IngestSettings, ingest_paths

    events, rows = real_name_cases(days)
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                for k, v in e.items()
                if v is not None
            }
        )
        for e in events
    ]
    (logs / "access.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lake = Lake.open(root / "lake", create=True)
    ingest_paths(lake, [logs], IngestSettings.from_config(Config()))
    write_accounts(lake, rows)
    run_detect(lake, DetectSettings())
    return lake
