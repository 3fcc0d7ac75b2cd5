"""``auditpipe.db``: one way to connect, quote and read Parquet, and every statement logged."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.db import (
    Database,
    connect,
    log_statements,
    quote_identifier,
    quote_literal,
    read_parquet_sql,
)
from auditpipe.db.database import LOG
from auditpipe.db.spill import sweep_abandoned

# Text DuckDB can hold in a VARCHAR (no NUL: DuckDB strings end there in SQL text).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@pytest.fixture(scope="module")
def db() -> Iterator[Database]:
    with connect(timezone="UTC") as database:
        yield database


def test_a_quoted_literal_reads_back_as_the_same_text(db: Database) -> None:
    @given(value=TEXT)
    @settings(max_examples=300, deadline=None)
    def check(value: str) -> None:
        assert db.query(f"SELECT {quote_literal(value)}") == [(value,)]

    check()


def test_a_quoted_identifier_names_exactly_that_column(db: Database) -> None:
    @given(name=TEXT.filter(bool))
    @settings(max_examples=300, deadline=None)
    def check(name: str) -> None:
        described = db.query(f"DESCRIBE SELECT 1 AS {quote_identifier(name)}")
        assert described[0][0] == name

    check()


def test_connect_sets_every_setting_one_way(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    with connect(
        timezone="America/New_York",
        temp_directory=spill,
        memory_limit="512MB",
        threads=1,
        keep_insertion_order=False,
    ) as db:
        row = db.query(
            "SELECT current_setting('TimeZone'), current_setting('temp_directory'),"
            " current_setting('memory_limit'), current_setting('threads'),"
            " current_setting('preserve_insertion_order'), current_setting('enable_progress_bar')"
        )[0]
    assert row[0] == "America/New_York"
    assert row[1] == str(spill)
    assert row[2].startswith("488.2 MiB")
    assert (row[3], row[4], row[5]) == (1, False, False)


def test_threads_default_to_the_cores_the_process_may_run_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DuckDB alone would count the host's cores; a process pinned to one core gets one."""
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {1}, raising=False)
    with connect(timezone="UTC") as db:
        assert db.query("SELECT current_setting('threads')")[0][0] == 1
    with connect(timezone="UTC", threads=3) as db:  # an explicit setting wins
        assert db.query("SELECT current_setting('threads')")[0][0] == 3


@pytest.mark.parametrize(
    ("cpu_max", "v1_quota", "expected"),
    [
        ("max 100000\n", None, 8),  # v2, no quota
        ("150000 100000\n", None, 2),  # 1.5 CPUs: rounded up
        ("300000 100000\n", None, 3),
        ("5000000 100000\n", None, 8),  # a quota above the affinity: the affinity
        (None, "-1", 8),  # v1, no quota
        (None, "200000", 2),  # v1, 2 CPUs of a 100000 us period
        (None, None, 8),  # no cgroup files at all
    ],
)
def test_usable_cpus_stay_within_a_cgroup_cpu_quota(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cpu_max: str | None,
    v1_quota: str | None,
    expected: int,
) -> None:
    import os

    from auditpipe.db import database

    files = {"cpu.max": cpu_max, "quota": v1_quota, "period": "100000" if v1_quota else None}
    for name, text in files.items():
        if text is not None:
            (tmp_path / name).write_text(text, encoding="ascii")
    monkeypatch.setattr(database, "CGROUP_CPU_MAX", tmp_path / "cpu.max")
    monkeypatch.setattr(database, "CGROUP_V1_QUOTA", tmp_path / "quota")
    monkeypatch.setattr(database, "CGROUP_V1_PERIOD", tmp_path / "period")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert database.usable_cpus() == expected


def test_a_connection_without_a_spill_folder_gets_a_private_one_removed_on_close() -> None:
    db = connect(timezone="UTC")
    spill = Path(db.query("SELECT current_setting('temp_directory')")[0][0])
    assert spill.is_dir() and (spill.stat().st_mode & 0o077) == 0  # others cannot read spills
    db.close()
    assert not spill.exists()


_HOLD_A_CONNECTION = """
import sys, time
from auditpipe.db import connect
db = connect(timezone="UTC")
print(db.query("SELECT current_setting('temp_directory')")[0][0], flush=True)
time.sleep(120)
"""


