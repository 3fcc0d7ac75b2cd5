"""No ID number reaches the lake, however a snapshot row writes it.

Valid numbers are generated, each character written ASCII, full-width or (JSON Lines) as a
``\\u`` escape, cut anywhere by separators: spaces, dashes, NBSP, U+2010, zero-width space,
slashes, dots, JSON escapes (``\\t \\n \\r \\/ \\u0009``...) and raw control characters. Each
is planted in ``id_number`` and in other columns (the free-text method, the status, a time,
the snapshot date, a field outside the contract), sometimes after 50 characters of padding (a
reason quotes 60) and sometimes in a line that does not parse. After the ingest, every file of
the lake (Parquet read back) and everything printed is searched for any 10 consecutive digits
of each number, with escapes decoded, widths folded and separators dropped first. The same
files are also given under a name that does not say they are snapshots: rejected whole (their
columns are a snapshot's), or, without a snapshot's verification_status, read as access logs
with every row quarantined: the events' quarantine keeps no number either.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.support.accounts import accounts, all_text
from tests.support.cli import run_main
from tests.unit.test_realname_idcard import valid_numbers

# Separators as a parsed value holds them (CSV cells, JSON Lines through json.dumps, which
# escapes the control characters as \t \n \r \u00XX).
VALUE_SEPARATORS = [
    " ", "-", "\u00a0", "\u2010", "\u200b", "/", ".", "\u3000", "\uff0d",
    "\t", "\n", "\r", "\r\n", "\x0b", "\x01", "\x1f", "\ufeff",
]  # fmt: skip
# Separators as JSON text: escapes json.dumps would not write, and raw control characters
# (which make the line unparsable JSON).
JSON_TEXT_SEPARATORS = ["\\t", "\\n", "\\r", "\\/", "\\u0009", "\\u00a0", "\\u2010", "\\u0020",
                        "\t", "\x01"]  # fmt: skip
COLUMNS = [
    "id_number",
    "verification_method",
    "verification_status",
    "registered_at",
    "snapshot_date",
    "note",  # outside the contract
]


def _written(number: str, data: st.DataObject, json_text: bool) -> str:
    """``number`` with each character in some form and separators between some of them."""
    out = []
    for i, ch in enumerate(number):
        forms = [ch, chr(ord(ch) + 0xFEE0)]
        if json_text:
            forms.append(f"\\u{ord(ch):04x}")
        out.append(data.draw(st.sampled_from(forms)))
        if i < len(number) - 1 and data.draw(st.integers(0, 3)) == 0:
            seps = VALUE_SEPARATORS + (JSON_TEXT_SEPARATORS if json_text else [])
            if json_text:  # a value separator goes through json.dumps' escaping
                seps = [json.dumps(s)[1:-1] if s in VALUE_SEPARATORS else s for s in seps]
            out.append("".join(data.draw(st.lists(st.sampled_from(seps), min_size=1, max_size=2))))
    return "".join(out)


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|([tnrbf/\\]))")
_NOT_SEPARATOR = set("\"',:;{}[]()=")


def _digit_runs(text: str) -> str:
    """``text`` with escapes decoded, widths folded, and separators inside digit runs
    dropped: a number cut anyway is found whole."""
    text = _ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else " ", text)
    text = unicodedata.normalize("NFKC", text)
    out = []
    pending = ""
    for ch in text:
        if ch.isdigit():
            out.append(ch)
            pending = ""
        elif not ch.isalnum() and ch not in _NOT_SEPARATOR and out and out[-1] != "|":
            pending += ch
        else:
            out.append("|")
    return "".join(out)


def _assert_absent(number: str, text: str) -> None:
    runs = _digit_runs(text)
    for i in range(len(number) - 9):
        window = number[i : i + 10]
        if window[-1] == "X":
            continue
        at = runs.find(window)
        assert at < 0, (
            f"{window} of {number} is in the lake or the output: {runs[at - 40 : at + 40]}"
        )


def _row(i: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "provider_id": "p1",
        "account_id": f"a{i}",
        "verification_status": "verified",
        "verification_method": "face",
    }
    row.update(fields)
    return row


# How a file of account rows is given: named as a snapshot; as a user export not so named
# (read as an access log, and rejected whole: its columns are a snapshot's); or not so named
# and without a snapshot's verification_status (read as a log: each row is quarantined).
MODES = ["snapshot", "export", "log"]


def _write_snapshot(folder: str, fmt: str, mode: str, data: bytes) -> Path:
    name = "users-export-2026-03-01" if mode != "snapshot" else "s-2026-03-01.accounts"
    path = Path(folder) / f"{name}.{fmt}"
    if mode == "log":
        data = data.replace(b"verification_status", b"state")
    path.write_bytes(data)
    return path


def _ingest(path: Path, lake: Path, capsys: Any) -> str:
    snapshot = ["--accounts"] if ".accounts." in path.name else []
    code, out, err = run_main(["ingest", *snapshot, str(path), "--lake", str(lake)], capsys)
    assert code in (0, 3), err  # 3: rows were quarantined
    return out + err


@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(valid_numbers(), min_size=1, max_size=3),
    st.sampled_from(["jsonl", "csv"]),
    st.sampled_from(MODES),
    st.data(),
)
def test_no_number_in_any_form_reaches_the_lake(
    capsys: Any, numbers: list[str], fmt: str, mode: str, data: st.DataObject
) -> None:
    json_text = fmt == "jsonl"
    lines: list[str] = []
    rows: list[dict[str, Any]] = []
    for n, number in enumerate(numbers):
        for c, column in enumerate(COLUMNS):
            padding = "x" * data.draw(st.sampled_from([0, 3, 50]))
            value = padding + _written(number, data, json_text)
            i = n * 100 + c
            if json_text:
                head = json.dumps(_row(i), ensure_ascii=False)[:-1]
                line = f'{head}, "{column}": "{value}"}}'
                if data.draw(st.integers(0, 4)) == 0:
                    line = line[:-1]  # does not parse
                lines.append(line)
            else:
                rows.append(_row(i, **{column: value}))
    with tempfile.TemporaryDirectory() as tmp:
        if json_text:
            text = "\n".join(lines) + "\n"
        else:
            buf = io.StringIO()
            writer = csv.DictWriter(buf, ["provider_id", "account_id", *COLUMNS[:-1], "note"])
            writer.writeheader()
            writer.writerows(rows)
            text = buf.getvalue()
        path = _write_snapshot(tmp, fmt, mode, text.encode())
        printed = _ingest(path, Path(tmp) / "lake", capsys)
        text = all_text(Path(tmp) / "lake") + printed
    for number in numbers:
        _assert_absent(number, text)


def _wide(number: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in number)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(valid_numbers(), st.sampled_from(VALUE_SEPARATORS), st.sampled_from(["jsonl", "csv"]))
def test_full_width_numbers_get_the_ascii_verdict_and_hash(
    capsys: Any, number: str, sep: str, fmt: str
) -> None:
    forms = [number, _wide(number), _wide(number[:6]) + sep + _wide(number[6:]), number.lower()]
    rows = [_row(i, id_number=form) for i, form in enumerate(forms)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"s-2026-03-01.accounts.{fmt}"
        if fmt == "jsonl":
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        else:
            buf = io.StringIO()
            writer = csv.DictWriter(buf, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
            path.write_text(buf.getvalue(), encoding="utf-8")
        _ingest(path, Path(tmp) / "lake", capsys)
        got = accounts(Path(tmp) / "lake")
    assert len(got) == len(forms)
    assert {(r["id_number_valid"], r["id_number_problem"]) for r in got} == {(True, None)}
    assert len({r["identity_hash"] for r in got}) == 1


# A quarantined raw line is kept as the quarantine shows it: a byte that is not UTF-8 as
# \xNN, and a line over the size limit cut after its first KiB. Neither may leave digits of a
# number in clear: the escaped byte is one more separator, and digits that run into the cut
# (the start of a number the cut split) are removed.
# Never UTF-8 however they follow one another: none starts with a continuation byte.
INVALID_BYTES = [b"\xff", b"\xfe", b"\xc0", b"\xc8\xd5", b"\xe4\xb8", b"\xf8"]


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    valid_numbers(),
    st.lists(st.sampled_from(INVALID_BYTES), min_size=1, max_size=2),
    st.integers(1, 17),
    st.integers(1, 17),
    st.sampled_from(["jsonl", "csv"]),
    st.sampled_from(MODES),
)
def test_numbers_cut_by_a_byte_that_is_not_utf8_or_by_the_kept_kib_never_reach_the_lake(
    number: str, bad: list[bytes], at: int, cut: int, fmt: str, mode: str
) -> None:
    from auditpipe.ingest import IngestSettings, ingest_paths
    from auditpipe.lake import Lake

    digits = number.encode()
    broken = digits[:at] + b"".join(bad) + digits[at:]
    if fmt == "jsonl":
        head = json.dumps(_row(0))[:-1].encode()
        lines = [
            head + b', "id_number": "' + broken + b'"}',
            head + b', "note": "' + broken + b'"}',
        ]
        # a line over the limit whose kept KiB ends ``cut`` characters into the number
        pad = b"x" * (1024 - len(head) - len(b', "note": "') - cut)
        lines.append(head + b', "note": "' + pad + digits + b"y" * 3000 + b'"}')
    else:
        header = b"provider_id,account_id,verification_status,id_number,note"
        row = b"p1,a0,verified,"
        lines = [header, row + broken + b",", row + b"," + broken]
        pad = b"x" * (1024 - len(row) - 1 - cut)
        lines.append(row + b"," + pad + digits + b"y" * 3000)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_snapshot(tmp, fmt, mode, b"\n".join(lines) + b"\n")
        lake = Lake.open(Path(tmp) / "lake", create=True)
        result = ingest_paths(lake, [path], IngestSettings(max_line_bytes=2048))
        # A CSV export's header shows a snapshot's columns; these JSON lines show none (not
        # UTF-8, or over the limit): read as a log, each is quarantined.
        rejected = mode == "export" and fmt == "csv"
        assert result.rows_quarantined == (0 if rejected else 3)
        assert len(result.rejected) == rejected
        text = all_text(Path(tmp) / "lake")
    _assert_absent(number, text)
