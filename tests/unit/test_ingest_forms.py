"""Every accepted input form of the contract lands as the same typed, canonical event."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.ingest import good, ingest, query, write_jsonl

UTC = dt.UTC
TEN_AM_SHANGHAI_UTC = dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def stored_times(lake: Path) -> list[dt.datetime]:
    return [r[0] for r in query(lake, "SELECT event_time FROM events ORDER BY line_number")]


@pytest.mark.parametrize(
    "given",
    [
        "2026-03-01T10:00:00+08:00",
        "2026-03-01T02:00:00Z",
        "2026-03-01T10:00:00",
        "2026-03-01 10:00:00",
        1772330400,
        1772330400000,
        "1772330400",
        1772330400.0,  # a float column (an export's integers with a null among them)
        "1772330400.000000",
        1772330400000.0,
    ],
)
def test_every_time_form_is_stored_as_the_same_utc_instant(tmp_path: Path, given: object) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [good(event_time=given)])
    result = ingest(tmp_path / "lake", log)
    assert result.rows_stored == 1, result.files[0]
    assert stored_times(tmp_path / "lake") == [TEN_AM_SHANGHAI_UTC]


def test_epoch_micro_and_nanoseconds_are_read_by_their_size(tmp_path: Path) -> None:
    """pandas' ``to_json(date_unit="us"/"ns")``, Go's ``UnixNano``, ClickHouse's DateTime64:
    epoch micro- and nanoseconds, told from seconds and milliseconds by their size as
    milliseconds are (1990-2100 in each unit is a range of its own). They were read as
    milliseconds, far beyond 2100, and every row was quarantined."""
    given = [
        (1772330400_123456, 123_456),
        ("1772330400123456", 123_456),
        # below a microsecond: cut, as every other form cuts it (a rounded time could be
        # stored after a later one written in another form: test_ingest_time_zones.py)
        (1772330400_123456_789, 123_456),
        ("1772330400123456789", 123_456),
        ("1772330400123456.5", 123_456),
        (1772330400_000, 0),  # milliseconds and seconds as before
        (1772330400, 0),
    ]
    # ID numbers of 15 and 18 digits that would be 1990-2001 in micro- or nanoseconds: other
    # sizes than 16 and 19 digits stay milliseconds, out of range, quarantined
    not_times = ["650102800101001", "911000200001010000", 911000200001010000]
    rows = [good(event_time=t, event_id=f"e{i}") for i, (t, _) in enumerate(given)]
    rows += [good(event_time=t, event_id=f"x{i}") for i, t in enumerate(not_times)]
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert result.rows_stored == len(given), result.files[0]
    assert result.rows_quarantined == len(not_times)
    got = query(tmp_path / "lake", "SELECT event_time FROM events ORDER BY line_number")
    assert [t for (t,) in got] == [
        TEN_AM_SHANGHAI_UTC + dt.timedelta(microseconds=m) for _, m in given
    ]


@pytest.mark.parametrize(
    ("given", "micros"),
    [
        ("1772330400.5", 500_000),
        ("1772330400.123456", 123_456),
        ("1772330400.1234564", 123_456),  # below a microsecond: cut, as in text
        ("1772330400.9999996", 999_999),
        ("1772330400000.25", 250),  # milliseconds with a fraction
        ("-1.5", None),  # before 1990: quarantined as out of range, not misread
    ],
)
def test_epoch_times_with_a_fraction_are_exact_to_the_microsecond(
    tmp_path: Path, given: str, micros: int | None
) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [good(event_time=given)])
    result = ingest(tmp_path / "lake", log)
    if micros is None:
        assert result.rows_quarantined == 1
        return
    assert result.rows_stored == 1, result.files[0]
    assert stored_times(tmp_path / "lake") == [
        TEN_AM_SHANGHAI_UTC + dt.timedelta(microseconds=micros)
    ]


def test_time_forms_may_mix_line_by_line(tmp_path: Path) -> None:
    rows = [
        good(event_time="2026-03-01T10:00:00+08:00", actor_id="a"),
        good(event_time=1772330400, actor_id="b"),
        good(event_time="2026-03-01 10:00:00", actor_id="c"),
    ]
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    assert stored_times(tmp_path / "lake") == [TEN_AM_SHANGHAI_UTC] * 3


def test_event_date_is_the_date_in_the_lake_timezone(tmp_path: Path) -> None:
    rows = [
        good(event_time="2026-03-01T23:30:00+08:00", actor_id="late"),
        good(event_time="2026-03-01T16:30:00Z", actor_id="next-day"),  # 00:30 in Shanghai
    ]
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    got = query(tmp_path / "lake", "SELECT actor_id, event_date FROM events ORDER BY actor_id")
    assert got == [("late", dt.date(2026, 3, 1)), ("next-day", dt.date(2026, 3, 2))]
    assert (tmp_path / "lake/events/provider_id=forum-a/event_date=2026-03-02").is_dir()


@pytest.mark.parametrize(
    "given",
    [
        ["Password", "real-name", "Phone Number"],
        "password;real_name;phone_number",
        "password, real name , phone_number",
        "password|real_name|phone_number",
        '["password","real_name","phone_number"]',
    ],
)
def test_data_fields_forms_give_one_normalised_list(tmp_path: Path, given: object) -> None:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [good(data_fields=given)]))
    got = query(tmp_path / "lake", "SELECT data_fields, data_classes, data_categories FROM events")
    assert got == [
        (
            ["password", "real_name", "phone_number"],
            ["identity", "login"],
            ["credential", "phone", "real_name"],
        )
    ]


def test_unknown_data_fields_are_class_other(tmp_path: Path) -> None:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [good(data_fields="nickname")]))
    assert query(tmp_path / "lake", "SELECT data_classes, data_categories FROM events") == [
        (["other"], ["other"])
    ]


def test_field_names_and_enum_values_match_case_and_space_insensitively(tmp_path: Path) -> None:
    row = {
        " Event_Time ": "2026-03-01T10:00:00+08:00",
        "PROVIDER_ID": "forum-a",
        "Actor ID": "emp-1",
        "actor-type": " Staff ",
        "Action": "DOWNLOAD",
        "data_fields": "phone",
        "Outcome": "Denied",
        "destination_type": "External",
    }
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [row]))
    got = query(
        tmp_path / "lake", "SELECT actor_type, action, outcome, destination_type FROM events"
    )
    assert got == [("employee", "export", "failure", "external")]


@pytest.mark.parametrize(
    ("field", "alias", "canonical"),
    [
        ("actor_type", "user", "subject"),
        ("actor_type", "staff", "employee"),
        ("actor_type", "system", "service"),
        ("actor_type", "third_party", "partner"),
        ("action", "read", "view"),
        ("action", "get", "view"),
        ("action", "query", "search"),
        ("action", "lookup", "search"),
        ("action", "download", "export"),
        ("action", "modify", "update"),
        ("action", "edit", "update"),
        ("action", "change", "update"),
        ("action", "remove", "delete"),
        ("action", "erase", "delete"),
        ("action", "share", "transfer"),
        ("action", "send", "transfer"),
        ("action", "post", "publish"),
        ("action", "signin", "login"),
        ("action", "signup", "register"),
        ("outcome", "ok", "success"),
        ("outcome", "allowed", "success"),
        ("outcome", "denied", "failure"),
        ("outcome", "error", "failure"),
    ],
)
def test_enum_aliases_map_to_canonical_values(
    tmp_path: Path, field: str, alias: str, canonical: str
) -> None:
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [good(**{field: alias})]))
    assert query(tmp_path / "lake", f"SELECT {field} FROM events") == [(canonical,)]


def test_defaults_apply_when_optional_fields_are_absent_or_empty(tmp_path: Path) -> None:
    rows = [good(), good(actor_id="e2", actor_type="", record_count="", currency=" ", outcome="")]
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    got = query(
        tmp_path / "lake",
        "SELECT DISTINCT actor_type, record_count, destination_type, currency, outcome FROM events",
    )
    assert got == [("unknown", 1, "internal", "CNY", "success")]


def test_typed_columns(tmp_path: Path) -> None:
    row = good(record_count="25", amount="1234.5", currency="usd", source_ip="2001:db8::1")
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [row]))
    got = query(tmp_path / "lake", "SELECT record_count, amount, currency, source_ip FROM events")
    assert got == [(25, Decimal("1234.5000"), "USD", "2001:db8::1")]
    types = dict(query(tmp_path / "lake", "SELECT column_name, column_type FROM (DESCRIBE events)"))
    assert types["event_time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["record_count"] == "BIGINT"
    assert types["amount"] == "DECIMAL(18,4)"
    assert types["data_fields"] == "VARCHAR[]"
    assert types["event_date"] == "DATE"


def test_fields_outside_the_contract_are_kept_in_extras(tmp_path: Path) -> None:
    row = good(session_ua="Mozilla/5.0", ticket={"id": 7})
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [row]))
    (extras,) = query(tmp_path / "lake", "SELECT extras FROM events")[0]
    assert json.loads(extras) == {"session_ua": "Mozilla/5.0", "ticket": {"id": 7}}


def test_derived_event_id_is_deterministic_and_format_independent(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "a.jsonl", [good(data_fields=["phone", "real_name"])])
    csv = tmp_path / "b.csv"
    csv.write_text(
        "event_time,provider_id,actor_id,action,data_fields\n"
        '2026-03-01 10:00:00,forum-a,emp-1,read,"phone;real_name"\n'
    )
    result = ingest(tmp_path / "lake", jsonl, csv)
    assert [f.rows_stored for f in result.files] == [1, 0]
    assert [f.rows_duplicate for f in result.files] == [0, 1]
    (event_id, derived) = query(tmp_path / "lake", "SELECT event_id, event_id_derived FROM events")[
        0
    ]
    assert event_id.startswith("forum-a-") and derived is True


def test_provenance_points_at_the_exact_source_line(tmp_path: Path) -> None:
    log = write_jsonl(
        tmp_path / "in.jsonl", [good(actor_id="a"), "", "not json", good(actor_id="b")]
    )
    result = ingest(tmp_path / "lake", log)
    got = query(
        tmp_path / "lake",
        "SELECT actor_id, line_number, source_file, source_sha256 FROM events ORDER BY 1",
    )
    assert got == [
        ("a", 1, str(log.resolve()), result.files[0].sha256),
        ("b", 4, str(log.resolve()), result.files[0].sha256),
    ]


def test_csv_with_header_quotes_and_multiline_values(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text(
        "event_time,provider_id,actor_id,action,data_fields,note\r\n"
        '2026-03-01T10:00:00+08:00,forum-a,emp-1,view,"phone,password","said ""hi"""\r\n'
        '2026-03-01T10:00:00+08:00,forum-a,emp-2,view,phone,"two\r\nlines"\r\n'
        "2026-03-01T10:00:00+08:00,forum-a,emp-3,view,phone,\r\n"
    )
    result = ingest(tmp_path / "lake", csv)
    assert result.files[0].rows_read == 3 and result.rows_stored == 3
    got = query(
        tmp_path / "lake",
        "SELECT actor_id, line_number, data_fields, extras FROM events ORDER BY 1",
    )
    assert got[0] == ("emp-1", 2, ["phone", "password"], '{"note":"said \\"hi\\""}')
    assert got[1][:2] == ("emp-2", 3) and json.loads(got[1][3]) == {"note": "two\r\nlines"}
    assert got[2] == ("emp-3", 5, ["phone"], None)


