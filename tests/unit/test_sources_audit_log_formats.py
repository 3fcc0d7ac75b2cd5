"""The audit_log plugins' other formats: Percona's XML (OLD, NEW) and CSV, MySQL Enterprise's
XML. The same records written in each format, with each format's escaping as the plugins
write it (Percona's audit_log.cc), must give the same events as Percona's JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.sources import load_settings, mysql_xml, percona_csv
from tests.support.audit_log import as_csv, as_json, as_new, as_old, connect, query
from tests.support.sources import events, log_reader, quarantined, read_log, write_source

FORMATS = {
    "percona_audit_xml": as_old,
    "percona_audit_xml/new": as_new,
    "percona_audit_csv": as_csv,
}

RECORDS = [
    connect(),
    query(),
    query(
        record="4708_2026-03-02T01:00:00",
        status=1142,
        sqltext="SELECT id_card_no FROM accounts WHERE id = 6",
    ),  # fmt: skip
    query(
        record="4709_2026-03-02T01:00:00",
        command_class="update",
        timestamp="2026-03-02T01:00:05 UTC",
        sqltext="/*ticket='T-9'*/ UPDATE accounts\n  SET mobile = '13800138000'\r\n  WHERE id = 7",
    ),  # fmt: skip
    query(
        record="4710_2026-03-02T01:00:00",
        name="Execute",
        sqltext='SELECT real_name FROM accounts WHERE id = 8 AND note <> "a&b<c>"',
    ),  # fmt: skip
    query(
        record="4711_2026-03-02T01:00:00",
        name="Prepare",
        sqltext="SELECT real_name FROM accounts WHERE id = ?",
    ),  # fmt: skip
    query(
        record="4712_2026-03-02T01:00:00", command_class="show_databases", sqltext="SHOW DATABASES"
    ),  # fmt: skip
    connect(name="Quit", record="4713_2026-03-02T01:00:00"),
]


def comparable(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Events without what differs by format alone: the line, the raw head, the lines a
    record spans."""
    return [
        {
            **{k: v for k, v in r.items() if k not in ("line_number", "raw")},
            "extras": {k: v for k, v in r["extras"].items() if k != "log_lines"},
        }
        for r in events(rows)
    ]


def test_every_format_gives_the_json_formats_events(tmp_path: Path) -> None:
    expected, json_counters = read_log(
        tmp_path / "json", as_json(RECORDS), kind="percona_audit_json", fmt=None
    )
    assert len(events(expected)) == 4  # Query x3 (one denied), Execute; not Prepare or SHOW
    assert json_counters.non_data_lines == 4
    for label, write in FORMATS.items():
        kind = label.split("/")[0]
        rows, counters = read_log(tmp_path / label, write(RECORDS), kind=kind, fmt=None)
        assert comparable(rows) == comparable(expected), label
        assert not quarantined(rows), label
        assert counters.events == 4, label
        assert "13800138000" not in json.dumps(rows), label  # the raw heads included
    (update,) = [r for r in events(expected) if r["action"] == "update"]
    assert update["subject_id"] == "7" and update["authorization_ref"] == "T-9"


def test_mysql_enterprise_xml_names_the_record_id_and_writes_empty_elements(
    tmp_path: Path,
) -> None:
    text = as_new(RECORDS, record_tag="RECORD_ID").replace("<OS_USER></OS_USER>", "<OS_LOGIN/>")
    rows, counters = read_log(tmp_path, text, kind="mysql_audit_xml", fmt=None)
    found = events(rows)
    assert [r["subject_id"] for r in found] == ["5", "6", "7", "8"]
    assert found[0]["event_id"] != found[1]["event_id"]
    assert found[0]["actor_id"] == "kefu_li" and found[0]["source_ip"] == "10.0.0.7"
    assert found[1]["outcome"] == "failure" and found[1]["extras"]["error_code"] == "1142"
    assert counters.events == 4 and not quarantined(rows)