def _owner(tmp: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process holding a connection whose private spill folder is under ``tmp``."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_A_CONNECTION], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_a_killed_processs_spill_folder_is_removed_by_the_next_process(tmp_path: Path) -> None:
    killed, abandoned = _owner(tmp_path)
    alive, in_use = _owner(tmp_path)
    (abandoned / "duckdb_temp_storage-0.tmp").write_bytes(b"spilled rows")
    lockless = tmp_path / "auditpipe-duckdb-made-by-an-older-version"
    lockless.mkdir()
    try:
        killed.send_signal(signal.SIGKILL)  # no finaliser runs: the folder stays behind
        killed.wait(timeout=30)
        assert abandoned.is_dir()
        # the next process's first private folder sweeps the abandoned one, and only it
        env = {**os.environ, "TMPDIR": str(tmp_path)}
        code = "from auditpipe.db import connect; connect(timezone='UTC').close()"
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
        assert not abandoned.exists()
        assert in_use.is_dir() and lockless.is_dir()
        assert sweep_abandoned(tmp_path) == []  # the live owner's lock holds
    finally:
        alive.kill()
        alive.wait(timeout=30)
    assert sweep_abandoned(tmp_path) == [in_use]  # its owner is gone now


def test_statements_and_their_time_are_logged_only_when_asked() -> None:
    stream = io.StringIO()
    before = (list(LOG.handlers), LOG.level)
    try:
        with connect(timezone="UTC") as db:
            db.execute("SELECT 41 + ?", [1])
        assert stream.getvalue() == ""
        log_statements(stream)
        with connect(timezone="UTC") as db:
            assert db.query("SELECT 41 + ?", [1]) == [(42,)]
        logged = stream.getvalue()
        assert "SELECT 41 + ?" in logged and "[1]" in logged and " ms" in logged
    finally:
        LOG.handlers[:] = before[0]
        LOG.setLevel(before[1])


def test_a_failing_statement_is_logged_too() -> None:
    stream = io.StringIO()
    before = (list(LOG.handlers), LOG.level)
    try:
        log_statements(stream)
        with connect(timezone="UTC") as db, pytest.raises(Exception, match="nope"):
            db.execute("SELECT * FROM nope")
        assert "SELECT * FROM nope" in stream.getvalue()
    finally:
        LOG.handlers[:] = before[0]
        LOG.setLevel(before[1])


def test_read_parquet_sql_reads_exactly_the_listed_files_with_partition_columns(
    tmp_path: Path,
) -> None:
    with connect(timezone="UTC") as db:
        db.execute(
            "COPY (SELECT * FROM (VALUES ('p1', DATE '2026-03-01', 1), ('p2', DATE '2026-03-02', 2))"
            " t(provider_id, event_date, n)) TO ? (FORMAT parquet, PARTITION_BY (provider_id,"
            " event_date))",
            [str(tmp_path / "t")],
        )
        files = sorted((tmp_path / "t").rglob("*.parquet"))
        rows = db.query(
            f"SELECT provider_id, event_date::VARCHAR, n FROM {read_parquet_sql(files[:1], hive=True)}"
        )
        types = db.query(f"DESCRIBE SELECT * FROM {read_parquet_sql(files, hive=True)}")
    assert rows == [("p1", "2026-03-01", 1)]
    assert {name: typ for name, typ, *_ in types} == {
        "n": "INTEGER",
        "provider_id": "VARCHAR",
        "event_date": "DATE",
    }


def test_debug_logging_follows_stderr_and_installs_one_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An in-process runner swaps and closes stderr between commands; the --debug handler must
    # write to the stderr of the moment, and a second --debug must not log everything twice.
    import logging
    import sys

    from auditpipe.db import log_statements

    log = logging.getLogger("auditpipe.sql")
    before = list(log.handlers)
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    log_statements()
    log_statements()
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    try:
        log.debug("SELECT 42")
        assert second.getvalue().count("SELECT 42") == 1
    finally:
        for handler in [h for h in log.handlers if h not in before]:
            log.removeHandler(handler)


# Folder names made of the characters file readers take for patterns; beside each, siblings
# that the name would match as a pattern.
GLOB_CHARACTERS = "[]*?{}"
NAME = st.text(st.sampled_from("ab1" + GLOB_CHARACTERS + "!-"), min_size=1, max_size=8).filter(
    lambda n: n not in (".", "..")
)


@given(name=NAME)
@settings(max_examples=30, deadline=None)
def test_read_parquet_sql_reads_only_the_file_named(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    root = tmp_path_factory.mktemp("names")
    with connect(timezone="UTC") as db:
        for folder in {name, "a", "b", "1", "ab", "a1", "b1", "x"}:
            (root / folder).mkdir(exist_ok=True)
            db.execute(
                "COPY (SELECT ? AS who) TO ? (FORMAT parquet)",
                [folder, str(root / folder / "f.parquet")],
            )
        rows = db.query(
            f"SELECT who FROM {read_parquet_sql([root / name / 'f.parquet'], hive=False)}"
        )
    assert rows == [(name,)]


def test_a_file_system_that_refuses_locks_still_gets_a_private_spill_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Locking is best effort: without it the folder has no lock file (no sweep takes it) and
    the connection works and removes it on close as before."""
    from auditpipe.db import spill

    def refuse(fd: int, operation: int) -> None:
        raise OSError(37, "No locks available")

    monkeypatch.setattr(spill.fcntl, "flock", refuse)
    db = connect(timezone="UTC")
    folder = Path(db.query("SELECT current_setting('temp_directory')")[0][0])
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert db.query("SELECT 1") == [(1,)]
    db.close()
    assert not folder.exists()