def test_parquet_input_with_native_types(tmp_path: Path) -> None:
    table = pa.table(
        {
            "event_time": pa.array([TEN_AM_SHANGHAI_UTC], pa.timestamp("us", tz="UTC")),
            "provider_id": ["forum-a"],
            "actor_id": ["emp-1"],
            "action": ["read"],
            "data_fields": pa.array([["phone", "id_number"]], pa.list_(pa.string())),
            "record_count": pa.array([3], pa.int64()),
            "amount": pa.array([9.5], pa.float64()),
            "shift": ["night"],
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    result = ingest(tmp_path / "lake", path)
    assert result.rows_stored == 1, result.files[0]
    got = query(
        tmp_path / "lake",
        "SELECT event_time, action, data_fields, record_count, amount, extras, line_number FROM events",
    )
    assert got == [
        (
            TEN_AM_SHANGHAI_UTC,
            "view",
            ["phone", "id_number"],
            3,
            Decimal("9.5000"),
            '{"shift":"night"}',
            1,
        )
    ]


@pytest.mark.parametrize(
    ("kind", "int96", "expected"),
    [
        # INT96, Spark's default: a UTC instant though it names no zone
        (pa.timestamp("ns"), True, TEN_AM_SHANGHAI_UTC),
        (pa.timestamp("us", tz="UTC"), True, TEN_AM_SHANGHAI_UTC),  # INT96 with Arrow's zone
        (pa.timestamp("us", tz="UTC"), False, TEN_AM_SHANGHAI_UTC),  # isAdjustedToUTC
        # a timestamp that is not adjusted to UTC is a local time, like a text without offset
        (pa.timestamp("us"), False, TEN_AM_SHANGHAI_UTC - dt.timedelta(hours=8)),
    ],
)
def test_parquet_timestamps_are_instants_or_local_times_as_their_type_says(
    tmp_path: Path, kind: pa.DataType, int96: bool, expected: dt.datetime
) -> None:
    # The value written is 02:00 (10:00 in Shanghai) as UTC, or 02:00 as a wall-clock time.
    two_am = TEN_AM_SHANGHAI_UTC if kind.tz else TEN_AM_SHANGHAI_UTC.replace(tzinfo=None)
    table = pa.table(
        {
            # a nested column first: the INT96 column's position among Parquet's leaf
            # columns differs from its position among the table's columns
            "context": pa.array([{"a": 1, "b": [1, 2]}]),
            "event_time": pa.array([two_am], kind),
            "provider_id": ["forum-a"],
            "actor_id": ["emp-1"],
            "action": ["view"],
            "data_fields": pa.array([["phone"]], pa.list_(pa.string())),
            "logged_at": pa.array([two_am], kind),  # an extra: kept as written
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path, use_deprecated_int96_timestamps=int96)
    assert (pq.ParquetFile(path).schema.column(2).physical_type == "INT96") == int96
    result = ingest(tmp_path / "lake", path)
    assert result.rows_stored == 1, result.files[0]
    assert stored_times(tmp_path / "lake") == [expected]


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".ndjson.zst", ".csv.gz"])
def test_compressed_inputs(tmp_path: Path, suffix: str) -> None:
    import pyarrow as pa

    if suffix.startswith(".csv"):
        data = b"event_time,provider_id,actor_id,action,data_fields\n2026-03-01 10:00:00,p,a,view,phone\n"
    else:
        data = json.dumps(good()).encode() + b"\n"
    path = tmp_path / f"in{suffix}"
    codec = "gzip" if suffix.endswith(".gz") else "zstd"
    with pa.CompressedOutputStream(str(path), codec) as out:
        out.write(data)
    result = ingest(tmp_path / "lake", path)
    assert (result.rows_read, result.rows_stored) == (1, 1)


def test_lake_reads_as_is_in_duckdb_and_polars(tmp_path: Path) -> None:
    import duckdb
    import polars as pl

    rows = [good(actor_id=f"e{i}", provider_id=f"p{i % 2}") for i in range(10)]
    ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", rows))
    glob = str(tmp_path / "lake" / "events" / "**" / "*.parquet")
    n = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning=true)"
    ).fetchall()
    assert n == [(10,)]
    frame = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert frame.height == 10
    assert set(frame["provider_id"].to_list()) == {"p0", "p1"}
    assert frame.schema["event_date"] == pl.Date
    meta = pq.ParquetFile(next((tmp_path / "lake" / "events").rglob("*.parquet"))).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_strings_that_look_like_lenient_json_are_still_valid(tmp_path: Path) -> None:
    row = good(purpose="info: NaN, Infinity,} and [a,]")
    result = ingest(tmp_path / "lake", write_jsonl(tmp_path / "in.jsonl", [row]))
    assert (result.rows_stored, result.rows_quarantined) == (1, 0)


