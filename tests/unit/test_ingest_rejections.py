"""Every kind of bad row is quarantined with a reason a person understands; the rest lands."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.support.ingest import good, ingest, query, reasons, write_jsonl


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ('{"event_time": "2026-03-01", ', "line is not valid JSON"),
        ("[1, 2, 3]", "line is valid JSON but not an object (it is an array)"),
        ('"just a string"', "line is valid JSON but not an object (it is a string)"),
        ("42", "line is valid JSON but not an object (it is a number)"),
        ('{"event_time": "2026-03-01", "provider_id": "p",}', "line is not valid JSON"),
        ('{"event_time": "2026-03-01", "data_fields": ["a", "b",]}', "line is not valid JSON"),
        ('{"amount": NaN, "provider_id": "p"}', "line is not valid JSON"),
        (b'{"actor_id": "\xff\xfe"}', "line is not valid UTF-8"),
        (good(event_time=None), "missing required field event_time"),
        (good(provider_id=""), "missing required field provider_id"),
        (good(actor_id="  "), "missing required field actor_id"),
        (good(action=None), "missing required field action"),
        (good(data_fields=None), "missing required field data_fields"),
        (good(data_fields=" ; , "), "data_fields '; ,' names no field"),
        (good(event_time="2026-13-01"), "event_time '2026-13-01' is not a date and time"),
        (good(event_time="yesterday"), "event_time 'yesterday' is not a date and time"),
        (good(event_time=-99999999999999), "is outside 1990-2100"),
        (good(action="fly"), "action 'fly' is not one of view, search, export"),
        (good(actor_type="robot"), "actor_type 'robot' is not one of subject, employee"),
        (good(outcome="maybe"), "outcome 'maybe' is not one of success, failure"),
        (good(destination_type="mars"), "destination_type 'mars' is not one of internal"),
        (good(provider_type="isp"), "provider_type 'isp' is not one of iisp, iasp"),
        (good(amount=-5), "amount '-5' is negative"),
        (good(amount="ten"), "amount 'ten' is not a decimal number of at least 0"),
        (good(record_count="many"), "record_count 'many' is not a whole number of at least 1"),
        (good(record_count=0), "record_count '0' is not a whole number of at least 1"),
        (good(record_count=2.5), "record_count '2.5' is not a whole number of at least 1"),
        (good(currency="RMB1"), "currency 'RMB1' is not an ISO 4217 code"),
        (good(source_ip="300.1.1.1"), "source_ip '300.1.1.1' is not an IPv4 or IPv6 address"),
    ],
)
def test_bad_row_is_quarantined_with_its_reason(
    tmp_path: Path, bad_row: object, reason: str
) -> None:
    log = write_jsonl(
        tmp_path / "in.jsonl", [good(actor_id="before"), bad_row, good(actor_id="after")]
    )
    result = ingest(tmp_path / "lake", log)
    f = result.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined) == (3, 2, 1)
    got = reasons(tmp_path / "lake")
    assert list(got) == [2]
    assert reason in got[2]
    assert query(tmp_path / "lake", "SELECT actor_id FROM events ORDER BY line_number") == [
        ("before",),
        ("after",),
    ]


def test_quarantine_keeps_the_original_text_and_provenance(tmp_path: Path) -> None:
    bad = '{"event_time": "2026-13-01", "provider_id": "p", "actor_id": "a", "action": "view", "data_fields": "x"}'
    log = write_jsonl(tmp_path / "in.jsonl", [bad])
    result = ingest(tmp_path / "lake", log)
    got = query(
        tmp_path / "lake",
        "SELECT source_file, source_sha256, line_number, raw, provider_id FROM quarantine",
    )
    assert got == [(str(log.resolve()), result.files[0].sha256, 1, bad, "p")]


def test_several_problems_are_all_named(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [good(action="fly", amount=-1, event_time=None)])
    ingest(tmp_path / "lake", log)
    reason = reasons(tmp_path / "lake")[1]
    assert "missing required field event_time" in reason
    assert "action 'fly'" in reason and "amount '-1' is negative" in reason


def test_invalid_utf8_raw_is_shown_escaped(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [b'{"a": "\xff"}'])
    ingest(tmp_path / "lake", log)
    assert query(tmp_path / "lake", "SELECT raw FROM quarantine") == [('{"a": "\\xFF"}',)]


def test_csv_row_with_wrong_column_count(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text(
        "event_time,provider_id,actor_id,action,data_fields\n"
        "2026-03-01 10:00:00,p,a,view,phone\n"
        "2026-03-01 10:00:00,p,a\n"
        "2026-03-01 10:00:00,p,b,view,phone,extra\n"
        "2026-03-01 10:00:00,p,c,view,phone\n"
    )
    result = ingest(tmp_path / "lake", csv)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (4, 2, 2)
    assert reasons(tmp_path / "lake") == {
        3: "CSV row has 3 columns, the header (line 1) has 5",
        4: "CSV row has 6 columns, the header (line 1) has 5",
    }
    got = query(tmp_path / "lake", "SELECT line_number, raw FROM quarantine ORDER BY 1")
    assert got == [(3, "2026-03-01 10:00:00,p,a"), (4, "2026-03-01 10:00:00,p,b,view,phone,extra")]


@pytest.mark.parametrize(
    "first_row",
    [
        "2026-03-01 10:00:00,p,a,view,phone",  # the header is missing: the first row is data
        "colour;size;weight",  # one name, none the contract's, whatever the delimiter
        "ts,where,who,what,which",  # a header, but in names the contract does not know
        ",,,,",
    ],
)
def test_csv_whose_first_row_names_no_contract_field_is_rejected_whole(
    tmp_path: Path, first_row: str
) -> None:
    # Taken for a header, such a row would be neither stored, quarantined nor counted, and
    # every other row quarantined for missing fields; the file is rejected with what to do.
    csv = tmp_path / "in" / "no_header.csv"
    csv.parent.mkdir()
    csv.write_text(f"{first_row}\n2026-03-01 10:00:00,p,b,view,phone\n")
    fine = write_jsonl(tmp_path / "in" / "z.jsonl", [good(actor_id="ok")])
    result = ingest(tmp_path / "lake", csv, fine)
    rejected, landed = result.files
    assert (rejected.status, rejected.rows_read, rejected.rows_quarantined) == ("rejected", 0, 0)
    assert "names none of the contract's fields" in (rejected.reason or "")
    assert "must start with a header row" in (rejected.reason or "")
    assert "a,view" not in (rejected.reason or "")  # the row's values are not quoted
    assert landed.rows_stored == 1


@pytest.mark.parametrize(("delimiter", "called"), [(";", "semicolons"), ("\t", "tabs")])
def test_csv_with_another_delimiter_is_rejected_naming_it(
    tmp_path: Path, delimiter: str, called: str
) -> None:
    # Excel in many European locales saves CSV with semicolons; a TSV renamed .csv has tabs.
    csv = tmp_path / "in.csv"
    names = ["event_time", "provider_id", "actor_id", "action", "data_fields"]
    values = ["2026-03-01 10:00:00", "p", "a", "view", "phone"]
    csv.write_text(delimiter.join(names) + "\n" + delimiter.join(values) + "\n")
    (rejected,) = ingest(tmp_path / "lake", csv).files
    assert rejected.status == "rejected"
    assert f"separated by {called}, not commas" in (rejected.reason or "")
    assert "export the file with commas" in (rejected.reason or "")


def test_csv_header_with_one_contract_field_is_a_header(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("ts,provider_id,who\n2026-03-01 10:00:00,p,b\n")
    result = ingest(tmp_path / "lake", csv)
    assert (result.files[0].status, result.rows_read, result.rows_quarantined) == ("ingested", 1, 1)


def test_csv_invalid_utf8_row(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_bytes(
        b"event_time,provider_id,actor_id,action,data_fields\n"
        b"2026-03-01 10:00:00,p,\xff,view,phone\n"
        b"2026-03-01 10:00:00,p,b,view,phone\n"
    )
    result = ingest(tmp_path / "lake", csv)
    assert (result.rows_stored, result.rows_quarantined) == (1, 1)
    assert reasons(tmp_path / "lake") == {2: "row is not valid UTF-8"}


def test_line_over_the_size_limit_is_quarantined_and_the_next_line_lands(tmp_path: Path) -> None:
    huge = json.dumps(good(purpose="x" * 300_000))
    log = write_jsonl(tmp_path / "in.jsonl", [good(actor_id="a"), huge, good(actor_id="b")])
    result = ingest(tmp_path / "lake", log, max_line_bytes=100_000, batch_bytes=64 * 1024)
    f = result.files[0]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined) == (3, 2, 1)
    (line, raw, reason) = query(
        tmp_path / "lake", "SELECT line_number, raw, reason FROM quarantine"
    )[0]
    assert line == 2 and reason.startswith("line is longer than the 100,000 bytes limit (")
    assert len(raw) < 2000  # only a sample of the line is kept
    assert query(tmp_path / "lake", "SELECT actor_id, line_number FROM events ORDER BY 2") == [
        ("a", 1),
        ("b", 3),
    ]


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [good(actor_id="a"), "", "   ", good(actor_id="b")])
    result = ingest(tmp_path / "lake", log)
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (2, 2, 0)


def test_truncated_archive_is_rejected_whole_and_other_files_still_land(tmp_path: Path) -> None:
    data = gzip.compress(
        b"".join(json.dumps(good(actor_id=f"a{i}")).encode() + b"\n" for i in range(5000))
    )
    broken = tmp_path / "in" / "broken.jsonl.gz"
    broken.parent.mkdir()
    broken.write_bytes(data[: len(data) // 2])
    fine = write_jsonl(tmp_path / "in" / "fine.jsonl", [good(actor_id="ok")])
    result = ingest(tmp_path / "lake", tmp_path / "in")
    by_name = {Path(f.source_file).name: f for f in result.files}
    assert by_name["broken.jsonl.gz"].status == "rejected"
    reason = by_name["broken.jsonl.gz"].reason or ""
    assert "cannot be read to the end" in reason  # what is wrong
    assert "ask the provider to send it again" in reason  # and what to do
    assert by_name["fine.jsonl"].rows_stored == 1
    assert query(tmp_path / "lake", "SELECT count(*), min(actor_id) FROM events") == [(1, "ok")]
    entry = json.loads(
        (
            tmp_path / "lake/_auditpipe/manifest" / f"{by_name['broken.jsonl.gz'].sha256}.json"
        ).read_text()
    )
    assert entry["status"] == "rejected" and entry["files"] == []
    assert fine.exists()


def test_corrupt_parquet_is_rejected_whole(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    result = ingest(tmp_path / "lake", bad)
    assert result.files[0].status == "rejected"
    assert "not a readable Parquet file" in (result.files[0].reason or "")


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (100_000, "100,000 bytes"),
        (1, "1 byte"),
        (1023, "1,023 bytes"),
        (1024, "1 KiB"),
        (64 * 1024, "64 KiB"),
        (1536 * 1024, "1,536 KiB"),
        (16 * 1024 * 1024, "16 MiB"),
        (16 * 1024 * 1024 + 1, "16,777,217 bytes"),
    ],
)
def test_a_line_limit_is_named_exactly_in_the_largest_unit_that_fits(limit: int, text: str) -> None:
    from auditpipe.ingest.lines import size_text

    assert size_text(limit) == text


def test_a_database_log_record_over_a_limit_under_1_mib_names_the_limit(tmp_path: Path) -> None:
    from tests.support.sources import quarantined, read_log

    p = "2026-03-02 09:00:00.123 CST [4242] kefu_li@shop LOG:  AUDIT: "
    statement = "SELECT mobile FROM accounts WHERE id = 1 /* " + "x" * 5000 + " */"
    log = f"{p}SESSION,1,1,READ,SELECT,TABLE,public.accounts,{statement},<none>\n"
    rows, _ = read_log(tmp_path, log, max_line_bytes=4096)
    (bad,) = quarantined(rows)
    assert bad["pre_error"].startswith("record is longer than the 4 KiB line limit (")


def test_a_number_too_large_for_its_column_is_said_to_be_so(tmp_path: Path) -> None:
    """Not "is not a whole number" about 9223372036854775808: the value is right, only out of
    the range the lake's column holds (BIGINT, DECIMAL(18,4))."""
    rows = [
        (good(record_count=2**63), "'9223372036854775808' is larger than the lake keeps"),
        (good(record_count=1e20), "larger than the lake keeps (9,223,372,036,854,775,807, a"),
        (good(amount="1" * 20), "larger than the lake keeps (99,999,999,999,999.9999, a"),
        (good(amount=1e308), "is larger than the lake keeps"),
        (good(amount="1e400"), "amount '1e400' is not a decimal number of at least 0"),
        (good(amount="-1" + "0" * 20), "is negative"),
        (good(record_count=-(2**63)), "is not a whole number of at least 1"),
    ]
    log = write_jsonl(tmp_path / "in.jsonl", [row for row, _reason in rows])
    f = ingest(tmp_path / "lake", log).files[0]
    assert (f.rows_read, f.rows_quarantined) == (len(rows), len(rows))
    got = reasons(tmp_path / "lake")
    for line, (_row, reason) in enumerate(rows, 1):
        assert reason in got[line], (line, got[line])
