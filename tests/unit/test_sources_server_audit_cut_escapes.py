"""A statement server_audit cut at its byte limit, holding a backslash escape: the text after
an escaped quote must not be read as outside the literals (the reading that pairs the quotes
only holds for a statement logged whole)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.sources import events, log_reader, read_log
from tests.unit.test_sources_server_audit import _as_server_logs

# Logged by a real MariaDB 10.11 (server_audit_query_log_limit = 99) for
#   SELECT real_name FROM accounts WHERE id=1 AND city = 'it\'s 北京' AND mobile = '13800138000';
CUT_AFTER_AN_ESCAPED_QUOTE = (
    "20261202 19:26:01,vm,svc_app,localhost,84,628,READ,shop,accounts,\n"
    "20261202 19:26:01,vm,svc_app,localhost,84,628,QUERY,shop,'SELECT real_name FROM accounts "
    "WHERE id=1 AND city = \\'it\\\\\\'s 北京\\' AND mobile = \\'13800138000',0\n"
)


def test_a_statement_cut_after_an_escaped_quote_shows_no_literal_text(tmp_path: Path) -> None:
    rows, counters = read_log(
        tmp_path,
        CUT_AFTER_AN_ESCAPED_QUOTE,
        kind="server_audit",
        fmt=None,
        extra="query_log_limit = 99",
    )
    (event,) = events(rows)
    assert event["extras"]["truncated"] is True
    stored = json.dumps(rows, ensure_ascii=False)
    assert "13800138000" not in stored and "北京" not in stored
    assert counters.truncated_statements == 1


SECRETS = ("北京", "张三", "13800138000")


@settings(max_examples=80, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["it\\'s", "\\\\", "x", " ", "北京", "\\n", "''", '"']), max_size=12
    ),
    limit=st.integers(40, 200),
)
def test_no_literal_text_of_a_statement_cut_at_its_limit_reaches_the_lake(
    tmp_path_factory: pytest.TempPathFactory, words: list[str], limit: int
) -> None:
    """A MySQL statement with backslash escapes in its literals, cut by the server anywhere:
    none of its literals' text is stored, whichever quote the cut falls after."""
    statement = (
        "SELECT real_name FROM accounts WHERE id = 1 AND city = '"
        + "".join(words)
        + "' AND mobile = '13800138000' AND real_name = '张三'"
    ).encode()
    logged, _ = _as_server_logs(statement, limit)
    head = f"20261202 19:26:01,vm,svc_app,localhost,84,{limit},"
    text = f"{head}READ,shop,accounts,\n{head}QUERY,shop,'".encode() + logged + b"',0\n"
    read = log_reader(tmp_path_factory.mktemp("cut"), kind="server_audit", fmt=None,
                      extra=f"query_log_limit = {limit}")  # fmt: skip
    rows, _ = read(text)
    stored = json.dumps(rows, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in stored, (logged.decode("utf-8", "replace"), stored)
    for n in range(4, 11):
        assert "13800138000"[:n] not in stored
