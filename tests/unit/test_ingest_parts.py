"""The ingest core's parts, tested without a lake: line splitting, CSV quoting, strict JSON,
key extraction, partition splitting and the normalising query's pieces."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import math
import zoneinfo
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_contract
from auditpipe.errors import InputFileError
from auditpipe.ingest import csv_quotes, read_jsonl
from auditpipe.ingest.lines import BINARY_FORMATS, check_encoding, iter_line_batches
from auditpipe.ingest.normalize import transition_hours
from auditpipe.ingest.stage import split_by_partition

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _lines(data: bytes, batch_bytes: int, **kw: Any) -> list[tuple[int, bytes]]:
    out = []
    for batch in iter_line_batches(
        io.BytesIO(data), batch_bytes=batch_bytes, max_line_bytes=1 << 20, **kw
    ):
        out += list(zip(batch.line_numbers.to_pylist(), batch.rows.to_pylist(), strict=True))
    return out


@FAST
@given(
    st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    st.booleans(),
    st.integers(1, 64),
)
def test_every_line_comes_back_once_with_its_number_whatever_the_batch_size(
    rows: list[bytes], final_newline: bool, batch_bytes: int
) -> None:
    assume(not (rows and rows[0].startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))))
    assume(not rows or len(rows[0]) < 8 or 0 not in rows[0][:8])
    data = b"\n".join(rows) + (b"\n" if final_newline and rows else b"")
    # a file opening as a binary format does is rejected whole (test_ingest_misnamed.py)
    assume(not any(data.startswith(magic) for magic, _, _ in BINARY_FORMATS))
    got = _lines(data, batch_bytes)
    expected = [(i + 1, r + b"\n") for i, r in enumerate(rows)]
    if expected and not final_newline:
        expected[-1] = (len(rows), rows[-1])
    if expected and expected[-1][1] == b"":
        expected.pop()  # an empty last "line" after no newline is no row
    assert got == expected


class _ReadOnly:
    """A stream without ``readinto``: the reader then joins the carry and each block."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def read(self, size: int) -> bytes:
        return self.inner.read(size)


@FAST
@given(
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    st.integers(1, 64),
    st.integers(8, 48),
)
def test_reading_into_one_buffer_gives_the_rows_and_oversize_rows_of_plain_reads(
    rows: list[bytes], batch_bytes: int, max_line_bytes: int
) -> None:
    assume(not (rows and rows[0].startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))))
    assume(not rows or len(rows[0]) < 8 or 0 not in rows[0][:8])
    data = b"\n".join(rows) + b"\n"
    # a file opening as a binary format does (Parquet, gzip, an Excel workbook...) is rejected
    # whole by both reads (test_ingest_misnamed.py)
    assume(not any(data.startswith(magic) for magic, _, _ in BINARY_FORMATS))

    def read_all(stream: Any) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for batch in iter_line_batches(
            stream, batch_bytes=batch_bytes, max_line_bytes=max_line_bytes
        ):
            out += list(zip(batch.line_numbers.to_pylist(), batch.rows.to_pylist(), strict=True))
            out += [(o.line_number, o.sample, o.size_seen) for o in batch.oversize]
        return sorted(out, key=lambda row: row[0])

    assert hasattr(io.BytesIO(), "readinto") and not hasattr(_ReadOnly(b""), "readinto")
    assert read_all(io.BytesIO(data)) == read_all(_ReadOnly(data))


