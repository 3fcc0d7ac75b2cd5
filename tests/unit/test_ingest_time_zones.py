"""A time that names its zone is stored as that zone's instant, or quarantined when the name
is an abbreviation that could mean several zones: never stored at another zone's instant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.ingest import good, ingest, query, write_jsonl

UTC = dt.UTC

# Abbreviations DuckDB's time parsing reads, each for one zone of its own choosing: CST as US
# central time (a Chinese system's CST is China Standard Time), IST as India's, BST as
# Bangladesh's (British Summer Time elsewhere), CTT as Java's old name for Shanghai.
ABBREVIATIONS = ["CST", "cst", "Cst", "IST", "BST", "PST", "EST", "JST", "CTT", "MSK", "HKT"]
# Forms of the same wall-clock time before the zone word.
CLOCKS = [
    "2026-03-01 10:00:00",
    "2026-03-01T10:00:00",
    "2026-03-01 10:00:00.5",
    "2026-03-01 10:00",
]


def test_a_zone_abbreviation_is_quarantined_never_read_as_some_zone(tmp_path: Path) -> None:
    # every clock form, with and without a space, with every abbreviation: one file
    spellings = [c + s + z for c in CLOCKS for s in ("", " ") for z in ABBREVIATIONS]
    rows = [good(event_id=str(i), event_time=t) for i, t in enumerate(spellings)]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert result.rows_stored == 0, query(
        tmp_path / "lake", "SELECT event_id, event_time FROM events"
    )
    assert result.rows_quarantined == len(rows)
    for (reason,) in query(tmp_path / "lake", "SELECT reason FROM quarantine"):
        assert "abbreviation" in reason and "UTC offset" in reason, reason


NAMED = [
    ("2026-03-01 10:00:00 UTC", 10),
    ("2026-03-01 10:00:00 utc", 10),
    ("2026-03-01 10:00:00 GMT", 10),
    ("2026-03-01 10:00:00 Asia/Shanghai", 2),
    ("2026-03-01 10:00:00 America/New_York", 15),
    ("2026-03-01 10:00:00 Etc/GMT-8", 2),  # IANA's sign: Etc/GMT-8 is UTC+8
    ("2026-03-01 10:00:00 GMT+8", 2),
    ("2026-03-01 10:00:00 UTC+08:00", 2),
    ("2026-03-01 10:00:00 EST5EDT", 15),
]


def test_a_zone_name_or_utc_is_read_as_that_zone(tmp_path: Path) -> None:
    rows = [good(event_id=str(i), event_time=t) for i, (t, _) in enumerate(NAMED)]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert result.rows_stored == len(NAMED), result.files[0]
    got = query(tmp_path / "lake", "SELECT event_time FROM events ORDER BY event_id::INT")
    assert got == [(dt.datetime(2026, 3, 1, h, 0, tzinfo=UTC),) for _, h in NAMED]


def test_an_account_snapshot_time_with_a_zone_abbreviation_is_quarantined(tmp_path: Path) -> None:
    from tests.support.accounts import account, accounts, write_snapshot

    snap = write_snapshot(
        tmp_path / "forum-a-2026-03-01.accounts",
        [
            account(account_id="u1", verified_at="2026-01-05 09:05:00 CST"),
            account(account_id="u2", registered_at="2026-01-05 09:00:00 UTC"),
        ],
    )
    result = ingest(tmp_path / "lake", snap)
    assert (result.rows_stored, result.rows_quarantined) == (1, 1), result.files[0]
    (row,) = accounts(tmp_path / "lake")
    assert row["registered_at"] == dt.datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    ((reason,),) = query(tmp_path / "lake", "SELECT reason FROM quarantine")
    assert reason.startswith(
        "verified_at '2026-01-05 09:05:00 CST' names its time zone by an abbreviation"
    )


# 2026-03-01T02:00:00Z, and a nanosecond offset within the next two seconds
BASE_S = 1772330400


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(0, 2_000_000_000 - 1), min_size=1, max_size=4))
def test_every_time_form_keeps_the_microsecond_the_instant_falls_in(
    tmp_path_factory: pytest.TempPathFactory, nanos: list[int]
) -> None:
    # Text and Parquet times below a microsecond are cut to it; an epoch fraction was rounded
    # to the nearest one. A post logged as text 0.3 us after a check logged in epoch seconds
    # was then stored before it, and found as unverified publishing.
    work = tmp_path_factory.mktemp("precision")
    rows, expected = [], []
    for i, n in enumerate(nanos):
        instant = dt.datetime.fromtimestamp(BASE_S + n // 10**9, UTC)
        frac = f"{n % 10**9:09d}"
        total_ns = BASE_S * 10**9 + n
        forms = [
            instant.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z",
            (instant + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S.") + frac + "+08:00",
            f"{BASE_S + n // 10**9}.{frac}",
            f"{total_ns // 10**6}.{total_ns % 10**6:06d}",  # epoch milliseconds
        ]
        rows += [good(event_id=f"{i}-{k}", event_time=f) for k, f in enumerate(forms)]
        micro = dt.timedelta(microseconds=n // 1000)
        expected += [(f"{i}-{k}", dt.datetime.fromtimestamp(BASE_S, UTC) + micro) for k in range(4)]
    result = ingest(work / "lake", write_jsonl(work / "in.jsonl", rows))
    assert result.rows_stored == len(rows), result.files[0]
    got = query(work / "lake", "SELECT event_id, event_time FROM events ORDER BY event_id")
    assert got == sorted(expected)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(-23, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["hours", "minutes", "seconds"]),
    st.integers(0, 99),
)
def test_offsets_with_seconds_are_read_when_a_clock_can_have_them(
    tmp_path_factory: pytest.TempPathFactory,
    hours: int,
    minutes: int,
    seconds: int,
    wrong: str,
    bad: int,
) -> None:
    # "+25:00:00" was stored a day and an hour away, "+08:99:00" 99 minutes away: the check of
    # an offset's range knew only offsets of hours and minutes.
    sign = "-" if hours < 0 else "+"
    valid = f"2026-03-01T10:00:00{sign}{abs(hours):02d}:{minutes:02d}:{seconds:02d}"
    parts = {"hours": abs(hours), "minutes": minutes, "seconds": seconds}
    parts[wrong] = max(bad, 24 if wrong == "hours" else 60)
    invalid = "2026-03-01T10:00:00+{hours:02d}:{minutes:02d}:{seconds:02d}".format(**parts)
    work = tmp_path_factory.mktemp("offsets")
    log = write_jsonl(
        work / "in.jsonl",
        [good(event_id="v", event_time=valid), good(event_id="x", event_time=invalid)],
    )
    result = ingest(work / "lake", log)
    assert (result.rows_stored, result.rows_quarantined) == (1, 1), (valid, invalid)
    offset = dt.timedelta(hours=abs(hours), minutes=minutes, seconds=seconds)
    expected = dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC) - offset * (-1 if hours < 0 else 1)
    assert query(work / "lake", "SELECT event_time FROM events") == [(expected,)]
    ((reason,),) = query(work / "lake", "SELECT reason FROM quarantine")
    assert "is not a date and time" in reason


def _zoned_forms(instant: dt.datetime) -> list[str]:
    """One UTC instant written with its zone in every form that names one."""
    ny = instant.astimezone(ZoneInfo("America/New_York"))
    off = ny.utcoffset() or dt.timedelta()
    sign, off = ("-", -off) if off < dt.timedelta() else ("+", off)
    hh, mm = divmod(int(off.total_seconds()) // 60, 60)
    u, local = instant.strftime("%Y-%m-%d %H:%M:%S"), ny.strftime("%Y-%m-%d %H:%M:%S")
    london = instant.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M:%S")
    return [
        u.replace(" ", "T") + "Z",
        u + "+00:00",
        u + " UTC",
        u + " GMT",
        u + " Etc/UTC",
        london + " Europe/London",
        f"{local}{sign}{hh:02d}:{mm:02d}",
        f"{local}{sign}{hh:02d}:{mm:02d}:00",
    ]


def test_a_time_with_its_zone_is_that_instant_near_the_lakes_clock_changes(
    tmp_path: Path,
) -> None:
    # In a lake of a zone with daylight saving time, a time near a change of its offset was
    # taken for a local time when its zone was a name or an offset with seconds: "06:30:00
    # UTC" was quarantined as a New York time that does not exist, and "01:30:00-05:00:00"
    # (the second 01:30) stored as the first, an hour early.
    from auditpipe.ingest import IngestSettings, ingest_paths
    from auditpipe.lake import Lake

    instants = [
        start + dt.timedelta(minutes=15 * k)
        for start in (
            dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC),  # 00:00 EST; 02:00 local is skipped
            dt.datetime(2026, 11, 1, 4, 0, tzinfo=UTC),  # 00:00 EDT; 01:00-02:00 twice
        )
        for k in range(16)
    ]
    rows, expected = [], []
    for i, instant in enumerate(instants):
        for k, form in enumerate(_zoned_forms(instant)):
            rows.append(good(event_id=f"{i:02d}-{k}", event_time=form))
            expected.append((f"{i:02d}-{k}", instant))
    lake = Lake.open(tmp_path / "lake", create=True, timezone="America/New_York")
    result = ingest_paths(lake, [write_jsonl(tmp_path / "in.jsonl", rows)], IngestSettings())
    assert result.rows_quarantined == 0, query(
        tmp_path / "lake", "SELECT raw, reason FROM quarantine"
    )[:3]
    got = query(tmp_path / "lake", "SELECT event_id, event_time FROM events ORDER BY event_id")
    assert [g for g, e in zip(got, expected, strict=True) if g != e] == []


NAMED_ZONE_CLOCKS = [
    # (text, the instant stored or None for quarantined as not existing there)
    ("2026-03-08 02:30:00 America/New_York", None),  # clocks skip 02:00-03:00
    ("2026-03-08 01:59:59 America/New_York", dt.datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC)),
    ("2026-03-08 03:00:00 America/New_York", dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
    ("2026-11-01 01:30:00 America/New_York", dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # first
    ("2026-03-29 01:30:00 Europe/London", None),
    ("2026-10-25 01:30:00 Europe/London", dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # first
    ("2026-10-04 02:15:00 Australia/Lord_Howe", None),  # a 30-minute change
    ("2026-03-01 10:00:00 Asia/Shanghai", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize("lake_zone", ["Asia/Shanghai", "America/New_York"])
def test_a_time_in_a_named_zone_follows_that_zones_clock_changes(
    tmp_path: Path, lake_zone: str
) -> None:
    # As a local time of the lake's own timezone: one that does not exist in the named zone is
    # quarantined (DuckDB moved 02:30 to 03:30, an instant nobody logged), one that happens
    # twice there is its first occurrence (DuckDB took the second).
    from auditpipe.ingest import IngestSettings, ingest_paths
    from auditpipe.lake import Lake

    rows = [good(event_id=str(i), event_time=t) for i, (t, _) in enumerate(NAMED_ZONE_CLOCKS)]
    lake = Lake.open(tmp_path / "lake", create=True, timezone=lake_zone)
    result = ingest_paths(lake, [write_jsonl(tmp_path / "in.jsonl", rows)], IngestSettings())
    stored = dict(query(tmp_path / "lake", "SELECT event_id, event_time FROM events"))
    why: dict[int, str] = {}
    if result.rows_quarantined:
        got = query(tmp_path / "lake", "SELECT line_number, reason FROM quarantine")
        why = {n - 1: r for n, r in got}
    for i, (text, instant) in enumerate(NAMED_ZONE_CLOCKS):
        if instant is None:
            zone = text.rsplit(" ", 1)[1]
            assert f"does not exist in {zone}" in why.get(i, ""), (text, stored.get(str(i)))
        else:
            assert stored.get(str(i)) == instant, (text, why.get(i))


def test_a_date_without_a_time_of_day_is_quarantined_in_every_form(tmp_path: Path) -> None:
    # "2026-03-01" was stored as midnight in the lake's timezone, a moment nobody logged: a
    # verification sent as its day alone counted from 00:00, before that day's earlier posts.
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = ["2026-03-01", "2026-3-1", "2026/03/01", " 2026-03-01 "]
    log = write_jsonl(
        tmp_path / "in.jsonl", [good(event_id=f"t{i}", event_time=t) for i, t in enumerate(texts)]
    )
    days = dt.date(2026, 3, 1)
    table = pa.table(
        {
            "event_id": ["d32", "d64"],
            "event_time": pa.array([days, days], pa.date32()),
            "other_time": pa.array([days, days], pa.date64()),
            "provider_id": ["forum-a"] * 2,
            "actor_id": ["emp-1"] * 2,
            "action": ["view"] * 2,
            "data_fields": ["phone"] * 2,
        }
    )
    pq.write_table(table.drop_columns(["other_time"]).slice(0, 1), tmp_path / "d32.parquet")
    pq.write_table(
        table.drop_columns(["event_time"])
        .rename_columns(
            ["event_id", "event_time", "provider_id", "actor_id", "action", "data_fields"]
        )
        .slice(1, 1),
        tmp_path / "d64.parquet",
    )
    snap_dir = tmp_path / "snap"
    from tests.support.accounts import account, write_snapshot

    snap = write_snapshot(
        snap_dir / "forum-a-2026-03-01.accounts", [account(verified_at="2026-01-05")]
    )
    result = ingest(
        tmp_path / "lake", log, tmp_path / "d32.parquet", tmp_path / "d64.parquet", snap
    )
    assert result.rows_stored == 0, query(tmp_path / "lake", "SELECT event_id FROM events")
    reasons = [r for (r,) in query(tmp_path / "lake", "SELECT reason FROM quarantine")]
    assert len(reasons) == len(texts) + 3
    assert all("is a date without a time of day" in r for r in reasons), reasons


SPELLED = [
    # RFC 3339 5.6: "T" and "Z" may be written in lower case
    ("2026-03-01t02:00:00z", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
    ("2026-03-01t10:00:00.5+08:00", dt.datetime(2026, 3, 1, 2, 0, 0, 500000, tzinfo=UTC)),
    ("2026-03-01T02:00:00z", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
    ("2026-03-01t10:00:00", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),  # local, Shanghai
    # Java's ZonedDateTime.toString(): the offset decides, the zone's name in brackets follows
    ("2026-03-01T10:00+08:00[Asia/Shanghai]", dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)),
    ("2026-03-01T02:00:00.123Z[UTC]", dt.datetime(2026, 3, 1, 2, 0, 0, 123000, tzinfo=UTC)),
    ("2026-11-01T01:30-05:00[America/New_York]", dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
]


def test_lower_case_t_and_z_and_a_bracketed_zone_after_an_offset_are_read(tmp_path: Path) -> None:
    # Both were quarantined as "not a date and time".
    rows = [good(event_id=str(i), event_time=t) for i, (t, _) in enumerate(SPELLED)]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert result.rows_quarantined == 0, query(tmp_path / "lake", "SELECT reason FROM quarantine")
    got = query(tmp_path / "lake", "SELECT event_time FROM events ORDER BY event_id::INT")
    assert got == [(instant,) for _, instant in SPELLED]
