"""PostgreSQL's log words in every language it ships, and log_line_prefix fields of any shape.

The word tables in ``auditpipe/sources/pg_messages.py`` were read from PostgreSQL 15's message
catalogs; the first test reads the catalogs installed with the server package and holds the
tables equal to them (it needs ``postgresql-15``, which CI installs)."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.pg_messages import CONNECTION_AUTHORIZED, SEVERITY_WORDS, STDERR_TOKENS
from auditpipe.sources.pgaudit import english_severity, prefix_regex

CATALOGS = sorted(Path("/usr/share/locale").glob("*/LC_MESSAGES/postgres-15.mo"))
SEVERITIES = ["DEBUG", "LOG", "INFO", "NOTICE", "WARNING", "ERROR", "FATAL", "PANIC"]
LABELS = ["STATEMENT:  ", "DETAIL:  ", "HINT:  ", "CONTEXT:  ", "QUERY:  ", "BACKTRACE:  "]


@pytest.mark.skipif(
    not CATALOGS,
    reason="PostgreSQL's message catalogs are not installed; apt-get install -y postgresql-15",
)
def _prefix_groups(prefix: str, line: str) -> dict:
    """The prefix regex's groups in ``line``, as the reader runs it: Polars' (Rust) regex
    engine, not Python's."""
    import polars as pl

    return (
        pl.Series([line])
        .str.extract_groups(prefix_regex(prefix))
        .struct.unnest()
        .row(0, named=True)
    )


def test_the_word_tables_hold_every_translation_postgresql_ships() -> None:
    for catalog in CATALOGS:
        with open(catalog, "rb") as fh:
            t = gettext.GNUTranslations(fh)
        for word in SEVERITIES:
            assert STDERR_TOKENS[t.gettext(word) + ":  "] in SEVERITIES, (catalog, word)
            assert SEVERITY_WORDS.get(t.gettext(word), word) in SEVERITIES
        for label in LABELS:
            assert STDERR_TOKENS[t.gettext(label)] == label.split(":")[0], (catalog, label)
        for msgid in ("LOCATION:  %s, %s:%d\n", "LOCATION:  %s:%d\n"):
            assert STDERR_TOKENS[t.gettext(msgid).split("%s")[0]] == "LOCATION", catalog
        for msgid in (
            "connection authorized: user=%s",
            "replication connection authorized: user=%s",
        ):
            assert t.gettext(msgid).removesuffix("%s") in CONNECTION_AUTHORIZED, catalog


def test_a_translated_token_becomes_the_english_word() -> None:
    import polars as pl

    tokens = pl.Series(["日志:  ", "错误", "INSTRUCTION :  ", "쿼리:", "LOG:  ", "DEBUG1:  "])
    assert english_severity(tokens).to_list() == [
        "LOG",
        "ERROR",
        "STATEMENT",
        "QUERY",
        "LOG",
        "DEBUG1",
    ]


# A user or database name as PostgreSQL may print it: letters, digits, _ . - and, for a cloud
# login, @ (an e-mail address); CJK names too. Before authentication it prints a placeholder.
NAME = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_.\-]{0,12}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9.]{0,8}@[a-z]{1,8}\.[a-z]{2,4}", fullmatch=True),
    st.sampled_from(["客服_李", "[unknown]", "[未知]", "[unbekannt]"]),
)
DB = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_\-]{0,12}", fullmatch=True),
    st.sampled_from(["商城", "[unknown]"]),
)
HOST = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(["[local]", "localhost", "app-1.internal"]),
)
PREFIXES = [
    ("%m [%p] %q%u@%d ", "{m} [{p}] {u}@{d} "),
    ("%m [%p] %u@%d %h ", "{m} [{p}] {u}@{d} {h} "),
    ("%t:%r:%u@%d:[%p]:", "{t}:{r}:{u}@{d}:[{p}]:"),
    (
        "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
        "{m} [{p}]: [3-1] user={u},db={d},app=psql,client={h} ",
    ),
    ("%m [%c] %u %h ", "{m} [{c}] {u} {h} "),
]


@settings(max_examples=300)
@given(
    form=st.sampled_from(PREFIXES),
    user=NAME,
    db=DB,
    host=HOST,
    port=st.integers(1, 65535),
    pid=st.integers(1, 4_000_000),
    token=st.sampled_from(sorted(STDERR_TOKENS)),
    verbose=st.booleans(),
)
def test_every_prefix_field_is_read_back_whatever_postgresql_prints(
    form: tuple[str, str],
    user: str,
    db: str,
    host: str,
    port: int,
    pid: int,
    token: str,
    verbose: bool,
) -> None:
    prefix, shape = form
    remote = host if host.startswith("[") else f"{host}({port})"
    line = shape.format(
        m="2026-03-02 09:00:00.123 CST",
        t="2026-03-02 09:00:00 UTC",
        p=pid,
        u=user,
        d=db,
        h=host,
        r=remote,
        c=f"{pid:x}.1f",
    )
    sqlstate = "42501: " if verbose and token.endswith(":  ") else ""
    line += token + sqlstate + "AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>"
    found = _prefix_groups(prefix, line)
    assert found["head"] is not None, (prefix, line)
    assert found["user"] == (user if "%u" in prefix else "")
    if "%d" in prefix:
        assert found["db"] == db
    if "%h" in prefix:
        assert found["remote"] == host
    if "%r" in prefix:
        assert found["remote"] == remote
    assert found["severity"] == token
    assert line[len(found["head"]) :].startswith("AUDIT: ")


