"""pgaudit's OBJECT_NAME is the table's name as PostgreSQL quotes it (``public."Customer
Data"``, ``public."用户"``): a statement resolved from the tables the log names (its text not
logged, cut short, or unreadable) has the mapped columns of those tables, whatever their
names. Real lines: tests/data/pgaudit_quoted_names/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_catalog
from auditpipe.sources import load_settings, read_file

DATA = Path(__file__).resolve().parents[1] / "data" / "pgaudit_quoted_names"

SETTINGS = """kind = "pgaudit"
format = "stderr"
log_line_prefix = "%m [%p] %q%u@%d "
provider_id = "shop-pg"
provider_type = "iisp"
timezone = "Asia/Shanghai"
schema = "schema.sql"
subject_keys = []
[columns]
"""


def _read(folder: Path, log: str, schema: str, columns: dict[str, str]) -> list[dict]:
    import polars as pl

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.sql").write_text(schema, encoding="utf-8")
    mapped = "".join(
        f"{json.dumps(ref, ensure_ascii=False)} = {json.dumps(f)}\n" for ref, f in columns.items()
    )
    (folder / "source.toml").write_text(SETTINGS + mapped, encoding="utf-8")
    (folder / "postgresql.log").write_text(log, encoding="utf-8")
    table, counters = read_file(
        folder / "postgresql.log", load_settings(folder / "source.toml"), load_catalog()
    )
    assert counters.reconciles and counters.lines_quarantined == 0, counters.as_dict()
    rows = pl.from_arrow(table).sort("line_number").to_dicts()
    for row in rows:
        row["extras"] = json.loads(row["extras"]) if row.get("extras") else {}
    return rows


COLUMNS = {
    '"Customer Data"."RealName"': "real_name",
    '"Customer Data"."手机"': "mobile",
    '"we,ird""t".mobile': "mobile",
    '"my.app".accounts.mobile': "mobile",
    '"用户"."姓名"': "real_name",
}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    return _read(
        tmp_path_factory.mktemp("quoted"),
        (DATA / "postgresql.log").read_text(encoding="utf-8"),
        (DATA / "schema.sql").read_text(encoding="utf-8"),
        COLUMNS,
    )


def test_a_statement_not_logged_has_the_mapped_columns_of_its_quoted_table(
    rows: list[dict],
) -> None:
    fallback = {
        r["extras"]["statement_id"]: set(r["data_fields"].split(";"))
        for r in rows
        if r["extras"].get("resolved_from_tables_only")
    }
    # statements 4 to 7: their text <not logged>, their table known from OBJECT_NAME alone
    assert fallback == {
        "4": {"real_name", "mobile"},  # public."Customer Data": every mapped column
        "5": {"mobile"},  # public."we,ird""t"
        "6": {"mobile"},  # "my.app".accounts
        "7": {"real_name"},  # public."用户"
    }


# Table names PostgreSQL quotes: capitals, spaces, Chinese, a double quote inside.
NAMES = st.text(
    st.sampled_from(list('abcXYZ _-"0123') + ["用", "户", "表"]), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and any(c != '"' for c in s))
FIELDS = ["id_number", "mobile", "real_name", "password_hash", "email"]


@settings(max_examples=8, deadline=None)
@given(
    names=st.lists(NAMES, min_size=1, max_size=len(FIELDS), unique_by=str.lower),
    schema_quoted=st.booleans(),
)
def test_any_quoted_table_name_in_object_name_resolves_to_its_columns(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], schema_quoted: bool
) -> None:
    schema = '"App"' if schema_quoted else "public"
    log, ddl, columns = [], [], {}
    for n, name in enumerate(names, 1):
        quoted = '"' + name.replace('"', '""') + '"'
        record = '"' + f"{schema}.{quoted}".replace('"', '""') + '"'  # CSV-escaped, as pgaudit
        log.append(
            "2026-12-03 03:34:53.197 CST [16685] postgres@postgres LOG:  AUDIT: "
            f"SESSION,{n},1,READ,SELECT,TABLE,{record},<not logged>,<not logged>,1\n"
        )
        ddl.append(f'CREATE TABLE {schema}.{quoted} (id integer, "Secret" text);\n')
        columns[f'{quoted}."Secret"'] = FIELDS[n - 1]
    rows = _read(tmp_path_factory.mktemp("names"), "".join(log), "".join(ddl), columns)
    got = {r["extras"]["statement_id"]: r["data_fields"] for r in rows}
    assert got == {str(n): FIELDS[n - 1] for n in range(1, len(names) + 1)}, (names, got)
    assert all(r["extras"].get("resolved_from_tables_only") for r in rows)
