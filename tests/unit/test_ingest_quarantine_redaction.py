"""A row quarantined from an access log keeps no ID number: its text and its reason have their
ID-like tokens removed, as an account snapshot's quarantined rows do (docs/real-name.md). (The
quarantine's ``provider_id`` column is the provider's id as given, as the events' is: not
searched.)

The rest of the row is kept as it was, so a person can still see what was wrong; a grown file's
old bad rows are still recognised, also in a lake written before the redaction."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.realname.idcard import REDACTED
from tests.e2e.test_realname_no_number_leaks import VALUE_SEPARATORS, _assert_absent, _written
from tests.support.accounts import all_text
from tests.support.ingest import good, ingest, query
from tests.unit.test_realname_idcard import valid_numbers

# Where a number can sit in a row that is quarantined, and why the row is.
PLACES = [
    "event_time",  # not a time: the reason quotes the value
    "action",  # not an action: the reason quotes the value
    "subject_id",  # a row otherwise bad (no actor) keeps the number in its text
    "extra",  # a field outside the contract, in a row without an actor
    "broken",  # a line that does not parse (JSON Lines) or has a stray quote (CSV)
]
CON = duckdb.connect()  # one session for every example of the redaction
CSV_COLUMNS = [
    "event_time",
    "provider_id",
    "actor_id",
    "action",
    "subject_id",
    "data_fields",
    "note",
]


def _bad_row(number: str, place: str, padding: str) -> dict[str, Any]:
    value = padding + number
    if place in ("event_time", "action"):
        return good(**{place: value}, note="x")
    row = good(actor_id=None, note=value if place in ("extra", "broken") else "x")
    if place == "subject_id":
        row["subject_id"] = value
    return row


def _write(path: Path, rows: list[tuple[dict[str, Any], bool]]) -> None:
    """``rows``: (row, broken) in ``path``'s format."""
    if path.suffix == ".jsonl":
        lines = [json.dumps(r, ensure_ascii=False)[: -1 if broken else None] for r, broken in rows]
    else:
        lines = [",".join(CSV_COLUMNS)]
        for r, broken in rows:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="").writerow(
                [r.get(c, "") if c != "data_fields" else "phone" for c in CSV_COLUMNS]
            )
            lines.append(buf.getvalue() + (' "x' if broken else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(valid_numbers(), st.sampled_from(PLACES), st.sampled_from(["", "x" * 50])),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["jsonl", "csv"]),
)
def test_no_number_stays_in_a_quarantined_rows_text_or_reason(
    tmp_path_factory: pytest.TempPathFactory, planted: list[tuple[str, str, str]], fmt: str
) -> None:
    tmp = tmp_path_factory.mktemp("redact")
    rows = [(_bad_row(n, place, pad), place == "broken") for n, place, pad in planted]
    rows.append((good(), False))  # one good row: the file is a log, not all bad
    path = tmp / f"access.{fmt}"
    _write(path, rows)
    result = ingest(tmp / "lake", path)
    f = result.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined) == (len(rows), 1, len(planted))
    text = all_text(tmp / "lake")
    for number, _, _ in planted:
        _assert_absent(number, text)
    # Every quarantined row still says why, and keeps the rest of its text.
    for raw, reason in query(tmp / "lake", "SELECT raw, reason FROM quarantine"):
        assert reason
        assert REDACTED in raw


def test_the_rest_of_a_quarantined_row_is_kept_as_it_was(tmp_path: Path) -> None:
    number = "11010519491231002X"
    row = good(event_time=number, note="ticket T-7")
    path = tmp_path / "access.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    ingest(tmp_path / "lake", path)
    [(raw, reason)] = query(tmp_path / "lake", "SELECT raw, reason FROM quarantine")
    assert raw == json.dumps(row).replace(number, REDACTED)
    assert "event_time" in reason and REDACTED in reason and number not in reason


