"""Hand-built events for the Spark tests: what a type-guessing or byte-decoding reader breaks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.support.detect_lakes import DAY, at, event

LATE = DAY + dt.timedelta(days=9)
SALE = {"action": "transfer", "destination_type": "external"}
UNAUTH = {"authorization_ref": None, "purpose": None}


def hostile_events(day: dt.date = DAY, prefix: str = "h") -> list[dict[str, Any]]:
    """Provider ids a number-guesser would mangle, Chinese names, odd currencies and brokers."""

    def sale(n: int, provider: str, party: str, hour: int, **fields: Any) -> dict[str, Any]:
        minute = fields.pop("minute", 0)
        return event(
            event_id=f"{prefix}{n}",
            provider_id=provider,
            destination_party=party,
            event_time=at(day, hour, minute),
            **SALE,
            **fields,
        )

    def unauthorized(n: int, records: int) -> dict[str, Any]:
        # the same provider, actor and moment: the evidence order falls to the event ids
        return event(
            event_id=f"{prefix}{n}",
            provider_id="forum a/b=c%",
            actor_id="李四",
            record_count=records,
            event_time=at(day, 0, 0),
            **UNAUTH,
        )

    return [
        sale(1, "007", "acme", 9, amount=Decimal("12.5"), currency="usd"),
        sale(2, "007", "acme", 11, amount=Decimal("3"), currency="XAU"),  # no rate
        sale(3, "007", "acme", 10, amount=Decimal("7"), currency=" cny ", subject_id="u2"),
        sale(
            4,
            "中国电信",
            "数据经纪人有限公司",
            8,
            actor_id="张三",
            amount=Decimal("88000"),
            currency="CNY",
            data_fields=["password"],
            record_count=6000,
        ),
        sale(5, "0042", "  ACME Data Brokers ", 23, minute=59, actor_id="007"),  # on the list
        unauthorized(6, 1200),
        unauthorized(7, 5),
    ]


def table_difference(a: Path, b: Path, table: str, ignored: set[str]) -> tuple[int, int, int]:
    """One lake table of two lakes, compared on every column but ``ignored``: (rows in a,
    rows of a missing from b, rows of b missing from a), counted with EXCEPT ALL both ways,
    so duplicates count and lists compare element by element, in order."""
    import duckdb

    from auditpipe.lake.commit import table_files
    from auditpipe.lake.views import PARQUET_TABLES

    spec = PARQUET_TABLES[table]
    names = ", ".join(f'"{n}"' for n, _ in spec.columns if n not in ignored)
    day = "snapshot_date" if table == "accounts" else "event_date"
    hive = (
        f", hive_partitioning = true, hive_types = {{'provider_id': 'VARCHAR', '{day}': 'DATE'}}"
        if spec.hive
        else ""
    )

    def rows(root: Path) -> str:
        files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in table_files(root, table))
        return f"(SELECT {names} FROM read_parquet([{files}]{hive}))"

    con = duckdb.connect()
    a_rows, b_rows = rows(a), rows(b)
    counts = con.execute(
        f"SELECT (SELECT count(*) FROM {a_rows}), "
        f"(SELECT count(*) FROM ({a_rows} EXCEPT ALL {b_rows})), "
        f"(SELECT count(*) FROM ({b_rows} EXCEPT ALL {a_rows}))"
    ).fetchall()[0]
    return int(counts[0]), int(counts[1]), int(counts[2])


def manifest_entries(root: Path) -> dict[str, dict[str, Any]]:
    """The lake's manifest entries by file name, without what differs between two runs by
    nature (the run's id and times, and the time a skip reason names)."""
    import json
    import re

    out = {}
    for path in sorted((root / "_auditpipe" / "manifest").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        for key in ("run_id", "started_at", "finished_at"):
            entry.pop(key, None)
        if entry.get("reason"):
            entry["reason"] = re.sub(r" at \d{4}-\d\d-\d\dT\S+$", "", entry["reason"])
        out[path.name] = entry
    return out
