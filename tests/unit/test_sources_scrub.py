"""Literal scrubbing: no value written into a statement survives, in Python or Polars."""

from __future__ import annotations

import polars as pl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auditpipe.sources.scrub import (
    literal_list_expr,
    literal_value,
    literal_value_expr,
    literals,
    scrub_expr,
    scrub_text,
)

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


def _both_sides(sql: str, dialect: str) -> str:
    """The scrubbed text, checked equal in Python and Polars, with the same literal list."""
    out_py = scrub_text(sql, dialect)
    frame = pl.DataFrame({"s": [sql]})
    out_pl = frame.select(scrub_expr(pl.col("s"), dialect))["s"][0]
    assert out_py == out_pl
    found = [t for _, _, t in literals(sql, dialect)]
    assert frame.select(literal_list_expr(pl.col("s"), dialect))["s"][0].to_list() == found
    return out_py


COMMENT_FORMS = {
    "postgres": ["/* {c} */", "-- {c}\n", "/*{c}*/"],
    "mysql": ["/* {c} */", "-- {c}\n", "# {c}\n", "/*{c}*/"],
}


@settings(max_examples=100, deadline=None)
@given(
    VALUES.filter(lambda v: "*/" not in v and "/*" not in v),
    VALUES,
    st.sampled_from(["postgres", "mysql"]),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from(["", "it's ", 'say "', "-- ", "$$ "]),
)
def test_comments_go_whole_and_a_quote_in_one_opens_no_string(
    note: str, value: str, dialect: str, form: int, where: int, noise: str
) -> None:
    # A comment holding a name or a number, and quotes or comment marks that would open a
    # string or another comment: none of it, and none of the literal after it, is kept.
    forms = COMMENT_FORMS[dialect]
    comment = forms[form % len(forms)].format(c=noise + note)
    words = ["SELECT", "real_name", "FROM", "accounts", "WHERE", "mobile", "="]
    words.insert(where % (len(words) + 1), comment)
    sql = " ".join(words) + " '" + value.replace("'", "''") + "'"
    out = _both_sides(sql, dialect)
    shape = "SELECT real_name FROM accounts WHERE mobile = ?"
    assert out == shape
    assert note not in out or note in shape


def test_executable_comments_keep_their_sql_and_lose_their_values() -> None:
    sql = "/*!40101 SELECT real_name FROM accounts WHERE mobile = '13800138000' */ /*+ Zhang */"
    assert _both_sides(sql, "mysql") == "SELECT real_name FROM accounts WHERE mobile = ?"


def test_comment_marks_inside_strings_and_quoted_names_are_text() -> None:
    assert _both_sides("SELECT '-- a', \"x--y\" FROM t /* c */", "postgres") == (
        'SELECT ? , "x--y" FROM t'
    )
    assert _both_sides("SELECT `a#b` FROM t WHERE x = '#1'", "mysql") == (
        "SELECT `a#b` FROM t WHERE x = ?"
    )


def test_a_nested_or_unclosed_comment_hides_what_it_may_hold() -> None:
    assert "Zhang" not in _both_sides("/* a /* b */ Zhang San */ SELECT 1", "postgres")
    assert "Zhang" not in _both_sides("SELECT 1 /* Zhang San", "postgres")
    assert "Zhang" not in _both_sides("SELECT 1 /* Zhang San", "mysql")


def _quoted(value: str, escapes: bool) -> str:
    """``value`` as a string literal under a server's rule: backslash escapes or doubling."""
    if escapes:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "''") + "'"


SLASHED = st.text(alphabet=st.sampled_from(list("ab Z\\'1中")), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(SLASHED, min_size=1, max_size=3),
    st.sampled_from(["postgres", "mysql"]),
    st.booleans(),
)
def test_strings_with_backslashes_are_read_with_the_servers_rule_either_way(
    values: list[str], dialect: str, escapes: bool
) -> None:
    # MySQL escapes with backslashes unless sql_mode has NO_BACKSLASH_ESCAPES; PostgreSQL
    # does not unless standard_conforming_strings is off. The log does not say which: every
    # literal is found and nothing of its value shows, under either rule.
    if dialect == "postgres" and escapes:
        # the documented gap (scrub.py): two escaped quotes can read as standard quoting
        assume(sum(v.count("'") for v in values) < 2)
    conditions = " AND ".join(f"c{i} = {_quoted(v, escapes)}" for i, v in enumerate(values))
    sql = f"SELECT real_name FROM accounts WHERE {conditions} AND id = 7"
    out = _both_sides(sql, dialect)
    expected = " AND ".join(f"c{i} = ?" for i in range(len(values)))
    assert out == f"SELECT real_name FROM accounts WHERE {expected} AND id = ?"


def test_the_probes_statements_from_real_servers() -> None:
    # MariaDB with NO_BACKSLASH_ESCAPES; PostgreSQL with standard_conforming_strings off;
    # a tagged dollar quote; all as the servers logged them.
    cases = [
        (
            "mysql",
            "SELECT real_name FROM accounts WHERE id = 1 AND city <> 'x\\' "
            "AND user_name = 'Zhang San'",
            "SELECT real_name FROM accounts WHERE id = ? AND city <> ? AND user_name = ?",
        ),
        (
            "mysql",
            "SELECT real_name FROM accounts WHERE city = 'C:\\dir\\' OR id = 2",
            "SELECT real_name FROM accounts WHERE city = ? OR id = ?",
        ),
        (
            "postgres",
            "SELECT real_name FROM accounts WHERE city <> 'it\\'s Zhang Yi' AND id = 1",
            "SELECT real_name FROM accounts WHERE city <> ? AND id = ?",
        ),
        (
            "postgres",
            "SELECT real_name FROM accounts WHERE city <> $t$Zhang 'Qi'$t$ AND id = 2",
            "SELECT real_name FROM accounts WHERE city <> ? AND id = ?",
        ),
    ]
    for dialect, sql, shape in cases:
        assert _both_sides(sql, dialect) == shape


@settings(max_examples=100, deadline=None)
@given(VALUES, st.sampled_from(["t", "body", "_x1"]), st.booleans())
def test_tagged_dollar_quotes_hide_their_value_and_give_it_back(
    value: str, tag: str, nested: bool
) -> None:
    assume(f"${tag}$" not in value and "$" not in value)
    body = f"BEGIN PERFORM $q${value}$q$; END" if nested else value
    # a name holding '$' before it is a name; the literal runs to the last tag-like token
    sql = f"SELECT id FROM accounts WHERE a$b$c = $1 AND real_name = ${tag}${body}${tag}$"
    out = _both_sides(sql, "postgres")
    assert out == "SELECT id FROM accounts WHERE a$b$c = $1 AND real_name = ?"
    if not nested:
        (_, _, text), *_ = literals(sql, "postgres")
        assert literal_value(text) == value
        got = pl.DataFrame({"s": [text]}).select(literal_value_expr(pl.col("s")))["s"][0]
        assert got == value
