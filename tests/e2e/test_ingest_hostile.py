"""Hostile rows, files, paths and names (issue 8): none may fail a file that has good rows,
lose a row, misplace a line number or a raw text, or stop the run.

Every test checks reconciliation (read = stored + quarantined + duplicates), the exact line
numbers and raw text of what was quarantined, and that nothing is reported as an internal
error. Hypothesis generates the hostile rows; fixed examples pin the cases from the issue.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.ingest import IngestResult
from auditpipe.lake import Lake
from tests.support.ingest import good, ingest, query, reasons, write_jsonl

SOME = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _fresh(tmp_path: Path, name: str) -> Path:
    import uuid

    path = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


def assert_sound(result: IngestResult) -> None:
    for f in result.files:
        assert f.reconciles, f
        assert "internal error" not in (f.reason or "")


def quarantine(lake: Path) -> dict[int, tuple[str, str]]:
    if not list(lake.glob("quarantine/*.parquet")):
        return {}
    rows = query(lake, "SELECT line_number, raw, reason FROM quarantine")
    return {n: (raw, reason) for n, raw, reason in rows}


def stored_lines(lake: Path) -> list[int]:
    if not list(lake.glob("events/*/*/*.parquet")):
        return []
    return [n for (n,) in query(lake, "SELECT line_number FROM events ORDER BY 1")]


# -- class 1: one row the pipeline cannot handle ------------------------------------------
bad_utf8 = st.binary(min_size=1, max_size=12).filter(lambda b: _not_utf8(b) and b"\n" not in b)


def _not_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@SOME
@given(
    st.lists(st.one_of(st.just(None), bad_utf8), min_size=1, max_size=30),
    st.booleans(),
    st.sampled_from([64, 300, 4096, 1 << 20]),
)
def test_non_utf8_lines_in_any_batch_and_at_eof_are_quarantined_alone(
    tmp_path: Path, rows: list[bytes | None], final_newline: bool, batch_bytes: int
) -> None:
    work = _fresh(tmp_path, "utf8")
    lines = [
        json.dumps(good(actor_id=f"a{i}", event_id=f"e{i}")).encode()
        if r is None
        else b'{"actor_id": "' + r + b'"}'
        for i, r in enumerate(rows)
    ]
    log = work / "in.jsonl"
    log.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    result = ingest(work / "lake", log, batch_bytes=batch_bytes)
    assert_sound(result)
    bad = {i + 1 for i, r in enumerate(rows) if r is not None}
    got = quarantine(work / "lake")
    assert set(got) == bad
    assert all(reason == "line is not valid UTF-8" for _, reason in got.values())
    for n in bad:
        raw = got[n][0]
        assert raw.startswith('{"actor_id": "') and "\\x" in raw
    assert stored_lines(work / "lake") == sorted(set(range(1, len(rows) + 1)) - bad)


def test_empty_and_odd_keys_are_kept_in_extras(tmp_path: Path) -> None:
    row = good(**{"": "empty", "a/b": 1, "c~d": [1], 'q"uote': {"x": None}})
    result = ingest(
        tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [row, good(actor_id="b")])
    )
    assert_sound(result)
    assert (result.rows_stored, result.rows_quarantined) == (2, 0)
    (extras,) = query(tmp_path / "lake", "SELECT extras FROM events WHERE line_number = 1")[0]
    assert json.loads(extras) == {"": "empty", "a/b": 1, "c~d": [1], 'q"uote': {"x": None}}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_file_is_rejected_with_its_reason_and_the_run_goes_on(
    tmp_path: Path, encoding: str
) -> None:
    bad = tmp_path / "in" / "a.jsonl"
    bad.parent.mkdir()
    bad.write_bytes((json.dumps(good()) + "\n").encode(encoding))
    fine = write_jsonl(tmp_path / "in" / "b.jsonl", [good(actor_id="b")])
    result = ingest(tmp_path / "lake", bad.parent)
    assert_sound(result)
    by_name = {Path(f.source_file).name: f for f in result.files}
    assert by_name["a.jsonl"].status == "rejected"
    assert "UTF-16 or UTF-32" in (by_name["a.jsonl"].reason or "")
    assert "iconv -f UTF-16 -t UTF-8" in (by_name["a.jsonl"].reason or "")  # what to do, too
    assert by_name[fine.name].rows_stored == 1


def test_utf8_bom_is_not_part_of_the_first_row(tmp_path: Path) -> None:
    log = tmp_path / "in.jsonl"
    log.write_bytes(b"\xef\xbb\xbf" + json.dumps(good()).encode() + b"\n")
    result = ingest(tmp_path / "lake", log)
    assert (result.rows_stored, result.rows_quarantined) == (1, 0)


@pytest.mark.parametrize("batch_bytes", [64 * 1024 * 1024, 200])  # one batch; a batch a line
def test_files_joined_with_their_byte_order_marks_lose_no_row(
    tmp_path: Path, batch_bytes: int
) -> None:
    # `cat a.jsonl b.jsonl` of files saved with a BOM: the second BOM starts a line, and that
    # line was quarantined as not JSON; a line of a BOM alone is blank.
    bom = b"\xef\xbb\xbf"
    first, second = (json.dumps(good(actor_id=a)).encode() for a in ("a", "b"))
    log = tmp_path / "joined.jsonl"
    log.write_bytes(bom + first + b"\n" + bom + second + b"\n" + bom + b"\n" + bom + b" \n")
    result = ingest(tmp_path / "lake", log, batch_bytes=batch_bytes)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (2, 2, 0)
    got = query(tmp_path / "lake", "SELECT actor_id, line_number FROM events ORDER BY 2")
    assert got == [("a", 1), ("b", 2)]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_csv_header_repeated_where_files_were_joined_is_named_as_such(
    tmp_path: Path, bom: bytes
) -> None:
    header = b"event_time,provider_id,actor_id,action,data_fields\n"
    row = b"2026-03-01 10:00:00,p,%s,view,phone\n"
    log = tmp_path / "joined.csv"
    log.write_bytes(bom + header + row % b"a" + bom + header + row % b"b")
    result = ingest(tmp_path / "lake", log)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (3, 2, 1)
    assert reasons(tmp_path / "lake") == {
        3: "row repeats the header row (line 1), as where CSV files were joined: it is not data"
    }


CSV_NAMES = ["event_time", "provider_id", "actor_id", "subject_id", "action", "data_fields"]


@settings(SOME, max_examples=6)
@given(st.permutations(CSV_NAMES), st.sampled_from(["plain", "upper", "quoted", "spaced"]))
def test_a_csv_header_repeated_with_its_columns_in_another_order_rejects_the_file(
    tmp_path: Path, order: list[str], spelling: str
) -> None:
    """Files with different column orders joined with cat: every row after the second header
    would be read against the first, an actor stored as the subject with no error."""
    values = {
        "event_time": "2026-03-01 10:00:00",
        "provider_id": "p",
        "actor_id": "emp-{}",
        "subject_id": "user-{}",
        "action": "view",
        "data_fields": "phone",
    }
    spelled = {"plain": "{}", "upper": "{}", "quoted": '"{}"', "spaced": " {} "}[spelling]

    def part(names: list[str], n: int) -> str:
        header = ",".join(spelled.format(name) for name in names)
        if spelling == "upper":
            header = header.upper()
        return header + "\n" + ",".join(values[name].format(n) for name in names) + "\n"

    work = _fresh(tmp_path, "joined")
    log = work / "joined.csv"
    log.write_text(part(CSV_NAMES, 1) + part(order, 2))
    (f,) = ingest(work / "lake", log).files
    if order == CSV_NAMES:  # the same header again: that row is quarantined, not the file
        assert (f.status, f.rows_stored, f.rows_quarantined) == ("ingested", 2, 1), f
        assert query(work / "lake", "SELECT actor_id FROM events ORDER BY 1") == [
            ("emp-1",),
            ("emp-2",),
        ]
    else:
        assert (f.status, f.rows_read) == ("rejected", 0), f
        assert "repeated at line 3 with its columns in another order" in (f.reason or "")


@SOME
@given(
    st.lists(
        st.sampled_from(["actor_id", "Actor_ID", "ACTOR_ID", "", "x", "X", "action", "note"]),
        min_size=1,
        max_size=6,
    )
)
def test_parquet_column_names_repeated_empty_or_differing_in_case(
    tmp_path: Path, extra_names: list[str]
) -> None:
    work = _fresh(tmp_path, "pq")
    base = {k: v for k, v in good().items() if k not in ("actor_id", "action", "data_fields")}
    names = [*base, "data_fields", *extra_names]
    arrays = [pa.array([str(v)] * 2) for v in base.values()]
    arrays.append(pa.array(["phone", "phone"]))
    arrays += [
        pa.array(["view" if n == "action" else f"{n or 'empty'}-{i}" for i in range(2)])
        for n in extra_names
    ]
    path = work / "in.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    result = ingest(work / "lake", path)
    assert_sound(result)
    assert result.files[0].status == "ingested"
    assert result.rows_read == 2
    complete = any(n.lower() == "actor_id" for n in extra_names) and "action" in extra_names
    assert result.rows_stored == (2 if complete else 0)
    if complete:
        extras = query(work / "lake", "SELECT extras FROM events ORDER BY line_number")
        # A repeated name outside the contract keeps every column: <name>#<column number>.
        others = {
            n: i
            for i, n in reversed(list(enumerate(names)))
            if n not in base and n != "data_fields"
        }
        others = {n: i for n, i in others.items() if n.lower() not in ("actor_id", "action")}
        repeats = {f"{n}#{i + 1}": n for i, n in enumerate(names) if n in others and i != others[n]}
        for n, (text,) in enumerate(extras):
            found = json.loads(text) if text else {}
            expected = {k: f"{k or 'empty'}-{n}" for k in others}
            expected |= {k: f"{name or 'empty'}-{n}" for k, name in repeats.items()}
            assert found == expected


def _folder_bytes(provider: str) -> int:
    return len(("provider_id=" + quote(provider, safe="")).encode())


@SOME
@given(
    st.one_of(
        st.integers(230, 260).map(lambda n: "p" * n),
        st.integers(20, 30).map(lambda n: "中" * n),
        st.text(min_size=1, max_size=90).filter(lambda s: s.strip(" ") != ""),
    )
)
def test_provider_whose_folder_name_is_too_long_is_quarantined(
    tmp_path: Path, provider: str
) -> None:
    work = _fresh(tmp_path, "prov")
    log = write_jsonl(work / "in.jsonl", [good(provider_id=provider), good(actor_id="ok")])
    result = ingest(work / "lake", log)
    assert_sound(result)
    too_long = _folder_bytes(provider.strip(" ")) > 255
    got = quarantine(work / "lake")
    if too_long:
        assert set(got) == {1} and "is too long" in got[1][1]
        assert got[1][0] == json.dumps(good(provider_id=provider), ensure_ascii=False)
    else:
        assert 1 not in got or "provider_id" not in got[1][1]
    assert 2 in stored_lines(work / "lake")


def test_the_issue_examples_of_too_long_providers(tmp_path: Path) -> None:
    rows = [good(provider_id="a" * 244), good(provider_id="中" * 28), good(provider_id="a" * 243)]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert_sound(result)
    assert set(reasons(tmp_path / "lake")) == {1, 2}
    assert stored_lines(tmp_path / "lake") == [3]


# -- class 2: CSV provenance ------------------------------------------------------------
HEADER = ["event_time", "provider_id", "actor_id", "action", "data_fields", "note"]
note = st.text(alphabet=st.sampled_from('ab ,"\n\xe9'), max_size=8)


def _csv(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


@SOME
@given(
    st.lists(
        st.tuples(st.sampled_from(["good", "short", "long", "stray"]), note),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from([64, 512, 1 << 20]),
)
def test_csv_bad_rows_keep_their_own_text_and_every_line_number_is_exact(
    tmp_path: Path, rows: list[tuple[str, str]], batch_bytes: int
) -> None:
    work = _fresh(tmp_path, "csv")
    text = _csv(HEADER)
    line = 2
    expected_bad: dict[int, str] = {}
    expected_good: list[int] = []
    for i, (kind, value) in enumerate(rows):
        cells = ["2026-03-01 10:00:00", "p", f"a{i}", "view", "phone", value]
        if kind == "short":
            row = _csv(cells[:3])
        elif kind == "long":
            row = _csv([*cells, "extra"])
        elif kind == "stray":
            row = _csv(cells[:5] + ["x"]).replace("a" + str(i), f'a"{i}', 1)
        else:
            row = _csv(cells)
        if kind == "good":
            expected_good.append(line)
        else:
            expected_bad[line] = row.removesuffix("\n")
        text += row
        line += row.count("\n")
    path = work / "in.csv"
    path.write_text(text, encoding="utf-8")
    result = ingest(work / "lake", path, batch_bytes=batch_bytes)
    assert_sound(result)
    got = quarantine(work / "lake")
    assert {n: raw for n, (raw, _) in got.items()} == expected_bad
    assert stored_lines(work / "lake") == expected_good


def test_csv_multiline_value_then_a_short_row_keeps_provenance(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        ",".join(HEADER)
        + "\n"
        + '2026-03-01 10:00:00,p,a1,view,phone,"two\nlines"\n'
        + "2026-03-01 10:00:00,p,short\n"
        + "2026-03-01 10:00:00,p,a3,view,phone,x\n"
        + '2026-03-01 10:00:00,p,a4,view,phone,"x"y\n'
        + "2026-03-01 10:00:00,p,a5,view,phone,x\n"
    )
    result = ingest(tmp_path / "lake", path)
    assert_sound(result)
    got = quarantine(tmp_path / "lake")
    assert {n: raw for n, (raw, _) in got.items()} == {
        4: "2026-03-01 10:00:00,p,short",
        6: '2026-03-01 10:00:00,p,a4,view,phone,"x"y',
    }
    assert query(tmp_path / "lake", "SELECT actor_id, line_number FROM events ORDER BY 2") == [
        ("a1", 2),
        ("a3", 5),
        ("a5", 7),
    ]


# -- class 4: paths ---------------------------------------------------------------------
@pytest.mark.parametrize("link", [False, True])
def test_fifo_named_like_a_log_is_skipped_and_does_not_hang(tmp_path: Path, link: bool) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    if link:
        (inbox / "x.jsonl").symlink_to(fifo)
    else:
        os.rename(fifo, inbox / "x.jsonl")
    write_jsonl(inbox / "y.jsonl", [good()])
    result = ingest(tmp_path / "lake", inbox)  # would block forever on open() of a FIFO
    assert [Path(f.source_file).name for f in result.files] == ["y.jsonl"]
    assert result.rows_stored == 1


def test_fifo_named_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    from auditpipe.errors import UsageError

    os.mkfifo(tmp_path / "x.jsonl")
    with pytest.raises(UsageError, match="not a regular file"):
        ingest(tmp_path / "lake", tmp_path / "x.jsonl")


def test_ingest_dot_with_the_lake_inside_never_reads_the_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.cli import run_main

    write_jsonl(tmp_path / "logs" / "a.jsonl", [good(), "{bad"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDITPIPE_LAKE", raising=False)
    first, _, _ = run_main(["ingest", ".", "--json"], capsys)
    second, out, _ = run_main(["ingest", ".", "--json"], capsys)
    assert first == 3 and second == 0  # the second run skips the one file already ingested
    files = json.loads(out)["files"]
    assert [Path(f["source_file"]).name for f in files] == ["a.jsonl"]
    assert files[0]["status"] == "skipped"
    assert len(query(tmp_path / "lake", "SELECT * FROM quarantine")) == 1


# -- class 5: cost linear in keys -------------------------------------------------------
def test_thousands_of_distinct_keys_are_kept_and_do_not_take_minutes(tmp_path: Path) -> None:
    rows = [good(**{f"k{i}_{j}": j for j in range(100)}, event_id=f"e{i}") for i in range(20)]
    rows.append(good(**{f"w{j}": "v" for j in range(10_000)}, event_id="wide"))
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert_sound(result)
    assert result.rows_stored == 21
    (extras,) = query(tmp_path / "lake", "SELECT extras FROM events WHERE event_id = 'wide'")[0]
    assert len(json.loads(extras)) == 10_000


# -- class 9: time in a lake with daylight saving time ----------------------------------
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _ny_lake(path: Path) -> Path:
    Lake.open(path, create=True, timezone="America/New_York")
    return path


def _local_fate(naive: dt.datetime) -> dt.datetime | None:
    """The instant a naive New York time stands for (the first one when it happens twice),
    or None when it does not exist."""
    first = naive.replace(tzinfo=NEW_YORK, fold=0)
    back = first.astimezone(dt.UTC).astimezone(NEW_YORK).replace(tzinfo=None)
    return first.astimezone(dt.UTC) if back == naive else None


@SOME
@given(
    st.integers(1990, 2099),
    st.sampled_from([(3, 8, 14), (4, 1, 7), (10, 25, 31), (11, 1, 7)]),
    st.integers(0, 6),
    st.integers(0, 3),
    st.integers(0, 59),
)
def test_nonexistent_local_times_are_quarantined_and_ambiguous_ones_take_the_first(
    tmp_path: Path, year: int, window: tuple[int, int, int], day_offset: int, hour: int, minute: int
) -> None:
    work = _fresh(tmp_path, "dst")
    month, first_day, last_day = window
    day = min(first_day + day_offset, last_day)
    naive = dt.datetime(year, month, day, hour, minute)
    log = write_jsonl(work / "in.jsonl", [good(event_time=naive.isoformat(sep=" "))])
    result = ingest(_ny_lake(work / "lake"), log)
    assert_sound(result)
    fate = _local_fate(naive)
    if fate is None:
        (reason,) = reasons(work / "lake").values()
        assert "does not exist in America/New_York" in reason
    else:
        (stored,) = query(work / "lake", "SELECT event_time FROM events")[0]
        assert stored == fate


def test_dst_examples_and_the_range_in_the_lake_timezone(tmp_path: Path) -> None:
    rows = [
        good(event_time="2026-03-08 02:30:00"),  # does not exist
        good(event_time="2026-11-01 01:30:00"),  # happens twice: the first (EDT) is taken
        good(event_time="2026-03-08T02:30:00-05:00"),  # with an offset: an instant, fine
        good(event_time="1989-12-31 23:30:00"),  # before 1990 in New York
        good(event_time="1990-01-01T02:00:00Z"),  # 1989-12-31 21:00 in New York: outside
        good(event_time="1990-01-01 00:00:00"),  # the first local instant allowed
        good(event_time="2099-12-31 23:59:59"),  # the last one
        good(event_time="2100-01-01 00:00:00"),  # outside
    ]
    result = ingest(_ny_lake(tmp_path / "lake"), write_jsonl(tmp_path / "in.jsonl", rows))
    assert_sound(result)
    got = reasons(tmp_path / "lake")
    assert set(got) == {1, 4, 5, 8}
    assert "does not exist" in got[1]
    assert all("outside 1990-2100 in America/New_York" in got[n] for n in (4, 5, 8))
    stored = dict(query(tmp_path / "lake", "SELECT line_number, event_time FROM events"))
    assert stored[2] == dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)
    assert stored[3] == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)


# -- nightly never stalls behind one file -----------------------------------------------
def _poison_jsonl(path: Path) -> set[int]:
    """A JSON Lines file with a row of each hostile kind; returns the lines to quarantine."""
    from tests.support.nightly import event

    rows: list[bytes] = [
        json.dumps(event("p1", **{"": "empty key"})).encode(),  # stored: "" goes to extras
        json.dumps(event("p2")).replace('"view"', "NaN").encode(),
        json.dumps(event("p3", amount=1)).replace(": 1", ": -Infinity").encode(),
        json.dumps(event("p4", amount=1)).replace(": 1", ": 1e999").encode(),
        json.dumps(event("p5"))[:-1].encode() + b",}",
        json.dumps(event("p6", provider_id="p" * 250)).encode(),
        b'{"event_id": "p7", "actor_id": "\xff\xfe"}',
        json.dumps(event("p8")).encode(),
        b'{"event_id": "p9", "actor_id": "\xc3"}',  # last line: not UTF-8, no newline
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(rows))
    return {2, 3, 4, 5, 6, 7, 9}


def _poison_csv(path: Path) -> set[int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "event_id,event_time,provider_id,actor_id,action,data_fields,note\n"
        'c1,2026-03-01T10:00:00+08:00,forum-a,u1,view,nickname,"two\nlines"\n'
        'c2,2026-03-01T10:00:00+08:00,forum-a,u"2,view,nickname,x\n'
        "c3,2026-03-01T10:00:00+08:00,forum-a\n"
        "c4,2026-03-01T10:00:00+08:00,forum-a,u4,view,nickname,x,extra\n"
        "c5,2026-03-01T10:00:00+08:00,forum-a,u5,view,nickname,x\n",
        encoding="utf-8",
    )
    return {4, 5, 6}


@pytest.mark.parametrize("middle", ["b.jsonl", "b.csv"])
def test_nightly_lands_every_file_around_a_poisoned_one_and_the_next_night_is_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], middle: str
) -> None:
    from tests.support.nightly import event, nightly_args, run_cli, write_log

    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    write_log(inbox / "a.jsonl", [event("a1"), event("a2")])
    poison = (_poison_jsonl if middle.endswith("jsonl") else _poison_csv)(inbox / middle)
    stamp = dt.datetime.now().timestamp() - 600
    os.utime(inbox / middle, (stamp, stamp))
    write_log(inbox / "c.jsonl", [event("c1x"), event("c2x")])

    code, out, err = run_cli(nightly_args(inbox, lake, "--json", "--fail-on", "none"), capsys)
    assert code == 3, err  # 3: rows were quarantined; everything else landed
    assert "internal error" not in out + err
    summary = json.loads(out)
    assert summary["files"]["ingested"] == 3 and summary["files"].get("rejected", 0) == 0
    rows = summary["rows"]
    assert rows["read"] == rows["stored"] + rows["quarantined"] + rows["duplicate"]
    assert rows["quarantined"] == len(poison)
    got = query(lake, "SELECT source_file, line_number FROM quarantine")
    assert {n for f, n in got if f.endswith(middle)} == poison
    assert all(f.endswith(middle) for f, _ in got)
    stored = query(lake, "SELECT event_id FROM events")
    assert {"a1", "a2", "c1x", "c2x"} <= {e for (e,) in stored}

    write_log(inbox / "d.jsonl", [event("d1")])
    args = nightly_args(inbox, lake, "--json", "--fail-on", "none")
    args[args.index("--date") + 1] = "2026-03-06"
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["files"]["ingested"] == 1
    assert summary["rows"] == {"read": 1, "stored": 1, "quarantined": 0, "duplicate": 0}


def test_provider_spelled_like_the_hive_null_stays_itself(tmp_path: Path) -> None:
    rows = [good(provider_id="__HIVE_DEFAULT_PARTITION__")]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert result.rows_stored == 1
    assert query(tmp_path / "lake", "SELECT provider_id FROM events") == [
        ("__HIVE_DEFAULT_PARTITION__",)
    ]


@pytest.mark.parametrize(
    ("name", "encoding", "gb18030"),
    [
        ("gbk.csv", "gbk", True),  # Chinese Windows and Excel export in GBK
        ("gb.jsonl", "gb18030", True),
        ("latin.csv", "latin-1", False),  # not UTF-8 either, but not Chinese: no such guess
    ],
)
def test_rows_in_gbk_are_quarantined_and_the_file_is_named_with_how_to_convert_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, encoding: str, gb18030: bool
) -> None:
    from tests.support.cli import run_main

    rows = [
        good(
            actor_id=f"员工{i}" if gb18030 else f"José{i}",
            purpose="客服查询" if gb18030 else "café",
        )
        for i in range(3)
    ]
    rows.append(good(actor_id="ascii"))
    path = tmp_path / name
    if name.endswith(".csv"):
        text = "event_time,provider_id,actor_id,action,data_fields,purpose\n" + "".join(
            f"{r['event_time']},{r['provider_id']},{r['actor_id']},{r['action']},phone,{r.get('purpose', '')}\n"
            for r in rows
        )
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_bytes(text.encode(encoding))
    code, out, err = run_main(
        ["ingest", str(path), "--lake", str(tmp_path / "lake"), "--json"], capsys
    )
    assert code == 3, err
    (result,) = json.loads(out)["files"]
    assert (result["rows_stored"], result["rows_quarantined"]) == (1, 3)
    assert result.get("counters", {}).get("rows_not_utf8_gb18030", 0) == (3 if gb18030 else 0)
    code, _, err = run_main(["ingest", str(path), "--lake", str(tmp_path / "lake2")], capsys)
    assert ("read as GB18030 (GBK)" in err) == gb18030
    if gb18030:
        assert (
            f"iconv -f GB18030 -t UTF-8 {path} > {path.with_name(path.stem + '.utf8' + path.suffix)}"
            in err
        )


# -- a CSV header the reader cannot take: the file is rejected, the run goes on --------------
_HEADER = b"event_id,event_time,provider_id,actor_id,action,data_fields"
_ROW = b"c1,2026-03-01T08:00:00Z,p1,a1,view,phone"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        # CR-only line endings (classic Mac OS): the whole file is one row, header first.
        (_HEADER + b"\r" + _ROW + b"\r", "carriage return alone"),
        (_HEADER + b"\r" + _ROW, "carriage return alone"),
        (
            b"event_id,event_time\r,provider_id,actor_id,action,data_fields\n" + _ROW + b"\n",
            "CR-only",
        ),
        (_HEADER + b",a\rb\r\n" + _ROW + b",z\r\n", "CR-only"),
        (_HEADER + b',"note\n' + _ROW + b",z\n", "never closed"),
        (_HEADER + b',no"te\n' + _ROW + b",z\n", "not quoted"),
        (_HEADER + b',"no"te\n' + _ROW + b",z\n", "not quoted"),
        (_HEADER + b"," + b"n" * 200_000 + b"\n" + _ROW + b",z\n", "longer than"),
    ],
    ids=[
        "cr-only",
        "cr-only-no-final",
        "stray-cr",
        "cr-in-crlf",
        "unclosed",
        "quote",
        "after",
        "long",
    ],
)
def test_a_csv_header_that_cannot_be_read_rejects_its_file_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    from tests.support.cli import run_main

    bad = tmp_path / "a.csv"
    bad.write_bytes(content)
    fine = write_jsonl(tmp_path / "b.jsonl", [good(actor_id="b")])
    code, out, err = run_main(
        ["ingest", str(bad), str(fine), "--lake", str(tmp_path / "lake"), "--json"], capsys
    )
    assert code == 3, err
    assert "internal error" not in out + err
    by_name = {Path(f["source_file"]).name: f for f in json.loads(out)["files"]}
    assert by_name["a.csv"]["status"] == "rejected"
    assert reason in by_name["a.csv"]["reason"]
    if reason in ("carriage return alone", "CR-only"):
        assert "dos2unix -c mac" in by_name["a.csv"]["reason"]  # and what to do
    assert by_name["b.jsonl"]["rows_stored"] == 1
    assert query(tmp_path / "lake", "SELECT actor_id FROM events") == [("b",)]


@pytest.mark.parametrize(
    ("before", "limit"),
    [(b"", 16_384), (b"\n \n\f\n", 16_384), (b"\xef\xbb\xbf", 16_384), (b"", None)],
    ids=["first", "after-blank-lines", "bom", "16-mib"],
)
def test_a_csv_header_over_the_line_size_limit_is_named_by_its_own_line(
    tmp_path: Path, before: bytes, limit: int | None
) -> None:
    size = (limit or 16 * 1024 * 1024) + 10
    log = tmp_path / "a.csv"
    log.write_bytes(before + _HEADER + b"," + b"n" * size + b"\n" + _ROW + b",z\n" + _ROW + b",y\n")
    result = ingest(tmp_path / "lake", log, **({"max_line_bytes": limit} if limit else {}))
    f = result.files[0]
    line = before.count(b"\n") + 1
    assert f.status == "rejected", f
    assert f"the CSV header (line {line}) is longer than the line size limit" in (f.reason or "")
    assert "max_line_bytes" in (f.reason or "")  # and what to do


def _mac_jsonl(n: int, **changes: object) -> bytes:
    return b"\r".join(json.dumps(good(event_id=f"m{i}", **changes)).encode() for i in range(n))


@pytest.mark.parametrize(
    ("content", "suffix", "limit"),
    [
        (_mac_jsonl(3) + b"\r", ".jsonl", None),
        (_mac_jsonl(3), ".ndjson", None),  # no final carriage return
        (b"\xef\xbb\xbf" + _mac_jsonl(3) + b"\r", ".jsonl", None),  # with a BOM
        (b'{"oops": \r' + _mac_jsonl(2) + b"\r", ".jsonl", None),  # its first line bad too
        (_mac_jsonl(3) + b"\r", ".jsonl.gz", None),
        # the whole file over the line size limit: quarantined with its first KiB, before
        (_mac_jsonl(400, purpose="x" * 100) + b"\r", ".jsonl", 16_384),
    ],
    ids=["cr-only", "no-final", "bom", "bad-first", "gz", "over-limit"],
)
def test_a_jsonl_file_with_cr_only_line_endings_is_rejected_with_what_to_do(
    tmp_path: Path, content: bytes, suffix: str, limit: int | None
) -> None:
    import gzip

    bad = tmp_path / f"a{suffix}"
    bad.write_bytes(gzip.compress(content, mtime=0) if suffix.endswith(".gz") else content)
    fine = write_jsonl(tmp_path / "b.jsonl", [good(actor_id="b")])
    result = ingest(tmp_path / "lake", bad, fine, **({"max_line_bytes": limit} if limit else {}))
    by_name = {Path(f.source_file).name: f for f in result.files}
    rejected = by_name[bad.name]
    assert rejected.status == "rejected", rejected
    assert "carriage return alone" in (rejected.reason or "")
    assert "tr '\\r' '\\n'" in (rejected.reason or "")  # and what to do
    assert "dos2unix -c mac" in (rejected.reason or "")
    assert by_name["b.jsonl"].rows_stored == 1
    assert not (tmp_path / "lake" / "quarantine").exists()


def test_a_jsonl_file_rejected_for_its_line_endings_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.cli import run_main

    bad = tmp_path / "a.jsonl"
    bad.write_bytes(_mac_jsonl(2) + b"\r")
    code, out, err = run_main(["ingest", str(bad), "--lake", str(tmp_path / "lake")], capsys)
    assert code == 3, err
    assert "dos2unix -c mac" in out + err


@pytest.mark.parametrize(
    "content",
    [
        b'{"oops": 1\r\n' + _mac_jsonl(1) + b"\r\n",  # CRLF, a bad first line
        b"not json\r\n" + _mac_jsonl(1) + b"\n",
        b'{"a": 1}\r' + b"\n" + _mac_jsonl(1) + b"\n",
    ],
    ids=["crlf-bad-first", "crlf-text", "cr-before-lf"],
)
def test_a_jsonl_file_whose_lines_end_in_lf_is_read_whatever_its_first_line(
    tmp_path: Path, content: bytes
) -> None:
    log = tmp_path / "a.jsonl"
    log.write_bytes(content)
    result = ingest(tmp_path / "lake", log)
    assert result.files[0].status == "ingested", result.files[0]
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (2, 1, 1)


@pytest.mark.parametrize(
    "name", [b'"no\rte"', b'"no\nte"', b"no\x00te", b'"no""te"'], ids=["cr", "lf", "nul", "qq"]
)
def test_odd_but_well_formed_csv_header_names_are_kept(tmp_path: Path, name: bytes) -> None:
    log = tmp_path / "a.csv"
    log.write_bytes(_HEADER + b"," + name + b"\n" + _ROW + b",z\n")
    result = ingest(tmp_path / "lake", log)
    assert_sound(result)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (1, 1, 0)


# -- Parquet columns of Arrow types DuckDB cannot read --------------------------------------
def _f16(values: list[float]) -> pa.Array:
    import numpy as np

    return pa.array(np.array(values, dtype=np.float16))


def _exotic() -> dict[str, pa.Array]:
    import decimal

    import numpy as np

    half = np.float16(1.5)
    return {
        "float16": _f16([1.5, 2.0]),
        "decimal256-50": pa.array([decimal.Decimal("1.50"), None], pa.decimal256(50, 2)),
        "decimal256-20": pa.array([decimal.Decimal("1.50"), None], pa.decimal256(20, 2)),
        "list-f16": pa.array([[half], None], pa.list_(pa.float16())),
        "large-list-f16": pa.array([[half], None], pa.large_list(pa.float16())),
        "fixed-list-f16": pa.array([[half, half], None], pa.list_(pa.float16(), 2)),
        "dict-f16": pa.DictionaryArray.from_arrays(pa.array([0, None], pa.int32()), _f16([1.5])),
        "struct-f16": pa.array([{"x": half}, None], pa.struct([("x", pa.float16())])),
        "map-f16": pa.array([[("k", half)], None], pa.map_(pa.string(), pa.float16())),
        "tensor-f16": pa.FixedShapeTensorArray.from_numpy_ndarray(
            np.ones((2, 2, 2), dtype=np.float16)
        ),
        "uuid": pa.ExtensionArray.from_storage(
            pa.uuid(), pa.array([b"0" * 16, None], pa.binary(16))
        ),
        "duration": pa.array([1, None], pa.duration("s")),
    }


@pytest.mark.parametrize("column", ["amount", "extra_col"])
@pytest.mark.parametrize("kind", list(_exotic()))
def test_parquet_columns_duckdb_cannot_read_are_converted_and_the_run_goes_on(
    tmp_path: Path, kind: str, column: str
) -> None:
    base = {k: str(v) for k, v in good().items() if k != "data_fields"}
    arrays = [pa.array([f"{v}", f"{v}"]) for v in base.values()]
    arrays[list(base).index("actor_id")] = pa.array(["a1", "a2"])
    arrays += [pa.array(["phone", "phone"]), _exotic()[kind]]
    path = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=[*base, "data_fields", column]), path)
    fine = write_jsonl(tmp_path / "b.jsonl", [good(actor_id="b")])
    result = ingest(tmp_path / "lake", path, fine)
    assert_sound(result)
    first, second = result.files
    assert first.status == "ingested" and first.rows_read == 2
    assert first.rows_stored + first.rows_quarantined == 2
    assert second.rows_stored == 1
    if column == "amount" and kind.startswith(("float16", "decimal", "dict")):
        got = query(tmp_path / "lake", "SELECT amount FROM events WHERE actor_id = 'a1'")
        assert [float(a) for (a,) in got] == [1.5]
    if column == "extra_col" and kind == "decimal256-50":
        (extras,) = query(tmp_path / "lake", "SELECT extras FROM events WHERE actor_id = 'a1'")[0]
        assert json.loads(extras) == {"extra_col": "1.50"}  # digit for digit, as text


def test_a_parquet_column_duckdb_still_cannot_read_rejects_the_file_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditpipe.ingest import read_parquet

    monkeypatch.setattr(read_parquet, "duckdb_type", lambda kind: kind)  # no conversion
    base = {k: str(v) for k, v in good().items() if k != "data_fields"}
    arrays = [pa.array([v]) for v in base.values()] + [pa.array(["phone"]), _f16([1.0])]
    path = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=[*base, "data_fields", "half"]), path)
    fine = write_jsonl(tmp_path / "b.jsonl", [good(actor_id="b")])
    result = ingest(tmp_path / "lake", path, fine)
    assert_sound(result)
    assert result.files[0].status == "rejected"
    assert "'half' (halffloat)" in (result.files[0].reason or "")
    assert result.files[1].rows_stored == 1


@pytest.mark.parametrize("change", ["appended", "rewritten shorter", "rewritten longer"])
def test_a_file_rewritten_while_it_is_read_is_rejected_and_one_appended_to_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """A file is known by the sha256 of its bytes: one rewritten between its hash and the end
    of its reading (an export rewritten in place) would be recorded as content it never held,
    and that content, sent again, skipped unread. One that only grew (a live log) holds the
    hashed bytes and more, all read: kept, and read again whole by the next run."""
    from auditpipe.ingest import sources

    first = [good(event_id=f"a{i}") for i in range(3)]
    later = [good(event_id=f"b{i}") for i in range(2)]
    path = write_jsonl(tmp_path / "in" / "live.jsonl", first)
    original = path.read_bytes()
    hash_of = sources.sha256_of
    rows = {
        "appended": first + later,
        "rewritten shorter": later,
        "rewritten longer": [good(event_id="c0", actor_id="x" * 200), *later],
    }[change]

    def hash_then_change(p: Path, *args: Any, **kwargs: Any) -> str:
        sha = hash_of(p, *args, **kwargs)
        if p == path and path.read_bytes() == original:
            write_jsonl(path, rows)
        return sha

    monkeypatch.setattr(sources, "sha256_of", hash_then_change)
    lake = tmp_path / "lake"
    (f,) = ingest(lake, path).files
    if change == "appended":
        assert (f.status, f.rows_read, f.rows_stored) == ("ingested", 5, 5), f
    else:
        assert (f.status, f.rows_read) == ("rejected", 0), f
        assert "changed while it was read" in (f.reason or "")
    monkeypatch.undo()
    # Read again once it holds still, and the first version, sent again, is not lost.
    again = tmp_path / "in2" / "again.jsonl"
    again.parent.mkdir()
    again.write_bytes(original)
    result = ingest(lake, path, again)
    assert_sound(result)
    expected = ["ingested", "skipped"] if change == "appended" else ["ingested", "ingested"]
    assert [f.status for f in result.files] == expected
    stored = sorted(e for (e,) in query(lake, "SELECT event_id FROM events"))
    assert stored == sorted({r["event_id"] for r in [*first, *rows]})  # both versions, once


def test_an_account_snapshot_that_changes_while_it_is_read_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditpipe.realname import ingest as snapshots
    from tests.support.accounts import account, write_snapshot

    path = write_snapshot(tmp_path / "in" / "s-2026-03-01.accounts", [account()])
    hash_of = snapshots.sha256_of

    def hash_then_change(p: Path, *args: Any, **kwargs: Any) -> str:
        sha = hash_of(p, *args, **kwargs)
        write_snapshot(tmp_path / "in" / "s-2026-03-01.accounts", [account(account_id="u2")])
        return sha

    monkeypatch.setattr(snapshots, "sha256_of", hash_then_change)
    (f,) = ingest(tmp_path / "lake", path).files
    assert f.status == "rejected" and "changed while it was read" in (f.reason or ""), f


@pytest.mark.parametrize("when", ["before its hash", "after its hash"])
def test_a_file_that_vanishes_during_the_run_is_rejected_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """Files are found first and read one after the other: one removed or rotated away
    meanwhile is that file's problem, not the run's."""
    from auditpipe.ingest import IngestSettings, ingest_paths, sources
    from auditpipe.ingest.pipeline import find_inputs

    paths = [write_jsonl(tmp_path / "in" / f"{n}.jsonl", [good(event_id=n)]) for n in "abc"]
    inputs = find_inputs([tmp_path / "in"], IngestSettings())
    if when == "before its hash":
        paths[1].unlink()
    else:
        hash_of = sources.sha256_of

        def hash_then_remove(p: Path, *args: Any, **kwargs: Any) -> str:
            sha = hash_of(p, *args, **kwargs)
            if p == paths[1]:
                p.unlink()
            return sha

        monkeypatch.setattr(sources, "sha256_of", hash_then_remove)
    lake = Lake.open(tmp_path / "lake", create=True)
    result = ingest_paths(lake, inputs, IngestSettings())
    assert_sound(result)
    assert [(Path(f.source_file).name, f.status) for f in result.files] == [
        ("a.jsonl", "ingested"),
        ("b.jsonl", "rejected"),
        ("c.jsonl", "ingested"),
    ]
    assert "b.jsonl" in (result.files[1].reason or "")
    assert [e for (e,) in query(tmp_path / "lake", "SELECT event_id FROM events")] == ["a", "c"]


def test_an_account_snapshot_that_vanishes_during_the_run_is_rejected_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    from auditpipe.ingest import IngestSettings, ingest_paths
    from auditpipe.ingest.pipeline import find_inputs
    from tests.support.accounts import account, write_snapshot

    gone = write_snapshot(tmp_path / "in" / "a-2026-03-01.accounts", [account()])
    kept = write_snapshot(tmp_path / "in" / "b-2026-03-01.accounts", [account(account_id="u2")])
    log = write_jsonl(tmp_path / "in" / "c.jsonl", [good(event_id="c")])
    inputs = find_inputs([tmp_path / "in"], IngestSettings())
    gone.unlink()
    result = ingest_paths(Lake.open(tmp_path / "lake", create=True), inputs, IngestSettings())
    assert_sound(result)
    assert {(Path(f.source_file).name, f.status) for f in result.files} == {
        (gone.name, "rejected"),
        (kept.name, "ingested"),
        (log.name, "ingested"),
    }


def test_a_file_whose_name_is_not_utf8_is_rejected_with_how_to_rename_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Chinese name saved in GBK (a Windows zip or an FTP upload) is no UTF-8: the readers
    cannot open it by name, and the lake could not store it as the rows' source_file."""
    from tests.support.cli import run_main

    inbox = tmp_path / "in"
    inbox.mkdir()
    gbk = os.fsdecode(os.path.join(os.fsencode(inbox), "日志".encode("gbk") + b".jsonl"))
    write_jsonl(Path(gbk), [good(event_id="g")])
    write_jsonl(inbox / "ok.jsonl", [good(event_id="ok")])
    code, out, err = run_main(["ingest", str(inbox), "--lake", str(tmp_path / "lake")], capsys)
    assert code == 3, err
    assert "internal error" not in err
    assert "name is not valid UTF-8" in err and "convmv" in err
    assert query(tmp_path / "lake", "SELECT event_id FROM events") == [("ok",)]