def test_utf16_is_rejected_and_a_utf8_bom_is_dropped() -> None:
    text = '{"a": 1}\n'
    for encoded in (text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-16-be")):
        with pytest.raises(InputFileError, match="UTF-16"):
            check_encoding(encoded)
    assert check_encoding(b"\xef\xbb\xbf" + text.encode()) == 3
    assert check_encoding(text.encode()) == 0


# -- CSV quoting -------------------------------------------------------------------------
cell = st.text(alphabet=st.sampled_from('ab ,"\n\r\xe9'), max_size=6)


def _csv_row(cells: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue().encode()


@FAST
@given(
    st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=12), st.integers(1, 80)
)
def test_csv_rows_end_only_outside_quotes_and_keep_their_first_line(
    rows: list[list[str]], batch_bytes: int
) -> None:
    encoded = [_csv_row(r) for r in rows]
    assume(all(e.strip(b" \t\r\n") for e in encoded))
    data = b"".join(encoded)
    got = _lines(data, batch_bytes, row_ends=csv_quotes.row_ends)
    starts = np.cumsum([0] + [e.count(b"\n") for e in encoded])[:-1] + 1
    assert got == list(zip(starts.tolist(), encoded, strict=True))
    offsets = np.cumsum([0] + [len(e) for e in encoded]).astype(np.int64)
    shape = csv_quotes.row_shapes(np.frombuffer(data, np.uint8), offsets)
    assert shape.columns.tolist() == [len(r) for r in rows]
    assert not shape.stray_quote.any() and not shape.unclosed.any()


@FAST
@given(st.lists(st.text(alphabet="ab ", min_size=1, max_size=4), min_size=2, max_size=5), st.data())
def test_a_stray_quote_marks_only_its_own_row(cells: list[str], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(cells) - 1))
    at = data.draw(st.integers(1, len(cells[i])))
    stray = cells[:i] + [cells[i][:at] + '"' + cells[i][at:]] + cells[i + 1 :]
    good = ",".join(cells) + "\n"
    text = (good + ",".join(stray) + "\n" + good).encode()
    got = _lines(text, 1 << 16, row_ends=csv_quotes.row_ends)
    assert [n for n, _ in got] == [1, 2, 3]
    offsets = np.cumsum([0] + [len(r) for _, r in got]).astype(np.int64)
    shape = csv_quotes.row_shapes(np.frombuffer(text, np.uint8), offsets)
    assert shape.stray_quote.tolist() == [False, True, False]
    assert shape.columns.tolist() == [len(cells)] * 3


def test_bare_carriage_return_and_unclosed_quote_are_faults() -> None:
    text = b'a,b\rc\n"open,b\nx,y\n'
    offsets = np.array([0, 6, len(text)], dtype=np.int64)
    shape = csv_quotes.row_shapes(np.frombuffer(text, np.uint8), offsets)
    assert shape.bare_cr.tolist() == [True, False]
    assert shape.unclosed.tolist() == [False, True]


# -- strict JSON -------------------------------------------------------------------------
NON_JSON_NUMBERS = ["NaN", "nan", "NAN", "Infinity", "-Infinity", "Inf", "inf", "INF", "-Inf"]
NON_JSON_NUMBERS += ["1e999", "-1E999", "1e+999", "2E400", "infinity", "-nan", "+Inf"]


def reference_error(txt: str) -> bool:
    """True when ``txt`` is not one strict JSON object encodable as UTF-8 (the contract)."""

    def refuse(_: str) -> Any:
        raise ValueError

    def finite(s: str) -> float:
        if not math.isfinite(float(s)):
            raise ValueError
        return float(s)

    try:
        doc = json.loads(txt, parse_constant=refuse, parse_float=finite, parse_int=len)
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return True
    return not isinstance(doc, dict)


def _classify(lines: list[str]) -> list[bool]:
    """True per line when the JSON Lines kind quarantines it."""
    con = duckdb.connect()
    data = "\n".join(lines).encode() + b"\n"
    keys = read_jsonl.KnownKeys(load_contract())
    out: list[bool] = []
    for batch in iter_line_batches(io.BytesIO(data), batch_bytes=1 << 20, max_line_bytes=1 << 20):
        table = read_jsonl.read_batch(con, batch, keys)
        got = dict(zip(table["line_number"].to_pylist(), table["reason"].to_pylist(), strict=True))
        out += [got.get(i + 1) is not None for i in range(len(lines))]
    return out


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda ups: "".join(c.upper() if u else c.lower() for c, u in zip(word, ups, strict=True))
    )