def test_lines_that_are_no_record_are_quarantined_and_counted(tmp_path: Path) -> None:
    old = as_old(RECORDS[:2]).replace(
        "<AUDIT>\n", '<AUDIT>\nstray 110101199003074514\n<AUDIT_RECORD\n  SQLTEXT="x"\n/>\n'
    )
    rows, counters = read_log(tmp_path / "xml", old, kind="percona_audit_xml", fmt=None)
    bad = quarantined(rows)
    assert [b["line_number"] for b in bad] == [3, 4]
    assert "outside any" in bad[0]["pre_error"] and "not an audit_log XML" in bad[1]["pre_error"]
    assert "110101199003074514" not in json.dumps(rows)
    assert counters.events == 1

    csv = as_csv(RECORDS[:2]) + '"Query","1","2026-03-02T01:00:00 UTC","select"\n' + "junk\n"
    rows, counters = read_log(tmp_path / "csv", csv, kind="percona_audit_csv", fmt=None)
    assert [b["line_number"] for b in quarantined(rows)] == [3, 4]
    assert counters.events == 1


# -- the readers alone, on any statement text and any batch size -----------------------------
# Statement text built from what each format escapes or ends a field with, and any text.
TRICKY = ["<", ">", "&", '"', "'", ",", "\n", "\r\n", "\t", "\x1f", "&amp;", "&lt;", "&#10;",
          "&#x41;", '""', "/>", "</SQLTEXT>", "<AUDIT_RECORD>", 'NAME="x"', "身份证", " "]  # fmt: skip
SQL = st.lists(
    st.sampled_from(TRICKY)
    | st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"), max_size=8),
    max_size=12,
).map("".join)


def statements(kind: str, text: str, batch_bytes: int) -> pl.DataFrame:
    settings_path = write_source(Path(_folder()), kind)
    module = mysql_xml if "xml" in kind else percona_csv
    frames = module.read_statements(
        io.BytesIO(text.encode("utf-8")), load_settings(settings_path), "log", batch_bytes, 1 << 20
    )
    return pl.concat(list(frames), how="diagonal_relaxed")


_FOLDERS: list[str] = []


def _folder() -> str:
    """One folder for the settings files of this module's examples (hypothesis runs them
    outside pytest's function fixtures), removed when the test process ends."""
    import atexit
    import shutil
    import tempfile

    if not _FOLDERS:
        _FOLDERS.append(tempfile.mkdtemp(prefix="auditpipe-formats-"))
        atexit.register(shutil.rmtree, _FOLDERS[0], True)
    return _FOLDERS[0]


