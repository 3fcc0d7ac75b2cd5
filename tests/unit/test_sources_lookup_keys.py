"""Lookup keys: a statement that finds users by a personal value (``WHERE mobile = '139…'``,
``WHERE id_card_no = $1``) reads those users' rows, not the whole table. With the column
listed in ``lookup_keys`` it is narrowed (a view of that many users, not an unbounded read
that the bulk rule flags), and the value, being personal, never becomes the subject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.errors import ConfigError
from auditpipe.generate.dblogs import COLUMNS, SCHEMA_DDL, SUBJECT_KEYS
from auditpipe.sources import load_settings
from auditpipe.sources.analysis import Mapping, analyse
from auditpipe.sources.schema import parse_ddl
from tests.support.sources import read_log, write_source

LOOKUP_KEYS = frozenset({"accounts.mobile", "accounts.id_card_no"})
MAPPING = Mapping(
    schema=parse_ddl(SCHEMA_DDL, "postgres"),
    columns=COLUMNS,
    subject_keys=frozenset(SUBJECT_KEYS),
    protected_fields=frozenset(COLUMNS.values()),
    lookup_keys=LOOKUP_KEYS,
)

# Comparisons, each with how many users it narrows to (0: it narrows to none).
LOOKUPS = [
    ("mobile = '13900000000'", 1),
    ("a.mobile = '13900000000'", 1),
    ("id_card_no = $1", 1),
    ("mobile IN ('13900000000', '13900000001')", 2),
    ("id_card_no = ANY(ARRAY['110101199003074514', '110101199003079999'])", 2),
    ("CAST(mobile AS text) = '13900000000'", 0),  # a function of the key: not a lookup
    ("'13900000000' = mobile", 1),
]
SUBJECTS = [("a.id = 7", 1), ("id IN (7, 8, 9)", 3)]
OTHERS = [("real_name LIKE '张%'", 0), ("city = 'x'", 0), ("mobile LIKE '139%'", 0)]


def _analysed(where: str) -> object:
    return analyse(f"SELECT real_name FROM accounts a WHERE {where}", "postgres", MAPPING)


@pytest.mark.parametrize(("where", "count"), LOOKUPS)
def test_a_lookup_key_compared_with_values_narrows_without_a_subject_value(
    where: str, count: int
) -> None:
    a = _analysed(where)
    assert a.narrowed is (count > 0)
    # the value is personal: never the subject
    assert a.subject_literals == [] and a.subject_param is None and not a.subject_variable
    if count > 1:
        assert a.subject_count == count


@pytest.mark.parametrize(
    "where",
    [
        "NOT (mobile = '1')",
        "mobile <> '1'",
        "mobile = '1' OR city = 'x'",
        "mobile IS NOT NULL",
        "mobile IN (SELECT mobile FROM accounts)",
    ],
)
def test_a_lookup_key_not_compared_with_values_does_not_narrow(where: str) -> None:
    assert not _analysed(where).narrowed


def test_without_lookup_keys_a_personal_value_lookup_stays_unbounded() -> None:
    plain = Mapping(
        schema=MAPPING.schema,
        columns=COLUMNS,
        subject_keys=frozenset(SUBJECT_KEYS),
        protected_fields=frozenset(COLUMNS.values()),
    )
    a = analyse("SELECT real_name FROM accounts WHERE mobile = '1'", "postgres", plain)
    assert not a.narrowed


def test_a_lookup_key_narrows_only_its_own_table_in_an_unlinked_join() -> None:
    a = analyse(
        "SELECT b.real_name FROM accounts a JOIN accounts b ON true WHERE a.mobile = '1'",
        "postgres",
        MAPPING,
    )
    assert not a.narrowed  # every row of b is returned


def test_a_subject_key_beside_a_lookup_key_gives_the_subject() -> None:
    a = _analysed("mobile = '13900000000' AND a.id = 7")
    assert a.narrowed and a.subject_literals  # the id is the subject; the mobile is not


def _where(atoms: list[tuple[str, int]], ors: list[list[tuple[str, int]]]) -> tuple[str, bool]:
    """A WHERE of the atoms AND-ed with ORs of atoms, and whether it narrows: an AND narrows
    when one operand does; an OR when each of its operands compares a key with values."""
    parts = [a for a, _ in atoms] + ["(" + " OR ".join(a for a, _ in o) + ")" for o in ors]
    narrows = any(n for _, n in atoms) or any(all(n for _, n in o) for o in ors)
    return " AND ".join(parts), narrows


ATOMS = st.sampled_from(LOOKUPS[:5] + SUBJECTS + OTHERS)


@settings(max_examples=150, deadline=None)
@given(
    atoms=st.lists(ATOMS, min_size=0, max_size=3),
    ors=st.lists(st.lists(ATOMS, min_size=2, max_size=3), min_size=0, max_size=1),
)
def test_narrowing_follows_the_conditions_and_lookup_values_are_never_subjects(
    atoms: list[tuple[str, int]], ors: list[list[tuple[str, int]]]
) -> None:
    if not atoms and not ors:
        return
    where, narrows = _where(atoms, ors)
    a = _analysed(where)
    assert a.narrowed is narrows, where
    # A subject value is only ever a subject key's literal or parameter: the literals a
    # lookup key is compared with are never among them.
    statement = f"SELECT real_name FROM accounts a WHERE {where}"
    from auditpipe.sources.analysis import literals

    texts = [text for _, _, text in literals(statement, "postgres")]
    assert all(not texts[k].startswith("'") for k in a.subject_literals), where
    if a.subject_param is not None:
        assert "id = $" in where or "id IN ($" in where


P = "2026-03-02 09:30:00.000 CST [5151] kefu_qian@shop LOG:  AUDIT: "
SECRET_MOBILE, SECRET_ID = "13900000000", "110101199003074514"
PG_LOOKUPS = (
    f"{P}SESSION,1,1,READ,SELECT,TABLE,public.accounts,"
    f"SELECT real_name FROM accounts WHERE mobile = '{SECRET_MOBILE}',<none>,1\n"
    f"{P}SESSION,2,1,READ,SELECT,TABLE,public.accounts,"
    f'"PREPARE q(text) AS SELECT real_name, mobile FROM accounts WHERE id_card_no = $1",'
    f"{SECRET_ID},1\n"
    f"{P}SESSION,3,1,READ,SELECT,TABLE,public.accounts,"
    f"\"SELECT real_name FROM accounts WHERE mobile IN ('{SECRET_MOBILE}', '13900000001')\",<none>,2\n"
    f"{P}SESSION,4,1,READ,SELECT,TABLE,public.accounts,"
    "SELECT real_name FROM accounts WHERE mobile LIKE '139%',<none>,1\n"
)
LOOKUP_SETTING = 'lookup_keys = ["accounts.mobile", "accounts.id_card_no"]'


def test_pgaudit_lookups_by_personal_values_are_views_that_store_no_value(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, PG_LOOKUPS, extra=LOOKUP_SETTING)
    by_line = {r["line_number"]: r for r in rows}
    for line, count in [(1, 1), (2, 1), (3, 2)]:
        event = by_line[line]
        assert event["action"] == "view" and int(event["record_count"]) == count
        assert event["subject_id"] is None
        assert not event["extras"].get("unbounded")
    like = by_line[4]  # a pattern is not one user's row
    assert like["action"] == "search" and like["extras"].get("unbounded") is True
    assert counters.unbounded_reads == 1
    text = json.dumps(rows, default=str, ensure_ascii=False)
    assert SECRET_MOBILE not in text and SECRET_ID not in text


def test_without_the_setting_the_same_lookups_are_unbounded(tmp_path: Path) -> None:
    rows, counters = read_log(tmp_path, PG_LOOKUPS)
    assert counters.unbounded_reads == 4


MARIADB = (
    "20261201 23:20:53,vm,kefu_qian,localhost,5,19,QUERY,shop,"
    f"'SELECT real_name FROM accounts WHERE mobile = \\'{SECRET_MOBILE}\\'',0\n"
    "20261201 23:20:53,vm,kefu_qian,localhost,5,20,QUERY,shop,"
    "'SELECT real_name FROM accounts WHERE id_card_no = ?',0\n"
)


def test_server_audit_lookups_are_views_that_store_no_value(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, MARIADB, kind="server_audit", fmt=None, extra=LOOKUP_SETTING)
    assert len(rows) == 2
    for event in rows:
        assert event["action"] == "view" and event["subject_id"] is None
        assert not event["extras"].get("unbounded")
    assert SECRET_MOBILE not in json.dumps(rows, default=str)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('lookup_keys = "accounts.mobile"', "'lookup_keys' should be a list"),
        ('lookup_keys = ["mobile"]', "table.column"),
        ('lookup_keys = ["accounts.id"]', "both"),
    ],
)
def test_bad_lookup_keys_are_refused_with_what_to_do(
    tmp_path: Path, value: str, message: str
) -> None:
    path = write_source(tmp_path, "pgaudit", "stderr", value)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert message in str(caught.value)


def test_a_lookup_key_the_schema_lacks_is_a_schema_problem(tmp_path: Path) -> None:
    from auditpipe.sources.check import schema_problems

    path = write_source(tmp_path, "pgaudit", "stderr", 'lookup_keys = ["accounts.email"]')
    problems = schema_problems(load_settings(path), parse_ddl(SCHEMA_DDL, "postgres"))
    assert any("accounts.email" in p for p in problems)


def test_an_or_of_subject_keys_reads_an_any_array_as_its_values() -> None:
    a = _analysed("a.id = 7 OR a.id = ANY(ARRAY[8, 9])")
    assert a.narrowed and len(a.subject_literals) == 3
    assert _analysed("a.id = 7 OR a.id = ANY($1)").narrowed  # values not told
    assert not _analysed("a.id = 7 OR a.id = ANY(SELECT account_id FROM orders)").narrowed


@pytest.mark.parametrize(
    "where",
    [
        "a.id = ANY(SELECT account_id FROM orders)",  # every account with an order
        "a.id = ANY(ARRAY(SELECT account_id FROM orders))",
        "a.id = ANY(ARRAY[a.id])",  # a column, not a value: every row
        "mobile = ANY(SELECT mobile FROM accounts)",
    ],
)
def test_a_key_compared_with_a_subquery_through_any_is_not_narrowed(where: str) -> None:
    assert not _analysed(where).narrowed


@pytest.mark.parametrize(
    "where", ["a.id = ANY('{1,2}')", "a.id = ANY($1)", "a.id = ANY(ARRAY[$1, $2])"]
)
def test_a_key_compared_with_an_array_of_values_through_any_is_narrowed(where: str) -> None:
    assert _analysed(where).narrowed
