"""A file ingested again after it changed (grew, was truncated or rewritten, same path): every
count stays exact. Its bad rows already quarantined are not quarantined a second time."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.ingest import good, ingest, query

FORMATS = ["jsonl", "jsonl.gz", "csv", "csv.zst"]
CSV_COLUMNS = ["event_id", "event_time", "provider_id", "actor_id", "action", "data_fields"]


def _row(event_id: int, bad: bool, provider: str = "forum-a") -> dict[str, Any]:
    return good(
        event_id=f"e{event_id}",
        action="fly" if bad else "view",
        data_fields="phone",
        provider_id=provider,
    )


def write_log(path: Path, rows: list[dict[str, Any]]) -> Path:
    """``rows`` in ``path``'s format (JSON Lines or CSV), compressed as its suffix says."""
    if ".csv" in path.name:
        lines = [",".join(CSV_COLUMNS)] + [",".join(r[c] for c in CSV_COLUMNS) for r in rows]
    else:
        lines = [json.dumps(r) for r in rows]
    data = ("\n".join(lines) + "\n").encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    elif path.name.endswith(".zst"):
        import pyarrow as pa

        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as out:
            out.write(data)
        data = sink.getvalue().to_pybytes()
    path.write_bytes(data)
    return path


def _check(lake: Path, results: list[Any]) -> None:
    """Each run reconciles, and the quarantine holds each bad row once, as many rows as the
    runs' counts (and so ``auditpipe status``) say."""
    for result in results:
        assert all(f.reconciles for f in result.files)
    counted = sum(r.rows_quarantined for r in results)
    if not list(lake.glob("quarantine/*.parquet")):
        assert counted == 0
        return
    rows = query(
        lake, "SELECT count(*), count(DISTINCT (source_file, line_number, raw)) FROM quarantine"
    )
    assert rows == [(counted, counted)]


def _grow(tmp: Path, formats: list[str], bad: list[bool], cut: int) -> None:
    """One file of each of ``formats``, its first ``cut`` rows ingested, then all of them
    (lines appended between the two runs); ``bad``: which rows are bad."""
    # One provider a file: their events are not each other's duplicates.
    rows = {fmt: [_row(i % 3 if b else i, b, fmt) for i, b in enumerate(bad)] for fmt in formats}
    logs = {fmt: tmp / f"in.{fmt}" for fmt in formats}
    first = ingest(tmp / "lake", *(write_log(logs[f], rows[f][:cut]) for f in formats))
    second = ingest(tmp / "lake", *(write_log(logs[f], rows[f]) for f in formats))
    old_bad, new_bad = sum(bad[:cut]), sum(bad[cut:])
    for f in second.files:
        assert f.status == "ingested"
        assert f.rows_read == len(bad)
        assert f.rows_quarantined == new_bad
        assert f.counters.get("rows_quarantined_before", 0) == old_bad
        # The old lines are duplicates: the good ones as events, the bad ones as quarantined.
        assert f.rows_duplicate == cut
    _check(tmp / "lake", [first, second])
    for log in logs.values() if any(bad) else []:
        header = 1 if ".csv" in log.name else 0
        lines = query(
            tmp / "lake",
            f"SELECT line_number FROM quarantine WHERE source_file = '{log.resolve()}' ORDER BY 1",
        )
        assert [n for (n,) in lines] == [i + 1 + header for i, b in enumerate(bad) if b]


def test_a_grown_file_quarantines_only_its_new_bad_rows(tmp_path: Path) -> None:
    """JSON Lines and CSV, plain and compressed."""
    _grow(tmp_path, FORMATS, [True, False, True, True, False, True], 3)


@settings(max_examples=4, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    bad=st.lists(st.booleans(), min_size=2, max_size=12),
    cut=st.integers(1, 11),
)
def test_a_grown_file_keeps_every_count_exact(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, bad: list[bool], cut: int
) -> None:
    _grow(tmp_path_factory.mktemp("grown"), [fmt], bad, min(cut, len(bad) - 1))


def test_a_rewritten_file_quarantines_its_own_bad_rows(tmp_path: Path) -> None:
    """Different contents under the same path: a bad row at a line the earlier version also
    had bad, with the same text, is that row again; any other bad row is quarantined."""
    log = tmp_path / "in.jsonl"
    first = ingest(
        tmp_path / "lake", write_log(log, [_row(1, True), _row(2, True), _row(3, False)])
    )
    # Truncated and written again: line 1 as before, line 2 another bad row, line 3 new.
    second = ingest(tmp_path / "lake", write_log(log, [_row(1, True), _row(9, True)]))
    f = second.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined, f.rows_duplicate) == (2, 0, 1, 1)
    assert f.counters["rows_quarantined_before"] == 1
    _check(tmp_path / "lake", [first, second])
    assert query(tmp_path / "lake", "SELECT count(*) FROM quarantine WHERE line_number = 2") == [
        (2,)
    ]