def _log(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("written_before_redaction", [False, True])
def test_a_grown_files_old_bad_row_with_a_number_is_not_quarantined_again(
    tmp_path: Path, written_before_redaction: bool
) -> None:
    """The old bad row is matched by its text: redacted in both runs, or (a lake written by an
    earlier auditpipe) in clear in the lake and redacted in this run."""
    number = "11010519491231002X"
    rows = [good(event_id="e1"), good(event_id="e2", event_time=number)]
    log = _log(tmp_path / "access.jsonl", rows)
    ingest(tmp_path / "lake", log)
    if written_before_redaction:
        [part] = (tmp_path / "lake" / "quarantine").glob("*.parquet")
        table = pq.read_table(part)
        raw = pa.array([json.dumps(rows[1])], table.schema.field("raw").type)
        pq.write_table(table.set_column(table.schema.get_field_index("raw"), "raw", raw), part)
        assert query(tmp_path / "lake", "SELECT raw FROM quarantine") == [(json.dumps(rows[1]),)]
    second = ingest(tmp_path / "lake", _log(log, [*rows, good(event_id="e3")]))
    f = second.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined, f.rows_duplicate) == (3, 1, 0, 2)
    assert f.counters["rows_quarantined_before"] == 1


# Characters a quarantined text is made of, weighted toward what makes or breaks a number:
# digits of several scripts, separators (ASCII, Unicode, controls), the check character,
# escapes' pieces, and the letters and punctuation that end a number.
_PIECES = list("0123456789") * 4 + list("０１２３٣७Xx ") + [
    "-", "/", ".", "_", "\t", "\n", "\x01", "\x7f", "\u00a0", "\u2010", "\u200b", "\u3000",
    "\\", "u", "0", "0", "3", "1", "ff", "\\t", "\\u0031", " ...", "a", ",", ":", '"', "中",
]  # fmt: skip


@st.composite
def _quarantined_texts(draw: st.DrawFn) -> str:
    """A text of ``_PIECES``, with a valid number (18 characters or the 15 digits of the first
    generation) planted in its middle, or at its end cut as an over-long line is (`` ...``), or
    none. The number is written as is, with ASCII separators only, all full-width, all as
    JSON escapes, or each character its own way (as a snapshot test writes them)."""
    pieces = draw(st.lists(st.sampled_from(_PIECES), max_size=60))
    plant = draw(st.sampled_from(["none", "18", "15", "cut"]))
    if plant == "none":
        return "".join(pieces)
    number = draw(valid_numbers())
    digits = number[: draw(st.integers(1, 17))] if plant == "cut" else number[: int(plant)]
    form = draw(st.sampled_from(["as is", "ascii separators", "full width", "escaped", "mixed"]))
    if form == "ascii separators":
        seps = [c for c in VALUE_SEPARATORS if c.isascii()]
        written = "".join(c + draw(st.sampled_from(["", "", *seps])) for c in digits)
    elif form == "full width":
        written = "".join(chr(ord(c) + 0xFEE0) for c in digits)
    elif form == "escaped":
        written = "".join(f"\\u{ord(c):04x}" for c in digits)
    elif form == "mixed":
        data = SimpleNamespace(draw=draw)  # what _written draws from, as st.data() objects do
        written = _written(digits, data, json_text=draw(st.booleans()))  # type: ignore[arg-type]
    else:
        written = digits
    if plant == "cut":
        return "".join(pieces) + written + " ..."
    at = len(pieces) // 2
    return "".join(pieces[:at]) + written + "".join(pieces[at:])


# Texts go to DuckDB a list at a time: planning the redaction compiles its patterns (tens of
# milliseconds), and one query per text made this the slowest unit test.
@settings(max_examples=60, deadline=None)
@given(st.lists(_quarantined_texts(), min_size=1, max_size=10))
def test_the_cheap_check_matches_every_text_the_redaction_changes(texts: list[str]) -> None:
    """A file skips the redaction's query when no quarantined text matches MAY_HOLD_NUMBERS:
    that is safe only if every text the redaction changes matches it."""
    from auditpipe.ingest.stage import may_hold_numbers
    from auditpipe.realname.idcard import redact_sql

    redacted = CON.execute(
        f"SELECT t, {redact_sql('t')} FROM unnest($texts) AS u(t)", {"texts": texts}
    ).fetchall()
    assert len(redacted) == len(texts)
    for text, after in redacted:
        if after != text:
            rows = pa.table({"raw": [text], "reason": pa.nulls(1, pa.string())})
            assert may_hold_numbers(rows), text


def test_the_number_characters_a_cut_reason_drops_are_every_planes() -> None:
    """``_number_chars`` scans only the planes that hold such characters (a process pays the
    scan once): it finds every character a scan of all of Unicode finds."""
    from auditpipe.ingest.normalize import _is_number_char, _number_chars

    every = "".join(ch for ch in map(chr, range(1, 0x110000)) if _is_number_char(ch))
    assert every and set(every) <= set(_number_chars())
