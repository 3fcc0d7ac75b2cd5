"""A user export not named as a snapshot, read as an access log, is rejected whole.

Ingested, each of its rows would be quarantined (no event time, actor or action) with its ID
number, and the lake would hold its content, so the same file named as a snapshot would then
be skipped. Rejected, nothing of it is kept, and the hint gives the name that makes it a
snapshot. A log with such columns that also holds events is ingested as a log."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.support.accounts import accounts, all_text
from tests.support.cli import run_main
from tests.support.ingest import good

ROWS = [
    {
        "provider_id": "p1",
        "account_id": f"a{i}",
        "verification_status": "verified",
        "verification_method": "face",
        "id_number": "11010519491231002X",
    }
    for i in range(3)
]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    """``rows`` in ``path``'s format, gzip'd for a name ending in .gz."""
    fmt = path.name.removesuffix(".gz").rsplit(".", 1)[-1]
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
        return path
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        data = buf.getvalue().encode()
    else:
        data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "csv.gz"])
def test_a_user_export_read_as_a_log_is_rejected_with_the_way_to_ingest_it(
    tmp_path: Path, capsys: Any, fmt: str
) -> None:
    export = _write(tmp_path / f"users-2026-03-01.{fmt}", ROWS)
    lake = tmp_path / "lake"
    code, out, err = run_main(["ingest", "--lake", str(lake), "--json", str(export)], capsys)
    assert code == 3, err  # a file rejected whole
    [entry] = json.loads(out)["files"]
    assert entry["status"] == "rejected"
    assert "account snapshot" in entry["reason"]
    assert "account_id, id_number, verification_method, verification_status" in entry["reason"]
    # Nothing of it is kept: no quarantined rows holding its ID numbers.
    assert "11010519491231" not in all_text(lake)
    assert not list(lake.glob("quarantine/*.parquet"))
    code, _, err = run_main(["ingest", "--lake", str(lake), str(export)], capsys)
    assert code == 3
    suggested = f"users-2026-03-01.accounts.{fmt}"
    assert suggested in err
    # Named as the hint says, the same content is ingested as a snapshot.
    renamed = export.rename(tmp_path / suggested)
    code, _, err = run_main(["ingest", "--lake", str(lake), str(renamed)], capsys)
    assert code == 0, err
    assert len(accounts(lake)) == len(ROWS)


def test_a_log_with_snapshot_columns_and_events_is_ingested_as_a_log(
    tmp_path: Path, capsys: Any
) -> None:
    rows = [good(account_id="a1", verification_status="verified"), {"account_id": "a2"}]
    log = _write(tmp_path / "access.jsonl", rows)
    code, out, err = run_main(
        ["ingest", "--lake", str(tmp_path / "lake"), "--json", str(log)], capsys
    )
    assert code == 3, err  # its second row is quarantined
    [entry] = json.loads(out)["files"]
    assert (entry["status"], entry["rows_stored"], entry["rows_quarantined"]) == ("ingested", 1, 1)


def test_the_nightly_hint_for_a_user_export_names_only_what_nightly_or_ingest_takes(
    tmp_path: Path, capsys: Any
) -> None:
    """nightly has no --accounts: a hint naming ingest's option says it is ingest's."""
    import re

    from auditpipe.cli.nightly_cmd import nightly

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write(inbox / "users-2026-03-01.csv", ROWS)
    args = ["--inbox", str(inbox), "--lake", str(tmp_path / "lake"), "--settle-seconds", "0"]
    code, out, err = run_main(["nightly", *args, "--fail-on", "none"], capsys)
    assert code == 3, err
    [line] = [x for x in (out + err).splitlines() if "account snapshot" in x]
    assert "users-2026-03-01.accounts.csv" in line
    options = {o for p in nightly.params for o in p.opts}
    for m in re.finditer(r"--[a-z][a-z-]*", line):
        assert m[0] in options or line[: m.start()].rstrip().endswith("auditpipe ingest with"), m[0]


@given(
    st.text(st.characters(blacklist_characters="/\x00"), min_size=1, max_size=12),
    st.sampled_from(["", ".csv", ".jsonl", ".ndjson", ".parquet", ".txt"]),
    st.sampled_from(["", ".gz", ".zst", ".GZ"]),
)
def test_the_suggested_name_is_a_snapshots_and_keeps_the_format(
    stem: str, fmt: str, compression: str
) -> None:
    from auditpipe.realname.ingest import is_snapshot_name, snapshot_name

    name = stem + fmt + compression
    assume(name not in (".", ".."))  # not names a file can have
    suggested = snapshot_name(Path(name))
    assert is_snapshot_name(Path(suggested))
    assert suggested.endswith(fmt + compression)
