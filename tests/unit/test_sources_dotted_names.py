"""A table or column whose name holds a dot (PostgreSQL's ``"user.profile"``, MySQL's
`` `user.profile` ``) is mapped by spelling it quoted in the source settings, as the SQL
and the dump spell it: ``'"user.profile".nick'``, ``"`user.profile`.nick"``, or with its
schema, ``'public."user.profile".nick'``. Unquoted, the dots separate names
(``user.profile.nick`` is the column ``nick`` of the table ``profile`` of the schema ``user``),
as before; ``sources check`` names the quoted spelling when the schema has the dotted table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_catalog
from auditpipe.sources import load_settings
from auditpipe.sources.analysis import analyse, data_fields
from auditpipe.sources.check import check_source
from auditpipe.sources.reader import SourceReader, mapping_for
from tests.support.sources import events

PG_SCHEMA = """\
CREATE TABLE public.accounts (id bigint PRIMARY KEY, real_name text, mobile text);
CREATE TABLE public."user.profile" (id bigint, nick text, "home.city" text);
"""
MY_SCHEMA = """\
CREATE TABLE `accounts` (`id` bigint PRIMARY KEY, `real_name` text, `mobile` text);
CREATE TABLE `user.profile` (`id` bigint, `nick` text, `home.city` text);
"""


def _settings(folder: Path, kind: str, table: str, schema: str = "") -> Path:
    """Settings mapping the dotted table's columns, the table spelled ``table``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.sql").write_text(schema or (PG_SCHEMA if kind == "pgaudit" else MY_SCHEMA))
    quote = '"' if kind == "pgaudit" else "`"
    home = f"{quote}home.city{quote}"
    text = f"""\
kind = "{kind}"
provider_id = "p"
provider_type = "iisp"
timezone = "Asia/Shanghai"
schema = "schema.sql"
subject_keys = ['accounts.id', '{table}.id']
{"query_log_limit = 0" if kind == "server_audit" else 'log_line_prefix = "%m [%p] %q%u@%d "'}

[columns]
'accounts.real_name' = "real_name"
'{table}.nick' = "real_name"
'{table}.{home}' = "address"
"""
    path = folder / "source.toml"
    path.write_text(text, encoding="utf-8")
    return path


SPELLINGS = {
    "pgaudit": ['"user.profile"', 'public."user.profile"', '"User.Profile"'],
    "server_audit": ["`user.profile`", "shop.`user.profile`", '"user.profile"'],
}


@pytest.mark.parametrize(
    "kind, table", [(k, t) for k, spellings in SPELLINGS.items() for t in spellings]
)
def test_a_dotted_table_spelled_quoted_is_mapped(tmp_path: Path, kind: str, table: str) -> None:
    path = _settings(tmp_path, kind, table)
    result = check_source(path, load_catalog())
    assert result.problems == [] and result.ok
    mapping = mapping_for(load_settings(path), load_catalog())
    dialect = "postgres" if kind == "pgaudit" else "mysql"
    q = '"' if dialect == "postgres" else "`"
    one = analyse(f"SELECT nick FROM {q}user.profile{q} WHERE id = 7", dialect, mapping)
    assert data_fields(one, mapping) == ["real_name", '"user.profile".id']
    assert one.narrowed and one.subject_literals == [0]
    every = analyse(f"SELECT * FROM {q}user.profile{q} p", dialect, mapping)
    assert data_fields(every, mapping) == ["address", "real_name", '"user.profile".id']
    assert not every.narrowed
    # the table `profile` (of a schema `user`) is another table: not the dotted one
    other = analyse("SELECT nick FROM profile WHERE id = 7", dialect, mapping)
    assert "real_name" not in data_fields(other, mapping)


def test_check_names_the_quoted_spelling_of_a_dotted_table(tmp_path: Path) -> None:
    result = check_source(_settings(tmp_path, "pgaudit", "user.profile"), load_catalog())
    assert not result.ok
    assert any('"user.profile".nick' in p for p in result.problems), result.problems


