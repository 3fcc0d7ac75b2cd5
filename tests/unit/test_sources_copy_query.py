"""PostgreSQL's ``COPY (query) TO …`` exports the rows its query returns: it is narrowed
(or not) exactly as that query is, whatever the destination. ``COPY (SELECT real_name, mobile
FROM accounts WHERE id = 5) TO STDOUT`` is subject 5's export, not an unbounded (bulk) one,
as MySQL's ``SELECT … WHERE id = 5 INTO OUTFILE`` is."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources.analysis import EXPORT, READ, analyse
from tests.unit.test_sources_analysis import MAPPING

QUERIES = [
    "SELECT real_name, mobile FROM accounts WHERE id = 5",
    "SELECT real_name FROM accounts WHERE id IN (5, 6, 7)",
    "SELECT real_name FROM accounts WHERE id = $1",
    "SELECT a.real_name, o.amount FROM accounts a JOIN orders o ON o.account_id = a.id "
    "WHERE a.id = 5",
    "SELECT real_name FROM accounts WHERE id = 5 OR id = 6",
    "SELECT mobile FROM accounts WHERE id = 1 UNION SELECT mobile FROM accounts WHERE id = 2",
    # not narrowed
    "SELECT real_name, mobile FROM accounts",
    "SELECT mobile FROM accounts WHERE id = 1 UNION SELECT mobile FROM accounts",
    "SELECT real_name FROM accounts WHERE id = 5 OR city = 'x'",
    "SELECT b.mobile FROM accounts a JOIN accounts b ON true WHERE a.id = 1",
    "SELECT real_name FROM accounts WHERE (id = 5) IS NULL",
]
DESTINATIONS = ["STDOUT", "'/tmp/out.csv'", "PROGRAM 'gzip > /tmp/a.gz'", "STDOUT WITH CSV HEADER"]


@settings(max_examples=40, deadline=None)
@given(query=st.sampled_from(QUERIES), to=st.sampled_from(DESTINATIONS))
def test_a_copy_of_a_query_is_narrowed_as_its_query(query: str, to: str) -> None:
    alone = analyse(query, "postgres", MAPPING)
    copied = analyse(f"COPY ({query}) TO {to}", "postgres", MAPPING)
    assert alone.parsed and copied.parsed and (alone.kind, copied.kind) == (READ, EXPORT)
    assert copied.read == alone.read
    assert copied.narrowed == alone.narrowed, query
    assert copied.subject_literals == alone.subject_literals
    assert copied.subject_param == alone.subject_param