@settings(max_examples=12, deadline=None)
@given(
    st.integers(-23, 23),
    st.integers(0, 59),
    st.integers(0, 99),
    st.integers(0, 99),
    st.booleans(),
)
def test_utc_offsets_a_clock_can_have_are_read_and_others_quarantined(
    tmp_path_factory: pytest.TempPathFactory,
    hours: int,
    minutes: int,
    bad_hours: int,
    bad_minutes: int,
    colon: bool,
) -> None:
    # RFC 3339: offset hours 00-23, minutes 00-59. DuckDB's cast also reads +25:00, +99:00
    # and +08:99, moving the instant days away from what was logged.
    sep = ":" if colon else ""
    sign = "-" if hours < 0 else "+"
    valid = f"2026-03-01T10:00:00{sign}{abs(hours):02d}{sep}{minutes:02d}"
    bad_h = max(bad_hours, 24)
    if bad_minutes < 60:
        invalid = f"2026-03-01T10:00:00+{bad_h:02d}{sep}{bad_minutes:02d}"
    else:
        invalid = f"2026-03-01T10:00:00+{abs(hours):02d}{sep}{bad_minutes:02d}"
    work = tmp_path_factory.mktemp("offsets")
    log = write_jsonl(
        work / "in.jsonl",
        [good(event_id="v", event_time=valid), good(event_id="x", event_time=invalid)],
    )
    result = ingest(work / "lake", log)
    assert result.rows_stored == 1 and result.rows_quarantined == 1, result.files[0]
    offset = dt.timedelta(hours=abs(hours), minutes=minutes) * (-1 if hours < 0 else 1)
    expected = dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC) - offset
    assert stored_times(work / "lake") == [expected]
    ((reason,),) = query(work / "lake", "SELECT reason FROM quarantine")
    assert "is not a date and time" in reason


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("9007199254740993", 9007199254740993),  # 2**53 + 1: a DOUBLE rounds it
        (9007199254740993, 9007199254740993),  # the same as a JSON number
        ("4611686018427387904", 4611686018427387904),  # 19 digits, a BIGINT
        ("+12.000", 12),
        ("12.5", None),  # not whole: quarantined
        ("0", None),
    ],
)
def test_record_counts_are_read_exactly(tmp_path: Path, given: object, stored: int | None) -> None:
    log = write_jsonl(tmp_path / "in.jsonl", [good(record_count=given)])
    result = ingest(tmp_path / "lake", log)
    if stored is None:
        assert result.rows_quarantined == 1, result.files[0]
    else:
        assert query(tmp_path / "lake", "SELECT record_count FROM events") == [(stored,)]


