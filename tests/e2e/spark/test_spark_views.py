"""``auditpipe sql --print-views --dialect spark`` run in Spark reads what DuckDB reads.

The printed script is run statement by statement in the test session against a real lake
(generated, ingested, detected, plus provider ids ``007``, Chinese and ``forum a/b=c%``); every
table's rows then equal the DuckDB views' rows, compared with EXCEPT ALL both ways on values
that would betray a wrong type: provider ids as text, timestamps as epoch microseconds,
decimals as text, lists in order, extras as its JSON text.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditpipe.detect import DetectSettings, run_detect
from auditpipe.lake import Lake
from tests.support.cli import run_main

# (table, the columns compared: the same expression in both dialects unless a pair is given)
COMPARED: dict[str, list[str | tuple[str, str]]] = {
    "events": [
        "provider_id",
        "event_id",
        ("CAST(event_date AS VARCHAR)", "CAST(event_date AS STRING)"),
        ("epoch_us(event_time)", "unix_micros(event_time)"),
        ("epoch_us(ingested_at)", "unix_micros(ingested_at)"),
        "actor_id",
        ("CAST(amount AS VARCHAR)", "CAST(amount AS STRING)"),
        ("array_to_string(data_classes, ',')", "array_join(data_classes, ',')"),
        ("CAST(extras AS VARCHAR)", "extras"),
        "event_id_derived",
        "line_number",
    ],
    "quarantine": ["source_file", "line_number", "raw", "reason", "provider_id"],
    "findings": [
        "finding_id",
        "provider_id",
        ("CAST(event_date AS VARCHAR)", "CAST(event_date AS STRING)"),
        ("array_to_string(evidence_event_ids, ',')", "array_join(evidence_event_ids, ',')"),
        (
            "array_to_string(list_transform(unconverted_amounts, "
            "lambda x: x.currency || ':' || CAST(x.amount AS VARCHAR)), ',')",
            "array_join(transform(unconverted_amounts, "
            "x -> x.currency || ':' || CAST(x.amount AS STRING)), ',')",
        ),
        ("CAST(proceeds_cny AS VARCHAR)", "CAST(proceeds_cny AS STRING)"),
        ("epoch_us(first_seen)", "unix_micros(first_seen)"),
        "summary",
    ],
    "finding_evidence": ["finding_id", "event_id", "provider_id"],
    "ingest_log": [
        "sha256",
        "status",
        "rows_read",
        ("epoch_us(started_at)", "unix_micros(started_at)"),
    ],
    **{
        name: [
            "provider_id",
            ("CAST(snapshot_date AS VARCHAR)", "CAST(snapshot_date AS STRING)"),
            "account_id",
            ("epoch_us(registered_at)", "unix_micros(registered_at)"),
            ("epoch_us(verified_at)", "unix_micros(verified_at)"),
            "verification_status",
            "id_number_valid",
            "identity_hash",
            "snapshot_id",
            "source_line",
        ]
        for name in ("accounts", "accounts_current")
    },
}


@pytest.fixture(scope="module")
def lake(template: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root, watchlist = template
    copy = tmp_path_factory.mktemp("views") / "lake"
    shutil.copytree(root, copy)
    lake = Lake.open(copy)
    run_detect(lake, DetectSettings(broker_watchlist=watchlist))
    return lake


@pytest.fixture(scope="module")
def spark_tables(lake: Lake, spark_engine: Any) -> Iterator[Any]:
    """The Spark session after running the printed script."""
    from auditpipe.sql.spark_views import printable_spark_views

    session = spark_engine.session
    for statement in printable_spark_views(lake).split(";\n"):
        code = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
        if code.strip():
            session.sql(code)
    yield session
    session.sql("SET TIME ZONE 'UTC'")


def test_the_cli_prints_the_spark_script(lake: Lake, capsys: Any) -> None:
    code, out, _ = run_main(
        ["sql", "--lake", str(lake.root), "--print-views", "--dialect", "spark"], capsys
    )
    assert code == 0
    assert "SET TIME ZONE 'Asia/Shanghai';" in out
    assert "`provider_id` STRING" in out and "`extras` STRING" in out
    assert "`event_time` TIMESTAMP_LTZ" in out


def test_spark_sees_the_right_types(spark_tables: Any) -> None:
    from pyspark.sql import types as T

    events = {f.name: f.dataType for f in spark_tables.table("events").schema.fields}
    assert events["provider_id"] == T.StringType()
    assert events["event_date"] == T.DateType()
    assert events["event_time"] == T.TimestampType()  # an instant, shown in the lake's zone
    assert events["extras"] == T.StringType()
    findings = {f.name: f.dataType for f in spark_tables.table("findings").schema.fields}
    assert findings["proceeds_cny"] == T.DecimalType(18, 2)


@pytest.mark.parametrize("table", list(COMPARED))
def test_every_table_equals_the_duckdb_view_row_for_row(
    table: str, lake: Lake, spark_tables: Any
) -> None:
    import duckdb

    from auditpipe.lake.views import create_views

    columns = COMPARED[table]
    duck = [c if isinstance(c, str) else c[0] for c in columns]
    spark = [c if isinstance(c, str) else c[1] for c in columns]
    names = [f"c{i}" for i in range(len(columns))]
    from_spark = spark_tables.sql(
        "SELECT "
        + ", ".join(f"{e} AS {n}" for e, n in zip(spark, names, strict=True))
        + f" FROM {table}"
    ).toArrow()
    con = duckdb.connect()
    create_views(con, lake.root)
    con.register("from_spark", from_spark)
    mine = "SELECT " + ", ".join(f"{e} AS {n}" for e, n in zip(duck, names, strict=True))
    mine += f" FROM {table}"
    total = con.execute(f"SELECT count(*) FROM ({mine})").fetchone()[0]  # type: ignore[index]
    only_duck = con.execute(f"SELECT count(*) FROM ({mine} EXCEPT ALL FROM from_spark)").fetchone()
    only_spark = con.execute(f"SELECT count(*) FROM (FROM from_spark EXCEPT ALL {mine})").fetchone()
    assert total > 0
    assert (only_duck, only_spark) == ((0,), (0,))
    if table in ("events", "findings"):
        column = names[spark.index("provider_id")]
        providers = {r[0] for r in con.execute(f"SELECT {column} FROM from_spark").fetchall()}
        assert {"007", "中国电信", "forum a/b=c%"} <= providers


# A lake folder whose name Hadoop would read as a glob, and a sibling that glob matches.
GLOB_NAMED = [("lake[1]", "lake1"), ("lake{a,b}", "lakea"), ("lake?x", "lakeyx")]


@pytest.mark.parametrize(("name", "decoy"), GLOB_NAMED)
def test_a_lake_named_like_a_glob_is_read_as_named(
    name: str, decoy: str, tmp_path: Path, spark_engine: Any
) -> None:
    """Spark expands ``[``, ``{`` and ``?`` in a path: the script names the lake's folders
    with those characters escaped, so it reads this lake, never a sibling the pattern
    matches (which held other events here) and never "Path does not exist"."""
    import duckdb

    from auditpipe.lake.views import create_views
    from auditpipe.sql.spark_views import printable_spark_views
    from tests.support.ingest import good, ingest, write_jsonl

    ingest(tmp_path / name, write_jsonl(tmp_path / "in" / "a.jsonl", [good(event_id="a")]))
    decoy_rows = [good(event_id=f"d{i}", provider_id="decoy") for i in range(3)]
    ingest(tmp_path / decoy, write_jsonl(tmp_path / "in2" / "b.jsonl", decoy_rows))
    session = spark_engine.session
    try:
        for statement in printable_spark_views(Lake.open(tmp_path / name)).split(";\n"):
            code = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
            if code.strip():
                session.sql(code)
        spark_rows = {
            table: sorted(map(tuple, session.sql(f"SELECT {cols} FROM {table}").collect()))
            for table, cols in (("events", "provider_id, event_id"), ("ingest_log", "sha256"))
        }
    finally:
        session.sql("SET TIME ZONE 'UTC'")
    con = duckdb.connect()
    create_views(con, tmp_path / name)
    assert spark_rows["events"] == [("forum-a", "a")]
    assert spark_rows["ingest_log"] == con.sql("SELECT sha256 FROM ingest_log").fetchall()