@pytest.mark.parametrize("label", list(FORMATS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(SQL, min_size=1, max_size=6), batch_bytes=st.integers(64, 4096))
def test_any_statement_text_is_read_back_exactly(
    label: str, texts: list[str], batch_bytes: int
) -> None:
    records = [query(record=f"{i}_2026-03-02T01:00:00", sqltext=t) for i, t in enumerate(texts, 1)]
    text = FORMATS[label](records)
    frame = statements(label.split("/")[0], text, batch_bytes)
    got = frame.filter(pl.col("event_key").is_not_null()).sort("line_number")
    # Percona's CSV keeps a carriage return as typed; the line reader then only drops a row's
    # final line ending, as for any CSV.
    assert got["statement"].to_list() == texts
    assert got["statement_id"].to_list() == [r["record"] for r in records]
    # every physical line is accounted for exactly once
    assert int(frame["lines"].fill_null(1).sum()) == text.count("\n")


@pytest.mark.parametrize("label", ["percona_audit_xml", "percona_audit_xml/new"])
def test_a_file_cut_inside_its_last_record_quarantines_that_record(label: str) -> None:
    """A server killed while writing: wherever the file ends inside the last statement record,
    that record is quarantined as cut short (never an event with fields missing), the ones
    before it are events, and every line is counted once."""
    whole = FORMATS[label](RECORDS[:3]).removesuffix("</AUDIT>\n")
    last = whole.rindex("<AUDIT_RECORD")
    closing = whole.rindex("\n", 0, len(whole) - 1) + 1  # the last record's closing line
    for cut in range(last + 1, len(whole), 5):
        text = whole[:cut]
        frame = statements(label.split("/")[0], text, 4096)
        complete = cut >= len(whole) - 1 and text[closing:].strip() in ("/>", "</AUDIT_RECORD>")
        found = frame.filter(pl.col("event_key").is_not_null())
        assert found.height == (2 if complete else 1), cut
        if not complete:
            (problem,) = frame.filter(pl.col("problem").is_not_null())["problem"].to_list()
            # cut inside the start tag itself, the line is no record's start
            in_start_tag = "\n" not in text[last:]
            assert ("outside any" if in_start_tag else "cut short") in problem, cut
        assert int(frame["lines"].fill_null(1).sum()) == text.count("\n") + (
            0 if text.endswith("\n") else 1
        ), cut


def test_mysql_enterprise_layout_with_line_breaks_left_in_values(tmp_path: Path) -> None:
    """MySQL's manual shows its XML indented, an Audit record's STARTUP_OPTIONS over several
    lines: a value may hold raw line breaks, and is read whole across them."""
    text = """<?xml version="1.0" encoding="utf-8"?>
<AUDIT>
 <AUDIT_RECORD>
  <TIMESTAMP>2026-03-02T01:00:00 UTC</TIMESTAMP>
  <RECORD_ID>1_2026-03-02T01:00:00</RECORD_ID>
  <NAME>Audit</NAME>
  <STARTUP_OPTIONS>/usr/sbin/mysqld
    --port=3306</STARTUP_OPTIONS>
 </AUDIT_RECORD>
 <AUDIT_RECORD>
  <TIMESTAMP>2026-03-02T01:00:01 UTC</TIMESTAMP>
  <RECORD_ID>2_2026-03-02T01:00:00</RECORD_ID>
  <NAME>Query</NAME>
  <CONNECTION_ID>5</CONNECTION_ID>
  <STATUS>0</STATUS>
  <STATUS_CODE>0</STATUS_CODE>
  <USER>kefu_li[kefu_li] @ localhost [10.0.0.7]</USER>
  <OS_LOGIN/>
  <HOST>localhost</HOST>
  <IP>10.0.0.7</IP>
  <COMMAND_CLASS>select</COMMAND_CLASS>
  <SQLTEXT>SELECT real_name
  FROM accounts WHERE id = 5 AND note &lt;&gt; 'a/&gt;'</SQLTEXT>
 </AUDIT_RECORD>
</AUDIT>
"""
    rows, counters = read_log(tmp_path, text, kind="mysql_audit_xml", fmt=None)
    (event,) = events(rows)
    assert event["subject_id"] == "5" and event["line_number"] == 10
    assert event["extras"]["log_lines"] == 15 and event["event_id"] == "mysql:2_2026-03-02T01:00:00"
    assert not quarantined(rows) and counters.lines_read == text.count("\n")


@pytest.mark.parametrize("label", ["percona_audit_json", "percona_audit_csv"])
def test_a_json_or_csv_file_ending_inside_its_last_record_says_so(
    tmp_path: Path, label: str
) -> None:
    """Cut inside its last record (no newline after it), a JSON or CSV file has that record
    quarantined with the reason telling to ingest the whole file again, not as a foreign
    line; the records before it are read."""
    write = {"percona_audit_json": as_json, "percona_audit_csv": as_csv}[label]
    text = write(RECORDS[:3])
    last = text.rindex("\n", 0, len(text) - 1) + 1
    read = log_reader(tmp_path, kind=label, fmt=None)
    for cut in range(last + 1, len(text) - 2, 7):
        rows, _ = read(text[:cut])
        assert len(events(rows)) == 1, text[last:cut]
        (bad,) = quarantined(rows)
        assert bad["pre_error"].startswith("the file ends inside this record"), bad["pre_error"]
