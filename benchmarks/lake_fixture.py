"""Build a large, realistic events lake fast, straight into the lake layout, for benchmarks.

DuckDB generates the rows from ``range(n)`` with hash-based pseudo-random columns (the same
arguments give the same lake), writes them partitioned by provider_id and event_date into a
staging folder beside the lake, and the files are then moved into ``events/``. No ingest runs:
this measures what reads the lake (detect, reports), not how it was filled.

The mix is meant to look like real access logs and fire every default rule at a plausible
rate: most events are users acting on their own data or services reading non-protected
fields; employees and partners mostly carry a ticket and a purpose; a few transfers leave the
provider, a few of those are paid; a handful of large exports push some actor-days over the
bulk threshold; some employees read credentials.

    from lake_fixture import build_events_lake
    lake_root = build_events_lake(Path("benchmarks/out/lake-10M"), rows=10_000_000)

Reused by benchmarks (``python benchmarks/bench_detect.py``); a lake built with the same
arguments is kept and reused (see ``FIXTURE.json`` inside it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditpipe.contract import load_catalog  # noqa: E402
from auditpipe.lake import Lake  # noqa: E402
from auditpipe.lake.schema import EVENT_FILE_COLUMNS  # noqa: E402

FIXTURE_VERSION = 1
FIXTURE_FILE = "FIXTURE.json"

# (weight, data fields): what one event touches. Classes and categories come from the catalog.
FIELD_MIXES: list[tuple[int, list[str]]] = [
    (300, ["nickname", "avatar"]),
    (120, ["post_content"]),
    (80, ["order_history", "shipping_address"]),
    (140, ["phone"]),
    (80, ["real_name", "id_number"]),
    (50, ["mobile_number", "real_name"]),
    (30, ["id_card_image"]),
    (80, ["login_ip", "login_time"]),
    (40, ["login_history"]),
    (2, ["password_hash"]),
    (1, ["session_token", "login_device"]),
    (50, ["email", "nickname"]),
]
# (weight, actor_type, actor pool size per provider)
ACTORS: list[tuple[int, str, int]] = [
    (35, "subject", 0),  # the user: actor_id = subject_id
    (30, "employee", 1500),
    (25, "service", 40),
    (7, "partner", 200),
    (3, "unknown", 300),
]
ACTIONS: list[tuple[int, str]] = [
    (48, "view"),
    (14, "search"),
    (5, "export"),
    (10, "update"),
    (2, "delete"),
    (6, "transfer"),
    (3, "publish"),
    (10, "login"),
    (2, "register"),
]
PARTIES = ["partner-bank", "ad-network", "cloud-backup", "gov-request", "datamart", "unknown-buyer"]


def _weighted_case(expr: str, choices: list[tuple[int, str]]) -> str:
    """A CASE picking choices[i] with its weight from ``expr`` uniform in [0, 1)."""
    total = sum(w for w, _ in choices)
    parts, acc = [], 0
    for weight, sql_value in choices:
        acc += weight
        parts.append(f"WHEN {expr} < {acc / total!r} THEN {sql_value}")
    return "CASE " + " ".join(parts[:-1]) + f" ELSE {choices[-1][1]} END"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _select_sql(rows: int, providers: int, days: int, start: dt.date, seed: int) -> str:
    catalog = load_catalog()

    def lst(values: list[str]) -> str:
        return "[" + ", ".join(_quote(v) for v in values) + "]::VARCHAR[]"

    mixes = []
    for weight, fields in FIELD_MIXES:
        entries = [catalog.lookup(f) for f in fields]
        classes = sorted({e.data_class for e in entries})
        cats = sorted({e.category for e in entries})
        mixes.append((weight, f"{{'f': {lst(fields)}, 'c': {lst(classes)}, 'k': {lst(cats)}}}"))
    actor_case = _weighted_case("r_actor", [(w, _quote(t)) for w, t, _ in ACTORS])
    pool_case = _weighted_case("r_actor", [(w, str(max(n, 1))) for w, _, n in ACTORS])
    action_case = _weighted_case("r_action", [(w, _quote(a)) for w, a in ACTIONS])
    party_list = "[" + ", ".join(_quote(p) for p in PARTIES) + "]"

    def u(k: int) -> str:  # uniform [0, 1) from the row number and a salt
        return f"((hash(i, {seed * 1000 + k}) % 1000003) / 1000003.0)"

    return f"""
