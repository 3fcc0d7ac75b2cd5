"""The data catalog knows the field names of Chinese systems, and names match alike in Python
(contract.normalize_name) and in the ingest SQL, whatever the case, spaces, separators or
full-width characters they are typed with."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_catalog, normalize_name
from auditpipe.ingest.normalize import data_field_table
from auditpipe.sources import load_settings, read_file
from auditpipe.sources.analysis import Mapping, analyse, data_fields
from auditpipe.sources.schema import parse_ddl
from tests.support.sources import events, write_source

CATALOG = load_catalog()

# The names of issue 12, with the class the regulation's wording gives them: login information
# (登录信息), real identification information (真实身份信息), or other personal data.
EXPECTED = {
    "login": "密码 登录密码 登录IP 登录时间 mm dlmm dlip dlsj",
    "identity": "身份证号 身份证号码 证件号码 证件号 姓名 真实姓名 手机号 手机号码 电话 "
    "sfzh sfzhm zjhm xm zsxm sjh sjhm",
    "other": "住址 地址 银行卡号 邮箱 dz yhkh",
}


@pytest.mark.parametrize(
    ("name", "data_class"),
    [(n, c) for c, names in EXPECTED.items() for n in names.split()],
)
def test_chinese_names_and_pinyin_initials_are_classified(name: str, data_class: str) -> None:
    entry = CATALOG.lookup(name)
    assert entry.data_class == data_class
    assert entry.category != "other"  # known to the catalog, not merely unprotected


def _full_width(char: str) -> str:
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(catalog name, one way a person or a system might write it)."""
    name = draw(st.sampled_from([e.name for e in CATALOG.entries]))
    out = []
    for char in name:
        if char == "_":
            char = draw(st.sampled_from(["_", "-", " ", "－", "　", " - ", "\t"]))
        elif char.isascii() and char.isalpha() and draw(st.booleans()):
            char = char.upper()
        if draw(st.booleans()):
            char = "".join(_full_width(c) for c in char)
        out.append(char)
    space = st.sampled_from(["", " ", "  ", "\u3000", "\u00a0", "\t", " \u3000 "])
    return name, draw(space) + "".join(out) + draw(space)


@settings(max_examples=300, deadline=None)
@given(spellings())
def test_any_spelling_of_a_catalog_name_finds_its_entry(case: tuple[str, str]) -> None:
    name, spelling = case
    assert normalize_name(spelling) == name
    assert CATALOG.lookup(spelling) == CATALOG.lookup(name)


def _sql_fields(texts: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """data_fields text -> (normalised names, classes) as the ingest SQL makes them."""
    con = duckdb.connect()
    con.execute("CREATE TABLE read_batch (data_fields VARCHAR)")  # the batch as read
    con.executemany("INSERT INTO read_batch VALUES (?)", [[t] for t in texts])
    rows = con.sql(data_field_table(CATALOG)).fetchall()
    return {text: (names, classes) for text, names, _unfit, classes, _ in rows}


@settings(max_examples=30, deadline=None)
@given(st.lists(spellings(), min_size=1, max_size=20))
def test_the_ingest_sql_matches_names_as_python_does(cases: list[tuple[str, str]]) -> None:
    texts = [spelling for _, spelling in cases]
    found = _sql_fields(texts)
    for name, spelling in cases:
        names, classes = found[spelling]
        assert names == [normalize_name(spelling)] == [name]
        assert classes == [CATALOG.lookup(name).data_class]


NAME_CHARS = st.sampled_from("aZ身份 \t\n-_－　\u00a0\u2003ｓＦ1")


@settings(max_examples=15, deadline=None)
@given(st.lists(st.text(alphabet=NAME_CHARS, min_size=1, max_size=12), min_size=1, max_size=40))
def test_sql_and_python_normalise_any_name_alike(texts: list[str]) -> None:
    found = _sql_fields(texts)
    for text in texts:
        expected = normalize_name(text)
        names = found[text][0] if text in found else []  # a blank text names no field
        assert names == ([expected] if expected else [])


@pytest.mark.parametrize("text", ["姓名，手机号", "姓名、手机号", "姓名；手机号", "姓名｜手机号"])
def test_chinese_list_separators_split_data_fields(text: str) -> None:
    names, classes = _sql_fields([text])[text]
    assert names == ["姓名", "手机号"] and classes == ["identity"]


def test_sql_analysis_classifies_an_unmapped_column_by_its_name() -> None:
    mapping = Mapping(
        schema=parse_ddl("CREATE TABLE kh (id bigint, sfzh text, xm text, nc text);", "postgres"),
        columns={},
        subject_keys=frozenset({"kh.id"}),
        protected_fields=frozenset(),
        catalog_fields=frozenset(e.name for e in CATALOG.entries),
    )
    analysis = analyse("SELECT sfzh, xm, nc FROM kh WHERE id = 1", "postgres", mapping)
    assert data_fields(analysis, mapping) == ["sfzh", "xm", "kh.id", "kh.nc"]


def test_pgaudit_statement_on_column_sfzh_is_identity_data(tmp_path: Path) -> None:
    folder = tmp_path
    settings_path = write_source(folder / "src", "pgaudit", "stderr")
    with open(folder / "src" / "schema.sql", "a", encoding="utf-8") as fh:
        fh.write("\nCREATE TABLE kehu (id bigint PRIMARY KEY, sfzh text, nc text);\n")
    log = folder / "pg.log"
    log.write_text(
        "2026-03-02 09:00:00.123 CST [4242] kefu_li@shop LOG:  AUDIT: "
        "SESSION,1,1,READ,SELECT,TABLE,public.kehu,SELECT sfzh FROM kehu,<none>\n",
        encoding="utf-8",
    )
    table, _ = read_file(log, load_settings(settings_path), CATALOG)
    (event,) = events(table.to_pylist())
    assert event["data_fields"] == "sfzh"
    assert CATALOG.lookup(event["data_fields"]).data_class == "identity"
