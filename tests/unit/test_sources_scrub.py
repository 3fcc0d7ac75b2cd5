"""Literal scrubbing: no value written into a statement survives, in Python or Polars."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.scrub import literal_list_expr, literals, scrub_expr, scrub_text

# Values shaped like what the regulation protects: ID numbers, phones, names, passwords.
VALUES = st.one_of(
    st.from_regex(r"[1-6]\d{16}[\dX]", fullmatch=True),
    st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=4, max_size=20
    ).filter(lambda s: s.strip() and any(c.isalnum() for c in s)),
)
TEMPLATES = [
    "UPDATE accounts SET id_card_no = {v} WHERE id = 3",
    "SELECT * FROM accounts WHERE mobile = {v}",
    "INSERT INTO accounts (id, real_name) VALUES (1, {v})",
    "/*ticket='T-1'*/ SELECT id FROM accounts WHERE real_name IN ({v}, {v})",
    "SELECT id FROM accounts WHERE password_hash = {v} -- check",
]


def pg_literal(value: str, form: int) -> str:
    if form == 0 or not value.isdigit():
        return "'" + value.replace("'", "''") + "'"
    if form == 1:
        return value
    return "$$" + value + "$$" if "$$" not in value else "'" + value + "'"


@settings(max_examples=200, deadline=None)
@given(VALUES, st.sampled_from(TEMPLATES), st.integers(0, 2))
def test_no_literal_survives_scrubbing(value: str, template: str, form: int) -> None:
    sql = template.format(v=pg_literal(value, form))
    out_py = scrub_text(sql, "postgres")
    out_pl = pl.DataFrame({"s": [sql]}).select(scrub_expr(pl.col("s"), "postgres"))["s"][0]
    for out in (out_py, out_pl):
        assert value not in out or value.strip() in {"SELECT", "FROM"}
    # The literal list finds it, in the same order on both sides.
    found = [t for _, _, t in literals(sql, "postgres")]
    listed = pl.DataFrame({"s": [sql]}).select(literal_list_expr(pl.col("s"), "postgres"))["s"][0]
    assert found == listed.to_list()


@settings(max_examples=100, deadline=None)
@given(VALUES, st.integers(1, 40))
def test_a_statement_cut_inside_a_literal_leaks_nothing_after_the_cut(
    value: str, keep: int
) -> None:
    sql = "SELECT real_name FROM accounts WHERE mobile = '" + value.replace("'", "''") + "'"
    cut = sql[: len(sql) - 1 - min(keep, len(value))]
    for dialect in ("postgres", "mysql"):
        assert "'" not in scrub_text(cut, dialect)
        assert value not in scrub_text(cut, dialect)


def test_parameters_and_names_with_digits_are_kept() -> None:
    assert scrub_text("SELECT t1.c2 FROM t1 WHERE id = $1 AND x = 42", "postgres") == (
        "SELECT t1.c2 FROM t1 WHERE id = $1 AND x = ?"
    )


def test_mysql_backslash_and_double_quoted_strings() -> None:
    sql = "SELECT 1 FROM t WHERE a = 'it\\'s 110101199003074514' AND b = \"13800138000\""
    assert scrub_text(sql, "mysql") == "SELECT ? FROM t WHERE a = ? AND b = ?"
