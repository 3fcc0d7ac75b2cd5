"""CSV has no null: exporters write one as a marker, and an unquoted marker is no value.

pandas writes ``NaN``/``nan``/``None``/``<NA>``/``NaT`` (``na_rep``, or ``astype(str)``
before ``to_csv``), R ``NA``, Polars whatever ``null_value`` says, MySQL's ``SELECT ... INTO
OUTFILE`` and Hive ``\\N``, SQL Server's tools ``NULL``. Stored as text, a missing subject
became a subject named ``None`` (one person for every such event, in reports and rules), and
a missing amount quarantined its row as a bad number."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl

from auditpipe.ingest.read_csv import NULL_MARKERS
from tests.support.ingest import good, ingest, query, write_jsonl

ROWS = [
    good(event_id="1", subject_id="u1", amount="12.5", destination_party="acme"),
    good(event_id="2", subject_id=None, amount=None, destination_party=None),
    good(event_id="3", subject_id="u3", amount=None, destination_party=None),
]
STORED = (
    "SELECT left(event_id, 2) AS file, substr(event_id, 3) AS n, subject_id, amount, "
    "destination_party, event_id_derived, extras FROM events ORDER BY 1, 2"
)


def _by_file(lake: Path) -> dict[str, list[tuple[object, ...]]]:
    found: dict[str, list[tuple[object, ...]]] = {}
    for row in query(lake, STORED):
        found.setdefault(row[0], []).append(row[1:])
    return found


def _rows(prefix: str) -> list[dict[str, object]]:
    return [{**r, "event_id": prefix + str(r["event_id"])} for r in ROWS]


def _frame(prefix: str) -> pd.DataFrame:
    return pd.DataFrame(_rows(prefix)).assign(data_fields="phone")


def test_exporters_null_markers_are_stored_as_no_value(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "want.jsonl", _rows("j-"))
    files = {
        "astype_str.csv": _frame("a-").astype(str).to_csv(index=False),  # None, nan
        "na_rep.csv": _frame("n-").to_csv(index=False, na_rep="NaN"),
        "polars.csv": pl.from_pandas(_frame("p-")).write_csv(null_value="null"),
        "mysql.csv": _frame("m-").to_csv(index=False, na_rep="\\N"),
        "r.csv": _frame("r-").to_csv(index=False, na_rep="NA"),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = ingest(tmp_path / "lake", tmp_path / "want.jsonl", *(tmp_path / n for n in files))
    assert [f.rows_quarantined for f in result.files] == [0] * 6
    found = _by_file(tmp_path / "lake")
    want = found.pop("j-")
    assert found == {p: want for p in ("a-", "n-", "p-", "m-", "r-")}


def test_a_quoted_marker_is_text_and_an_unquoted_one_no_value(tmp_path: Path) -> None:
    lines = ["event_id,event_time,provider_id,actor_id,action,data_fields,subject_id"]
    markers = sorted(NULL_MARKERS)
    for i, marker in enumerate(markers):
        lines.append(f'q{i},2026-03-01T10:00:00Z,p,a,view,phone,"{marker}"')
        lines.append(f"u{i},2026-03-01T10:00:00Z,p,a,view,phone,{marker}")
        lines.append(f"s{i},2026-03-01T10:00:00Z,p,a,view,phone, {marker}x")
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    ingest(tmp_path / "lake", tmp_path / "in.csv")
    got = dict(query(tmp_path / "lake", "SELECT event_id, subject_id FROM events"))
    assert got == {
        **{f"q{i}": m for i, m in enumerate(markers)},
        **{f"u{i}": None for i in range(len(markers))},
        **{f"s{i}": f"{m}x" for i, m in enumerate(markers)},
    }
