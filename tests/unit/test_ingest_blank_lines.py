"""Lines of white space only: blank (spaces, tabs, carriage returns, byte order marks) is not a
row and is counted as a blank line; any other white space (a form feed, a vertical tab, a
no-break or ideographic space, U+2028 ...) is a row with no content, quarantined. The same rule
in JSON Lines and CSV, wherever the line stands (before a CSV header too)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.ingest import good, ingest, query

BLANK = " \t\r\ufeff"
# Every character Python (and Unicode) call white space, but the line feed, which ends lines.
SPACES = sorted(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c != "\n")
HEADER = "event_id,event_time,provider_id,actor_id,action,data_fields"


def _files(tmp: Path, lines: list[str]) -> tuple[Path, Path]:
    """The same lines, white space and good rows (``None``), in a JSON Lines and a CSV file,
    the CSV header first."""
    jsonl, csv = [], [HEADER]
    for n, line in enumerate(lines):
        if line is None:
            jsonl.append(json.dumps(good(event_id=f"e{n}")))
            csv.append(f"c{n},2026-03-01 10:00:00,forum-a,emp-1,view,phone")
        else:
            jsonl.append(line)
            csv.append(line)
    a, b = tmp / "a.jsonl", tmp / "b.csv"
    a.write_text("\n".join(jsonl) + "\n", encoding="utf-8")
    b.write_text("\n".join(csv) + "\n", encoding="utf-8")
    return a, b


def _check(tmp: Path, lines: list[str | None]) -> None:
    result = ingest(tmp / "lake", *_files(tmp, lines))
    is_blank = [line is not None and not line.strip(BLANK) for line in lines]
    empty = [n + 1 for n, line in enumerate(lines) if line is not None and line.strip(BLANK)]
    good_rows = sum(line is None for line in lines)
    for f, header in zip(result.files, (0, 1), strict=True):
        assert f.reconciles
        assert f.counters.get("blank_lines", 0) == sum(is_blank), f
        assert (f.rows_read, f.rows_stored) == (good_rows + len(empty), good_rows)
        assert f.rows_quarantined == len(empty)
        if empty:
            got = query(
                tmp / "lake",
                f"SELECT line_number, reason FROM quarantine WHERE source_file = "
                f"'{Path(f.source_file)}' ORDER BY 1",
            )
            assert [n for n, _ in got] == [n + header for n in empty]
            for (_, reason), line_no in zip(got, empty, strict=True):
                assert reason.startswith("line has no content, only white space"), reason
                line = lines[line_no - 1]
                assert line is not None
                for c in set(line) - set(BLANK):
                    assert f"U+{ord(c):04X}" in reason


def test_named_white_space_lines_are_quarantined_alike_in_json_lines_and_csv(
    tmp_path: Path,
) -> None:
    _check(
        tmp_path,
        ["\v", "\f", "\u00a0", None, "\u3000", "\u2028", " \t ", "", "\ufeff", " \f ", None],
    )


def test_white_space_before_a_csv_header_is_not_taken_for_it(tmp_path: Path) -> None:
    log = tmp_path / "a.csv"
    log.write_text(f"\f\n\n \u3000\n{HEADER}\ne1,2026-03-01 10:00:00,forum-a,emp-1,view,phone\n")
    result = ingest(tmp_path / "lake", log)
    f = result.files[0]
    assert (f.status, f.rows_read, f.rows_stored, f.rows_quarantined) == ("ingested", 3, 1, 2)
    assert f.counters["blank_lines"] == 1
    assert query(tmp_path / "lake", "SELECT line_number FROM quarantine ORDER BY 1") == [
        (1,),
        (3,),
    ]


@settings(max_examples=4, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(st.sampled_from(SPACES), max_size=4)),
        min_size=1,
        max_size=12,
    )
)
def test_any_white_space_line_is_blank_or_quarantined_by_one_rule(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str | None]
) -> None:
    _check(tmp_path_factory.mktemp("spaces"), lines)
