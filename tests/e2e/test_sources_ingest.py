"""Database audit logs end to end: ingest --source, detect, report. What lands, what fires,
and that no value written into a protected column leaks anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditpipe.generate.dblogs import write_db_log
from tests.support.cli import run_main

SECRETS = ["110101199003074514", "13900000000", "Zhang San 张三", "hunter2-password"]


def _leaky_pgaudit_lines() -> str:
    """Statements putting protected values in literals, parameters, comments, a tagged dollar
    quote and a broken record."""
    p = "2026-03-02 09:30:00.000 CST [5151] kefu_qian@shop LOG:  AUDIT: "
    return (
        f"{p}SESSION,1,1,WRITE,UPDATE,TABLE,public.accounts,UPDATE accounts SET id_card_no = '{SECRETS[0]}' WHERE id = 11,<none>,1\n"
        f'{p}SESSION,2,1,WRITE,UPDATE,TABLE,public.accounts,"PREPARE u(text, bigint) AS UPDATE accounts SET mobile = $1 WHERE id = $2","{SECRETS[1]},12",1\n'
        f"{p}SESSION,3,1,WRITE,INSERT,TABLE,public.accounts,\"INSERT INTO accounts (id, real_name, password_hash) VALUES (13, '{SECRETS[2]}', '{SECRETS[3]}')\",<none>,1\n"
        f"{p}SESSION,4,1,READ,SELECT,TABLE,public.accounts,/* customer {SECRETS[2]} */ SELECT mobile FROM accounts WHERE id = 14,<none>,1\n"
        f"{p}SESSION,5,1,READ,SELECT,TABLE,public.accounts,/* it's */ SELECT id FROM accounts WHERE real_name = '{SECRETS[2]}' -- {SECRETS[0]},<none>,1\n"
        f"{p}SESSION,6,1,READ,SELECT,TABLE,public.accounts,SELECT id FROM accounts WHERE real_name = $t${SECRETS[2]}$t$,<none>,1\n"
        f"{p}SESSION,x,1,WRITE,UPDATE accounts SET real_name = '{SECRETS[2]}'\n"
        "2026-03-02 09:30:01.000 CST [5151] kefu_qian@shop ERROR:  permission denied for table accounts\n"
        f"2026-03-02 09:30:01.000 CST [5151] kefu_qian@shop STATEMENT:  SELECT id FROM accounts WHERE mobile = '{SECRETS[1]}'\n"
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dblake")
    pg = root / "pg"
    log = write_db_log(pg, "pgaudit-stderr", 3000, 11)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(_leaky_pgaudit_lines())
    my = root / "my"
    write_db_log(my, "server_audit", 3000, 12, provider_id="shop-mysql")
    return root


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(args, capsys)


def _ingest(
    folder: Path, log: str, lake: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    settings = str(folder / "source.toml")
    return _run(
        ["ingest", "--source", settings, str(folder / log), "--lake", str(lake), "--json"], capsys
    )


def test_ingest_detect_report_leak_nothing_and_fire_the_planted_cases(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    the_lake = lake / "lake"
    code, out, err = _ingest(lake / "pg", "postgresql.log", the_lake, capsys)
    assert code == 3, err  # the broken AUDIT record is quarantined
    result = json.loads(out)
    (file,) = result["files"]
    counts = file["source"]
    assert (
        counts["lines_read"]
        == counts["lines_in_events"] + counts["non_data_lines"] + counts["lines_quarantined"]
    )
    assert file["rows_quarantined"] == 1 and counts["lines_quarantined"] == 1
    code, out, err = _ingest(lake / "my", "server_audit.log", the_lake, capsys)
    assert code == 0, err
    code, _, err = _run(["detect", "--lake", str(the_lake), "--fail-on", "none"], capsys)
    assert code == 0, err
    reports = lake / "reports"
    reports.mkdir()
    for fmt, name in [
        ("html", "r.html"),
        ("markdown", "r.md"),
        ("json", "r.json"),
        ("csv", "r.csv"),
    ]:
        code, _, err = _run(
            ["report", "--lake", str(the_lake), "--format", fmt, "--output", str(reports / name)],
            capsys,
        )
        assert code == 0, err
    code, terminal, _ = _run(["report", "--lake", str(the_lake), "--format", "terminal"], capsys)
    code, sql_out, _ = _run(
        [
            "sql",
            "--lake",
            str(the_lake),
            "--format",
            "json",
            "SELECT DISTINCT rule_id, actor_id, provider_id FROM findings ORDER BY ALL",
        ],
        capsys,
    )
    # The planted cases fire, for both kinds of log; the near-misses do not.
    fired = {(r["rule_id"], r["actor_id"], r["provider_id"]) for r in json.loads(sql_out)}
    for provider in ("shop-db", "shop-mysql"):
        for rule, actor in [
            ("illegal_use_bulk", "vendor_x"),
            ("disclosure", "kefu_wang"),
            ("modification", "kefu_zhao"),
            ("illegal_use_credential", "kefu_sun"),
        ]:
            assert (rule, actor, provider) in fired
    assert not {a for _, a, _ in fired} & {"svc_backup", "kefu_zhou", "svc_app", "kefu_li"}
    # Nothing written into a protected column is anywhere: lake files, reports, stdout.
    blobs = [terminal.encode(), sql_out.encode()]
    for path in list(the_lake.rglob("*")) + list(reports.rglob("*")):
        if path.is_file():
            blobs.append(path.read_bytes())
    import pyarrow.parquet as pq

    for path in the_lake.rglob("*.parquet"):
        blobs.append(
            json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False).encode()
        )
    for secret in SECRETS:
        for blob in blobs:
            assert secret.encode() not in blob, secret


def test_the_subject_key_is_kept_and_the_denied_read_is_a_failure(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    the_lake = lake / "lake"
    code, out, err = _run(
        [
            "sql",
            "--lake",
            str(the_lake),
            "--format",
            "json",
            "SELECT subject_id, action, outcome, data_fields FROM events WHERE actor_id = 'kefu_qian' ORDER BY line_number",
        ],
        capsys,
    )
    assert code == 0, err
    rows = json.loads(out)
    # (the INSERT of row 13 writes subject 13's data: its key value in VALUES is the subject)
    assert [r["subject_id"] for r in rows] == ["11", "12", "13", "14", None, None, None]
    assert rows[1]["action"] == "update" and "mobile" in rows[1]["data_fields"]
    # a statement after a comment, or with a dollar-quoted literal, is read as without
    assert rows[3]["action"] == "view" and rows[3]["data_fields"] == ["mobile", "accounts.id"]
    assert [rows[i]["action"] for i in (4, 5)] == ["search", "search"]
    assert [rows[i]["data_fields"] for i in (4, 5)] == [["real_name", "accounts.id"]] * 2
    assert rows[6]["outcome"] == "failure" and rows[6]["action"] == "search"


def test_a_second_ingest_of_the_same_log_stores_nothing_twice(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    copy = tmp_path / "renamed.log"
    shutil.copy(lake / "my" / "server_audit.log", copy)
    # Same bytes under another name: skipped as already ingested.
    code, out, _ = _run(
        [
            "ingest",
            "--source",
            str(lake / "my" / "source.toml"),
            str(copy),
            "--lake",
            str(lake / "lake"),
            "--json",
        ],
        capsys,
    )
    assert json.loads(out)["files"][0]["status"] == "skipped"


def _listed_sources(tmp_path: Path) -> tuple[Path, Path]:
    """An inbox of a contract log and two database audit logs, and an auditpipe.toml listing
    the two sources (their settings name their files by pattern)."""
    inbox = tmp_path / "inbox"
    for which, folder in (("pgaudit-stderr", "pg"), ("server_audit", "maria")):
        write_db_log(tmp_path / "sources" / folder, which, 200, 3, provider_id=f"shop-{folder}")
        settings = tmp_path / "sources" / folder / "source.toml"
        pattern = "postgresql*.log" if folder == "pg" else "server_audit*.log"
        settings.write_text(f'files = ["{pattern}"]\n' + settings.read_text())
        log = next((tmp_path / "sources" / folder).glob("*.log"))
        (inbox / folder).mkdir(parents=True)
        log.rename(inbox / folder / log.name)
    (inbox / "forum.jsonl").write_text(
        json.dumps(
            {
                "event_time": "2026-03-02T09:00:00+08:00",
                "provider_id": "forum-a",
                "actor_id": "e1",
                "action": "view",
                "data_fields": "real_name",
            }  # fmt: skip
        )
        + "\n"
    )
    config = tmp_path / "auditpipe.toml"
    config.write_text(
        '[ingest]\nsources = ["sources/pg/source.toml", "sources/maria/source.toml"]\n'
    )
    return inbox, config


def test_sources_listed_in_auditpipe_toml_are_recognised_by_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, config = _listed_sources(tmp_path)
    code, out, err = _run(
        ["ingest", str(inbox), "--lake", str(tmp_path / "lake"), "--config", str(config), "--json"],
        capsys,
    )
    assert code == 0, err
    formats = {
        Path(f["source_file"]).name: (f["format"], f["rows_stored"])
        for f in json.loads(out)["files"]
    }
    assert formats == {
        "postgresql.log": ("pgaudit", 206),
        "server_audit.log": ("server_audit", 206),
        "forum.jsonl": ("jsonl", 1),
    }


def test_the_nightly_job_takes_listed_sources_from_its_inbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, config = _listed_sources(tmp_path)
    code, _, err = _run(
        ["nightly", "--inbox", str(inbox), "--lake", str(tmp_path / "lake"), "--reports",
         str(tmp_path / "reports"), "--settle-seconds", "0", "--fail-on", "none",
         "--config", str(config)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = _run(
        ["sql", "--lake", str(tmp_path / "lake"), "--format", "json",
         "SELECT provider_id, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL"],
        capsys,
    )  # fmt: skip
    assert json.loads(out) == [
        {"provider_id": "forum-a", "n": 1},
        {"provider_id": "shop-maria", "n": 206},
        {"provider_id": "shop-pg", "n": 206},
    ]


@pytest.mark.parametrize(
    ("kind", "log"), [("pgaudit", "postgresql.log"), ("server_audit", "server_audit.log")]
)
def test_the_sample_logs_check_ingest_and_reconcile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, log: str
) -> None:
    folder = Path(__file__).resolve().parents[2] / "sample_data" / "_sources" / kind
    code, out, _ = _run(["sources", "check", str(folder / "source.toml")], capsys)
    assert code == 0 and out.rstrip().endswith("ok")
    code, out, err = _run(
        [
            "ingest",
            "--source",
            str(folder / "source.toml"),
            str(folder / log),
            "--lake",
            str(tmp_path / "lake"),
        ],
        capsys,
    )
    assert code == 0, err
    lines = (folder / log).read_text(encoding="utf-8").count("\n")
    assert f"{lines:,} log lines = " in err and "+ 0 quarantined" in err


def test_a_log_with_an_ambiguous_zone_is_rejected_whole_and_says_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "pg"
    write_db_log(folder, "pgaudit-stderr", 50, 4)
    settings = folder / "source.toml"
    settings.write_text(settings.read_text().replace('timezone = "Asia/Shanghai"\n', ""))
    code, out, err = _run(
        ["ingest", "--source", str(settings), str(folder / "postgresql.log"), "--lake",
         str(tmp_path / "lake"), "--json"],
        capsys,
    )  # fmt: skip
    assert code == 3
    (file,) = json.loads(out)["files"]
    assert file["status"] == "rejected" and "'CST', which is ambiguous" in file["reason"]
    assert "set timezone to the log's IANA zone" in file["reason"]


def test_a_half_right_mapping_is_told_which_columns_to_map_in_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first ingest of a real log with [columns] leaving out a protected column it touched
    names that column and says to map it in the source settings' [columns] (not to add a
    catalog entry named "accounts.id_card_no")."""
    folder = Path(__file__).resolve().parents[2] / "sample_data" / "_sources" / "pgaudit"
    settings = tmp_path / "source.toml"
    text = (folder / "source.toml").read_text(encoding="utf-8")
    settings.write_text(
        text.replace('"accounts.id_card_no" = "id_number"\n', "").replace(
            'schema = "schema.sql"', f'schema = "{folder / "schema.sql"}"'
        ),
        encoding="utf-8",
    )
    args = ["ingest", "--source", str(settings), str(folder / "postgresql.log")]
    code, _, err = _run([*args, "--lake", str(tmp_path / "lake")], capsys)
    assert code == 0, err
    assert "accounts.id_card_no (4)" in err, err
    assert f"[columns] of {settings} does not map" in err, err
    code, _, err = _run(["--lang", "zh_CN", *args, "--lake", str(tmp_path / "lake2")], capsys)
    assert code == 0 and f"{settings} 的 [columns]" in err, err