non_json_number = st.one_of(
    st.tuples(
        st.sampled_from(["", "-", "+"]),
        st.sampled_from(["nan", "inf", "infinity"]).flatmap(_any_case),
    ).map("".join),
    st.tuples(
        st.integers(1, 9), st.sampled_from(["e", "E", "e+", "E+"]), st.integers(309, 99999)
    ).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
    st.sampled_from(NON_JSON_NUMBERS),
)
SENTINEL = "SENTINEL-7f3a"


@settings(max_examples=20, deadline=None)
@given(
    st.dictionaries(st.text(max_size=6), json_values, max_size=5),
    non_json_number,
    st.sampled_from(["top", "list", "nested", "contract"]),
    st.text(max_size=4),
)
def test_non_json_numbers_anywhere_in_any_case_are_quarantined(
    doc: dict[str, Any], token: str, where: str, key: str
) -> None:
    placed: Any = {"top": SENTINEL, "list": [1, SENTINEL], "nested": {"k": [SENTINEL]}}.get(
        where, SENTINEL
    )
    doc["amount" if where == "contract" else key] = placed
    bad = json.dumps(doc).replace(f'"{SENTINEL}"', token)
    good = json.dumps(doc).replace(f'"{SENTINEL}"', "0")
    assert reference_error(bad) and not reference_error(good)
    assert _classify([good, bad]) == [False, True]


def test_trailing_commas_and_non_json_numbers_as_extras() -> None:
    lines = [
        '{"a": [1, 2,]}',
        '{"a": 1,}',
        '{"x": {"y": [NaN]}}',
        '{"x": -Inf}',
        '{"note": "NaN, Infinity,} and [a,]"}',
        '{"x": 1e308}',
        '{"x": 1e309}',
        '{"x": 1' + "0" * 400 + "}",
        '{"x": 1' + "0" * 400 + ".5}",
    ]
    assert _classify(lines) == [reference_error(t) for t in lines]
    assert _classify(lines) == [True, True, True, True, False, False, True, False, True]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.text(alphabet='{}[]:,"01eE.+-nNaAiIfFtrulsx \t\\u', max_size=24), min_size=1, max_size=20
    )
)
def test_json_validity_matches_a_strict_parser_on_a_broad_corpus(lines: list[str]) -> None:
    lines = [t for t in lines if t.strip(" \t")]
    assume(lines)
    assert _classify(lines) == [reference_error(t) for t in lines]


def _reasons(con: Any, lines: list[str], keys: Any) -> list[str | None]:
    data = ("\n".join(lines) + "\n").encode()
    batch = next(iter_line_batches(io.BytesIO(data), batch_bytes=1 << 20, max_line_bytes=1 << 20))
    table = read_jsonl.read_batch(con, batch, keys)
    return table.sort_by("line_number")["reason"].to_pylist()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.text(alphabet='{}[]:,"01eE.+-nNaAiIfFtrulsx \t\\u', max_size=24), min_size=1, max_size=20
    )
)
def test_a_batch_trusted_to_be_json_gets_the_reasons_of_a_checked_one(lines: list[str]) -> None:
    """Each line alone in a batch read without json_valid (the last batch was all JSON):
    the same reason as when every line is checked (a line that is not JSON makes the
    unchecked query fail and the batch is read again with the check)."""
    lines = [t for t in lines if t.strip(" \t")]
    assume(lines)
    con = duckdb.connect()
    for line in lines:
        trusting, checking = (read_jsonl.KnownKeys(load_contract()) for _ in range(2))
        checking.all_json = False
        assert _reasons(con, [line], trusting) == _reasons(con, [line], checking), line
        # Trust is about DuckDB's parser, which json_valid asks; a line cut short (an object
        # opened and not closed) is told without it, and keeps the trust.
        valid = con.execute("SELECT json_valid(?)", [line]).fetchall()[0][0]
        assert trusting.all_json == (valid or _cut_short(line)), line


def _cut_short(line: str) -> bool:
    space = " \t\r\n"
    return line.lstrip(space).startswith("{") and not line.rstrip(space).endswith("}")


