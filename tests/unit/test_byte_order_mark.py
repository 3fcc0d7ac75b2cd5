"""Text files an operator edits (the broker watchlist, a catalog, a rule file) may start with a
UTF-8 byte order mark (Windows Notepad writes one). It is not part of the text: a watchlist
with one silently missed its first broker (its name read as '\\ufeffname'), so the planted
sale to the sample's broker was not found; a catalog was 'not valid JSON'."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_catalog
from auditpipe.detect.rules import read_rule_file
from auditpipe.detect.settings import DetectSettings
from tests.support.cli import run_main
from tests.support.ingest import good, ingest, write_jsonl

BOM = b"\xef\xbb\xbf"
RULES = Path(__file__).resolve().parents[2] / "auditpipe" / "rules"

names = st.lists(
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=12,
    ).filter(lambda n: "#" not in n and n.strip()),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=names)
def test_a_watchlist_with_a_byte_order_mark_names_the_same_brokers(
    tmp_path: Path, names: list[str]
) -> None:
    plain, marked = tmp_path / "plain.txt", tmp_path / "marked.txt"
    data = "\n".join(names).encode("utf-8")
    plain.write_bytes(data)
    marked.write_bytes(BOM + data)
    got = DetectSettings(broker_watchlist=marked).watchlist_names()
    assert got == DetectSettings(broker_watchlist=plain).watchlist_names()


def test_a_catalog_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_bytes(BOM + json.dumps({"fields": {}, "protected_classes": ["login"]}).encode())
    assert load_catalog(path).protected_classes == ("login",)


def test_a_rule_file_with_a_byte_order_mark_is_the_same_rule(tmp_path: Path) -> None:
    builtin = RULES / "selling.sql"
    path = tmp_path / "selling.sql"
    path.write_bytes(BOM + builtin.read_bytes())
    rule = read_rule_file(path, builtin=True)
    assert dataclasses.replace(rule, path=builtin) == read_rule_file(builtin, builtin=True)


def test_a_source_schema_file_with_a_byte_order_mark_is_the_same_schema(tmp_path: Path) -> None:
    from auditpipe.sources.schema import load_schema

    source = RULES.parents[1] / "sample_data" / "_sources" / "pgaudit" / "schema.sql"
    path = tmp_path / "schema.sql"
    path.write_bytes(BOM + source.read_bytes())
    assert load_schema(path, "postgres") == load_schema(source, "postgres")


def test_sql_file_with_a_byte_order_mark_runs(tmp_path: Path, capsys: Any) -> None:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "a.jsonl", [good()]))
    query = tmp_path / "q.sql"
    query.write_bytes(BOM + b"SELECT count(*) AS n FROM events")
    rc, out, err = run_main(["sql", "--lake", str(tmp_path / "lake"), "--file", str(query)], capsys)
    assert rc == 0, err
    assert out.split() == ["n", "1"]
