"""Real servers: PostgreSQL 15 + pgaudit and MariaDB + server_audit, started on loopback for
this test run, scripted sessions run against them, their logs read back as events.

Without the server packages these tests are skipped with one message naming them; CI
(.ci/run) installs them, so there they always run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditpipe.contract import load_catalog
from auditpipe.sources import load_settings, read_file
from tests.support.db_servers import (
    ID_WRITTEN,
    MISSING,
    PG_SESSIONS,
    PHONE_READ,
    ZH_MISSING,
    MariaDB,
    Postgres,
    run_my_sessions,
    run_pg_sessions,
    run_pg_sessions_in_chinese,
    servers_available,
    zh_locale_available,
)
from tests.support.sources import events, quarantined, write_source

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not servers_available(), reason=MISSING),
]


@pytest.fixture(scope="session")
def server_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="auditpipe-servers-"))
    os.chmod(root, 0o755)  # the servers run as another user when the tests run as root
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_runs(server_root: Path) -> Iterator[dict[str, dict[str, Path]]]:
    """One server: the sessions with the test settings, then (where the zh_CN locale is
    installed) the same sessions with a Chinese provider's settings, into other files."""
    pg = Postgres(server_root / "pg").start()
    try:
        run_pg_sessions(pg)
        runs = {"en": pg.logs()}
        if zh_locale_available():
            runs["zh"] = run_pg_sessions_in_chinese(pg)
    finally:
        pg.stop()
    yield runs


@pytest.fixture(scope="session")
def pg_logs(pg_runs: dict[str, dict[str, Path]]) -> dict[str, Path]:
    return pg_runs["en"]


@pytest.fixture(scope="session")
def my_log(server_root: Path) -> Iterator[tuple[Path, Path]]:
    my = MariaDB(server_root / "my").start()
    try:
        run_my_sessions(my)
    finally:
        my.stop()
    yield my.log(), my.root


def _read(
    tmp_path: Path, log: Path, kind: str, fmt: str | None, extra: str = ""
) -> tuple[list, object]:
    import polars as pl

    settings = write_source(tmp_path / "src", kind, fmt, extra)
    table, counters = read_file(log, load_settings(settings), load_catalog())
    assert counters.reconciles, counters.as_dict()
    rows = pl.from_arrow(table).sort("line_number").to_dicts()
    for row in rows:
        row["extras"] = json.loads(row["extras"]) if row["extras"] else {}
    return rows, counters


