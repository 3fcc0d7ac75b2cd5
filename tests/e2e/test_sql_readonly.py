"""The read-only promise: no statement through auditpipe sql or auditpipe.connect changes,
adds or deletes a file of the lake. Each hostile statement runs, then the lake's bytes and
file names are compared with a snapshot taken before."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import auditpipe
from auditpipe.cli import cli
from auditpipe.lake import Lake
from tests.support.report_lakes import run_main


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the lake with its bytes, and every folder (as b'<dir>')."""
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>")
        for p in sorted(root.rglob("*"))
    }


def an_event_file(shared_lake: Lake) -> Path:
    return sorted(shared_lake.events_dir.rglob("*.parquet"))[0]


def hostile_statements(shared_lake: Lake) -> list[str]:
    root = shared_lake.root
    existing = an_event_file(shared_lake)
    return [
        # write new files into the lake
        f"COPY (SELECT * FROM events) TO '{root}/events/provider_id=x/event_date=2026-03-01/p.parquet'",
        f"COPY (SELECT 1 AS a) TO '{root}/evil.csv'",
        f"COPY events TO '{root}/events' (FORMAT parquet, PARTITION_BY (provider_id, event_date), OVERWRITE_OR_IGNORE)",
        # overwrite an existing lake file in place, with and without DuckDB's temp file
        f"COPY (SELECT 1 AS a) TO '{existing}' (FORMAT parquet)",
        f"COPY (SELECT 1 AS a) TO '{existing}' (FORMAT parquet, USE_TMP_FILE false)",
        f"COPY (SELECT 1 AS a) TO '{root}/_auditpipe/lake.json' (FORMAT json)",
        # attach lake files (or a new database file in the lake) for writing
        f"ATTACH '{root}/db.duckdb' AS db; CREATE TABLE db.t AS SELECT 1 AS a",
        f"ATTACH '{existing}' AS p (READ_WRITE)",
        f"ATTACH '{root}/_auditpipe/lake.json' AS j",
        f"ATTACH 'sqlite:{root}/x.sqlite' AS s",
        # export the whole session into the lake
        f"EXPORT DATABASE '{root}/export'",
        # turn the guard off, or move the places DuckDB writes to
        "SET enable_external_access = true",
        "RESET enable_external_access",
        "SET lock_configuration = false",
        f"SET allowed_directories = ['{root}']",
        f"SET temp_directory = '{root}'",
        f"SET profile_output = '{root}/profile.txt'",
        "INSTALL sqlite",
        "LOAD httpfs",
    ]


def test_hostile_statements_are_refused_by_the_cli_and_the_lake_is_unchanged(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(shared_lake.root)
    for statement in hostile_statements(shared_lake):
        code, _, err = run_main(["sql", "--lake", str(shared_lake.root), statement], capsys)
        assert code == 2, f"not refused: {statement}"
        assert "Error:" in err and "Traceback" not in err
        assert snapshot(shared_lake.root) == before, f"the lake changed after: {statement}"


@pytest.mark.parametrize(
    "statement",
    [
        "DROP VIEW events",
        "DROP VIEW findings; SELECT 1",
        "CREATE OR REPLACE VIEW events AS SELECT 1 AS a",
        "CREATE TABLE t AS SELECT * FROM events; DELETE FROM t; DROP TABLE t",
        "DETACH memory",
    ],
)
def test_statements_inside_the_session_leave_the_lake_alone(
    shared_lake: Lake, statement: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(shared_lake.root)
    run_main(["sql", "--lake", str(shared_lake.root), statement], capsys)
    assert snapshot(shared_lake.root) == before
    # and the next session sees the lake as it was
    code, out, _ = run_main(
        [
            "sql",
            "--lake",
            str(shared_lake.root),
            "--format",
            "csv",
            "SELECT count(*) AS n FROM events",
        ],
        capsys,
    )
    assert code == 0 and out.splitlines()[1] == "11"


def test_python_connection_refuses_writes_too(shared_lake: Lake) -> None:
    before = snapshot(shared_lake.root)
    con = auditpipe.connect(shared_lake.root)
    for statement in hostile_statements(shared_lake):
        with pytest.raises(duckdb.Error):
            con.execute(statement)
    con.execute("DROP VIEW events")
    assert snapshot(shared_lake.root) == before


def test_refusal_explains_why_and_what_to_do(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = run_main(
        ["sql", "--lake", str(shared_lake.root), f"COPY events TO '{shared_lake.root}/x.parquet'"],
        capsys,
    )
    assert "Permission Error" in err
    assert "Hint: auditpipe sql opens the lake read-only" in err
    assert "--output FILE" in err


def test_files_outside_the_lake_are_not_reachable_either(shared_lake: Lake, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n1\n")
    con = auditpipe.connect(shared_lake.root)
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"SELECT * FROM read_csv('{outside}')")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"COPY (SELECT 1) TO '{tmp_path}/out.csv'")
    assert not (tmp_path / "out.csv").exists()


def test_harmless_settings_stay_available(shared_lake: Lake) -> None:
    con = auditpipe.connect(shared_lake.root)
    con.execute("SET threads = 1")
    con.execute("SET TimeZone = 'UTC'")
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 11


def test_working_directory_in_the_lake_gets_no_spill_files(
    shared_lake: Lake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(shared_lake.root)
    monkeypatch.chdir(shared_lake.root)
    code, _, _ = run_main(
        [
            "sql",
            "--lake",
            ".",
            "--format",
            "csv",
            # a sort that must spill to disk under this memory limit
            "SET memory_limit = '32MB'; SET threads = 1; SELECT count(*) FROM "
            "(SELECT i, md5(i::VARCHAR) AS m FROM range(1500000) t(i) ORDER BY m)",
        ],
        capsys,
    )
    assert code == 0
    assert snapshot(shared_lake.root) == before


def test_cli_output_is_never_written_into_the_lake(
    shared_lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(shared_lake.root)
    for target in (
        shared_lake.root / "out.csv",
        shared_lake.events_dir / "x.csv",
        shared_lake.root,
    ):
        code, _, err = run_main(
            [
                "sql",
                "--lake",
                str(shared_lake.root),
                "--format",
                "csv",
                "-o",
                str(target),
                "SELECT 1",
            ],
            capsys,
        )
        assert code == 2
        assert "inside the lake" in err or "is a directory" in err
    assert snapshot(shared_lake.root) == before


def test_print_views_does_not_touch_the_lake(shared_lake: Lake) -> None:
    before = snapshot(shared_lake.root)
    assert (
        CliRunner().invoke(cli, ["sql", "--lake", str(shared_lake.root), "--print-views"]).exit_code
        == 0
    )
    assert snapshot(shared_lake.root) == before
