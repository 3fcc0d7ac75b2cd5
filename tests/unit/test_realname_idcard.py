"""The resident ID number checks (GB 11643-1999) as the snapshot ingest runs them.

Numbers are generated here with their check character computed by ISO 7064 MOD 11-2's own
recursive definition (not the weights the code uses), so the code is checked against the
standard, not against itself. Each property runs over a batch of numbers in one call, as
the ingest does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from auditpipe.realname.idcard import (
    PROVINCES,
    REDACTED,
    check_numbers,
    redact_sql,
    with_check_characters,
)
from auditpipe.realname.secret import hmac_sql, padded_keys

TODAY = dt.date(2026, 3, 1)


def iso7064_check(body: str) -> str:
    """ISO 7064 MOD 11-2, recursive form: p = 2 * (p + digit) mod 11, then (12 - p) mod 11."""
    p = 0
    for ch in body:
        p = (p + int(ch)) * 2 % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(PROVINCES)) + f"{draw(st.integers(0, 9999)):04d}"
    if draw(st.booleans()) and region[:2] not in ("81", "82", "83"):
        region = "9" + region[:2] + f"{draw(st.integers(0, 999)):03d}"
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    body = region + born.strftime("%Y%m%d") + f"{draw(st.integers(0, 999)):03d}"
    return body + iso7064_check(body)


CON = duckdb.connect()  # one session for every example: a new one per call costs more


def problems(numbers: list[str]) -> list[str | None]:
    return check_numbers(numbers, today=TODAY, con=CON)["problem"].to_pylist()


def test_known_numbers() -> None:
    # The standard's own example, and the same with a lower-case x and separators.
    assert problems(["11010519491231002X", "11010519491231002x", " 110105-19491231-002X"]) == [
        None,
        None,
        None,
    ]
    assert check_numbers(["11010519491231002x"])["normalised"].to_pylist() == ["11010519491231002X"]


@settings(max_examples=40, deadline=None)
@given(st.lists(valid_numbers(), min_size=1, max_size=40))
def test_valid_numbers_with_their_check_character_pass(numbers: list[str]) -> None:
    table = check_numbers(numbers, today=TODAY, con=CON)
    assert table["valid"].to_pylist() == [True] * len(numbers)
    assert set(table["problem"].to_pylist()) == {None}


@settings(max_examples=40, deadline=None)
@given(st.lists(valid_numbers(), min_size=1, max_size=40))
def test_the_generator_helper_computes_the_standard_check_character(numbers: list[str]) -> None:
    assert with_check_characters([n[:17] for n in numbers]) == numbers


@settings(max_examples=40, deadline=None)
@given(valid_numbers(), st.data())
def test_any_single_digit_change_fails_the_check_digit(number: str, data: st.DataObject) -> None:
    changed = []
    for at in range(18):
        old = number[at]
        digits = [d for d in "0123456789X" if d != old and (at == 17 or d != "X")]
        new = data.draw(st.sampled_from(digits))
        changed.append(number[:at] + new + number[at + 1 :])
    assert problems(changed) == ["check_digit"] * 18


@settings(max_examples=40, deadline=None)
@given(valid_numbers())
def test_transposing_adjacent_distinct_digits_fails_the_check_digit(number: str) -> None:
    swapped = [
        number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        for i in range(17)
        if number[i] != number[i + 1] and "X" not in number[i : i + 2]
    ]
    assume(swapped)
    assert problems(swapped) == ["check_digit"] * len(swapped)


IMPOSSIBLE_DATES = st.one_of(
    st.tuples(st.integers(1900, 2025), st.just(2), st.integers(30, 31)),
    st.tuples(st.integers(1900, 2025), st.sampled_from([4, 6, 9, 11]), st.just(31)),
    st.tuples(st.integers(1900, 2025), st.sampled_from([0, 13, 19, 99]), st.integers(1, 28)),
    st.tuples(st.integers(1900, 2025), st.integers(1, 12), st.sampled_from([0, 32, 40, 99])),
    # 29 February of a year that is not a leap year (1900 is not: divisible by 100)
    st.tuples(st.sampled_from([1900, 1999, 2001, 2023]), st.just(2), st.just(29)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(IMPOSSIBLE_DATES, valid_numbers()), min_size=1, max_size=30))
def test_impossible_birth_dates_fail_on_birth_date(
    cases: list[tuple[tuple[int, int, int], str]],
) -> None:
    numbers = []
    for (y, m, d), valid in cases:
        body = valid[:6] + f"{y:04d}{m:02d}{d:02d}" + valid[14:17]
        numbers.append(body + iso7064_check(body))
    assert problems(numbers) == ["birth_date"] * len(numbers)


def test_birth_dates_out_of_range_fail_on_birth_date() -> None:
    bodies = ["110105" + "18991231" + "123", "110105" + "20260302" + "123"]  # TODAY is 03-01
    numbers = [b + iso7064_check(b) for b in bodies]
    assert problems(numbers) == ["birth_date", "birth_date"]
    edge = "110105" + "20260301" + "123"
    assert problems([edge + iso7064_check(edge)]) == [None]


@settings(max_examples=40, deadline=None)
@given(st.lists(valid_numbers(), min_size=1, max_size=30), st.data())
def test_a_prefix_that_is_no_province_fails_on_region(
    numbers: list[str], data: st.DataObject
) -> None:
    not_provinces = [f"{i:02d}" for i in range(100) if f"{i:02d}" not in PROVINCES]
    changed = []
    for n in numbers:
        prefix = data.draw(st.sampled_from([p for p in not_provinces if not p.startswith("9")]))
        body = "9" + prefix + n[3:17] if n.startswith("9") else prefix + n[2:17]
        changed.append(body + iso7064_check(body))
    assert problems(changed) == ["region"] * len(changed)


def test_length_and_format_come_first() -> None:
    assert problems(["11010519491231002", "110105194912310021X", "123"]) == ["length"] * 3
    assert (
        problems(["110105194912310X2X", "1101051949123100A2", "11010519491231002Y"])
        == ["format"] * 3
    )
    # a first-generation 15-digit number is refused on length
    assert problems(["110105491231002"]) == ["length"]


def test_absent_numbers_have_no_verdict() -> None:
    table = check_numbers([None, "", "   "])
    assert table["valid"].to_pylist() == [None, None, None]
    assert table["problem"].to_pylist() == [None, None, None]


@pytest.mark.parametrize(
    "form", ["'{}", "\u2018{}", "\u2019{}", "\uff07{}", '="{}"', "' {}", "'110105-{}"]
)
def test_a_spreadsheets_text_marker_is_not_part_of_the_number(form: str) -> None:
    """CSV exports keep 18 digits as text with a leading apostrophe or as ="..."; it was read
    as a 19th character and a valid number failed on length."""
    number = "11010519491231002X"
    value = form.format(number[6:]) if "110105-" in form else form.format(number)
    table = check_numbers([value], today=TODAY, con=CON)
    assert table["normalised"].to_pylist() == [number]
    assert table["valid"].to_pylist() == [True]
    # only at the start (or as the whole formula): anywhere else it is still no number
    assert problems([number[:9] + "'" + number[9:], "=" + number, '="' + number]) == ["length"] * 3


def test_a_value_of_separators_only_is_absent() -> None:
    """A dash, two, a slash or a full-width dash is how a spreadsheet says "none": no number."""
    table = check_numbers(["-", "--", " / ", "\uff0d", "\u2014\u2014", "_", "\u200b"])
    assert table["normalised"].to_pylist() == [None] * 7
    assert table["valid"].to_pylist() == [None] * 7
    assert table["problem"].to_pylist() == [None] * 7


# -- the keyed hash --------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=20),
    st.binary(min_size=32, max_size=32),
)
def test_hmac_in_sql_is_rfc_2104_hmac_sha256(values: list[str], key: bytes) -> None:
    got = [
        row[0]
        for row in CON.execute(
            f"SELECT {hmac_sql('v')} FROM (SELECT unnest($values) AS v, "
            "generate_subscripts($values, 1) AS i) ORDER BY i",
            {"values": values, **padded_keys(key)},
        ).fetchall()
    ]
    assert got == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]


def test_hmac_depends_on_the_key() -> None:
    con = duckdb.connect()
    one, two = (
        con.execute(
            f"SELECT {hmac_sql('$v')}", {"v": "x", **padded_keys(os.urandom(32))}
        ).fetchone()
        for _ in range(2)
    )
    assert one != two


# -- redaction ---------------------------------------------------------------------------
def redact(text: str, known: str | None = None) -> str:
    row = CON.execute(f"SELECT {redact_sql('$t', '$k')}", {"t": text, "k": known}).fetchone()
    assert row is not None
    return str(row[0])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(valid_numbers(), min_size=1, max_size=5),
    st.lists(st.sampled_from([",", " ", '"', ":", "|", "\t", "=", "sfzh=", "u"]), min_size=6),
)
def test_every_id_like_token_is_redacted(numbers: list[str], seps: list[str]) -> None:
    text = seps[0] + "".join(n + seps[i + 1] for i, n in enumerate(numbers))
    out = redact(text)
    for n in numbers:
        assert n not in out
        assert n[:17] not in out
    assert out.count(REDACTED) == len(numbers)


def _digit_forms(char: str) -> list[str]:
    """The forms one character of a number may take in a broken line: as written, full-width
    (U+FF10-FF19, U+FF38/FF58 for X/x) and JSON-escaped (``\\u0031``)."""
    return [char, chr(ord(char) + 0xFEE0), f"\\u{ord(char):04x}"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(valid_numbers(), min_size=1, max_size=4),
    st.lists(
        st.sampled_from(
            # escapes of other characters too, ending in a digit or a letter (A, 中, é, Ａ)
            [",", " ", '"', ":", "=", "sfzh=", "u", "\\n", "号码", "\\u0041", "\\u4e2d"]
            + ["\\u00e9", "\\uff21"]
        ),
        min_size=5,
    ),
    st.data(),
)
def test_id_numbers_in_full_width_or_escaped_digits_are_redacted(
    numbers: list[str], seps: list[str], data: st.DataObject
) -> None:
    """A broken line is not parsed, so nothing folds its digits first: every mix of ASCII,
    full-width and JSON-escaped characters within one number is still found."""
    written = ["".join(data.draw(st.sampled_from(_digit_forms(c))) for c in n) for n in numbers]
    text = seps[0] + "".join(w + seps[i + 1] for i, w in enumerate(written))
    out = redact(text)
    for w in written:
        assert w not in out
    assert out.count(REDACTED) == len(numbers)


def test_a_number_is_never_read_from_inside_an_escape() -> None:
    """Found by the property above: the hex digits of an escape (``\\u0030``) follow the
    letter u, a non-digit, and were read as the first digits of a number running into the
    next one; that ate the escape the number before it ended with, and 17 of its digits
    stayed in clear."""
    ending = "11000020000101000\\u0030"
    inside = "11000020000101\\u0030000"
    out = redact(f",110000200001010000,{ending} {inside},")
    assert out == f",{REDACTED},{REDACTED} {REDACTED},"


@pytest.mark.parametrize("escape", ["\\u0041", "\\u4e2d", "\\uff21", "\\u00e9"])
def test_a_number_right_after_an_escaped_character_is_redacted(escape: str) -> None:
    # \u0041 is "A": the number after it is not part of a longer run of digits.
    assert redact(f'"{escape}110105194912310026"') == f'"{escape}{REDACTED}"'


@pytest.mark.parametrize(
    "token",
    [
        "110105 19491231 002X",
        "110105-19491231-002x",
        "110105491231002",  # first generation, 15 digits
        "110105\\u002019491231\\u002D002X",  # JSON-escaped separators, either case
        "１１０１０５\u3000１９４９１２３１－００２Ｘ",  # full-width, ideographic space
    ],
)
def test_separated_and_old_numbers_are_redacted(token: str) -> None:
    assert redact(f'{{"id": "{token}"}}') == f'{{"id": "{REDACTED}"}}'


def test_the_rows_own_value_is_redacted_whatever_its_shape() -> None:
    assert redact("a,1101051949X,b", known="1101051949X") == f"a,{REDACTED},b"


def test_longer_digit_runs_are_left_alone() -> None:
    assert redact("1101051949123100211 and 12345678901234") == (
        "1101051949123100211 and 12345678901234"
    )
