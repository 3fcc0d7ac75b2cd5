"""Account snapshots into the lake: the same guarantees as access logs, and no ID number kept.

Every file form (JSON Lines, CSV, Parquet; plain, gzip, zstd) reconciles (read = stored +
quarantined + duplicate), quarantines with a reason, is a no-op the second time, and keeps an
account once per snapshot. The ID number is replaced by its verdict and keyed hash; the
quarantine's raw text has it removed, even from lines that do not parse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from auditpipe.errors import LakeError
from auditpipe.ingest import IngestResult, IngestSettings, ingest_paths
from auditpipe.lake import Lake
from auditpipe.realname import date_in_name, is_snapshot_name, with_check_characters
from auditpipe.realname.secret import identity_key, key_path
from tests.support.accounts import (
    BAD_CHECK,
    BAD_DATE,
    VALID_IDS,
    account,
    accounts,
    all_text,
    write_snapshot,
)
from tests.support.cli import run_main
from tests.support.ingest import query, reasons


def ingest(lake: Path, *paths: Path, **kwargs: object) -> IngestResult:
    the_lake = Lake.open(lake, create=True)
    return ingest_paths(the_lake, list(paths), IngestSettings(), **kwargs)  # type: ignore[arg-type]


def the_file(result: IngestResult) -> tuple[str, int, int, int, int]:
    (f,) = result.files
    assert f.reconciles
    return f.status, f.rows_read, f.rows_stored, f.rows_quarantined, f.rows_duplicate


MIXED = [
    account(account_id="u1"),
    account(account_id="u2", id_number=BAD_CHECK),
    account(account_id="u3", id_number=BAD_DATE, verification_method=None),
    account(account_id="u4", verification_status="unverified", verified_at=None, id_number=None),
    account(account_id="u1", verification_status="revoked"),  # same account again: duplicate
    account(account_id="u5", verification_status="maybe", id_number=VALID_IDS[1]),
    account(account_id=None, id_number=VALID_IDS[2]),
    account(account_id="u6", verified_at="not a time"),
]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("compression", [None, "gz", "zst"])
def test_every_form_reconciles_checks_and_forgets_the_number(
    tmp_path: Path, fmt: str, compression: str | None
) -> None:
    path = write_snapshot(tmp_path / "in" / "forum-a-2026-03-01.accounts", MIXED, fmt, compression)
    result = ingest(tmp_path / "lake", path)
    assert the_file(result) == ("ingested", 8, 4, 3, 1)
    rows = {r["account_id"]: r for r in accounts(tmp_path / "lake")}
    assert set(rows) == {"u1", "u2", "u3", "u4"}
    assert rows["u1"]["verification_status"] == "verified"  # the first delivery wins
    assert (rows["u1"]["id_number_valid"], rows["u1"]["id_number_problem"]) == (True, None)
    assert (rows["u2"]["id_number_valid"], rows["u2"]["id_number_problem"]) == (
        False,
        "check_digit",
    )
    assert rows["u3"]["id_number_problem"] == "birth_date"
    assert rows["u3"]["verification_method"] is None
    assert (rows["u4"]["id_number_present"], rows["u4"]["identity_hash"]) == (False, None)
    assert all(r["snapshot_date"] == dt.date(2026, 3, 1) for r in rows.values())
    key = identity_key(tmp_path / "lake")
    assert rows["u1"]["identity_hash"] == hmac.new(key, VALID_IDS[0].encode(), "sha256").hexdigest()
    why = sorted(reasons(tmp_path / "lake").values())
    assert any("verification_status 'maybe' is not one of" in r for r in why)
    assert any("missing required field account_id" in r for r in why)
    assert any("verified_at 'not a time' is not a date and time" in r for r in why)
    text = all_text(tmp_path / "lake")
    for number in [*VALID_IDS, BAD_CHECK, BAD_DATE]:
        assert number not in text
        assert number[:17] not in text


def test_second_ingest_is_a_no_op_and_a_later_snapshot_is_history(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = write_snapshot(tmp_path / "forum-a-2026-03-01.accounts", [account()])
    assert the_file(ingest(lake, first)) == ("ingested", 1, 1, 0, 0)
    assert the_file(ingest(lake, first))[0] == "skipped"
    # Same date, another file: the account is already in that snapshot.
    again = write_snapshot(
        tmp_path / "again-2026-03-01.accounts", [account(), account(account_id="u9")]
    )
    assert the_file(ingest(lake, again)) == ("ingested", 2, 1, 0, 1)
    later = write_snapshot(
        tmp_path / "forum-a-2026-03-08.accounts",
        [account(verification_status="revoked")],
    )
    assert the_file(ingest(lake, later)) == ("ingested", 1, 1, 0, 0)
    assert len(accounts(lake)) == 3
    import auditpipe

    con = auditpipe.connect(lake)
    current = con.execute(
        "SELECT account_id, verification_status, snapshot_date FROM accounts_current"
    ).fetchall()
    assert current == [("u1", "revoked", dt.date(2026, 3, 8))]
    frame = auditpipe.scan(lake, "accounts_current").collect()
    assert frame["account_id"].to_list() == ["u1"]
    # The read_parquet views detect and report use, typed from the folder names.
    from auditpipe.lake.views import connect_views

    with connect_views(Lake.open(lake)) as db:
        assert (
            db.query("SELECT account_id, verification_status, snapshot_date FROM accounts_current")
            == current
        )
        assert db.query("SELECT count(*), min(snapshot_date) FROM accounts") == [
            (3, dt.date(2026, 3, 1))
        ]


def test_snapshot_date_from_the_row_then_the_option_then_the_name(tmp_path: Path) -> None:
    rows = [
        account(account_id="a", snapshot_date="2026-02-01"),
        account(account_id="b", as_of="20260202"),
        account(account_id="c"),
    ]
    named = write_snapshot(tmp_path / "users_20260210.accounts", rows)
    ingest(tmp_path / "l1", named)
    assert {r["account_id"]: r["snapshot_date"] for r in accounts(tmp_path / "l1")} == {
        "a": dt.date(2026, 2, 1),
        "b": dt.date(2026, 2, 2),
        "c": dt.date(2026, 2, 10),
    }
    ingest(tmp_path / "l2", named, snapshot_date=dt.date(2026, 2, 20))
    assert accounts(tmp_path / "l2", "account_id = 'c'")[0]["snapshot_date"] == dt.date(2026, 2, 20)
    undated = write_snapshot(tmp_path / "users.accounts", [account(), account(snapshot_date="x")])
    result = ingest(tmp_path / "l3", undated)
    assert the_file(result) == ("ingested", 2, 0, 2, 0)
    why = reasons(tmp_path / "l3")
    assert "missing snapshot_date" in why[1] and "--snapshot-date" in why[1]
    assert "snapshot_date 'x' is not a date" in why[2]


def test_a_snapshot_date_outside_the_event_range_is_refused(tmp_path: Path) -> None:
    rows = [account(snapshot_date="1989-12-31"), account(account_id="u2", snapshot_date="21000101")]
    path = write_snapshot(tmp_path / "x.accounts", rows)
    assert the_file(ingest(tmp_path / "lake", path))[3] == 2
    assert all("is outside 1990-2100" in r for r in reasons(tmp_path / "lake").values())


def test_field_names_and_values_in_other_spellings(tmp_path: Path) -> None:
    row = {
        "Provider": "forum-a",
        "UID": "u1",
        "实名状态": "已实名",
        "认证时间": "2026-01-05 09:05:00",
        "认证方式": "人脸",
        "身份证号": VALID_IDS[0].lower(),
    }
    path = write_snapshot(tmp_path / "f-2026-03-01.accounts", [row], "csv")
    ingest(tmp_path / "lake", path)
    (got,) = accounts(tmp_path / "lake")
    assert (got["account_id"], got["verification_status"], got["verification_method"]) == (
        "u1",
        "verified",
        "face",
    )
    assert got["id_number_valid"] is True
    assert got["verified_at"] == dt.datetime(2026, 1, 5, 1, 5, tzinfo=dt.UTC)


def test_malformed_lines_lose_their_id_numbers_too(tmp_path: Path) -> None:
    lines = [
        '{"provider_id": "forum-a", "account_id": "u1", "sfzh": "' + VALID_IDS[0] + '" broken',
        "not json at all " + VALID_IDS[1] + "," + VALID_IDS[2],
        '{"provider_id": "forum-a", "account_id": "u2", "verification_status": "??", '
        '"id_no": "' + BAD_CHECK[:6] + "-" + BAD_CHECK[6:14] + "-" + BAD_CHECK[14:] + '"}',
        '{"provider_id": "forum-a", "account_id": "u3", "verification_status": "??", '
        '"id_number": "1101051949X"}',
    ]
    path = write_snapshot(tmp_path / "f-2026-03-01.accounts", lines)
    assert the_file(ingest(tmp_path / "lake", path)) == ("ingested", 4, 0, 4, 0)
    text = all_text(tmp_path / "lake")
    for secret in [*VALID_IDS, BAD_CHECK[:6], "1101051949X"]:
        assert secret not in text
    raws = [r for (r,) in query(tmp_path / "lake", "SELECT raw FROM quarantine ORDER BY 1")]
    assert all("[id number removed]" in r for r in raws)


def test_csv_rows_with_the_wrong_column_count_are_redacted(tmp_path: Path) -> None:
    rows: list[object] = [account(), f"forum-a,u2,{VALID_IDS[1]},extra,cells,here,x,y,z"]
    path = write_snapshot(tmp_path / "f-2026-03-01.accounts", rows, "csv")
    assert the_file(ingest(tmp_path / "lake", path)) == ("ingested", 2, 1, 1, 0)
    assert VALID_IDS[1] not in all_text(tmp_path / "lake")


def test_snapshot_names() -> None:
    assert is_snapshot_name(Path("x/forum-a-2026-03-01.accounts.jsonl.gz"))
    assert is_snapshot_name(Path("USERS.Accounts.CSV"))
    assert not is_snapshot_name(Path("accounts.jsonl"))
    assert not is_snapshot_name(Path("forum-a.jsonl"))
    assert date_in_name(Path("forum-a-2026-03-01.accounts.csv")) == dt.date(2026, 3, 1)
    assert date_in_name(Path("users_20260301.accounts.csv")) == dt.date(2026, 3, 1)
    assert date_in_name(Path("users_20261341.accounts.csv")) is None
    assert date_in_name(Path("users.accounts.csv")) is None


def test_logs_and_snapshots_in_one_folder_go_to_their_tables(tmp_path: Path) -> None:
    from tests.support.ingest import good, write_jsonl

    write_jsonl(tmp_path / "in" / "forum-a.jsonl", [good(event_id="e1", action="kyc")])
    write_snapshot(tmp_path / "in" / "forum-a-2026-03-01.accounts", [account()])
    result = ingest(tmp_path / "lake", tmp_path / "in")
    assert sorted((f.format, f.rows_stored) for f in result.files) == [("jsonl", 1), ("jsonl", 1)]
    assert query(tmp_path / "lake", "SELECT action FROM events") == [("verify",)]
    assert len(accounts(tmp_path / "lake")) == 1


def test_cli_accounts_option_reads_any_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_snapshot(tmp_path / "export", [account(), account(account_id="u2")], "csv")
    code, out, err = run_main(
        [
            "ingest",
            "--accounts",
            "--snapshot-date",
            "2026-03-01",
            str(path),
            "--lake",
            str(tmp_path / "lake"),
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    assert '"rows_stored": 2' in out
    assert VALID_IDS[0] not in out + err
    assert len(accounts(tmp_path / "lake")) == 2
    code, _, err = run_main(
        ["ingest", "--accounts", "--source", str(path), str(path), "--lake", str(tmp_path / "l")],
        capsys,
    )
    assert code == 2 and "cannot be used together" in err


# -- the identity key ------------------------------------------------------------------------
def test_the_key_is_private_and_made_once(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    Lake.open(root, create=True)
    key = identity_key(root)
    assert stat.S_IMODE(key_path(root).stat().st_mode) == 0o600
    assert identity_key(root) == key
    key_path(root).chmod(0o644)
    with pytest.raises(LakeError, match="can be read by other users"):
        identity_key(root)


def _make_key(root: str) -> str:
    return identity_key(Path(root)).hex()


def test_processes_racing_to_create_the_key_end_with_one(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    Lake.open(root, create=True)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_make_key, [str(root)] * 8)
    assert len(set(keys)) == 1
    assert [p.name for p in key_path(root).parent.iterdir() if "identity" in p.name] == [
        "identity.key"
    ]


def test_a_lost_key_is_not_silently_replaced(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    ingest(lake, write_snapshot(tmp_path / "a-2026-03-01.accounts", [account()]))
    os.unlink(key_path(lake))
    later = write_snapshot(tmp_path / "a-2026-03-02.accounts", [account()])
    with pytest.raises(LakeError, match="identity key .* is missing"):
        ingest(lake, later)


def test_equal_numbers_hash_equal_within_a_lake_and_differ_across_lakes(tmp_path: Path) -> None:
    rows = [account(account_id="a"), account(account_id="b", id_number=" " + VALID_IDS[0].lower())]
    for name in ("l1", "l2"):
        ingest(tmp_path / name, write_snapshot(tmp_path / f"{name}-2026-03-01.accounts", rows))
    one = {r["identity_hash"] for r in accounts(tmp_path / "l1")}
    two = {r["identity_hash"] for r in accounts(tmp_path / "l2")}
    assert len(one) == 1 and len(two) == 1 and one != two
    assert one != {hashlib.sha256(VALID_IDS[0].encode()).hexdigest()}


def test_a_placeholder_of_separators_is_no_number_and_no_shared_identity(tmp_path: Path) -> None:
    """A spreadsheet export that writes "-" for "no number" gave every such account a present,
    invalid number with one and the same hash: six of them were one identity."""
    rows = [account(account_id=f"d{i}", id_number=p) for i, p in enumerate(["-", "--", "/", "—"])]
    ingest(tmp_path / "lake", write_snapshot(tmp_path / "forum-a-2026-03-01.accounts", rows))
    stored = accounts(tmp_path / "lake")
    assert len(stored) == 4
    for r in stored:
        assert (r["id_number_present"], r["id_number_valid"]) == (False, None)
        assert (r["id_number_problem"], r["identity_hash"]) == (None, None)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_spreadsheets_text_marker_leaves_the_number_valid_and_its_hash(
    tmp_path: Path, fmt: str
) -> None:
    """'1101... and ="1101..." (how CSV exports keep 18 digits as text) were refused on length:
    an invalid-verification finding for a valid number, and a hash of another identity."""
    rows = [
        account(account_id="plain"),
        account(account_id="apostrophe", id_number="'" + VALID_IDS[0]),
        account(account_id="formula", id_number='="' + VALID_IDS[0].lower() + '"'),
    ]
    path = write_snapshot(tmp_path / "forum-a-2026-03-01.accounts", rows, fmt)
    assert the_file(ingest(tmp_path / "lake", path)) == ("ingested", 3, 3, 0, 0)
    stored = accounts(tmp_path / "lake")
    assert {(r["id_number_valid"], r["id_number_problem"]) for r in stored} == {(True, None)}
    assert len({r["identity_hash"] for r in stored}) == 1
    assert VALID_IDS[0][:17] not in all_text(tmp_path / "lake")


def test_a_birth_date_after_the_snapshot_date_fails_whatever_the_day_of_the_ingest(
    tmp_path: Path,
) -> None:
    """Born after the day the snapshot is as of: nobody is verified before being born. The
    bound was the day of the ingest, so such a number passed once that day had come, and one
    file's verdict depended on when it was ingested."""
    day = dt.date(2026, 3, 1)
    born_later = with_check_characters([f"110105{day + dt.timedelta(days=30):%Y%m%d}001"])[0]
    born_that_day = with_check_characters([f"110105{day:%Y%m%d}001"])[0]
    rows = [
        account(account_id="later", id_number=born_later),
        account(account_id="same", id_number=born_that_day),
    ]
    ingest(tmp_path / "lake", write_snapshot(tmp_path / f"forum-a-{day}.accounts", rows))
    stored = {r["account_id"]: r for r in accounts(tmp_path / "lake")}
    assert (stored["later"]["id_number_valid"], stored["later"]["id_number_problem"]) == (
        False,
        "birth_date",
    )
    assert (stored["same"]["id_number_valid"], stored["same"]["id_number_problem"]) == (True, None)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_placeholder_method_is_no_method(tmp_path: Path, fmt: str) -> None:
    """ "-" (stored as "_") or "none" for "no method" counted as a method given, so a verified
    account without one was no invalid verification."""
    placeholders = ["-", "--", "/", " - ", "none", "NULL", "N/A", "nil", "无"]
    rows = [account(account_id=f"m{i}", verification_method=p) for i, p in enumerate(placeholders)]
    rows.append(account(account_id="real", verification_method="None of the above: face"))
    path = write_snapshot(tmp_path / "forum-a-2026-03-01.accounts", rows, fmt)
    ingest(tmp_path / "lake", path)
    stored = {r["account_id"]: r["verification_method"] for r in accounts(tmp_path / "lake")}
    assert stored == {f"m{i}": None for i in range(len(placeholders))} | {
        "real": "none_of_the_above:_face"
    }