def test_trust_is_lost_with_a_batch_holding_a_line_that_is_not_json_and_comes_back() -> None:
    con = duckdb.connect()
    keys = read_jsonl.KnownKeys(load_contract())
    assert _reasons(con, ['{"action": "view"}'], keys) == [None] and keys.all_json
    # a line cut short is told without parsing it: trust stays
    assert _reasons(con, ['{"action": "view"}', '{"action": '], keys) == [
        None,
        read_jsonl.NOT_JSON,
    ]
    assert keys.all_json
    # a line that closes its object and is not JSON is only found by parsing it
    assert _reasons(con, ['{"action": "view"}', '{"action": tru}'], keys) == [
        None,
        read_jsonl.NOT_JSON,
    ]
    assert not keys.all_json  # the next batch is checked line by line
    assert _reasons(con, ["[1]", '{"a": 1}'], keys) == [
        "line is valid JSON but not an object (it is an array)",
        None,
    ]
    assert keys.all_json  # that one was all JSON: the next is trusted again


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.text(max_size=5) | st.sampled_from(["Action", "ACTION", " action", "actor-id", ""]),
            st.none() | st.text(max_size=4) | st.integers(),
            max_size=6,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_wide_and_narrow_key_extraction_agree(docs: list[dict[str, Any]]) -> None:
    con = duckdb.connect()
    data = ("\n".join(json.dumps(d) for d in docs) + "\n").encode()
    batch = next(iter_line_batches(io.BytesIO(data), batch_bytes=1 << 20, max_line_bytes=1 << 20))
    narrow = read_jsonl.read_batch(con, batch, read_jsonl.KnownKeys(load_contract()))
    keys = read_jsonl.KnownKeys(load_contract())
    keys.keys = {str(i) for i in range(read_jsonl.WIDE_KEYS + 1)}  # force the wide path
    wide = read_jsonl.read_batch(con, batch, keys)
    for name in narrow.column_names:
        if name in ("raw", "line_number", "reason"):
            assert narrow[name].to_pylist() == wide[name].to_pylist(), name
        elif name == "extras":
            assert narrow[name].to_pylist() == wide[name].to_pylist()
        else:
            a = [v.strip() or None if v is not None else None for v in narrow[name].to_pylist()]
            b = [v.strip() or None if v is not None else None for v in wide[name].to_pylist()]
            assert a == b, name


def test_any_key_works_even_empty_or_with_slashes_and_tildes() -> None:
    con = duckdb.connect()
    doc = {"": 1, "a/b": 2, "c~d": 3, 'e"f': 4, "g.h": [1], "action": "view"}
    batch = next(
        iter_line_batches(
            io.BytesIO(json.dumps(doc).encode() + b"\n"), batch_bytes=1024, max_line_bytes=1024
        )
    )
    table = read_jsonl.read_batch(con, batch, read_jsonl.KnownKeys(load_contract()))
    assert table["reason"].to_pylist() == [None]
    assert table["action"].to_pylist() == ["view"]
    assert json.loads(table["extras"][0].as_py()) == {k: v for k, v in doc.items() if k != "action"}


# -- partitions and time -----------------------------------------------------------------
@FAST
@given(st.lists(st.tuples(st.sampled_from("pqr"), st.integers(0, 3)), max_size=40))
def test_split_by_partition_keeps_each_partition_in_line_order(keys: list[tuple[str, int]]) -> None:
    day0 = dt.date(2026, 3, 1)
    rows = pa.table(
        {
            "line_number": pa.array(range(len(keys)), pa.int64()),
            "provider_id": [p for p, _ in keys],
            "event_date": pa.array([day0 + dt.timedelta(d) for _, d in keys], pa.date32()),
        }
    )
    parts = split_by_partition(rows)
    seen = []
    for (provider, day), part in parts:
        lines = part["line_number"].to_pylist()
        assert lines == sorted(lines)
        assert all(keys[i] == (provider, (day - day0).days) for i in lines)
        seen += lines
    assert sorted(seen) == list(range(len(keys)))


@pytest.mark.parametrize("name", ["America/New_York", "Europe/London", "Asia/Shanghai"])
def test_transition_hours_cover_every_offset_change(name: str) -> None:
    hours = set(transition_hours(name))
    zone = zoneinfo.ZoneInfo(name)
    for year in (1990, 1991, 2026, 2099):
        t = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        while t.year == year:
            nxt = t + dt.timedelta(hours=1)
            if t.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
                assert int(nxt.timestamp()) // 3600 in hours, (name, nxt)
            t = nxt
    assert transition_hours("UTC") == []


