"""Masking of identifiers in every written form the masking promises to hide.

``auditpipe.report.masking`` promises to mask a resident ID written 6-8-4 with spaces or
hyphens, and a mobile number written 3-4-4 likewise. The macro is checked on every such form
(any separator in either place, a check letter X or x, text glued around it), and the report
on a lake where those forms stand in each place a report shows text from the log: a
partner's actor id, a destination party, a user's own actor id and the summary naming it.
"""

from __future__ import annotations

import re

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditpipe.report import REPORT_FORMATS
from auditpipe.report.masking import create_mask_macros
from tests.support.report_lakes import base_event, build_lake, every_format

SEPARATORS = st.sampled_from([" ", "-"])
DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=1)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_mask_macros(connection)
    return connection


def digit_runs(text: str) -> list[str]:
    return re.findall(r"[0-9]+", text)


@given(
    digits=st.text(alphabet="0123456789", min_size=17, max_size=17),
    check=st.sampled_from(list("0123456789Xx")),
    first=SEPARATORS,
    second=SEPARATORS,
    before=st.sampled_from(["", "id ", "ID:", "身份证", "a", "("]),
    after=st.sampled_from(["", " ", ".", ")", "号"]),
)
def test_a_resident_id_written_6_8_4_is_masked_with_any_separators(
    con: duckdb.DuckDBPyConnection,
    digits: str,
    check: str,
    first: str,
    second: str,
    before: str,
    after: str,
) -> None:
    number = digits + check
    written = f"{before}{number[:6]}{first}{number[6:14]}{second}{number[14:]}{after}"
    masked = con.execute("SELECT mask_text(?)", [written]).fetchone()[0]
    assert len(masked) == len(written)
    assert masked.startswith(before) and masked.endswith(after)
    assert number[6:14] not in masked  # the date of birth
    assert sum(c.isdigit() for c in masked) <= 8  # at most first 4 and last 4 shown


@given(
    digits=st.text(alphabet="0123456789", min_size=10, max_size=10),
    first=SEPARATORS,
    second=SEPARATORS,
    before=st.sampled_from(["", "tel ", "手机", "u", "("]),
)
def test_a_mobile_number_written_3_4_4_is_masked_with_any_separators(
    con: duckdb.DuckDBPyConnection, digits: str, first: str, second: str, before: str
) -> None:
    number = "1" + digits
    written = f"{before}{number[:3]}{first}{number[3:7]}{second}{number[7:]}"
    masked = con.execute("SELECT mask_text(?)", [written]).fetchone()[0]
    assert masked == f"{before}{number[:3]}{first}****{second}{number[7:]}"


RESIDENT_ID_FORMS = [
    "110105 19491231 0021",
    "110105-19491231-0021",
    "110105 19491231-0021",
    "110105-19491231 002X",
    "110105 19491231 002x",
]
MOBILE_FORMS = ["138 1234 5678", "138-1234-5678"]


def planted_events() -> list[dict[str, object]]:
    events = []
    for n, form in enumerate(RESIDENT_ID_FORMS + MOBILE_FORMS):
        events += [
            base_event(  # a partner selling data: actor id and party shown as logged
                event_id=f"sell-{n}",
                action="transfer",
                destination_type="external",
                destination_party=f"Broker {form}",
                amount="60000",
                data_fields=["mobile_number"],
                actor_id=f"partner {form}",
                actor_type="partner",
            ),
            base_event(  # a user deleting their own data: their id is the actor id
                event_id=f"self-{n}",
                actor_type="subject",
                actor_id=form,
                subject_id=form,
                action="delete",
                data_fields=["real_name"],
                authorization_ref=None,
            ),
        ]
    return events


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], str]:
    return every_format(build_lake(tmp_path_factory.mktemp("forms"), planted_events()))


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_no_written_form_of_an_identifier_appears_in_any_report_format(
    reports: dict[tuple[str, bool], str], fmt: str
) -> None:
    unmasked, masked = reports[fmt, True], reports[fmt, False]
    planted = RESIDENT_ID_FORMS + MOBILE_FORMS
    assert [form for form in planted if form not in unmasked] == []  # they do reach the report
    assert [form for form in planted if form in masked] == []
    assert "19491231" not in masked and "1234" not in digit_runs(masked)
