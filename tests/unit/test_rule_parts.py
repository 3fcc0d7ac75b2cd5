"""The parts of a rule file's parser, each on its own and without a lake: the header, its
checks, the summary template and the SQL body."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditpipe.detect.rules import (
    DEFAULT_SUMMARY,
    REQUIRED_KEYS,
    RuleError,
    check_header,
    read_header,
    rule_body,
    summary_template,
)
from auditpipe.vocabulary import CATEGORIES, SEVERITIES

PATH = Path("r.sql")
GOOD = {
    "id": "r1",
    "title": "T",
    "category": "selling",
    "severity": "high",
    "description": "d",
    "clause": "c",
}


def test_the_header_ends_at_the_first_line_that_is_not_a_comment() -> None:
    lines = ["-- id: r1", "-- title: T", "--   continued", "--", "-- note", "SELECT 1", "-- x"]
    header, body_start = read_header(lines, PATH)
    assert header == {"id": "r1", "title": "T continued"}
    assert body_start == 5


def test_a_file_of_header_lines_only_has_an_empty_body() -> None:
    header, body_start = read_header(["-- id: r1"], PATH)
    assert header == {"id": "r1"} and body_start == 1


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["-- colour: red"], "unknown header key 'colour'"),
        (["-- id: a", "-- id: b"], "'id' is given twice"),
        (["--   floating"], "indented header line with no key above it"),
    ],
)
def test_header_lines_that_are_wrong_name_their_line(lines: list[str], message: str) -> None:
    with pytest.raises(RuleError, match=message) as info:
        read_header(lines, PATH)
    assert f"line {len(lines)}" in info.value.message


@given(st.sampled_from(CATEGORIES), st.sampled_from(SEVERITIES), st.booleans())
def test_every_category_and_severity_in_any_case_is_accepted(
    category: str, severity: str, upper: bool
) -> None:
    header = {**GOOD, "category": category, "severity": severity}
    if upper:
        header = {**header, "category": category.upper(), "severity": severity.upper()}
    check_header(header, PATH)


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_each_missing_required_key_is_named(key: str) -> None:
    with pytest.raises(RuleError, match=f"lacks {key}"):
        check_header({k: v for k, v in GOOD.items() if k != key}, PATH)


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "Bad-Id"), ("category", "theft"), ("severity", "severe")],
)
def test_an_invalid_id_category_or_severity_is_refused(field: str, value: str) -> None:
    with pytest.raises(RuleError, match=repr(value)):
        check_header({**GOOD, field: value}, PATH)


def test_the_summary_defaults_and_fills_in_the_title() -> None:
    assert summary_template(GOOD, PATH) == DEFAULT_SUMMARY.replace("{title}", "T")
    assert summary_template({**GOOD, "summary": "{title} by {actor}"}, PATH) == "T by {actor}"


def test_an_unknown_summary_placeholder_is_refused() -> None:
    with pytest.raises(RuleError, match=r"\{victim\}"):
        summary_template({**GOOD, "summary": "{actor} hurt {victim}"}, PATH)


def test_the_body_loses_surrounding_space_and_a_trailing_semicolon() -> None:
    assert rule_body(["", "SELECT 1", "FROM t;", ""], PATH) == "SELECT 1\nFROM t"
    with pytest.raises(RuleError, match="no SQL after the header"):
        rule_body(["  ", ";"], PATH)
