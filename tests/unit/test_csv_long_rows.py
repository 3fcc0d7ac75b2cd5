"""A CSV row of several megabytes (a long post, a statement with a long IN list) is read like
any other row, up to ``max_line_bytes``: pyarrow's CSV reader parses in blocks of 1 MiB and
stopped the whole run (ArrowInvalid, "straddling object straddles two block boundaries") on a
row longer than two blocks, in an access log's CSV and in a pgaudit csvlog alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ingest import ingest, query
from tests.support.sources import events, read_log

HEADER = b"event_id,event_time,provider_id,actor_id,action,data_fields,note\n"


@pytest.mark.parametrize("quoted", [False, True])
def test_an_access_log_csv_row_of_megabytes_is_stored(tmp_path: Path, quoted: bool) -> None:
    big = b"x" * 2_600_000
    note = b'"a\n' + big + b'"' if quoted else big
    path = tmp_path / "long.csv"
    path.write_bytes(
        HEADER
        + b"e1,2026-03-01T10:00:00+08:00,forum-a,emp-1,view,phone," + note + b"\n"
        + b"e2,2026-03-01T10:00:01+08:00,forum-a,emp-1,view,phone,short\n"
    )  # fmt: skip
    result = ingest(tmp_path / "lake", path)
    (f,) = result.files
    assert (f.status, f.rows_read, f.rows_stored) == ("ingested", 2, 2), f
    ids = query(tmp_path / "lake", "SELECT event_id FROM events ORDER BY 1")
    assert ids == [("e1",), ("e2",)]


def test_a_csvlog_statement_of_megabytes_is_one_event(tmp_path: Path) -> None:
    ids = ", ".join(str(n) for n in range(400_000))  # about 2.7 MB
    msg = f'AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.accounts,""SELECT mobile FROM accounts WHERE id IN ({ids})"",<none>'
    row = f'2026-03-02 09:00:00.123 CST,"kefu_li","shop",4242,"10.0.0.9:5000",6b0d85cf.529a,1,"SELECT",2026-03-02 09:00:00 CST,3/7,0,LOG,00000,"{msg}",,,,,,,,,"psql","client backend",,0\n'
    rows, counters = read_log(
        tmp_path, row + row.replace("SESSION,1,1", "SESSION,2,1"), fmt="csvlog"
    )
    assert len(events(rows)) == 2 and counters.reconciles
