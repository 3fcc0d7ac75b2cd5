"""``auditpipe compact``: merging keeps every row; retention counts and protects evidence."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditpipe import compact as compact_module
from auditpipe.compact import CompactSettings, compact_lake, list_partitions
from auditpipe.db import quote_literal
from auditpipe.errors import LakeError, LockError
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from auditpipe.lake.schema import FINDING_FILE_COLUMNS
from tests.support.nightly import EVENT_STABLE, event, run_cli, table_rows, write_log

TODAY = dt.date(2026, 3, 10)


def _ingest_nights(tmp_path: Path, lake: Lake) -> None:
    """Three deliveries: forum-a's 03-01 and 03-02 end up in three files each (late
    events), blog-b's 03-01 in one, and today's partition in two."""
    logs = tmp_path / "logs"
    for night in range(3):
        events = [
            event(f"n{night}-{i}", day, provider_id="forum-a")
            for i, day in enumerate(["2026-03-01", "2026-03-02"] * 5)
        ]
        if night == 0:
            events += [event(f"b-{i}", "2026-03-01", provider_id="blog-b") for i in range(4)]
        if night < 2:
            events += [event(f"t{night}", TODAY.isoformat(), provider_id="forum-a")]
        write_log(logs / f"night{night}.jsonl", events)
        ingest_paths(lake, [logs / f"night{night}.jsonl"], IngestSettings())


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake.open(tmp_path / "lake", create=True)
    _ingest_nights(tmp_path, lake)
    return lake


def _files_per_partition(lake: Lake) -> dict[tuple[str, dt.date], int]:
    return {(p.provider_id, p.event_date): len(p.files) for p in list_partitions(lake)}


def _write_findings(lake: Lake, provider: str, day: str, evidence: list[str]) -> None:
    """A findings file citing ``evidence`` (as detect would write it)."""
    import duckdb

    values = {
        "finding_id": "'f-1'",
        "rule_id": "'illegal_use_credential'",
        "category": "'illegal_use'",
        "severity": "'high'",
        "evidence_event_ids": "[" + ", ".join(quote_literal(e) for e in evidence) + "]",
    }
    cols = ", ".join(
        f"CAST({values.get(name, 'NULL')} AS {typ}) AS {name}" for name, typ in FINDING_FILE_COLUMNS
    )
    folder = lake.findings_dir / f"provider_id={provider}" / f"event_date={day}"
    folder.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT {cols}) TO {quote_literal(str(folder / 'part-0.parquet'))}")


def test_compaction_merges_past_partitions_into_one_file_keeping_every_row(lake: Lake) -> None:
    before_rows = table_rows(lake.root, EVENT_STABLE)
    assert _files_per_partition(lake)[("forum-a", dt.date(2026, 3, 1))] == 3

    result = compact_lake(lake, CompactSettings(today=TODAY))

    after = _files_per_partition(lake)
    assert after[("forum-a", dt.date(2026, 3, 1))] == 1
    assert after[("forum-a", dt.date(2026, 3, 2))] == 1
    assert after[("forum-a", TODAY)] == 2  # today is not a past day: left alone
    assert result.partitions_compacted == 2
    assert (result.files_before, result.files_after, result.rows_compacted) == (6, 2, 30)
    assert table_rows(lake.root, EVENT_STABLE) == before_rows
    assert not list(lake.staging_dir.glob("*/*")), "staging is cleaned after the commit"


def test_compaction_respects_before_and_is_idempotent(lake: Lake) -> None:
    first = compact_lake(lake, CompactSettings(today=TODAY, before=dt.date(2026, 3, 2)))
    assert [(c.provider_id, c.event_date) for c in first.changes] == [
        ("forum-a", dt.date(2026, 3, 1))
    ]
    again = compact_lake(lake, CompactSettings(today=TODAY, before=dt.date(2026, 3, 2)))
    assert again.partitions_compacted == 0


def test_compaction_refuses_to_publish_a_file_whose_checksum_differs(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_files = {p: p.files for p in list_partitions(lake)}
    real = compact_module._checksum
    calls = {"n": 0}

    def corrupting(*args: object, **kwargs: object) -> tuple[int, int]:
        calls["n"] += 1
        rows, digest = real(*args, **kwargs)  # type: ignore[arg-type]
        return (rows, digest + 1) if calls["n"] == 2 else (rows, digest)  # the staged file

    monkeypatch.setattr(compact_module, "_checksum", corrupting)
    with pytest.raises(LakeError, match="checksum"):
        compact_lake(lake, CompactSettings(today=TODAY))
    assert {p: p.files for p in list_partitions(lake)} == before_files


def test_dry_run_counts_without_changing_anything(lake: Lake) -> None:
    files = _files_per_partition(lake)
    result = compact_lake(lake, CompactSettings(today=TODAY, retain_days=8, dry_run=True))
    assert result.partitions_compacted == 1 and result.events_deleted == 19
    assert _files_per_partition(lake) == files


def test_retention_deletes_old_days_and_says_how_many(lake: Lake) -> None:
    # cutoff = 2026-03-10 - 8 days = 2026-03-02: 03-01 goes (15 forum-a + 4 blog-b events)
    result = compact_lake(lake, CompactSettings(today=TODAY, retain_days=8))
    assert result.retention_cutoff == dt.date(2026, 3, 2)
    assert result.events_deleted == 19
    assert result.partitions_deleted == 2 and result.evidence_kept == 0
    days = table_rows(lake.root, "SELECT DISTINCT event_date FROM events ORDER BY 1")
    assert [d for (d,) in days] == [dt.date(2026, 3, 2), TODAY]
    assert not (lake.events_dir / "provider_id=blog-b").exists(), "empty folders are removed"


def test_retention_keeps_events_that_findings_cite_as_evidence(lake: Lake) -> None:
    _write_findings(lake, "forum-a", "2026-03-01", ["n0-0", "n1-2"])
    result = compact_lake(lake, CompactSettings(today=TODAY, retain_days=8))
    assert result.events_deleted == 17 and result.evidence_kept == 2
    assert result.partitions_rewritten == 1 and result.partitions_deleted == 1
    kept = table_rows(lake.root, "SELECT event_id FROM events WHERE event_date = '2026-03-01'")
    assert sorted(e for (e,) in kept) == ["n0-0", "n1-2"]
    evidence = table_rows(lake.root, "SELECT count(*) FROM finding_evidence")
    assert evidence == [(2,)], "every finding's evidence is still joinable"


def test_retention_with_include_evidence_deletes_cited_events_too(lake: Lake) -> None:
    _write_findings(lake, "forum-a", "2026-03-01", ["n0-0"])
    result = compact_lake(lake, CompactSettings(today=TODAY, retain_days=8, include_evidence=True))
    assert result.events_deleted == 19
    assert table_rows(lake.root, "SELECT count(*) FROM findings") == [(1,)], "findings stay"
    assert table_rows(lake.root, "SELECT count(*) FROM finding_evidence") == [(0,)]


def test_compact_waits_for_nobody_when_the_lake_is_locked(lake: Lake) -> None:
    with Lake.open(lake.root).locked("nightly"), pytest.raises(LockError, match="busy"):
        compact_lake(Lake.open(lake.root), CompactSettings(today=TODAY))


def test_compact_cli_reports_retention_and_compaction(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(lake.root)
    code, out, _ = run_cli(
        ["compact", "--lake", root, "--as-of", "2026-03-10", "--retain-days", "8", "--json"],
        capsys,
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["events_deleted"] == 19 and doc["partitions_compacted"] == 1
    code, out, _ = run_cli(["compact", "--lake", root, "--as-of", "2026-03-10"], capsys)
    assert code == 0 and "no partition before 2026-03-10" in out
    code, _, err = run_cli(["compact", "--lake", root, "--include-evidence"], capsys)
    assert code == 2 and "--retain-days" in err


_KILL_IN_COMPACT = """
import os, signal, sys
import auditpipe.lake as lake_module