def test_the_same_bad_row_in_another_file_is_quarantined_again(tmp_path: Path) -> None:
    rows = [_row(1, True)]
    first = ingest(tmp_path / "lake", write_log(tmp_path / "a.jsonl", rows))
    second = ingest(tmp_path / "lake", write_log(tmp_path / "b.jsonl", [*rows, _row(2, False)]))
    assert second.files[0].rows_quarantined == 1
    _check(tmp_path / "lake", [first, second])


def test_staged_files_rewritten_a_few_rows_at_a_time_keep_every_count_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staged quarantine (old bad rows dropped) and event files (events the lake holds
    dropped) are rewritten a row group at a time, not read whole: with row groups of two rows,
    the drops that fall in later row groups and the order of the rows kept are the same."""
    from auditpipe.ingest import stage

    monkeypatch.setattr(stage, "ROW_GROUP_ROWS", 2)
    (tmp_path / "grown").mkdir()
    _grow(tmp_path / "grown", ["jsonl", "csv"], [True, False, True, True, True, False, True], 5)
    lake = tmp_path / "sent-again"
    first = ingest(lake, write_log(tmp_path / "a.jsonl", [_row(i, False) for i in range(5)]))
    second = ingest(lake, write_log(tmp_path / "b.jsonl", [_row(i, False) for i in range(2, 9)]))
    f = second.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_duplicate) == (7, 4, 3)
    _check(lake, [first, second])
    assert query(
        lake,
        "SELECT event_id, line_number FROM events WHERE source_file LIKE '%b.jsonl'"
        " ORDER BY line_number",
    ) == [(f"e{i}", i - 1) for i in range(5, 9)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_grown_account_snapshot_quarantines_only_its_new_bad_rows(
    tmp_path: Path, fmt: str
) -> None:
    """Account snapshots have a stager of their own: the same rule holds there (their raw
    text has the ID number redacted the same way each time, so it still matches)."""
    from tests.support.accounts import account, write_snapshot

    rows = [
        account(account_id=f"u{i}", verification_status="bogus" if i in (1, 3, 4) else "verified")
        for i in range(6)
    ]
    base = tmp_path / "forum-a-2026-03-01.accounts"
    first = ingest(tmp_path / "lake", write_snapshot(base, rows[:3], fmt))
    second = ingest(tmp_path / "lake", write_snapshot(base, rows, fmt))
    f = second.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined, f.rows_duplicate) == (6, 1, 2, 3)
    assert f.counters["rows_quarantined_before"] == 1
    _check(tmp_path / "lake", [first, second])


PG = "2026-03-02 09:00:00.123 CST [4242] kefu_li@shop LOG:  AUDIT: "
MARIA = "20260302 09:00:00,db1,kefu_li,10.0.0.7,12,"
# Per kind: a good record of statement n, and a bad record of two lines (pgaudit: a broken
# AUDIT record and its continuation line) or one (server_audit: a line of another program).
DB_LOGS = {
    "pgaudit": (
        lambda n: (
            f"{PG}SESSION,{n},1,READ,SELECT,TABLE,public.accounts,SELECT mobile FROM accounts WHERE id = {n},<none>\n"
        ),
        lambda n: f"{PG}SESSION,x,1,READ,SELECT 'a{n}'\n\tFROM accounts\n",
    ),
    "server_audit": (
        lambda n: f"{MARIA}{n},QUERY,shop,'SELECT mobile FROM accounts WHERE id = {n}',0\n",
        lambda n: f"garbage {n}\n",
    ),
}


@pytest.mark.parametrize("kind", sorted(DB_LOGS))
def test_a_grown_database_log_counts_only_its_new_bad_lines_as_quarantined(
    tmp_path: Path, kind: str
) -> None:
    """The log-line counts (``source`` in --json and the manifest) say what this run
    quarantined, as the rows do: the old bad records' lines are lines_quarantined_before, and
    lines_read = lines_in_events + non_data_lines + lines_quarantined (+ that) still holds."""
    from auditpipe.ingest.pipeline import ingest_paths
    from auditpipe.ingest.settings import IngestSettings
    from auditpipe.lake import Lake
    from auditpipe.sources import load_settings
    from tests.support.sources import write_source

    record, broken = DB_LOGS[kind]
    source = load_settings(write_source(tmp_path / "src", kind, None))
    lake = Lake.open(tmp_path / "lake", create=True)
    log = tmp_path / "audit.log"
    old = record(1) + broken(2) + record(3)
    bad_lines = broken(2).count("\n")
    log.write_text(old, encoding="utf-8")
    first = ingest_paths(lake, [log], IngestSettings(), source=source)
    log.write_text(old + broken(4) + record(5) + broken(6), encoding="utf-8")
    second = ingest_paths(lake, [log], IngestSettings(), source=source)
    (was,), (now,) = first.files, second.files
    assert was.source_counts is not None and now.source_counts is not None
    assert was.source_counts["lines_quarantined"] == bad_lines
    assert "lines_quarantined_before" not in was.source_counts
    assert (now.rows_quarantined, now.counters["rows_quarantined_before"]) == (2, 1)
    c = now.source_counts
    assert (c["lines_quarantined"], c["lines_quarantined_before"]) == (2 * bad_lines, bad_lines)
    assert c["lines_read"] == (
        c["lines_in_events"]
        + c["non_data_lines"]
        + c["lines_quarantined"]
        + c["lines_quarantined_before"]
    )
    _check(tmp_path / "lake", [first, second])


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_grown_file_counts_only_its_new_gb18030_rows(tmp_path: Path, fmt: str) -> None:
    """rows_not_utf8_gb18030 counts rows quarantined: a grown file's old ones are not."""
    rows = [_row(i, False) for i in range(4)]
    rows[1]["actor_id"] = rows[3]["actor_id"] = "张三"  # these two are written in GBK

    def write(path: Path, part: list[dict[str, Any]]) -> Path:
        write_log(path, part)
        text = path.read_text(encoding="utf-8").replace("\\u5f20\\u4e09", "张三")
        lines = text.splitlines(keepends=True)
        path.write_bytes(b"".join(s.encode("gb18030" if "张" in s else "utf-8") for s in lines))
        return path

    log = tmp_path / f"in.{fmt}"
    first = ingest(tmp_path / "lake", write(log, rows[:2]))
    second = ingest(tmp_path / "lake", write(log, rows))
    assert first.files[0].counters["rows_not_utf8_gb18030"] == 1
    f = second.files[0]
    assert (f.rows_quarantined, f.counters["rows_quarantined_before"]) == (1, 1)
    assert f.counters["rows_not_utf8_gb18030"] == 1
    _check(tmp_path / "lake", [first, second])


