"""Masking: the macros, and that no planted identifier leaks into any report format."""

from __future__ import annotations

import re
import unicodedata

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.cli import cli
from auditpipe.lake import Lake
from auditpipe.report import REPORT_FORMATS
from auditpipe.report.masking import create_mask_macros
from tests.support.report_lakes import (
    IDENTIFIERS,
    MOBILE_IN_PARTY,
    MOBILE_PARTNER,
    SELF_ACTOR,
    every_format,
)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_mask_macros(connection)
    return connection


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("110105194912310021", "1101**********0021"),  # resident ID
        ("11010519491231002X", "1101**********002X"),  # resident ID with check letter
        ("13812345678", "138****5678"),  # mobile
        ("138-1234-5678", "138-****-5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("+8613812345678", "+8613*****5678"),  # longer digit run: first and last 4 kept
        ("6222021234567890123", "6222***********0123"),  # bank card
        ("card 6222 0212 3456 7890", "card 6222 **** **** 7890"),  # printed in groups of 4
        ("1101 0519 4912 3100 21", "1101 **** **** **** 21"),  # not 3-4-4 inside it
        ("T-2026-0301-0042", "T-2026-0301-0042"),  # a ticket with hyphens stays
        ("1234 5678", "1234 5678"),  # two groups: 8 digits
        ("123456789", "*****6789"),  # 9-11 digits: last 4 kept
        ("id 110105194912310021, tel 13812345678.", "id 1101**********0021, tel 138****5678."),
        ("u13812345678", "u138****5678"),  # letters glued to it do not protect it
        ("手机13912345678", "手机139****5678"),
        # full-width digits, and other separators a number is written with
        ("１３８１２３４５６７８", "138****5678"),
        ("１１０１０５１９４９１２３１００２Ｘ", "1101**********002X"),
        ("138.1234.5678", "138.****.5678"),
        ("138_1234_5678", "138_****_5678"),
        ("138\u30001234\u30005678", "138\u3000****\u30005678"),
        ("110105.19491231.0021", "1101**.********.*021"),
        ("ｅｍｐ－７ ２０２６", "ｅｍｐ－７ ２０２６"),  # nothing to mask: shown as it is
        ("2026-03-01", "2026-03-01"),  # dates stay
        ("20260301", "20260301"),  # 8 digits or fewer stay
        ("CNY 60,000.00", "CNY 60,000.00"),
        ("emp-7", "emp-7"),
        (None, None),
    ],
)
def test_mask_text_masks_what_looks_like_an_identifier(
    con: duckdb.DuckDBPyConnection, text: str | None, masked: str | None
) -> None:
    assert con.execute("SELECT mask_text(?)", [text]).fetchone()[0] == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110105194912310021", "1101**********0021"),
        ("user-alice-0042", "us***********42"),
        ("abcd", "****"),
        ("u1", "**"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_id_masks_any_identifier_whole(
    con: duckdb.DuckDBPyConnection, value: str | None, masked: str | None
) -> None:
    assert con.execute("SELECT mask_id(?)", [value]).fetchone()[0] == masked


FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("客户手机１３８１２３４５６７８", "客户手机138****5678"),
        ("身份证１１０１０５１９４９１２３１００２Ｘ", "身份证1101**********002X"),
        ("２０２６年３月１日", "２０２６年３月１日"),  # short runs stay, as written
        ("ｔｅｌ １２３", "ｔｅｌ １２３"),
    ],
)
def test_mask_text_reads_fullwidth_digits_as_digits(
    con: duckdb.DuckDBPyConnection, text: str, masked: str
) -> None:
    """Chinese input methods type fullwidth digits (１３８...): an identifier written so is
    masked like one in ASCII digits (shown masked in ASCII digits); other text is unchanged."""
    assert con.execute("SELECT mask_text(?)", [text]).fetchone()[0] == masked


_MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
_IDS = st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True)
_CARDS = st.from_regex(r"6[0-9]{15,18}", fullmatch=True)
_AROUND = st.text(st.characters(exclude_categories=("Nd", "Cs")), max_size=6)
# The zero of every set of Unicode decimal digits (ASCII, fullwidth, Arabic-Indic, Devanagari,
# mathematical bold...), from Python's own database: a number in any of them reads as one.
_ZEROS = [c for c in range(0x20000) if unicodedata.decimal(chr(c), -1) == 0]
_DIGIT_SETS = st.sampled_from(_ZEROS)