def apply_journal(self, journal):
    os.kill(os.getpid(), signal.SIGKILL)  # the first commit is written, not applied

lake_module.Lake.apply_journal = apply_journal
from auditpipe.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_a_compaction_killed_mid_commit_is_completed_without_losing_a_row(lake: Lake) -> None:
    import subprocess
    import sys

    before_rows = table_rows(lake.root, EVENT_STABLE)
    args = ["compact", "--lake", str(lake.root), "--as-of", TODAY.isoformat()]
    killed = subprocess.run([sys.executable, "-c", _KILL_IN_COMPACT, *args], check=False)
    assert killed.returncode == -9
    assert list(lake.journal_dir.glob("*.json")), "a committed journal was left to roll forward"
    # Before any writer rolls it forward, auditpipe's readers read the pending commit as done:
    # the merged file, still staged, in place of the files it replaces (before, its staged
    # path had no partition folders and every read failed with a hive partition mismatch).
    assert table_rows(lake.root, EVENT_STABLE) == before_rows
    status = subprocess.run(
        [sys.executable, "-m", "auditpipe", "status", "--lake", str(lake.root), "--json"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["events"] == len(before_rows)
    code = subprocess.run([sys.executable, "-m", "auditpipe", *args], check=False).returncode
    assert code == 0
    assert table_rows(lake.root, EVENT_STABLE) == before_rows
    assert all(n == 1 for (p, d), n in _files_per_partition(lake).items() if d < TODAY)


def test_files_named_like_hidden_or_underscore_parquet_are_not_the_lakes(lake: Lake) -> None:
    """A hidden copy of a part file, a macOS resource fork (``._part-....parquet``, not
    Parquet) and an ``_tmp.parquet`` left in a partition are not read as the lake's rows,
    nor merged into it by compact; auditpipe names its own files ``part-*``."""
    before_rows = table_rows(lake.root, EVENT_STABLE)
    folder = lake.events_dir / "provider_id=forum-a" / "event_date=2026-03-01"
    part = sorted(folder.glob("part-*.parquet"))[0]
    (folder / f".copy-of-{part.name}").write_bytes(part.read_bytes())
    (folder / f"._{part.name}").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 60)
    (folder / "_tmp.parquet").write_bytes(part.read_bytes())
    assert table_rows(lake.root, EVENT_STABLE) == before_rows
    compact_lake(lake, CompactSettings(today=TODAY))
    assert table_rows(lake.root, EVENT_STABLE) == before_rows
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith((".", "_"))) == sorted(
        [f".copy-of-{part.name}", f"._{part.name}", "_tmp.parquet"]
    )


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs, and no ``except Exception`` catches it."""


def test_status_after_a_compaction_killed_at_its_commit_point_counts_the_files_readers_see(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal is written (the commit point) and not applied: the merged files are still
    staged and the files they replace still on disk. Readers see the commit as done, and so
    must status's file counts (before, it counted the files on disk, the merged one not
    among them: 3 + 3 + 2 of today + 1)."""
    from auditpipe.lake.commit import table_files
    from auditpipe.status import lake_status

    def killed(self: Lake, journal: Path) -> None:
        raise _Killed

    monkeypatch.setattr(Lake, "apply_journal", killed)
    with pytest.raises(_Killed):
        compact_lake(lake, CompactSettings(today=TODAY))
    monkeypatch.undo()
    assert list(lake.journal_dir.glob("*.json")), "the commit is pending"
    seen = table_files(lake.root, "events")
    status = lake_status(lake, today=TODAY)
    # Compaction commits a partition at a time: forum-a's 03-01 is merged into one file (the
    # commit killed), its 03-02 still has three, today two, blog-b's 03-01 one.
    assert (status.event_files, len(seen)) == (7, 7)
    assert (status.partitions, status.partitions_to_compact) == (4, 1)


