"""pgaudit's FUNCTION class names a routine in OBJECT_NAME (``FUNCTION,EXECUTE,FUNCTION,
public.p``): a routine is not a table, so it is never a statement's fallback table, and a
call that the log shows reading no table is not an event, as it is when the FUNCTION class
is not logged. Real lines: tests/data/pgaudit_function_class/README.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader, quarantined

DATA = Path(__file__).resolve().parents[1] / "data" / "pgaudit_function_class"


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return log_reader(tmp_path_factory.mktemp("fn"))


@pytest.fixture(scope="module")
def rows(read) -> list[dict]:  # type: ignore[no-untyped-def]
    got, counters = read((DATA / "postgresql.log").read_bytes())
    assert counters.lines_quarantined == 0, quarantined(got)
    return got


def test_a_call_that_reads_no_logged_table_is_not_an_event(rows: list[dict]) -> None:
    # CALL p_noop(1) and SELECT get_mobile(2) under 'all' and under 'ddl, role, function,
    # misc_set': no event names the routine as if it were a table.
    statements = [e["extras"]["statement"] for e in events(rows)]
    assert not [s for s in statements if "p_noop" in s or "get_mobile(" in s], statements
    fields = ";".join(e["data_fields"] for e in events(rows))
    assert "p_noop" not in fields and "get_mobile" not in fields


def test_the_events_are_the_statements_that_read_tables(rows: list[dict]) -> None:
    got = sorted(
        (e["actor_id"], e["action"], e["data_fields"], e["subject_id"]) for e in events(rows)
    )
    assert got == [
        ("svc_app", "view", "accounts.id", "1"),  # SELECT add_one(id) … WHERE id = 1
        ("svc_app", "view", "mobile;accounts.id", "1"),  # get_mobile2(1)'s body
    ]
    assert not any(e["extras"].get("resolved_from_tables_only") for e in events(rows))


def test_the_file_reconciles_with_the_calls_as_not_data(read, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    _, counters = read((DATA / "postgresql.log").read_bytes())
    assert counters.lines_read == 14
    assert counters.lines_in_events == 4  # get_mobile2's three records, add_one(id)'s one
    assert counters.non_data_lines == 10


# PostgreSQL's key words that cannot name a function unquoted (reserved, and non-reserved
# "cannot be function or type"): a real server refuses `CREATE FUNCTION limit()`, so its log
# never holds `SELECT limit(2)` (a function so named is written, and logged, "limit"(2)).
NOT_FUNCTION_NAMES = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
        "between",
        "bigint",
        "bit",
        "boolean",
        "char",
        "character",
        "coalesce",
        "dec",
        "decimal",
        "exists",
        "extract",
        "float",
        "greatest",
        "grouping",
        "inout",
        "int",
        "integer",
        "interval",
        "least",
        "national",
        "nchar",
        "none",
        "normalize",
        "nullif",
        "numeric",
        "out",
        "overlay",
        "position",
        "precision",
        "real",
        "row",
        "setof",
        "smallint",
        "substring",
        "time",
        "timestamp",
        "treat",
        "trim",
        "values",
        "varchar",
        "xmlattributes",
        "xmlconcat",
        "xmlelement",
        "xmlexists",
        "xmlforest",
        "xmlnamespaces",
        "xmlparse",
        "xmlpi",
        "xmlroot",
        "xmlserialize",
        "xmltable",
    ]
)
NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True).filter(
    lambda name: name not in NOT_FUNCTION_NAMES
)


@settings(max_examples=25, deadline=None)
@given(routine=NAMES, schema=st.sampled_from(["public", "app", "crm"]), call=st.booleans())
def test_a_routine_named_by_the_function_class_is_never_a_table(
    read,  # type: ignore[no-untyped-def]
    routine: str,
    schema: str,
    call: bool,
) -> None:
    # Any routine name, also one spelling a table of the schema (accounts), in any schema:
    # the FUNCTION record adds no table; the body's READ record on accounts still counts.
    text = f"CALL {routine}(2);" if call else f"SELECT {routine}(2);"
    log = (
        f"2026-12-03 00:02:20.547 CST [41] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,FUNCTION,"
        f"EXECUTE,FUNCTION,{schema}.{routine},{text},<none>,0\n"
        f"2026-12-03 00:02:20.548 CST [41] vendor_x@postgres LOG:  AUDIT: SESSION,1,2,READ,"
        f"SELECT,,,{text},<none>,1\n"
        f"2026-12-03 00:02:21.547 CST [42] vendor_x@postgres LOG:  AUDIT: SESSION,1,1,FUNCTION,"
        f"EXECUTE,FUNCTION,{schema}.{routine},{text},<none>,0\n"
        f"2026-12-03 00:02:21.548 CST [42] vendor_x@postgres LOG:  AUDIT: SESSION,1,2,READ,"
        f"SELECT,TABLE,public.accounts,SELECT real_name FROM accounts WHERE id = i,2,1\n"
    )
    got, counters = read(log)
    (event,) = events(got)
    assert event["data_fields"] == "real_name;accounts.id"
    assert event["subject_id"] == "2"
    assert counters.non_data_lines == 2