def _in_digits(text: str, zero: int) -> str:
    """``text`` with its ASCII digits written in the digit set starting at ``zero``."""
    return text.translate({0x30 + n: zero + n for n in range(10)})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    identifier=st.one_of(_MOBILES, _IDS, _CARDS),
    zero=_DIGIT_SETS,
    grouped=st.booleans(),
    before=_AROUND,
    after=_AROUND,
)
def test_no_identifier_survives_mask_text_in_any_digit_form(
    con: duckdb.DuckDBPyConnection,
    identifier: str,
    zero: int,
    grouped: bool,
    before: str,
    after: str,
) -> None:
    """A mobile, ID or card number, in any script's decimal digits (ASCII, fullwidth,
    Arabic-Indic, mathematical...), as a run or printed in groups of four with spaces, with any
    text around it: at most 8 of its digits are shown."""
    written = " ".join(re.findall(".{1,4}", identifier)) if grouped else identifier
    written = _in_digits(written, zero)
    masked = con.execute("SELECT mask_text(?)", [before + written + after]).fetchone()[0]
    assert written not in masked and identifier not in masked
    assert len(re.findall(r"\d", masked)) <= 8, masked


# Characters that show nothing: a number with them between its digits still reads as one.
_INVISIBLE = st.sampled_from(
    ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u202e", "\u2066"]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    identifier=st.one_of(_MOBILES, _IDS, _CARDS),
    hidden=st.lists(st.tuples(st.integers(1, 17), _INVISIBLE), min_size=1, max_size=4),
    zero=_DIGIT_SETS,
    before=_AROUND,
)
def test_no_identifier_survives_with_invisible_characters_between_its_digits(
    con: duckdb.DuckDBPyConnection,
    identifier: str,
    hidden: list[tuple[int, str]],
    zero: int,
    before: str,
) -> None:
    """A soft hyphen, zero-width space or bidirectional mark between its digits leaves a
    number reading as the number on screen; it was shown in clear."""
    written = identifier
    for at, char in sorted(hidden, reverse=True):
        written = written[:at] + char + written[at:]
    written = _in_digits(written, zero)
    masked = con.execute("SELECT mask_text(?)", [before + written]).fetchone()[0]
    assert len(re.findall(r"\d", masked)) <= 8, masked
    seen = re.sub(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]", "", masked)
    assert identifier not in seen


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("138\u200b1234\u200b5678", "138****5678"),
        ("tel 138\u00ad1234\u00ad5678.", "tel 138****5678."),
        ("138\u202f1234\u202f5678", "138\u202f****\u202f5678"),  # narrow no-break spaces
        ("emp\u200b-7", "emp\u200b-7"),  # nothing to mask: shown as it is
    ],
)
def test_mask_text_reads_through_characters_that_show_nothing(
    con: duckdb.DuckDBPyConnection, text: str, masked: str
) -> None:
    assert con.execute("SELECT mask_text(?)", [text]).fetchone()[0] == masked


def test_mask_actor_masks_users_whole_and_others_by_pattern(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT mask_actor(a, t) FROM (VALUES ('alice-01', 'subject'), ('emp-7', 'employee'), "
        "('13700001111', 'partner')) v(a, t)"
    ).fetchall()
    assert [r[0] for r in rows] == ["al****01", "emp-7", "137****1111"]


def test_masking_is_vectorised_over_a_column(con: duckdb.DuckDBPyConnection) -> None:
    masked = con.execute(
        "SELECT count(*) FILTER (WHERE mask_text(s) = s) FROM "
        "(SELECT '1' || lpad(i::VARCHAR, 10, '0') AS s FROM range(100000) t(i))"
    ).fetchone()[0]
    assert masked == 0


@pytest.fixture(scope="module")
def outputs(shared_lake: Lake) -> dict[tuple[str, bool], str]:
    return every_format(shared_lake)


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_no_planted_identifier_appears_in_any_format(
    outputs: dict[tuple[str, bool], str], fmt: str
) -> None:
    text = outputs[fmt, False]
    leaked = [i for i in IDENTIFIERS if i in text]
    assert leaked == []
    assert "137****1111" in text  # the partner is there, masked
    assert "us***********42" in text  # the user acting on their own data, masked


def test_the_cli_masks_by_default(shared_lake: Lake) -> None:
    result = CliRunner().invoke(cli, ["report", "--lake", str(shared_lake.root), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert [i for i in IDENTIFIERS if i in result.stdout] == []
    unmasked = CliRunner().invoke(
        cli, ["report", "--lake", str(shared_lake.root), "--format", "csv", "--unmask"]
    )
    assert MOBILE_PARTNER in unmasked.stdout


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_unmask_shows_identifiers_and_says_so(
    outputs: dict[tuple[str, bool], str], fmt: str
) -> None:
    text = outputs[fmt, True]
    for identifier in (MOBILE_PARTNER, SELF_ACTOR, MOBILE_IN_PARTY):
        assert identifier in text
    if fmt == "json":
        assert '"masked": false' in text
    elif fmt != "csv":
        assert "UNMASKED" in text