# Prefixes whose every escape is padded at random: PostgreSQL's "%-12u" prints the value
# left-aligned, padded with spaces on the right to 12 characters, "%12u" right-aligned (as
# C's "%*s"); a longer value is printed whole.
PADDED_FORMS = [
    "%m [%p] %q%u@%d ",
    "%t:%r:%u@%d:[%p]:",
    "%n [%c] %u %h ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t|%u|%d|%p|%e|",
]


@settings(max_examples=300)
@given(
    form=st.sampled_from(PADDED_FORMS),
    widths=st.lists(st.integers(-24, 24), min_size=8, max_size=8),
    user=NAME,
    db=DB,
    host=HOST,
    pid=st.integers(1, 4_000_000),
    token=st.sampled_from(sorted(STDERR_TOKENS)),
)
def test_padded_prefix_fields_are_read_back_without_their_padding(
    form: str, widths: list[int], user: str, db: str, host: str, pid: int, token: str
) -> None:
    import re

    values = {
        "m": "2026-03-02 09:00:00.123 CST",
        "t": "2026-03-02 09:00:00 UTC",
        "n": "1772413200.123",
        "p": str(pid),
        "c": f"{pid:x}.1f",
        "u": user,
        "d": db,
        "h": host,
        "r": host if host.startswith("[") else f"{host}(5432)",
        "l": "3",
        "a": "psql",
        "e": "00000",
    }
    escapes = iter(widths)
    prefix_parts, line_parts = [], []
    for literal, code in re.findall(r"([^%]*)(?:%(.))?", form):
        prefix_parts.append(literal)
        line_parts.append(literal)
        if code == "q":
            prefix_parts.append("%q")
        elif code:
            width = next(escapes)
            prefix_parts.append(f"%{width or ''}{code}")
            value = values[code]
            line_parts.append(f"{value:>{width}}" if width > 0 else f"{value:<{-width}}")
    prefix, line = "".join(prefix_parts), "".join(line_parts)
    line += token + "AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>"
    found = _prefix_groups(prefix, line)
    assert found["head"] is not None, (prefix, line)
    assert found["user"] == user and found["severity"] == token, (prefix, line)
    if "%d" in form:
        assert found["db"] == db
    if "%h" in form:
        assert found["remote"] == host
    if "%r" in form:
        assert found["remote"] == values["r"]
    if "%p" in form:
        assert found["pid"] == str(pid)
    if "%n" in form:
        assert found["epoch"] == values["n"]
    assert line[len(found["head"]) :].startswith("AUDIT: ")


# A role or database created with a quoted name may hold spaces (CREATE ROLE "kefu wang"),
# printed as they are by %u and %d.
SPACED = st.lists(
    st.one_of(
        st.from_regex(r"[a-z_][a-z0-9_.\-]{0,8}", fullmatch=True), st.sampled_from(["客服", "李"])
    ),
    min_size=1,
    max_size=4,
).map(" ".join)
SPACED_FORMS = [
    # the text after %u / %d tells where the name ends, or the severity follows
    ("%m [%p] %q%u@%d ", "{m} [{p}] {u}@{d} "),
    ("%t|%u|%d|%p|", "{t}|{u}|{d}|{p}|"),
    ("%t:%r:%u@%d:[%p]:", "{t}:{h}:{u}@{d}:[{p}]:"),
    ("%m [%p] user=%u,db=%d,app=%a ", "{m} [{p}] user={u},db={d},app=psql "),
    ("%m [%p] %u [%d] ", "{m} [{p}] {u} [{d}] "),
    ("%m [%p] %-14u|%12d| ", "{m} [{p}] {u:<14}|{d:>12}| "),
]


@settings(max_examples=200)
@given(
    form=st.sampled_from(SPACED_FORMS),
    user=st.one_of(SPACED, NAME),
    db=st.one_of(SPACED, DB),
    token=st.sampled_from(sorted(STDERR_TOKENS)),
)
def test_names_with_spaces_are_read_where_the_prefix_tells_where_they_end(
    form: tuple[str, str], user: str, db: str, token: str
) -> None:
    import polars as pl

    prefix, shape = form
    line = shape.format(
        m="2026-03-02 09:00:00.123 CST", t="2026-03-02 09:00:00 UTC", p=4242, u=user, d=db, h="::1"
    )
    line += token + "AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>"
    found = (
        pl.Series([line])
        .str.extract_groups(prefix_regex(prefix))
        .struct.unnest()
        .row(0, named=True)
    )
    assert (found["user"], found["db"], found["severity"]) == (user, db, token), (prefix, line)
    assert line[len(found["head"]) :].startswith("AUDIT: ")


@settings(max_examples=100)
@given(user=SPACED.filter(lambda u: " " in u), db=st.one_of(SPACED, DB))
def test_a_name_with_spaces_where_only_spaces_separate_it_is_not_read_wrongly(
    user: str, db: str
) -> None:
    """'%u %d ': 'a b c' could be user 'a b', database 'c' or user 'a', database 'b c'. Such
    a line does not match the prefix (it is quarantined) rather than giving a wrong user."""
    import polars as pl

    line = f"2026-03-02 09:00:00.123 CST [4242] {user} {db} LOG:  AUDIT: SESSION,1,1"
    found = (
        pl.Series([line])
        .str.extract_groups(prefix_regex("%m [%p] %u %d "))
        .struct.unnest()
        .row(0, named=True)
    )
    assert found["head"] is None or (found["user"], found["db"]) == (user, db)