def test_actor_patterns_that_match_no_user_are_named_with_the_users_left_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[actors] globs with a typo (svc-* for svc_app) leave those users' statements actor_type
    unknown: the ingest says which users no pattern matched and which patterns matched none."""
    folder = Path(__file__).resolve().parents[2] / "sample_data" / "_sources" / "pgaudit"
    settings = tmp_path / "source.toml"
    text = (folder / "source.toml").read_text(encoding="utf-8")
    settings.write_text(
        text.replace('"svc_*" =', '"svc-*" =')
        .replace('"kefu_*" =', '"kefu*_" =')
        .replace('schema = "schema.sql"', f'schema = "{folder / "schema.sql"}"'),
        encoding="utf-8",
    )
    args = ["ingest", "--source", str(settings), str(folder / "postgresql.log")]
    code, _, err = _run([*args, "--lake", str(tmp_path / "lake")], capsys)
    assert code == 0, err
    assert (
        f"10 statements by database users no [actors] pattern of {settings} matches "
        "(actor_type unknown): svc_app (6), postgres (3), kefu_li (1)"
    ) in err, err
    assert "[actors] patterns that matched no user: kefu*_, svc-*" in err, err
    sample = folder / "source.toml"  # its patterns match all but the superuser
    code, _, err = _run(
        ["ingest", "--source", str(sample), str(folder / "postgresql.log"), "--lake",
         str(tmp_path / "lake2")],
        capsys,
    )  # fmt: skip
    assert code == 0 and "(actor_type unknown): postgres (3)\n" in err, err
    assert "matched no user" not in err, err
