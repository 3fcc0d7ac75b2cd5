"""The shared vocabulary: severities, "at or above", the period check and report formats are
defined once in auditpipe.vocabulary, and nothing else in the package spells them out."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditpipe import vocabulary as v
from auditpipe.errors import UsageError

PACKAGE = Path(v.__file__).resolve().parent


@pytest.mark.parametrize("level", v.SEVERITIES)
def test_at_or_above_holds_exactly_the_severities_of_equal_or_higher_rank(level: str) -> None:
    got = v.at_or_above(level)
    assert set(got) == {s for s in v.SEVERITIES if v.severity_rank(s) >= v.severity_rank(level)}
    assert got[0] == level and got[-1] == v.SEVERITIES[-1]


def test_at_or_above_none_is_empty_and_an_unknown_level_is_refused() -> None:
    assert v.at_or_above("none") == ()
    with pytest.raises(ValueError):
        v.at_or_above("severe")


def test_the_sql_severity_list_is_the_python_list_indexed_by_rank() -> None:
    import duckdb

    con = duckdb.connect()
    listed = con.execute(f"SELECT {v.severity_list_sql()}").fetchone()
    assert listed is not None and tuple(listed[0]) == v.SEVERITIES
    for s in v.SEVERITIES:
        row = con.execute(f"SELECT {v.severity_list_sql()}[{v.severity_rank(s)}]").fetchone()
        assert row == (s,)


@given(st.none() | st.dates(), st.none() | st.dates())
def test_the_period_check_refuses_exactly_since_after_until(
    since: dt.date | None, until: dt.date | None
) -> None:
    inverted = since is not None and until is not None and since > until
    if inverted:
        with pytest.raises(UsageError, match="is after --until"):
            v.check_period(since, until)
    else:
        v.check_period(since, until)


def test_every_report_format_has_a_suffix_that_maps_back_to_it() -> None:
    assert set(v.REPORT_SUFFIXES) == set(v.REPORT_FORMATS)
    for fmt, suffix in v.REPORT_SUFFIXES.items():
        assert v.SUFFIX_FORMATS[f".{suffix}"] == fmt
    assert set(v.SUFFIX_FORMATS.values()) <= set(v.REPORT_FORMATS)


# The severity words in order, in Python or SQL quoting, anywhere but vocabulary.py.
_SPELLED_OUT = re.compile(r"""["']low["'],\s*["']medium["'],\s*["']high["'],\s*["']critical["']""")
_REVERSED = re.compile(r"""["']critical["'],\s*["']high["'],\s*["']medium["'],\s*["']low["']""")
_CATEGORIES = re.compile(r"""["']selling["'],\s*["']disclosure["'],\s*["']modification["']""")


def test_no_module_but_the_vocabulary_spells_out_the_severities_or_categories() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in (".py", ".sql") or path.name == "vocabulary.py":
            continue
        text = path.read_text(encoding="utf-8")
        if _SPELLED_OUT.search(text) or _REVERSED.search(text) or _CATEGORIES.search(text):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_every_presentation_map_covers_exactly_the_vocabulary() -> None:
    from auditpipe.report.render import common

    for styles in (common.SEVERITY_STYLES, common.SEVERITY_COLOURS):
        assert set(styles) == set(v.SEVERITIES)
    for labels in (common.CATEGORY_LABELS, common.CATEGORY_COLOURS):
        assert set(labels) == set(v.CATEGORIES)
