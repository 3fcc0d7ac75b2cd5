"""Database audit logs with known contents: pgaudit (stderr, csvlog, jsonlog) and MariaDB
server_audit, written as the servers write them, for tests, the demo and the benchmark.

A workload is a Polars frame of statements (one row each: time, user, session, statement id,
SQL text, parameters, rows, tables the log names, outcome, and a label: the finding a rule
should raise for it, or empty). Background shapes are service and support traffic; planted
cases are one each of a whole-table read, a COPY to a file, an identity update without a
ticket, a password-hash read; near-misses look alike but must raise nothing (a service
account's whole-table read, a ticketed update, a ticketed single-user view). Rendering to log
text is vectorised; only the few multi-line texts are indented per line.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..i18n import _

SCHEMA_DDL = """\
CREATE TABLE public.accounts (
    id bigint PRIMARY KEY,
    user_name text,
    real_name text,
    id_card_no text,
    mobile text,
    password_hash text,
    city text
);
CREATE TABLE public.orders (
    id bigserial PRIMARY KEY,
    account_id bigint REFERENCES public.accounts (id),
    amount numeric(12, 2),
    created_at timestamptz DEFAULT now()
);
"""
COLUMNS = {
    "accounts.real_name": "real_name",
    "accounts.id_card_no": "id_number",
    "accounts.mobile": "mobile",
    "accounts.password_hash": "password_hash",
}
SUBJECT_KEYS = ["accounts.id", "orders.account_id"]
ACTORS = {"svc_*": "service", "kefu_*": "employee", "vendor_*": "partner"}

# (weight, user pattern, SQL with {sid} {sid2} {n} {phone} {amt}, params, class, command, tables)
BACKGROUND = [
    (
        30,
        "svc_app",
        "SELECT real_name, mobile FROM accounts WHERE id = {sid}",
        None,
        "READ",
        "SELECT",
        "accounts",
    ),
    (
        20,
        "svc_app",
        "SELECT id, city FROM accounts WHERE user_name = 'user{n}'",
        None,
        "READ",
        "SELECT",
        "accounts",
    ),
    (
        15,
        "kefu_li",
        "/*ticket='TKT-{n}',purpose='refund%20dispute'*/ SELECT real_name, id_card_no FROM accounts WHERE id = {sid}",
        None,
        "READ",
        "SELECT",
        "accounts",
    ),
    (
        10,
        "svc_app",
        "PREPARE q(bigint) AS SELECT mobile FROM accounts WHERE id = $1",
        "{sid}",
        "READ",
        "SELECT",
        "accounts",
    ),
    (
        10,
        "svc_app",
        "UPDATE accounts SET city = 'city{n}' WHERE id = {sid}",
        None,
        "WRITE",
        "UPDATE",
        "accounts",
    ),
    (
        8,
        "svc_app",
        "SELECT o.amount, a.city FROM orders o JOIN accounts a ON a.id = o.account_id WHERE o.account_id = {sid}",
        None,
        "READ",
        "SELECT",
        "accounts,orders",
    ),
    (
        5,
        "svc_app",
        "INSERT INTO orders (account_id, amount) VALUES ({sid}, {amt})",
        None,
        "WRITE",
        "INSERT",
        "orders",
    ),
    (
        2,
        "kefu_li",
        "/*ticket='TKT-{n}'*/ SELECT a.real_name,\n       a.mobile\n  FROM accounts a\n WHERE a.id IN ({sid}, {sid2})",
        None,
        "READ",
        "SELECT",
        "accounts",
    ),
]
# (label, user, SQL, class, command, tables): planted cases and near-misses (label "").
PLANTED = [
    ("illegal_use_bulk", "vendor_x", "SELECT * FROM accounts", "READ", "SELECT", "accounts"),
    (
        "disclosure",
        "kefu_wang",
        "COPY (SELECT id, real_name, id_card_no FROM accounts) TO '/tmp/dump.csv'",
        "READ",
        "SELECT",
        "accounts",
    ),
    (
        "modification",
        "kefu_zhao",
        "UPDATE accounts SET id_card_no = '110101199003074514' WHERE id = {sid}",
        "WRITE",
        "UPDATE",
        "accounts",
    ),
    (
        "illegal_use_credential",
        "kefu_sun",
        "/*ticket='TKT-9'*/ SELECT password_hash FROM accounts WHERE id = {sid}",
        "READ",
        "SELECT",
        "accounts",
    ),
    ("", "svc_backup", "SELECT * FROM accounts", "READ", "SELECT", "accounts"),
    (
        "",
        "kefu_zhou",
        "/*ticket='TKT-77',purpose='user%20request'*/ UPDATE accounts SET mobile = '13900000000' WHERE id = {sid}",
        "WRITE",
        "UPDATE",
        "accounts",
    ),
]


# The support desk's ticketed reads are background, not a breach: the bulk rule counts an
# employee's records per day whether authorised or not (docs/detect.md), and every statement
# of a log lands on one day (one per 50 ms). So the desk is a pool of agents (kefu_li, then
# kefu_li2, kefu_li3, ...), each taking at most this many statements (at most two records
# each), well under the default bulk threshold of 1,000 records at any --rows.
AGENT_STATEMENTS = 400


def _support_agents(frame: Any) -> Any:
    """Spread the background statements of ``kefu_li`` over the pool (``AGENT_STATEMENTS``)."""
    import polars as pl

    desk = (pl.col("user") == "kefu_li") & (pl.col("shape") >= 0)
    nth = pl.when(desk).then(pl.int_range(0, pl.len())).cum_count().over(desk) - 1
    agent = nth // AGENT_STATEMENTS + 1
    return frame.with_columns(
        pl.when(desk & (agent > 1))
        .then(pl.lit("kefu_li") + agent.cast(pl.String))
        .otherwise(pl.col("user"))
        .alias("user")
    )


def workload(rows: int, seed: int, start: dt.datetime, plant: bool = True) -> Any:
    """``rows`` background statements (plus the planted ones), one per 50 ms from ``start``."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    weights = np.array([b[0] for b in BACKGROUND], dtype=float)
    shape = rng.choice(len(BACKGROUND), size=rows, p=weights / weights.sum())
    table = pl.DataFrame(
        {
            "shape": list(range(len(BACKGROUND))),
            "user": [b[1] for b in BACKGROUND],
            "template": [b[2] for b in BACKGROUND],
            "param_t": [b[3] for b in BACKGROUND],
            "class": [b[4] for b in BACKGROUND],
            "command": [b[5] for b in BACKGROUND],
            "tables": [b[6] for b in BACKGROUND],
        }
    )
    frame = pl.DataFrame(
        {
            "shape": shape,
            "sid": rng.integers(1, 50_000, size=rows),
            "sid2": rng.integers(1, 50_000, size=rows),
            "n": rng.integers(1, 100_000, size=rows),
            "amt": rng.integers(1, 999, size=rows),
            "label": [""] * rows,
        }
    ).join(table, on="shape", how="left")
    if plant:
        planted = pl.DataFrame(
            {
                "shape": [-1] * len(PLANTED),
                "sid": rng.integers(1, 50_000, size=len(PLANTED)),
                "sid2": [0] * len(PLANTED),
                "n": [0] * len(PLANTED),
                "amt": [0] * len(PLANTED),
                "label": [p[0] for p in PLANTED],
                "user": [p[1] for p in PLANTED],
                "template": [p[2] for p in PLANTED],
                "param_t": [None] * len(PLANTED),
                "class": [p[3] for p in PLANTED],
                "command": [p[4] for p in PLANTED],
                "tables": [p[5] for p in PLANTED],
            },
            schema=frame.schema,
        )
        positions = rng.choice(max(rows, 1), size=len(PLANTED), replace=False)
        frame = pl.concat(
            [
                frame.with_row_index("pos"),
                planted.with_columns(pl.Series("pos", positions, dtype=pl.UInt32)).select(
                    ["pos", *frame.columns]
                ),
            ]
        )
        frame = frame.sort("pos", "shape", descending=[False, True]).drop("pos")
    frame = _support_agents(frame)
    n = frame.height
    fill = pl.col("template")
    for key in ("sid", "sid2", "n", "amt"):
        fill = fill.str.replace_all("{" + key + "}", pl.col(key).cast(pl.String), literal=True)
    start_us = int(start.timestamp() * 1_000_000)
    return frame.with_columns(
        fill.alias("sql"),
        pl.col("param_t")
        .str.replace_all("{sid}", pl.col("sid").cast(pl.String), literal=True)
        .alias("params"),
        pl.Series("time_us", start_us + np.arange(n, dtype=np.int64) * 50_000),
        pl.Series("pid", 4000 + (np.arange(n) % 7)).cast(pl.Int64),
        (pl.int_range(0, n) // 7 + 1).alias("statement_id"),
        pl.when(pl.col("shape") == -1).then(pl.lit(1)).otherwise(pl.lit(1)).alias("rows"),
    ).with_columns(pl.col("tables").str.split(","))


def _pg_csv_field(col: Any) -> Any:
    """pgaudit's CSV quoting of one field: quoted when it holds a comma, quote or newline."""
    import polars as pl

    needs = col.str.contains(r'[,"\r\n]')
    return (
        pl.when(needs)
        .then(pl.lit('"') + col.str.replace_all('"', '""', literal=True) + pl.lit('"'))
        .otherwise(col)
    )


def _audit_lines(frame: Any) -> Any:
    """One AUDIT payload per relation (log_relation = on), as a frame exploded by table."""
    import polars as pl

    exploded = frame.explode("tables").with_columns(
        pl.int_range(0, pl.len()).over("statement_id", "pid").alias("_rel")
    )
    stmt = (
        pl.when(pl.col("_rel") == 0)
        .then(_pg_csv_field(pl.col("sql")))
        .otherwise(pl.lit("<previously logged>"))
    )
    param = (
        pl.when(pl.col("_rel") > 0)
        .then(pl.lit("<previously logged>"))
        .when(pl.col("params").is_null())
        .then(pl.lit("<none>"))
        .otherwise(_pg_csv_field(pl.col("params")))
    )
    payload = pl.concat_str(
        pl.lit("AUDIT: SESSION,"),
        pl.col("statement_id").cast(pl.String),
        pl.lit(",1,"),
        pl.col("class"),
        pl.lit(","),
        pl.col("command"),
        pl.lit(",TABLE,public."),
        pl.col("tables"),
        pl.lit(","),
        stmt,
        pl.lit(","),
        param,
        pl.lit(","),
        pl.col("rows").cast(pl.String),
    )
    return exploded.with_columns(payload.alias("payload"))


def _pg_time(frame: Any) -> Any:
    import polars as pl

    return (
        pl.from_epoch(pl.col("time_us"), time_unit="us")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Asia/Shanghai")
        .dt.strftime("%Y-%m-%d %H:%M:%S%.3f CST")
    )


def pgaudit_stderr(frame: Any) -> Any:
    """Lines of a stderr log with log_line_prefix '%m [%p] %q%u@%d ' (a Polars Series)."""
    import polars as pl

    lines = _audit_lines(frame).with_columns(_pg_time(frame).alias("t"))
    text = pl.concat_str(
        pl.col("t"),
        pl.lit(" ["),
        pl.col("pid").cast(pl.String),
        pl.lit("] "),
        pl.col("user"),
        pl.lit("@shop LOG:  "),
        pl.col("payload").str.replace_all("\n", "\n\t", literal=True),
    )
    return lines.select(text.alias("line"))["line"]


def pgaudit_csvlog(frame: Any) -> Any:
    import polars as pl

    lines = _audit_lines(frame).with_columns(_pg_time(frame).alias("t"))
    session = pl.concat_str(pl.lit("6b0d8"), pl.col("pid").cast(pl.String), pl.lit(".1"))
    text = pl.concat_str(
        pl.col("t"),
        pl.lit(',"'),
        pl.col("user"),
        pl.lit('","shop",'),
        pl.col("pid").cast(pl.String),
        pl.lit(',"127.0.0.1:5000",'),
        session,
        pl.lit(',1,"SELECT",'),
        pl.col("t"),
        pl.lit(",3/1,0,LOG,00000,"),
        _quoted(pl.col("payload")),
        pl.lit(',,,,,,,,,"psql","client backend",,0'),
    )
    return lines.select(text.alias("line"))["line"]


def _quoted(col: Any) -> Any:
    import polars as pl

    return pl.lit('"') + col.str.replace_all('"', '""', literal=True) + pl.lit('"')


def pgaudit_jsonlog(frame: Any) -> Any:
    import polars as pl

    lines = _audit_lines(frame).with_columns(_pg_time(frame).alias("t"))
    record = pl.struct(
        pl.col("t").alias("timestamp"),
        pl.col("user"),
        pl.lit("shop").alias("dbname"),
        pl.col("pid"),
        pl.lit("127.0.0.1").alias("remote_host"),
        pl.concat_str(pl.lit("6b0d8"), pl.col("pid").cast(pl.String), pl.lit(".1")).alias(
            "session_id"
        ),
        pl.lit("LOG").alias("error_severity"),
        pl.col("payload").alias("message"),
    )
    return lines.select(record.struct.json_encode().alias("line"))["line"]


def server_audit(frame: Any) -> Any:
    """server_audit lines: TABLE lines, then the QUERY line (escaped, in local time)."""
    import polars as pl

    t = (
        pl.from_epoch(pl.col("time_us"), time_unit="us")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Asia/Shanghai")
        .dt.strftime("%Y%m%d %H:%M:%S")
    )
    qid = pl.int_range(1, pl.len() + 1)
    base = frame.with_columns(t.alias("t"), qid.alias("qid"))
    head = pl.concat_str(
        pl.col("t"),
        pl.lit(",db1,"),
        pl.col("user"),
        pl.lit(",10.0.0.8,"),
        pl.col("pid").cast(pl.String),
        pl.lit(","),
        pl.col("qid").cast(pl.String),
        pl.lit(","),
    )
    mysql_sql = pl.col("sql").str.replace(r"^PREPARE q\(bigint\) AS (.*)\$1$", "${1}?")
    tables = base.explode("tables").select(
        "qid",
        pl.lit(0).alias("order"),
        pl.concat_str(
            head,
            pl.when(pl.col("class") == "READ").then(pl.lit("READ")).otherwise(pl.lit("WRITE")),
            pl.lit(",shop,"),
            pl.col("tables"),
            pl.lit(","),
        ).alias("line"),
    )
    escaped = (
        mysql_sql.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all("'", "\\'", literal=True)
        .str.replace_all("\n", "\\n", literal=True)
    )
    queries = base.select(
        "qid",
        pl.lit(1).alias("order"),
        pl.concat_str(head, pl.lit("QUERY,shop,'"), escaped, pl.lit("',0")).alias("line"),
    )
    return pl.concat([tables, queries]).sort("qid", "order")["line"]


WRITERS = {
    "pgaudit-stderr": (pgaudit_stderr, "postgresql.log"),
    "pgaudit-csvlog": (pgaudit_csvlog, "postgresql.csv"),
    "pgaudit-jsonlog": (pgaudit_jsonlog, "postgresql.json"),
    "server_audit": (server_audit, "server_audit.log"),
}


def settings_toml(kind: str, provider_id: str, fmt: str | None = None) -> str:
    lines = [f'kind = "{kind}"']
    if fmt:
        lines.append(f'format = "{fmt}"')
    lines += [
        f'provider_id = "{provider_id}"',
        'provider_type = "iisp"',
        'timezone = "Asia/Shanghai"',
        'schema = "schema.sql"',
        "subject_keys = [" + ", ".join(f'"{k}"' for k in SUBJECT_KEYS) + "]",
        "",
        "[columns]",
        *[f'"{k}" = "{v}"' for k, v in COLUMNS.items()],
        "",
        "[actors]",
        *[f'"{k}" = "{v}"' for k, v in ACTORS.items()],
        "",
        "[comments]",
        'ticket = "ticket"',
        'purpose = "purpose"',
        "",
    ]
    if kind == "pgaudit" and fmt == "stderr":
        lines.insert(2, 'log_line_prefix = "%m [%p] %q%u@%d "')
    return "\n".join(lines)


def write_db_log(
    out: Path,
    which: str,
    rows: int,
    seed: int,
    provider_id: str = "shop-db",
    plant: bool = True,
    overwrite: bool = False,
) -> Path:
    """One log with its settings, schema and labels beside it; returns the log's path."""
    import polars as pl

    from ..errors import UsageError

    writer, name = WRITERS[which]
    out.mkdir(parents=True, exist_ok=True)
    ours = {name, "source.toml", "schema.sql", "labels.json"}
    others = sorted(p.name for p in out.iterdir() if not (overwrite and p.name in ours))
    if others:
        raise UsageError(
            _("{out} is not empty ({items})").format(out=out, items=", ".join(others[:3])),
            hint=_("pick a new folder, or add --overwrite to replace an earlier generated log"),
        )
    frame = workload(rows, seed, dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC), plant=plant)
    log = out / name
    chunk = 200_000
    with open(log, "w", encoding="utf-8") as fh:
        for offset in range(0, frame.height, chunk):
            part = frame.slice(offset, chunk)
            fh.write("\n".join(writer(part).to_list()) + "\n")
    kind = "server_audit" if which == "server_audit" else "pgaudit"
    fmt = which.split("-", 1)[1] if kind == "pgaudit" else None
    (out / "source.toml").write_text(settings_toml(kind, provider_id, fmt), encoding="utf-8")
    (out / "schema.sql").write_text(SCHEMA_DDL, encoding="utf-8")
    labels = frame.filter(pl.col("template").is_in([p[2] for p in PLANTED])).select(
        "label", "user", "sql"
    )
    (out / "labels.json").write_text(
        json.dumps(labels.to_dicts(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return log
