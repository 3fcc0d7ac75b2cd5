"""The lake's tables for Spark SQL: ``auditpipe sql --print-views --dialect spark``.

What Spark would get wrong on its own, and what these statements do instead:

- Partition values typed by guessing (``provider_id=007`` read as the integer 7): every table
  is declared with its schema, so ``provider_id`` is a STRING and ``event_date`` a DATE.
- Partition folder names are percent-encoded UTF-8 (``provider_id=%E4%B8%AD...``) and Spark
  decodes each ``%XX`` as one Latin-1 character: ``provider_id`` is re-decoded as UTF-8 by
  ``decode(encode(provider_id, 'ISO-8859-1'), 'UTF-8')`` (a no-op for ASCII ids).
- Timestamps are ``TIMESTAMP_LTZ`` (instants, like DuckDB's TIMESTAMP WITH TIME ZONE), shown
  in the lake's timezone (``SET TIME ZONE``); ``extras`` (DuckDB JSON) is a STRING.
- A table with no files yet is an empty view with the same columns (Spark refuses a missing
  path).
- Spark expands glob patterns in a ``path`` (``lake[1]`` would read ``lake1``, ``{a,b}`` two
  folders, ``\\`` escapes): every path is read as it is written (``__globPaths__ 'false'``,
  ``READ_AS_IS``), whatever the lake's folder is called.

The column lists and types come from ``auditpipe.lake.schema`` (the same source as the DuckDB views),
translated by one function, ``spark_type``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import LakeError
from ..i18n import _
from ..lake import Lake
from ..lake.commit import journal_files
from ..lake.layout import lake_arg
from ..lake.schema import ACCOUNT_FILE_COLUMNS, EVENT_FILE_COLUMNS, FINDING_FILE_COLUMNS
from ..lake.views import (
    ACCOUNTS_CURRENT_BODY,
    INGEST_LOG_COLUMNS,
    PARQUET_TABLES,
    finding_evidence_body,
)

# Options of every folder read: the path as written, never a glob pattern.
READ_AS_IS = "__globPaths__ 'false'"
_DECODE_PROVIDER = "decode(encode(provider_id, 'ISO-8859-1'), 'UTF-8') AS provider_id"


def spark_type(duckdb_type: str) -> str:
    """A lake column's DuckDB type as a Spark SQL type."""
    from sqlglot import exp

    kind = duckdb_type.strip().upper()
    if kind == "JSON":
        return "STRING"
    if kind == "TIMESTAMP WITH TIME ZONE":
        return "TIMESTAMP_LTZ"
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="spark")


def spark_string(value: str) -> str:
    """A Spark SQL string literal: Spark escapes with backslashes ('' would concatenate)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _schema(columns: list[tuple[str, str]]) -> str:
    return ",\n    ".join(f"{_identifier(n)} {spark_type(t)}" for n, t in columns)


def _empty(name: str, columns: list[tuple[str, str]]) -> str:
    cols = ", ".join(f"CAST(NULL AS {spark_type(t)}) AS {_identifier(n)}" for n, t in columns)
    return f"CREATE OR REPLACE TEMPORARY VIEW {name} AS SELECT {cols} WHERE false;"


def _parquet_table(root: Path, name: str, file_columns: list[tuple[str, str]]) -> list[str]:
    table = PARQUET_TABLES[name]
    folder = root / table.folder
    partitions = table.columns[len(table.columns) - table.depth :]
    columns = file_columns + partitions
    if not any(folder.glob("/".join(["*"] * table.depth + ["*.parquet"]))):
        return [_empty(name, columns)]
    files_view = f"auditpipe_{name}_files"
    stmts = [
        f"CREATE OR REPLACE TEMPORARY VIEW {files_view} (\n    {_schema(columns)}\n)\n"
        f"USING parquet OPTIONS (path {spark_string(str(folder))}, pathGlobFilter '*.parquet', "
        f"{READ_AS_IS});"
    ]
    if not table.hive:
        return [stmts[0].replace(files_view, name, 1)]
    names = ", ".join(_identifier(n) for n, _ in file_columns)
    stmts.append(
        f"CREATE OR REPLACE TEMPORARY VIEW {name} AS\n"
        f"SELECT {names}, {_DECODE_PROVIDER}, {partitions[1][0]} FROM {files_view};"
    )
    return stmts


def spark_view_statements(lake_root: str | Path) -> dict[str, list[str]]:
    """Spark SQL statements per table, in an order that runs top to bottom."""
    root = Path(lake_root).resolve()
    quarantine = [c for c in PARQUET_TABLES["quarantine"].columns]
    stmts = {
        "events": _parquet_table(root, "events", EVENT_FILE_COLUMNS),
        "quarantine": _parquet_table(root, "quarantine", quarantine),
        "findings": _parquet_table(root, "findings", FINDING_FILE_COLUMNS),
    }
    # before finding_evidence, which reads it (Spark resolves a view when it is created)
    stmts["accounts"] = _parquet_table(root, "accounts", ACCOUNT_FILE_COLUMNS)
    body = finding_evidence_body(lambda t: f"CAST(NULL AS {spark_type(t)})", unnest="explode")
    stmts["finding_evidence"] = [f"CREATE OR REPLACE TEMPORARY VIEW finding_evidence AS\n{body};"]
    stmts["accounts_current"] = [
        f"CREATE OR REPLACE TEMPORARY VIEW accounts_current AS\n{ACCOUNTS_CURRENT_BODY};"
    ]
    manifest = root / "_auditpipe" / "manifest"
    if any(manifest.glob("*.json")):
        stmts["ingest_log"] = [
            f"CREATE OR REPLACE TEMPORARY VIEW ingest_log (\n    {_schema(INGEST_LOG_COLUMNS)}\n)\n"
            f"USING json OPTIONS (path {spark_string(str(manifest))}, pathGlobFilter '*.json', "
            f"multiLine true, {READ_AS_IS});"
        ]
    else:
        stmts["ingest_log"] = [_empty("ingest_log", INGEST_LOG_COLUMNS)]
    return stmts


def printable_spark_views(lake: Lake) -> str:
    """The Spark SQL script: timezone, then every table's statements.

    Spark reads the tables' folders, not a list of files as the DuckDB views do, so it cannot
    count a commit that a killed writer left half done on disk (its new files partly still
    staged, the files it replaces still there) as done: while one is, no script is printed
    (``LakeError``, with the command that finishes it)."""
    if journal_files(lake.root):
        raise LakeError(
            _(
                "a commit of this lake is half done on disk (a writer was stopped while applying "
                "it): Spark reads the folders, and would see rows doubled or missing"
            ),
            hint=_(
                "finish it with {command} (it changes nothing else), then print the views again"
            ).format(command=f"auditpipe compact {lake_arg(lake.root)} --dry-run"),
        )
    header = (
        f"-- auditpipe tables over the lake {lake.root.resolve()}, for Spark SQL\n"
        "-- (spark-sql -f FILE, or each statement through spark.sql(...) in a notebook).\n"
        "-- Every executor must see the lake at this path (a shared mount). A table with no\n"
        "-- files yet is an empty view: print these again after ingest/detect. Each view lists\n"
        "-- its table's folder when it is created: create them while no auditpipe command\n"
        "-- writes (see docs/contract.md, reading the lake while auditpipe writes).\n"
        "-- The masking macros of the DuckDB views have no Spark version: mask before sharing.\n"
        f"SET TIME ZONE {spark_string(lake.timezone)};\n\n"
    )
    body = "\n\n".join(
        "\n".join(statements) for statements in spark_view_statements(lake.root).values()
    )
    return header + body + "\n"