@FAST
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12).map(lambda t: t.encode()),
            st.binary(max_size=12),
        ),
        min_size=1,
        max_size=300,
    )
)
def test_decoding_finds_exactly_the_rows_that_are_not_utf8(rows: list[bytes]) -> None:
    """Rows that are not UTF-8, wherever they sit in a batch, are found one by one: every
    other row keeps its text, and each bad row's escaped text is DuckDB's whole-batch form."""
    _assert_decoded(pa.array([r + b"\n" for r in rows], pa.large_binary()), rows, b"\n")


def _assert_decoded(batch: pa.Array, rows: list[bytes], ending: bytes) -> None:
    """decode_rows gives Python's text (trailing CR and LF trimmed) for each UTF-8 row, NULL
    for the others, and keeps DuckDB's escaped form of each row decoded on its own."""
    from auditpipe.ingest.text import _decode_in_duckdb, decode_rows

    con = duckdb.connect()
    got = decode_rows(con, batch)
    expected_txt = []
    for r in rows:
        try:
            expected_txt.append(r.decode("utf-8").rstrip("\r\n"))
        except UnicodeDecodeError:
            expected_txt.append(None)
    assert got.txt.to_pylist() == expected_txt
    got.txt.validate(full=True)
    got.raw.validate(full=True)
    plain = pa.array([r + ending for r in rows], pa.large_binary())
    whole = _decode_in_duckdb(con, pa.table({"i": pa.array(range(len(rows))), "b": plain}))
    assert got.raw.to_pylist() == whole["raw"].to_pylist()


_SUSPECT_PIECES = st.sampled_from(
    [
        "NaN",
        "nan",
        "-Infinity",
        "inf",
        "INF",
        "1e400",
        "1E+308",
        "2.5e10",
        "0" * 301,
        "12",
        ",",
        ", ",
        "]",
        "}",
        "[",
        "{",
        ":",
        " ",
        "\t",
        '"',
        "a",
        "é",
        "ſ",
        "K",
        "İ",
        "\u00a0",
        "\r",
    ]
)


@functools.cache
def _suspect_con() -> Any:
    """One connection for every example below (each only registers ``t`` again and reads it):
    opening one per example was two thirds of the test's time (2.6 s -> 0.9 s)."""
    return duckdb.connect()


@given(st.lists(st.lists(_SUSPECT_PIECES, max_size=12).map("".join), min_size=1, max_size=40))
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_suspect_hints_on_bytes_match_the_pattern_on_text(lines: list[str]) -> None:
    """The reading thread's pyarrow scan over each row's bytes (line ending included) flags
    exactly the rows DuckDB's regexp_matches flags in the decoded, trimmed text."""
    rows = pa.array([(line + "\n").encode() for line in lines], pa.large_binary())
    con = _suspect_con()
    con.register(
        "t", pa.table({"i": range(len(lines)), "txt": [line.rstrip("\r\n") for line in lines]})
    )
    expected = [
        r[0]
        for r in con.execute(
            "SELECT regexp_matches(txt, ?) FROM t ORDER BY i", [read_jsonl.SUSPECT]
        ).fetchall()
    ]
    assert read_jsonl.suspect_hints(rows).to_pylist() == expected


def test_event_files_use_dictionaries_only_for_columns_that_repeat(tmp_path: Path) -> None:
    """Ids, times and addresses are written without a dictionary (nearly all distinct);
    enums and the provenance columns with one. The values read back are the same."""
    import pyarrow.parquet as pq

    from tests.support.ingest import good, ingest, write_jsonl

    rows = [good(event_id=f"e-{i}", actor_id=f"emp-{i}", action="view") for i in range(50)]
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    [path] = (tmp_path / "lake" / "events").rglob("*.parquet")
    meta = pq.ParquetFile(path).metadata
    columns = {meta.schema.column(i).name: i for i in range(meta.num_columns)}
    has_dictionary = {
        name: meta.row_group(0).column(i).has_dictionary_page for name, i in columns.items()
    }
    assert not has_dictionary["event_id"] and not has_dictionary["actor_id"]
    assert has_dictionary["action"] and has_dictionary["source_file"]
    table = pq.read_table(path)
    assert sorted(table["event_id"].to_pylist()) == sorted(f"e-{i}" for i in range(50))