def _by_actor(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in events(rows):
        out.setdefault(r["actor_id"], []).append(r)
    return out


@pytest.mark.parametrize("fmt", ["stderr", "csvlog", "jsonlog"])
def test_pgaudit_sessions_become_the_expected_events(
    tmp_path: Path, pg_logs: dict[str, Path], fmt: str
) -> None:
    rows, counters = _read(tmp_path, pg_logs[fmt], "pgaudit", fmt)
    actors = _by_actor(rows)
    svc = actors["svc_app"]
    ticketed = next(e for e in svc if e["authorization_ref"] == "TKT-101")
    assert ticketed["purpose"] == "refund dispute" and ticketed["subject_id"] == "1"
    assert ticketed["action"] == "view" and ticketed["record_count"] == "1"
    untick = next(
        e
        for e in svc
        if e["subject_id"] == "2"
        and e["action"] == "view"
        and e["authorization_ref"] is None
        and "real_name" in e["data_fields"]
    )
    assert untick["outcome"] == "success"
    (dump,) = actors["vendor_x"]
    assert dump["action"] == "search" and dump["extras"]["unbounded"] is True
    assert set(dump["data_fields"].split(";")) >= {
        "id_number",
        "mobile",
        "password_hash",
        "real_name",
    }
    assert dump["record_count"] == "2"  # pgaudit.log_rows
    join = next(e for e in svc if e["extras"]["statement"].startswith("SELECT o.amount"))
    assert join["record_count"] == "2" and join["extras"]["log_lines"] >= 2
    prepared = next(e for e in svc if "PREPARE" in e["extras"]["statement"])
    assert prepared["subject_id"] == "2" and "id_number" in prepared["data_fields"]
    update = next(e for e in svc if e["action"] == "update")
    assert update["subject_id"] == "2" and update["data_fields"].startswith("id_number")
    export = next(e for e in actors["postgres"] if e["action"] == "export")
    assert export["destination_type"] == "external"
    assert export["extras"]["export_path"].endswith("mobiles.csv")
    (denied,) = actors["kefu_li"]
    assert denied["outcome"] == "failure" and denied["actor_type"] == "employee"
    assert denied["subject_id"] == "1"
    text = json.dumps(rows, ensure_ascii=False)
    assert ID_WRITTEN not in text and PHONE_READ not in text


def _shapes(rows: list[dict]) -> list[tuple]:
    return sorted(
        (
            e["actor_id"],
            e["action"],
            e["subject_id"],
            e["data_fields"],
            e["outcome"],
            e["record_count"],
            e["extras"]["statement"],
        )
        for e in events(rows)
    )


def test_all_three_destinations_give_the_same_events(
    tmp_path: Path, pg_logs: dict[str, Path]
) -> None:
    shapes = [
        _shapes(_read(tmp_path / fmt, pg_logs[fmt], "pgaudit", fmt)[0])
        for fmt in ("stderr", "csvlog", "jsonlog")
    ]
    assert shapes[0] == shapes[1] == shapes[2]


@pytest.mark.parametrize("fmt", ["stderr", "csvlog", "jsonlog"])
def test_a_chinese_server_without_user_in_the_prefix_gives_the_same_events(
    tmp_path: Path, pg_runs: dict[str, dict[str, Path]], fmt: str
) -> None:
    if "zh" not in pg_runs:
        pytest.skip(ZH_MISSING)
    en_rows, _ = _read(tmp_path / "en", pg_runs["en"][fmt], "pgaudit", fmt)
    zh_log = pg_runs["zh"][fmt]
    assert ("日志" in zh_log.read_text(encoding="utf-8")) == (fmt != "jsonlog")
    zh_rows, counters = _read(
        tmp_path / "zh", zh_log, "pgaudit", fmt, 'log_line_prefix = "%m [%p] "'
    )
    assert counters.lines_quarantined == 0, [
        (r["line_number"], r["pre_error"], r["raw"]) for r in quarantined(zh_rows)
    ]
    # the same sessions, without the setup's inserts the first run began with
    en = [s for s in _shapes(en_rows) if not s[-1].startswith("INSERT INTO")]
    assert _shapes(zh_rows) == en and len(en) >= len(PG_SESSIONS)
    denied = next(e for e in events(zh_rows) if e["actor_id"] == "kefu_li")
    assert denied["outcome"] == "failure" and denied["extras"]["error_code"] == "42501"


def test_server_audit_sessions_become_the_expected_events(
    tmp_path: Path, my_log: tuple[Path, Path]
) -> None:
    log, _ = my_log
    rows, counters = _read(tmp_path, log, "server_audit", None, "query_log_limit = 300")
    actors = _by_actor(rows)
    svc = actors["svc_app"]
    ticketed = next(e for e in svc if e["authorization_ref"] == "TKT-101")
    assert ticketed["subject_id"] == "1" and ticketed["purpose"] == "refund dispute"
    (dump,) = actors["vendor_x"]
    assert dump["extras"]["unbounded"] is True and dump["action"] == "search"
    update = next(e for e in svc if e["action"] == "update")
    assert update["subject_id"] == "2" and "id_number" in update["data_fields"]
    export = next(e for e in svc if e["action"] == "export")
    assert export["destination_type"] == "external" and export["extras"]["export_path"].endswith(
        "mobiles.csv"
    )
    (denied,) = actors["kefu_li"]
    assert denied["outcome"] == "failure" and denied["extras"]["error_code"] == "1143"
    cut = next(e for e in svc if e["extras"].get("truncated"))
    assert cut["extras"]["resolved_from_tables_only"] is True
    assert counters.truncated_statements == 1
    text = json.dumps(rows, ensure_ascii=False)
    assert ID_WRITTEN not in text and PHONE_READ not in text


def test_a_statement_logged_by_several_destinations_is_stored_once(
    tmp_path: Path, pg_logs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # A server writing stderr, csvlog and jsonlog at once, all three handed over: the same
    # statements, so the second and third files' events are duplicates, not new events.
    from tests.support.cli import run_main

    lake = tmp_path / "lake"
    stored, duplicates = [], []
    for fmt in ("stderr", "csvlog", "jsonlog"):
        settings = write_source(tmp_path / fmt, "pgaudit", fmt)
        code, out, err = run_main(
            ["ingest", "--source", str(settings), str(pg_logs[fmt]), "--lake", str(lake), "--json"],
            capsys,
        )
        assert code in (0, 3), err
        (entry,) = json.loads(out)["files"]
        stored.append(entry["rows_stored"])
        duplicates.append(entry["rows_duplicate"])
    assert stored[0] > 0 and stored[1:] == [0, 0], (stored, duplicates)
    assert duplicates[1:] == [stored[0], stored[0]]