@settings(max_examples=8, deadline=None)
@given(
    st.sampled_from(
        [("action", "Action", "view", "delete"), ("provider_id", "Provider_Id", "p1", "p2")]
    ),
    st.booleans(),
    st.booleans(),
)
def test_a_field_spelled_two_ways_keeps_the_contracts_spelling_in_every_format(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[str, str, str, str],
    other_first: bool,
    own_empty: bool,
) -> None:
    # {"action": "view", "Action": "delete"}: JSON Lines took "Action" (its keys were sorted,
    # upper case first) where CSV and Parquet took the first column. Now every format takes
    # the contract's own spelling, and another only when that one is empty.
    field, other, own_value, other_value = case
    own = "" if own_empty else own_value
    row = {k: v for k, v in good().items() if k != field}
    pairs = (
        [(other, other_value), (field, own)]
        if other_first
        else [(field, own), (other, other_value)]
    )
    record = {**row, **dict(pairs)}
    work = tmp_path_factory.mktemp("spellings")
    names = list(record)
    csv_lines = [",".join(names), ",".join(str(record[n]) for n in names)]
    (work / "in.csv").write_text("\n".join(csv_lines) + "\n")
    pq.write_table(pa.table({n: [str(record[n])] for n in names}), work / "in.parquet")
    line = "{" + ",".join(f"{json.dumps(n)}:{json.dumps(str(record[n]))}" for n in names) + "}"
    write_jsonl(work / "in.jsonl", [line])
    expected = other_value if own_empty else own_value
    for name in ("in.jsonl", "in.csv", "in.parquet"):
        lake = work / f"lake-{name}"
        result = ingest(lake, work / name)
        assert result.rows_stored == 1, (name, result.files[0])
        assert query(lake, f"SELECT {field} FROM events") == [(expected,)], name
