"""CSV as spreadsheet and database tools export it: Excel's ``sep=,`` line before the header,
and a header repeated where exports were joined, spelled in another export's capitals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ingest import ingest, query

HEADER = "event_id,event_time,provider_id,actor_id,action,data_fields"


def _row(event_id: str) -> str:
    return f"{event_id},2026-03-01T10:00:00Z,p,a,view,phone"


FILES = {
    # Excel writes "sep=," (and reads it) so that a locale with another list separator opens
    # the file right; with a byte-order mark and CRLF, as Excel saves it
    "excel.csv": "\ufeffsep=,\r\n" + HEADER + "\r\n" + _row("x1") + "\r\n",
    "semicolons.csv": "sep=;\n" + HEADER.replace(",", ";") + "\n" + _row("s1").replace(",", ";"),
    # exports joined with `cat`, the second one's header in capitals
    "joined.csv": "\n".join([HEADER, _row("j1"), HEADER.upper(), _row("j2")]) + "\n",
    "joined-reordered.csv": "\n".join(
        [HEADER, _row("r1"), "EVENT_ID,PROVIDER_ID,EVENT_TIME,ACTOR_ID,ACTION,DATA_FIELDS"]
    )
    + "\n",
}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("exports")
    inbox = root / "in"
    inbox.mkdir()
    for name, text in FILES.items():
        (inbox / name).write_bytes(text.encode())
    result = ingest(root / "lake", inbox)
    return root / "lake", {Path(f.source_file).name: f for f in result.files}


def test_excels_separator_line_is_neither_header_nor_data(
    ingested: tuple[Path, dict[str, object]],
) -> None:
    lake, files = ingested
    f = files["excel.csv"]
    assert (f.status, f.rows_read, f.rows_stored) == ("ingested", 1, 1)  # type: ignore[attr-defined]
    assert ("x1", 3) in query(lake, "SELECT event_id, line_number FROM events")


def test_a_separator_line_naming_another_delimiter_says_so(
    ingested: tuple[Path, dict[str, object]],
) -> None:
    f = ingested[1]["semicolons.csv"]
    assert f.status == "rejected"  # type: ignore[attr-defined]
    assert "separated by semicolons" in f.reason  # type: ignore[attr-defined]
    assert "Excel's separator line" in f.reason  # type: ignore[attr-defined]


def test_a_header_repeated_in_capitals_is_named_as_a_repeated_header(
    ingested: tuple[Path, dict[str, object]],
) -> None:
    lake, files = ingested
    f = files["joined.csv"]
    assert (f.rows_read, f.rows_stored, f.rows_quarantined) == (3, 2, 1)  # type: ignore[attr-defined]
    (reason,) = query(lake, "SELECT reason FROM quarantine WHERE source_file LIKE '%joined.csv'")
    assert reason[0].startswith("row repeats the header row (line 1)"), reason
    reordered = files["joined-reordered.csv"]
    assert reordered.status == "rejected"  # type: ignore[attr-defined]
    assert "repeated at line 3 with its columns in another order" in reordered.reason  # type: ignore[attr-defined]


def test_quotes_escaped_with_a_backslash_are_named_with_the_writers_option(
    tmp_path: Path,
) -> None:
    """Spark's CSV writer escapes a quote inside a value with a backslash by default
    (``"[\\"phone\\"]"``), which RFC 4180 reads as a closing quote: such a row is quarantined
    with a reason that says so and how to write the file, not only that a quote is stray."""
    text = (
        HEADER
        + ",destination_party\n"
        + _row("ok")
        + ",acme\n"
        + _row("spark")
        + ',"acme \\"east\\""\n'
        + _row("stray")
        + ',ac"me\n'
    )
    (tmp_path / "part-00000.csv").write_text(text)
    ingest(tmp_path / "lake", tmp_path / "part-00000.csv")
    reasons = dict(query(tmp_path / "lake", "SELECT line_number, reason FROM quarantine"))
    assert set(reasons) == {3, 4}
    assert "escaped with a backslash" in reasons[3]
    assert '.option("escape", "\\"")' in reasons[3]
    assert "backslash" not in reasons[4]


def test_ids_excel_turned_into_rounded_numbers_are_quarantined_not_deduplicated(
    tmp_path: Path,
) -> None:
    """Excel shows a number of 12 or more digits (an 18-digit event id, a phone number) in
    scientific form and saves it to CSV so, its other digits gone: two events became one id,
    the second counted as a duplicate and lost, and a subject stored under a number that is
    nobody's. Such an id quarantines its row, saying what Excel did and what to do."""
    text = (
        "\ufeffevent_id,event_time,provider_id,actor_id,action,data_fields,subject_id\r\n"
        "1.23457E+17,2026/3/1 8:15,p,a,view,phone,u1\r\n"
        "1.23457E+17,2026/3/1 8:16,p,a,view,phone,u2\r\n"
        "x3,2026/3/1 8:17,p,1E+11,view,phone,1.38001E+10\r\n"
        "x4,2026/3/1 8:18,p,a,view,phone,1.5e3x\r\n"
    )
    (tmp_path / "excel.csv").write_text(text)
    (f,) = ingest(tmp_path / "lake", tmp_path / "excel.csv").files
    assert (f.rows_stored, f.rows_quarantined, f.rows_duplicate) == (1, 3, 0)
    reasons = dict(query(tmp_path / "lake", "SELECT line_number, reason FROM quarantine"))
    assert reasons[2].startswith("event_id '1.23457E+17' is a number Excel wrote in scientific")
    assert "format the column as Text" in reasons[2]
    assert "actor_id '1E+11'" in reasons[4] and "subject_id '1.38001E+10'" in reasons[4]