# Mostly ASCII rows with a few rows holding other bytes, in batches of any size: long enough
# for the block search in non_ascii_rows, short enough for its byte-by-byte tail alone.
_MOSTLY_ASCII = st.lists(
    st.one_of(
        st.text(st.characters(max_codepoint=0x7E, exclude_characters="\n"), max_size=90).map(
            str.encode
        ),
        st.sampled_from(
            [b"\xff\xfe", b"caf\xc3\xa9", b"\xc3", b"\xe4\xb8\xad\xe6\x96\x87", b"a\x80b"]
        ),
    ),
    min_size=1,
    max_size=400,
)


@FAST
@given(_MOSTLY_ASCII, st.integers(0, 5), st.integers(0, 5))
def test_non_ascii_search_names_every_row_holding_a_high_byte(
    rows: list[bytes], head: int, tail: int
) -> None:
    """non_ascii_rows finds exactly the rows with a byte above 0x7F (or gives up, None),
    wherever they sit against its blocks, also in a slice of a larger array."""
    from auditpipe.ingest.text import non_ascii_rows

    whole = pa.array(
        [b"x\n"] * head + [r + b"\n" for r in rows] + [b"y\n"] * tail, pa.large_binary()
    )
    batch = whole.slice(head, len(rows))
    got = non_ascii_rows(batch)
    expected = [i for i, r in enumerate(rows) if any(b > 0x7F for b in r)]
    assert got is None or got.tolist() == expected
    if len(rows) >= 100 and len(expected) <= len(rows) // 50:
        assert got is not None  # few such rows: the search narrows


@FAST
@given(_MOSTLY_ASCII, st.integers(0, 5))
def test_decoding_a_mostly_ascii_batch_finds_exactly_its_bad_rows(
    rows: list[bytes], head: int
) -> None:
    """The same as for any rows, on the usual shape of a dirty batch (few bad rows among
    ASCII ones), also in a slice of a larger array: text for every good row, NULL for each
    bad one, and the kept text is DuckDB's escaped form of the bad rows."""
    whole = pa.array([b"x\n"] * head + [r + b"\r\n" for r in rows], pa.large_binary())
    _assert_decoded(whole.slice(head), rows, b"\r\n")


def test_decoding_a_batch_of_another_encoding_keeps_every_row() -> None:
    """A batch where every row is bad (a Latin-1 file) takes the many-rows path: every row
    is NULL as text and kept escaped."""
    from auditpipe.ingest.text import decode_rows

    rows = [f"caf\xe9 {i}".encode("latin-1") + b"\n" for i in range(200)]
    got = decode_rows(duckdb.connect(), pa.array(rows, pa.large_binary()))
    assert got.txt.null_count == 200
    assert got.raw.to_pylist() == [f"caf\\xE9 {i}" for i in range(200)]


class _Item:
    pass


@pytest.mark.parametrize("depth", [1, 2])
def test_prefetch_reads_at_most_depth_items_ahead_and_holds_none_it_handed_on(depth: int) -> None:
    """The reading thread starts item i only once the caller has taken item i - depth, and
    an item the caller has let go is freed at once: prefetch keeps no reference to it."""
    import gc
    import threading
    import time
    import weakref

    from auditpipe.ingest.lines import prefetch

    taken = 0
    ahead: list[int] = []
    lock = threading.Lock()

    def produce() -> Any:
        for i in range(12):
            with lock:
                ahead.append(i - taken)
            yield _Item()

    refs: list[weakref.ref[_Item]] = []
    for item in prefetch(produce(), depth=depth):
        with lock:
            taken += 1
        refs.append(weakref.ref(item))
        del item
        time.sleep(0.01)  # the thread runs ahead as far as it may
        gc.collect()
        assert all(r() is None for r in refs[:-1]) and refs[-1]() is None
    assert len(refs) == 12
    assert max(ahead) <= depth