@settings(max_examples=25, deadline=None)
@given(
    table=st.from_regex(r"[a-z]{1,3}(\.[a-z]{1,3}){1,2}", fullmatch=True),
    column=st.from_regex(r"[a-z]{1,3}(\.[a-z]{1,3})?", fullmatch=True),
    dialect=st.sampled_from(["postgres", "mysql"]),
)
def test_any_dotted_name_spelled_quoted_maps_its_column(
    tmp_path_factory: pytest.TempPathFactory, table: str, column: str, dialect: str
) -> None:
    if column == "id":
        return
    q = '"' if dialect == "postgres" else "`"
    kind = "pgaudit" if dialect == "postgres" else "server_audit"
    schema = f"CREATE TABLE {q}{table}{q} (id bigint, {q}{column}{q} text);\n"
    path = _settings(tmp_path_factory.mktemp("n"), kind, f"{q}{table}{q}", PG_SCHEMA + schema)
    text = path.read_text().replace(f"{q}{table}{q}.nick", f"{q}{table}{q}.{q}{column}{q}")
    path.write_text(text.replace(f"'{q}{table}{q}.{q}home.city{q}' = \"address\"\n", ""))
    mapping = mapping_for(load_settings(path), load_catalog())
    a = analyse(f"SELECT {q}{column}{q} FROM {q}{table}{q} WHERE id = 5", dialect, mapping)
    assert data_fields(a, mapping) == ["real_name", f'"{table}".id']
    assert a.subject_literals == [0]


def test_pgaudit_reads_the_dotted_table_of_its_log(tmp_path: Path) -> None:
    # as a real PostgreSQL 15 logged them: OBJECT_NAME public."user.profile", quoted
    path = _settings(tmp_path / "src", "pgaudit", '"user.profile"')
    reader = SourceReader(load_settings(path), load_catalog())
    p = "2026-12-03 07:44:30.193 CST [2326] postgres@postgres LOG:  AUDIT: SESSION,"
    log = (
        f'{p}11,1,READ,SELECT,TABLE,"public.""user.profile""","SELECT nick FROM ""user.profile""'
        ' WHERE id = 1;",<none>,1\n'
        # a statement the parser cannot read falls back to the log's table
        f'{p}12,1,READ,SELECT,TABLE,"public.""user.profile""","SELECT nick FROM ""user.profile""'
        ' WHERE id = = 1;",<none>,1\n'
    )
    tables = list(reader.batches(io.BytesIO(log.encode()), "log.txt"))
    rows = pl.concat([pl.from_arrow(t) for t in tables]).sort("line_number").to_dicts()
    for row in rows:
        row["extras"] = json.loads(row["extras"]) if row.get("extras") else {}
    got = [(e["action"], e["subject_id"], e["data_fields"]) for e in events(rows)]
    assert got[0] == ("view", "1", 'real_name;"user.profile".id')
    assert got[1][2] == "address;real_name"


def test_server_audit_reads_the_dotted_table_of_its_log(tmp_path: Path) -> None:
    # server_audit names a table by database and table, unquoted: shop,user.profile
    path = _settings(tmp_path / "src", "server_audit", "`user.profile`")
    reader = SourceReader(load_settings(path), load_catalog())
    log = (
        "20261202 16:06:09,vm,svc_app,localhost,5,18,READ,shop,user.profile,\n"
        "20261202 16:06:09,vm,svc_app,localhost,5,18,QUERY,shop,"
        "'SELECT nick FROM `user.profile` WHERE id = = 1',0\n"
    )
    tables = list(reader.batches(io.BytesIO(log.encode()), "log.txt"))
    rows = pl.concat([pl.from_arrow(t) for t in tables]).sort("line_number").to_dicts()
    for row in rows:
        row["extras"] = json.loads(row["extras"]) if row.get("extras") else {}
    (event,) = events(rows)  # resolved from the log's table: the dotted one's columns
    assert event["data_fields"] == "address;real_name"