WITH base AS (
    SELECT
        i,
        {u(1)} AS r_actor, {u(2)} AS r_action, {u(3)} AS r_fields, {u(4)} AS r_dest,
        {u(5)} AS r_auth, {u(6)} AS r_purpose, {u(7)} AS r_paid, {u(8)} AS r_count,
        {u(9)} AS r_outcome, {u(10)} AS r_time, {u(11)} AS r_who, {u(12)} AS r_subject,
        (i % {providers}) AS provider_n,
        ((i // {providers}) % {days}) AS day_n
    FROM range({rows}) AS t(i)
),
shaped AS (
    SELECT
        *,
        {actor_case} AS actor_type,
        {pool_case} AS pool,
        {action_case} AS action,
        {_weighted_case("r_fields", mixes)} AS mix,
        'u' || CAST(floor(r_subject * 2000000) AS BIGINT) AS subject_id
    FROM base
)
SELECT
    'ev-' || CAST(i AS VARCHAR) AS event_id,
    (CAST(DATE '{start.isoformat()}' + CAST(day_n AS INTEGER) AS TIMESTAMP)
        + to_seconds(CAST(floor(r_time * 86400) AS BIGINT))) AT TIME ZONE 'Asia/Shanghai'
        AS event_time,
    CASE WHEN provider_n % 2 = 0 THEN 'iisp' ELSE 'iasp' END AS provider_type,
    CASE WHEN r_who < 0.5 THEN 'crm' WHEN r_who < 0.8 THEN 'api' ELSE 'db' END AS system,
    CASE WHEN actor_type = 'subject' THEN subject_id
         ELSE left(actor_type, 3) || CAST(floor(r_who * pool) AS BIGINT) END AS actor_id,
    actor_type,
    action,
    subject_id,
    CASE WHEN action = 'export' AND r_count < 0.02 THEN 500 + CAST(floor(r_count * 200000) AS BIGINT)
         WHEN r_count < 0.05 THEN 2 + CAST(floor(r_count * 1000) AS BIGINT)
         ELSE 1 END AS record_count,
    mix.f AS data_fields,
    mix.c AS data_classes,
    mix.k AS data_categories,
    CASE WHEN action = 'publish' AND (actor_type = 'subject' OR r_dest < 0.05) THEN 'public'
         WHEN action = 'transfer' AND r_dest < 0.7 THEN 'external'
         WHEN r_dest < 0.005 THEN 'external'
         ELSE 'internal' END AS destination_type,
    CASE WHEN action IN ('transfer', 'publish') OR r_dest < 0.005
         THEN {party_list}[1 + CAST(floor(r_paid * {len(PARTIES)}) AS INTEGER)] END
        AS destination_party,
    CASE WHEN actor_type IN ('employee', 'partner', 'service') AND r_auth < 0.97
         OR actor_type = 'unknown' AND r_auth < 0.8
         THEN 'TCK-' || CAST(i % 100000 AS VARCHAR) END AS authorization_ref,
    CASE WHEN r_purpose < 0.93 THEN 'support' END AS purpose,
    CASE WHEN action = 'transfer' AND r_paid < 0.03
         THEN CAST(round(50 + r_count * 20000, 2) AS DECIMAL(18, 4)) END AS amount,
    CASE WHEN r_paid < 0.005 THEN 'USD' ELSE 'CNY' END AS currency,
    CASE WHEN r_outcome < 0.03 THEN 'failure' ELSE 'success' END AS outcome,
    '10.' || CAST(i % 250 AS VARCHAR) || '.' || CAST((i // 250) % 250 AS VARCHAR) || '.1'
        AS source_ip,
    CAST(NULL AS JSON) AS extras,
    false AS event_id_derived,
    'fixture-' || CAST(provider_n AS VARCHAR) || '.jsonl' AS source_file,
    repeat('0', 64) AS source_sha256,
    i + 1 AS line_number,
    'fixture' AS ingest_run_id,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' AS ingested_at,
    'provider-' || CAST(provider_n AS VARCHAR) AS provider_id,
    CAST(DATE '{start.isoformat()}' + CAST(day_n AS INTEGER) AS DATE) AS event_date
FROM shaped
"""


def build_events_lake(
    root: Path,
    *,
    rows: int,
    providers: int = 4,
    days: int = 10,
    start: dt.date = dt.date(2026, 3, 1),
    seed: int = 1,
    memory_limit: str = "4GB",
    rebuild: bool = False,
) -> Path:
    """A lake at ``root`` holding ``rows`` generated events; reused when already built alike."""
    import duckdb

    params = {
        "version": FIXTURE_VERSION,
        "rows": rows,
        "providers": providers,
        "days": days,
        "start": start.isoformat(),
        "seed": seed,
    }
    marker = root / FIXTURE_FILE
    if not rebuild and marker.is_file():
        built = json.loads(marker.read_text())
        if {k: built.get(k) for k in params} == params:
            return root
    shutil.rmtree(root, ignore_errors=True)
    lake = Lake.open(root, create=True)
    staging = root.parent / f".{root.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    columns = ", ".join(f'CAST("{n}" AS {t}) AS "{n}"' for n, t in EVENT_FILE_COLUMNS)
    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    con.execute(
        f"COPY (SELECT {columns}, provider_id, event_date "
        f"FROM ({_select_sql(rows, providers, days, start, seed)})) "
        f"TO '{staging}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880, "
        "PARTITION_BY (provider_id, event_date), FILENAME_PATTERN 'part-{uuid}')"
    )
    con.close()
    for staged in sorted(staging.glob("*/*/*.parquet")):
        final = lake.events_dir / staged.relative_to(staging)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)
    shutil.rmtree(staging, ignore_errors=True)
    params["build_seconds"] = round(time.perf_counter() - started, 1)
    marker.write_text(json.dumps(params, indent=2) + "\n")
    return root


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    print(build_events_lake(args.root, rows=args.rows, rebuild=args.rebuild))