def test_prefetch_hands_on_an_error_and_stops_when_closed_early() -> None:
    from auditpipe.ingest.lines import prefetch

    def failing() -> Any:
        yield 1
        raise ValueError("broken stream")

    with pytest.raises(ValueError, match="broken stream"):
        list(prefetch(failing()))
    produced = []

    def endless() -> Any:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    reader = prefetch(endless(), depth=1)
    assert next(reader) == 0
    reader.close()  # returns: the thread ends
    assert len(produced) <= 3


def test_prefetch_stops_waiting_when_cancelled_and_asks_again_until_the_thread_ends() -> None:
    """The caller gets Cancelled while an item is still being produced; closing asks
    ``cancel`` again until the thread ends (the pipeline's cancel interrupts the work), so
    the thread's unfinished item is never waited for whole."""
    import threading

    from auditpipe.ingest.lines import Cancelled, prefetch

    producing = threading.Event()
    interrupted = threading.Event()  # what the pipeline's cancel does to the producer's work
    cancelled = threading.Event()
    asked = 0

    def slow() -> Any:
        yield 1
        producing.set()
        interrupted.wait(timeout=10)  # an item that comes only when interrupted (or late)
        yield 2

    def cancel() -> bool:
        nonlocal asked
        if cancelled.is_set():
            asked += 1
            if asked > 1:  # not the first time: that one raised Cancelled in the caller
                interrupted.set()
        return cancelled.is_set()

    reader = prefetch(slow(), depth=1, cancel=cancel)
    assert next(reader) == 1
    assert producing.wait(timeout=10)
    cancelled.set()
    with pytest.raises(Cancelled):
        next(reader)
    assert interrupted.is_set(), "cancel was asked again while the thread was being stopped"


def test_ingest_takes_arrow_buffers_from_a_pool_that_keeps_freed_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest switches pyarrow to jemalloc (or the system allocator), not mimalloc, whose
    returning and refaulting of pages cost system CPU per batch (ingest/memory.py); a pool
    the user named in ARROW_DEFAULT_MEMORY_POOL is kept."""
    from auditpipe.ingest.memory import POOL_VARIABLE, use_ingest_memory_pool
    from tests.support.ingest import good, ingest, write_jsonl

    before = pa.default_memory_pool()
    try:
        monkeypatch.delenv(POOL_VARIABLE, raising=False)
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [good()]))
        assert pa.default_memory_pool().backend_name in ("jemalloc", "system")
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv(POOL_VARIABLE, "mimalloc")
        assert use_ingest_memory_pool() == "mimalloc"
    finally:
        pa.set_memory_pool(before)


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (4, 1), (8, 5)])
def test_duckdb_threads_leave_the_pipelines_own_threads_their_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int, threads: int
) -> None:
    import os

    from auditpipe.db import database
    from auditpipe.ingest.pipeline import duckdb_threads

    monkeypatch.setattr(database, "_cgroup_cpu_quota", lambda: None)  # whatever this machine's
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert duckdb_threads() == threads


def test_usable_cpus_are_the_affinity_not_the_hosts_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process pinned to 2 of 64 cores (a container, taskset) sizes its threads for 2."""
    import os

    from auditpipe.db import database, usable_cpus

    monkeypatch.setattr(database, "_cgroup_cpu_quota", lambda: None)  # whatever this machine's
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3, 7}, raising=False)
    assert usable_cpus() == 2


@pytest.mark.parametrize("cores", [None, 1, 6])
def test_usable_cpus_without_affinity_fall_back_to_the_core_count(
    monkeypatch: pytest.MonkeyPatch, cores: int | None
) -> None:
    import os

    from auditpipe.db import database, usable_cpus

    monkeypatch.setattr(database, "_cgroup_cpu_quota", lambda: None)  # whatever this machine's
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert usable_cpus() == (cores or 1)