def _damage_a_file_of(lake: Lake, provider: str, day: str) -> None:
    """Zero the data pages of one file of that partition, as a disk error would: its footer
    still reads (so opening the lake works), its rows do not (compact stops there)."""
    folder = lake.events_dir / f"provider_id={provider}" / f"event_date={day}"
    victim = sorted(folder.glob("part-*.parquet"))[0]
    data = victim.read_bytes()
    footer = int.from_bytes(data[-8:-4], "little")
    data_end = len(data) - 8 - footer
    victim.write_bytes(data[:4] + bytes(data_end - 4) + data[data_end:])


def test_compact_stopped_by_an_error_says_what_it_had_committed(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    """forum-a 03-01 is merged (one commit), then a damaged file of 03-02 stops the run: the
    error alone read as "nothing changed" although a partition was rewritten."""
    _damage_a_file_of(lake, "forum-a", "2026-03-02")
    code, out, err = run_cli(["compact", "--lake", str(lake.root), "--as-of", "2026-03-10"], capsys)
    assert code == 2 and "damaged" in err
    assert "Before the error below, compact committed:" in err
    assert "Compaction: 1 partition(s) before 2026-03-10 merged, 3 files into 1" in err
    assert _files_per_partition(lake)[("forum-a", dt.date(2026, 3, 1))] == 1


def test_compact_json_stopped_by_an_error_still_says_what_retention_deleted(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    """Retention commits (03-01 deleted) before compaction meets the damaged file."""
    _damage_a_file_of(lake, "forum-a", "2026-03-02")
    args = ["compact", "--lake", str(lake.root), "--as-of", "2026-03-10", "--retain-days", "8"]
    code, out, err = run_cli([*args, "--json"], capsys)
    assert code == 2 and "damaged" in err
    doc = json.loads(out)
    assert doc["completed"] is False
    assert doc["events_deleted"] == 19 and doc["partitions_deleted"] == 2
    assert doc["partitions_compacted"] == 0
    assert not any(day == dt.date(2026, 3, 1) for _p, day in _files_per_partition(lake))


def test_a_retention_stopped_before_its_commit_reports_nothing_deleted(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention is one commit: an error while staging it changes nothing, and the result
    the error carries must not count deletions that never happened."""
    _write_findings(lake, "forum-a", "2026-03-01", ["n0-0"])  # forum-a 03-01 is rewritten

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise LakeError("disk trouble")

    monkeypatch.setattr(compact_module, "_stage_rewrite", fail)
    before = _files_per_partition(lake)
    with pytest.raises(LakeError) as caught:
        compact_lake(lake, CompactSettings(today=TODAY, retain_days=8))
    assert compact_module.done_before_error(caught.value) is None
    assert _files_per_partition(lake) == before


# -- the class: any lake, any retention --------------------------------------------------
_PROVIDERS = ["forum-a", "论坛 b/=%", "__HIVE_DEFAULT_PARTITION__"]
_delivery = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 4), st.integers(1, 3)), min_size=1, max_size=4
)


def _write_citing_findings(lake: Lake, cited: dict[tuple[str, str], list[str]]) -> None:
    """One findings file per (provider, day) citing those event ids, as detect writes them."""
    import duckdb

    from auditpipe.lake import partition_dir

    for number, ((provider, day), ids) in enumerate(sorted(cited.items())):
        values = {
            "finding_id": quote_literal(f"f-{number}"),
            "rule_id": "'illegal_use_credential'",
            "category": "'illegal_use'",
            "severity": "'high'",
            "evidence_event_ids": "[" + ", ".join(quote_literal(e) for e in ids) + "]",
        }
        cols = ", ".join(
            f"CAST({values.get(name, 'NULL')} AS {typ}) AS {name}"
            for name, typ in FINDING_FILE_COLUMNS
        )
        folder = partition_dir(lake.root, "findings", provider, dt.date.fromisoformat(day))
        folder.mkdir(parents=True)
        duckdb.sql(f"COPY (SELECT {cols}) TO {quote_literal(str(folder / 'part-0.parquet'))}")


_ALL_EVENTS = "SELECT * FROM events ORDER BY provider_id, event_id"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # late events: 03-01 in two files, partly cited, rewritten by retention
    deliveries=[[(0, 1, 3), (1, 2, 3)], [(0, 1, 2), (2, 3, 1)]],
    cite_every=2,
    retain_days=3,
    include_evidence=False,
)
@example(
    deliveries=[[(1, 1, 2), (2, 2, 2)], [(1, 1, 1), (2, 2, 1)]],
    cite_every=3,
    retain_days=4,
    include_evidence=True,
)
@given(
    deliveries=st.lists(_delivery, min_size=1, max_size=3),
    cite_every=st.integers(2, 4),
    retain_days=st.one_of(st.none(), st.integers(0, 5)),
    include_evidence=st.booleans(),
)
def test_compact_keeps_every_row_but_those_retention_deletes(
    deliveries: list[list[tuple[int, int, int]]],
    cite_every: int,
    retain_days: int | None,
    include_evidence: bool,
) -> None:
    """Deliveries of events over four days (late events: several files per partition),
    findings citing every n-th event, any retention. Row for row, every column: events of
    days kept, and cited events unless --include-evidence, are exactly those before; the
    rest are gone; the dry run counted the same; a second compact changes nothing."""
    import tempfile

    today = dt.date(2026, 3, 6)
    include_evidence = include_evidence and retain_days is not None
    with tempfile.TemporaryDirectory() as tmp:
        lake = Lake.open(Path(tmp) / "lake", create=True)
        cited: dict[tuple[str, str], list[str]] = {}
        for night, delivery in enumerate(deliveries):
            events = []
            for group, (provider, day, count) in enumerate(delivery):
                for i in range(count):
                    event_id = f"n{night}-g{group}-{i}"
                    events.append(
                        event(event_id, f"2026-03-0{day}", provider_id=_PROVIDERS[provider])
                    )
                    if len(events) % cite_every == 0:
                        key = (_PROVIDERS[provider], f"2026-03-0{day}")
                        cited.setdefault(key, []).append(event_id)
            write_log(Path(tmp) / f"night{night}.jsonl", events)
            ingest_paths(lake, [Path(tmp) / f"night{night}.jsonl"], IngestSettings())
        _write_citing_findings(lake, cited)
        before = table_rows(lake.root, _ALL_EVENTS)
        cited_keys = {(p, e) for (p, _d), ids in cited.items() for e in ids}
        cutoff = today - dt.timedelta(days=retain_days if retain_days is not None else 10**4)
        expected = [
            row
            for row in before
            if row[-1] >= cutoff or (not include_evidence and (row[-2], row[0]) in cited_keys)
        ]
        settings_ = CompactSettings(
            today=today, retain_days=retain_days, include_evidence=include_evidence
        )

        dry = compact_lake(lake, replace(settings_, dry_run=True))
        assert table_rows(lake.root, _ALL_EVENTS) == before
        done = compact_lake(lake, settings_)

        assert table_rows(lake.root, _ALL_EVENTS) == expected
        assert done.events_deleted == len(before) - len(expected)
        assert {**dry.to_dict(), "dry_run": False} == done.to_dict()
        assert all(len(p.files) == 1 for p in list_partitions(lake) if p.event_date < today)
        again = compact_lake(lake, settings_)
        assert again.changes == [] and table_rows(lake.root, _ALL_EVENTS) == expected


@pytest.mark.parametrize("retain_days", [None, 8])
def test_an_interrupt_past_the_commit_point_counts_that_commit_as_done(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, retain_days: int | None
) -> None:
    """Ctrl-C while the first commit's journal is applied: that commit is made (the next
    writer rolls it forward), so what the error carries must count it."""
    before_rows = table_rows(lake.root, EVENT_STABLE)

    def interrupted(self: Lake, journal: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Lake, "apply_journal", interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        compact_lake(lake, CompactSettings(today=TODAY, retain_days=retain_days))
    done = compact_module.done_before_error(caught.value)
    assert done is not None and not done.completed
    if retain_days is None:
        assert (done.partitions_compacted, done.rows_compacted) == (1, 15)
    else:
        assert (done.events_deleted, done.partitions_compacted) == (19, 0)
    monkeypatch.undo()
    compact_lake(Lake.open(lake.root), CompactSettings(today=TODAY))  # rolls it forward
    after_rows = table_rows(lake.root, EVENT_STABLE)
    if retain_days is None:
        assert after_rows == before_rows
    else:
        assert len(after_rows) == len(before_rows) - 19


def test_the_rewrite_streams_without_keeping_insertion_order(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merged file's rows have no order; keeping it made DuckDB buffer the batches of every
    small file (3,000 files: 1.7 GB resident instead of 0.5 GB; benchmarks/bench_compact.py)."""
    seen: list[str] = []
    real = compact_module._stage_rewrite

    def spy(con: Any, *args: Any, **kwargs: Any) -> Any:
        row = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        seen.append(str(row[0]))
        return real(con, *args, **kwargs)

    monkeypatch.setattr(compact_module, "_stage_rewrite", spy)
    compact_lake(lake, CompactSettings(today=TODAY))
    assert seen and set(seen) == {"False"}


def test_a_merged_file_declares_every_column_nullable_like_the_files_it_replaces(
    tmp_path: Path,
) -> None:
    """forum-a 03-01 (two deliveries) has a subject_id on every event, 03-02 one without.
    The merged 03-01 file declared subject_id (and every column without a NULL there)
    non-nullable; an Arrow dataset over events/ takes its schema from that first file, so
    copying the lake with pyarrow failed: "Column 'subject_id' is declared non-nullable but
    contains nulls"."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    lake = Lake.open(tmp_path / "lake", create=True)
    for night in range(2):
        events = [event(f"n{night}-{i}", "2026-03-01") for i in range(3)]
        if night == 0:
            events.append(event("gap", "2026-03-02", subject_id=None))
        write_log(tmp_path / f"night{night}.jsonl", events)
        ingest_paths(lake, [tmp_path / f"night{night}.jsonl"], IngestSettings())
    ingested = [f.nullable for f in pq.read_schema(list_partitions(lake)[0].files[0])]
    compact_lake(lake, CompactSettings(today=TODAY))

    merged = list_partitions(lake)[0].files
    assert len(merged) == 1 and "compacted" in merged[0].name
    schema = pq.read_schema(merged[0])
    assert [f.nullable for f in schema] == ingested
    table = ds.dataset(lake.events_dir, format="parquet", partitioning="hive").to_table()
    assert table.column("subject_id").null_count == 1
    pq.write_table(table, tmp_path / "copy.parquet")  # raised ArrowInvalid


@pytest.mark.slow
def test_status_names_a_compaction_killed_between_its_file_moves(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    """Killed between the rename of the merged file and the deletes, the partition folder
    holds both: a tool globbing the folders reads its rows twice until a writer rolls the
    commit forward. status said nothing of it; it now counts the pending commit."""
    import os
    import subprocess
    import sys

    from auditpipe.lake import CRASH_ENV

    env = {**os.environ, CRASH_ENV: "between_moves"}
    cmd = [sys.executable, "-m", "auditpipe", "compact", "--lake", str(lake.root)]
    proc = subprocess.run([*cmd, "--as-of", "2026-03-10"], env=env, capture_output=True)
    assert proc.returncode == -9
    code, out, _ = run_cli(["status", "--lake", str(lake.root), "--json"], capsys)
    assert code == 0 and json.loads(out)["commits_pending"] == 1
    code, out, _ = run_cli(["status", "--lake", str(lake.root)], capsys)
    assert "Interrupted commits: 1" in out and "--dry-run" in out
    code, _, _ = run_cli([*cmd[3:], "--dry-run"], capsys)  # rolls it forward, nothing else
    code, out, _ = run_cli(["status", "--lake", str(lake.root), "--json"], capsys)
    assert json.loads(out)["commits_pending"] == 0
    assert _files_per_partition(lake)[("forum-a", dt.date(2026, 3, 1))] == 1


@pytest.mark.slow
@pytest.mark.parametrize("retain_days", [None, 8])
@pytest.mark.parametrize(
    "point", ["before_journal", "after_journal", "between_moves", "before_manifest"]
)
def test_compact_killed_at_any_commit_point_ends_before_or_after_never_half(
    lake: Lake, tmp_path: Path, point: str, retain_days: int | None
) -> None:
    """kill -9 at each of the lake's kill points: auditpipe's readers see the lake as before
    or as after that commit, and the next compact ends where an uninterrupted one does."""
    import os
    import shutil
    import subprocess
    import sys

    from auditpipe.lake import CRASH_ENV

    reference = Lake.open(shutil.copytree(lake.root, tmp_path / "reference"))
    before_rows = table_rows(lake.root, EVENT_STABLE)
    args = ["compact", "--lake", str(lake.root), "--as-of", TODAY.isoformat()]
    if retain_days is not None:
        args += ["--retain-days", str(retain_days)]
    settings_ = CompactSettings(today=TODAY, retain_days=retain_days)
    after_first = Lake.open(shutil.copytree(lake.root, tmp_path / "first"))
    compact_lake(reference, settings_)
    expected = table_rows(reference.root, EVENT_STABLE)

    env = {**os.environ, CRASH_ENV: point}
    killed = subprocess.run([sys.executable, "-m", "auditpipe", *args], env=env, check=False)
    assert killed.returncode == -9
    seen = table_rows(lake.root, EVENT_STABLE)
    # before, after, or after the first commit (retention's; or one merged partition)
    if seen not in (before_rows, expected):
        assert retain_days is not None
        compact_lake(after_first, replace(settings_, before=dt.date(2000, 1, 1)))
        assert seen == table_rows(after_first.root, EVENT_STABLE)
    compact_lake(Lake.open(lake.root), settings_)
    assert table_rows(lake.root, EVENT_STABLE) == expected
    assert _files_per_partition(lake) == _files_per_partition(reference)


# -- detect after retention ------------------------------------------------------------------
FINDINGS = (
    "SELECT finding_id, rule_id, event_date, severity, evidence_event_ids, summary"
    " FROM findings ORDER BY finding_id"
)


def test_detect_leaves_the_days_retention_pruned_alone(tmp_path: Path) -> None:
    """Retention keeps the events findings cite, not the others a rule read (an account's
    register and verify events): evaluated again, a pruned day lost findings that were right
    (4 of this lake's real-name findings). detect now skips the days before the cutoff, which
    retention records in its own commit, and says so."""
    from auditpipe.detect import DetectSettings, run_detect
    from auditpipe.generate import generate

    generate(tmp_path / "gen", rows=3000, seed=7, start=dt.date(2026, 3, 1), days=5)
    lake = Lake.open(tmp_path / "lake", create=True)
    ingest_paths(lake, [tmp_path / "gen"], IngestSettings())  # a folder: _expected/ skipped
    run_detect(lake, DetectSettings())
    before = table_rows(lake.root, FINDINGS)
    compact_lake(lake, CompactSettings(today=dt.date(2026, 3, 5), retain_days=2))
    assert lake.retention_cutoff == dt.date(2026, 3, 3)
    result = run_detect(lake, DetectSettings())
    assert result.removed == 0
    assert table_rows(lake.root, FINDINGS) == before
    assert result.days_pruned == [dt.date(2026, 2, 28) + dt.timedelta(days=i) for i in range(3)]
    assert min(result.days_evaluated) == dt.date(2026, 3, 3)
    # A later retention with a longer period does not move the cutoff back.
    compact_lake(lake, CompactSettings(today=dt.date(2026, 3, 5), retain_days=4))
    assert lake.retention_cutoff == dt.date(2026, 3, 3)


def test_a_damaged_retention_record_is_named(lake: Lake) -> None:
    compact_lake(lake, CompactSettings(today=TODAY, retain_days=8))
    record = lake.meta_dir / "retention.json"
    assert json.loads(record.read_text()) == {"cutoff": "2026-03-02"}
    record.write_text("{not json")
    with pytest.raises(LakeError, match="retention.json is damaged"):
        _ = lake.retention_cutoff


def test_a_dry_run_or_a_retention_that_deletes_nothing_records_no_cutoff(lake: Lake) -> None:
    compact_lake(lake, CompactSettings(today=TODAY, retain_days=8, dry_run=True))
    compact_lake(lake, CompactSettings(today=TODAY, retain_days=30))
    assert lake.retention_cutoff is None


def test_nightly_says_which_late_days_retention_pruned_and_does_not_evaluate_them(
    tmp_path: Path, capsys: Any
) -> None:
    """A late delivery for days before the retention cutoff is stored and not evaluated
    (as detect does); the night's summary and --json say which days and why."""
    from tests.support.cli import run_main
    from tests.support.ingest import good, query, write_jsonl

    lake = Lake.open(tmp_path / "lake", create=True)
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(5)]
    rows = [good(event_id=f"e{i}", event_time=f"{d}T10:00:00+08:00") for i, d in enumerate(days)]
    ingest_paths(lake, [write_jsonl(tmp_path / "first.jsonl", rows)], IngestSettings())
    compact_lake(lake, CompactSettings(today=dt.date(2026, 3, 5), retain_days=2))
    late = [good(event_id="late1", event_time="2026-03-01T11:00:00+08:00"),
            good(event_id="late2", event_time="2026-03-04T11:00:00+08:00")]  # fmt: skip
    write_jsonl(tmp_path / "inbox" / "late.jsonl", late)
    args = ["nightly", "--inbox", str(tmp_path / "inbox"), "--lake", str(lake.root)]
    args += ["--settle-seconds", "0", "--fail-on", "none", "--reports", str(tmp_path / "r")]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    assert "1 day(s) (2026-03-01) not evaluated" in out
    assert "Days evaluated: 2026-03-04" in out
    code, out, err = run_main([*args, "--json"], capsys)  # nothing new: nothing pruned either
    doc = json.loads(out)
    assert (doc["days_pruned"], doc["days_evaluated"]) == ([], [])
    write_jsonl(
        tmp_path / "inbox" / "later.jsonl",
        [good(event_id="late3", event_time="2026-03-02T09:00:00+08:00")],
    )
    code, out, err = run_main([*args, "--json"], capsys)
    doc = json.loads(out)
    assert (doc["days_pruned"], doc["retention_cutoff"]) == (["2026-03-02"], "2026-03-03")
    assert doc["days_evaluated"] == []
    assert query(lake.root, "SELECT count(*) FROM events WHERE event_id LIKE 'late%'") == [(3,)]


def test_compact_keeps_a_reserve_of_allocated_blocks_and_retention_releases_it_first(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The room compact --retain-days needs on a full disk (test_compact_full_disk.py fills a
    # real one): blocks allocated, not a sparse file, and a half-made one left by a kill is
    # deleted before the retention writes.
    monkeypatch.setattr(compact_module, "RESERVE_BYTES", 64 * 1024)
    reserve = lake.meta_dir / compact_module.RESERVE_FILE
    compact_lake(lake, CompactSettings(today=TODAY, dry_run=True))
    assert not reserve.exists()  # a dry run changes nothing
    compact_lake(lake, CompactSettings(today=TODAY))
    assert reserve.stat().st_size == 64 * 1024
    assert reserve.stat().st_blocks * 512 >= 64 * 1024
    (lake.meta_dir / "reserve.tmp").write_bytes(b"x" * 1000)  # killed while making it
    freed: list[int] = []
    release = compact_module._release_reserve
    monkeypatch.setattr(
        compact_module, "_release_reserve", lambda lk: freed.append(release(lk)) or freed[-1]
    )
    result = compact_lake(lake, CompactSettings(today=TODAY, retain_days=8))
    assert result.events_deleted and freed and freed[0] >= 64 * 1024 + 1000
    assert not (lake.meta_dir / "reserve.tmp").exists()
    assert reserve.stat().st_size == 64 * 1024  # made again