def test_only_the_quarantine_files_that_may_hold_the_source_file_are_read(
    tmp_path: Path,
) -> None:
    """quarantine_files_of keeps a lake quarantine file when its footer's statistics name the
    source file, or do not say (no statistics, several values in a row group)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from auditpipe.ingest.stage import quarantine_files_of

    def write(name: str, groups: list[list[str]], statistics: bool = True) -> Path:
        path = tmp_path / f"{name}.parquet"
        tables = [pa.table({"source_file": g, "line_number": list(range(len(g)))}) for g in groups]
        with pq.ParquetWriter(path, tables[0].schema, write_statistics=statistics) as w:
            for t in tables:
                w.write_table(t)
        return path

    a = write("a", [["/in/a.jsonl"] * 2])
    b = write("b", [["/in/b.jsonl"]])
    a_and_b = write("ab", [["/in/a.jsonl"], ["/in/b.jsonl"]])  # a row group each
    mixed = write("mixed", [["/in/a.jsonl", "/in/c.jsonl"]])  # one row group, two values
    unknown = write("unknown", [["/in/b.jsonl"]], statistics=False)
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(b"PAR1 not a footer")
    files = [a, b, a_and_b, mixed, unknown, damaged]
    assert quarantine_files_of(files, "/in/a.jsonl") == [a, a_and_b, mixed, unknown, damaged]
    assert quarantine_files_of(files, "/in/b.jsonl") == [b, a_and_b, mixed, unknown, damaged]
    assert quarantine_files_of(files, "/in/d.jsonl") == [mixed, unknown, damaged]
    # A file written again under its name (a lake made again at the same path) is read again.
    write("a", [["/in/another/a.jsonl"] * 3])
    assert quarantine_files_of([a], "/in/another/a.jsonl") == [a]
    assert quarantine_files_of([a], "/in/a.jsonl") == []


def test_a_grown_file_whose_old_quarantine_has_no_statistics_still_counts_them_before(
    tmp_path: Path,
) -> None:
    """A lake quarantine file without statistics (another writer) is read, not skipped."""
    import pyarrow.parquet as pq

    log = tmp_path / "in.jsonl"
    ingest(tmp_path / "lake", write_log(log, [_row(1, True), _row(2, False)]))
    [part] = (tmp_path / "lake" / "quarantine").glob("*.parquet")
    pq.write_table(pq.read_table(part), part, write_statistics=False)
    second = ingest(
        tmp_path / "lake", write_log(log, [_row(1, True), _row(2, False), _row(3, True)])
    )
    f = second.files[0]
    assert (f.rows_quarantined, f.counters["rows_quarantined_before"]) == (1, 1)
