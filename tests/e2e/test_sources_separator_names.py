"""A table or column whose name holds a character that separates data field names in a
data_fields text (',', ';', '|', the ideographic '、', their full-width forms): a database
audit log's statement touching it stores the name whole, not cut into made-up fields."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from auditpipe.contract import normalize_name
from tests.support.cli import run_main

# Names PostgreSQL allows quoted, each holding one separator.
COLUMNS = ["省、市", "a;b", "x|y", "c，d", "e,f"]
SETTINGS = """kind = "pgaudit"
format = "stderr"
log_line_prefix = "%m [%p] %q%u@%d "
provider_id = "shop-pg"
provider_type = "iisp"
timezone = "Asia/Shanghai"
schema = "schema.sql"
subject_keys = ['"we,ird".id']
[columns]
'"we,ird"."mobile"' = "mobile"
"""


def test_names_with_separators_reach_the_lake_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quoted = ", ".join(f'"{c}"' for c in COLUMNS)
    declared = ", ".join(f'"{c}" text' for c in COLUMNS)
    (tmp_path / "schema.sql").write_text(
        f'CREATE TABLE public."we,ird" (id integer, mobile text, {declared});\n', encoding="utf-8"
    )
    (tmp_path / "source.toml").write_text(SETTINGS, encoding="utf-8")
    statement = f'SELECT mobile, {quoted} FROM "we,ird" WHERE id = 7'
    record = '"' + statement.replace('"', '""') + '"'
    (tmp_path / "postgresql.log").write_text(
        "2026-12-03 03:34:53.197 CST [16685] svc_app@shop LOG:  AUDIT: SESSION,1,1,READ,"
        f'SELECT,TABLE,"public.""we,ird""",{record},<none>,1\n',
        encoding="utf-8",
    )
    code, _, err = run_main(
        [
            "ingest",
            "--source",
            str(tmp_path / "source.toml"),
            str(tmp_path / "postgresql.log"),
            "--lake",
            str(tmp_path / "lake"),
        ],
        capsys,
    )
    assert code == 0, err
    ((fields,),) = duckdb.sql(
        f"SELECT data_fields FROM read_parquet('{tmp_path}/lake/events/**/*.parquet')"
    ).fetchall()
    # names are matched width-folded (the catalog's rule): the full-width '，' is ','
    wanted = ["mobile", "we,ird.id", *(normalize_name(f"we,ird.{c}") for c in COLUMNS)]
    assert sorted(fields) == sorted(wanted)
