"""PostgreSQL's log_destination = 'syslog': a real server's syslog records give the same events
as its stderr log of the same run (tests/data/pg_syslog/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.sources import pgaudit
from tests.support.sources import events, quarantined, read_log

DATA = Path(__file__).resolve().parents[1] / "data" / "pg_syslog"
STDERR = (DATA / "postgresql.log").read_text(encoding="utf-8")
SYSLOG = (DATA / "syslog").read_text(encoding="utf-8")
SETTINGS = 'log_line_prefix = "%m [%p] %q%u@%d "\ntimezone = "Asia/Shanghai"'
FIELDS = (
    "event_time",
    "actor_id",
    "action",
    "subject_id",
    "record_count",
    "outcome",
    "data_fields",
    "authorization_ref",
)


def _shapes(rows: list[dict]) -> list[tuple]:
    shapes = [
        tuple(e[f] for f in FIELDS)
        + (e["extras"]["statement"], e["extras"]["error_code"], e["extras"]["log_lines"] > 1)
        for e in events(rows)
    ]
    return sorted(shapes, key=repr)  # (a subject_id may be None beside a text)


@pytest.fixture(scope="module")
def stderr_shapes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    rows, _ = read_log(tmp_path_factory.mktemp("stderr"), STDERR, extra=SETTINGS)
    assert not quarantined(rows)
    return _shapes(rows)


def _syslog(tmp_path: Path, text: str, **kw: object) -> tuple[list[dict], object]:
    return read_log(tmp_path, text, fmt="syslog", extra=SETTINGS, **kw)


def test_syslog_records_give_the_events_of_the_stderr_log(
    tmp_path: Path, stderr_shapes: list[tuple]
) -> None:
    rows, counters = _syslog(tmp_path, SYSLOG)
    assert not quarantined(rows)
    assert _shapes(rows) == stderr_shapes and len(stderr_shapes) == 54
    # every physical line is counted: the 900-byte chunks of one line and a message's lines
    assert counters.lines_read == SYSLOG.count("\n")
    long = next(e for e in events(rows) if e["extras"]["statement"].startswith("SELECT ?, ?"))
    assert long["outcome"] == "failure" and long["extras"]["log_lines"] > 20
    assert "110101199003074514" not in str(rows)


def test_rfc3339_heads_interleaved_programs_and_processes(
    tmp_path: Path, stderr_shapes: list[tuple]
) -> None:
    lines = SYSLOG.splitlines()
    # rsyslog's RFC 3339 format; a cron line between records
    iso = [
        "2026-12-01T16:09:57.000000+00:00 dbhost " + line.split(" dbhost ", 1)[1] for line in lines
    ]
    # the chunks of one message with another process's records between them
    order = list(range(len(iso)))
    for i in range(0, len(order) - 3, 7):
        order[i + 1], order[i + 2] = order[i + 2], order[i + 1]
    mixed = [iso[i] for i in order]
    mixed.insert(5, "2026-12-01T16:09:57.5+00:00 dbhost CRON[811]: (root) CMD (run-parts)")
    rows, counters = _syslog(tmp_path, "\n".join(mixed) + "\n")
    assert not quarantined(rows) and counters.non_data_lines >= 1
    strip = [s[1:] for s in _shapes(rows)]  # syslog's time to the second: the prefix's is used
    assert strip == [s[1:] for s in stderr_shapes]


def test_a_message_across_batches_is_put_together(
    tmp_path: Path, stderr_shapes: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pgaudit, "SYSLOG_CARRY_LINES", 40)
    rows, _ = _syslog(tmp_path, SYSLOG, batch_bytes=4096)
    assert not quarantined(rows) and _shapes(rows) == stderr_shapes


def test_a_prefix_without_a_time_takes_syslog_s(tmp_path: Path) -> None:
    import re
    import time

    text = re.sub(r"\] 2026-12-02 [0-9:.]+ CST \[", "] [", SYSLOG)
    rows, _ = read_log(
        tmp_path, text, fmt="syslog", extra='log_line_prefix = "[%p] %q%u@%d "\ntimezone = "UTC"'
    )
    assert not quarantined(rows) and len(events(rows)) == 54
    # 'Dec  1 16:09:57' in the year of the file's last change (the year before, were that
    # change in a month before December), UTC as the settings say
    changed = time.localtime(os.stat(tmp_path / "log.txt").st_mtime)
    year = changed.tm_year if changed.tm_mon == 12 else changed.tm_year - 1
    assert {e["event_time"][:19] for e in events(rows)} <= {
        f"{year}-12-01T16:09:57",
        f"{year}-12-01T16:09:58",
        f"{year}-12-01T16:09:59",
    }


_WHOLE: dict[str, list[tuple]] = {}


@settings(max_examples=12, deadline=None)
@given(batch_bytes=st.integers(700, 20_000), fmt=st.sampled_from(["stderr", "syslog"]))
def test_any_batch_size_gives_the_same_events(batch_bytes: int, fmt: str) -> None:
    # a batch may end anywhere: inside a multi-line statement, between an ERROR and the
    # STATEMENT record PostgreSQL writes after it, inside a message's syslog chunks
    import tempfile

    text = STDERR if fmt == "stderr" else SYSLOG
    with tempfile.TemporaryDirectory() as tmp:
        if fmt not in _WHOLE:
            whole, _ = read_log(Path(tmp) / "a", text, fmt=fmt, extra=SETTINGS)
            _WHOLE[fmt] = _shapes(whole)
        cut, _ = read_log(Path(tmp) / "b", text, fmt=fmt, extra=SETTINGS, batch_bytes=batch_bytes)
    assert not quarantined(cut)
    assert _shapes(cut) == _WHOLE[fmt]


def test_a_syslog_file_read_as_stderr_says_to_set_the_format(tmp_path: Path) -> None:
    rows, _ = read_log(tmp_path, SYSLOG, extra=SETTINGS)  # format = "stderr"
    reasons = {r["pre_error"] for r in quarantined(rows)}
    assert reasons == {
        "line is a syslog record (log_destination = 'syslog'): set format = \"syslog\" in "
        "the source settings"
    }


def test_a_syslog_file_ending_inside_an_audit_record_quarantines_that_record(
    tmp_path: Path, stderr_shapes: list[tuple]
) -> None:
    """Copied while rsyslog wrote it: the file ends inside its last AUDIT line (no newline
    after it). That record is quarantined as cut, the ones before it are the stderr log's."""
    at = SYSLOG.rindex("AUDIT: ")
    text = SYSLOG[: SYSLOG.index(",", at + 60)]  # inside the statement's fields
    rows, counters = _syslog(tmp_path, text)
    (bad,) = quarantined(rows)
    assert bad["pre_error"].startswith("the file ends inside this record")
    assert len(events(rows)) == len(stderr_shapes) - 1
    assert counters.lines_read == text.count("\n") + 1
