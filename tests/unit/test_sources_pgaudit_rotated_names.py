"""A csvlog or jsonlog file renamed by logrotate (``postgresql.csv.1``, ``.csv.2.gz``,
``postgresql.json-20261203``) is still read as csvlog or jsonlog when the source settings
leave ``format`` to the file name; a csvlog or jsonlog file read as stderr is quarantined
with a reason that says which format to set. Real files: tests/data/pgaudit_rotated/."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.contract import load_catalog
from auditpipe.sources import load_settings, read_file
from auditpipe.sources.pgaudit import destination
from auditpipe.sources.settings import SourceSettings
from tests.support.sources import write_source

DATA = Path(__file__).resolve().parents[1] / "data" / "pgaudit_rotated"

ROTATIONS = st.one_of(
    st.just(""),
    st.integers(1, 99).map(lambda n: f".{n}"),  # logrotate's numbered copies
    st.dates().map(lambda d: d.strftime("-%Y%m%d")),  # dateext
    st.dates().map(lambda d: d.strftime(".%Y%m%d")),
    st.dates().map(lambda d: d.strftime("-%Y%m%d%H")),  # dateformat with the hour
    st.tuples(st.dates(), st.integers(0, 86399)).map(
        lambda t: f"-{t[0]:%Y%m%d}-{t[1]}"
    ),  # dateformat -%Y%m%d-%s
)
STEMS = st.sampled_from(
    ["postgresql", "postgresql-2026-12-03_000000", "pg-235851", "postgresql-15-main"]
)
COMPRESSED = st.sampled_from(["", ".gz", ".zst", ".zstd", ".bz2", ".xz"])


@pytest.fixture(scope="module")
def no_format(tmp_path_factory: pytest.TempPathFactory) -> SourceSettings:
    return load_settings(write_source(tmp_path_factory.mktemp("names"), "pgaudit", None))


@settings(max_examples=200)
@given(stem=STEMS, rotation=ROTATIONS, compressed=COMPRESSED, upper=st.booleans())
def test_the_destination_is_read_through_a_rotation_suffix(
    no_format: SourceSettings, stem: str, rotation: str, compressed: str, upper: bool
) -> None:
    for suffix, expected in (
        (".csv", "csvlog"),
        (".json", "jsonlog"),
        (".log", "stderr"),
        ("", "stderr"),
    ):
        name = stem + (suffix.upper() if upper else suffix) + rotation + compressed
        assert destination(no_format, name) == expected, name


def test_a_format_in_the_settings_is_kept_whatever_the_name(tmp_path: Path) -> None:
    csv = load_settings(write_source(tmp_path / "c", "pgaudit", "csvlog"))
    assert destination(csv, "postgresql.json.1") == "csvlog"


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("postgresql.csv.1", False),
        ("postgresql.csv.2.gz", True),
        ("postgresql.json-20261203", False),
        ("postgresql.json-20261203.gz", True),
    ],
)
def test_rotated_csvlog_and_jsonlog_files_give_their_events(
    tmp_path: Path, name: str, compress: bool
) -> None:
    import gzip

    source = DATA / ("postgresql.csv.1" if ".csv" in name else "postgresql.json-20261203")
    path = tmp_path / name
    if compress:
        path.write_bytes(gzip.compress(source.read_bytes()))
    else:
        shutil.copy(source, path)
    settings_ = load_settings(write_source(tmp_path / "src", "pgaudit", None))
    table, counters = read_file(path, settings_, load_catalog())
    assert counters.reconciles, counters.as_dict()
    assert counters.lines_quarantined == 0, counters.as_dict()
    rows = table.to_pylist()
    got = sorted((r["actor_id"], r["outcome"], r["data_fields"]) for r in rows)
    # each line is one statement: the support agent's reads of city, the failed read of
    # id_card_no, the read of real_name and the function's first statement
    lines = source.read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(lines) == counters.lines_in_events
    city = sum("SELECT city FROM accounts" in line for line in lines)
    assert city >= 8
    assert got.count(("kefu_li", "success", "accounts.city;accounts.id")) == city
    assert ("svc_app", "failure", "id_number;accounts.id") in got
    assert ("svc_app", "success", "real_name;accounts.id") in got


@pytest.mark.parametrize(
    ("source", "fmt"), [("postgresql.csv.1", "csvlog"), ("postgresql.json-20261203", "jsonlog")]
)
def test_a_csvlog_or_jsonlog_file_read_as_stderr_says_which_format_to_set(
    tmp_path: Path, source: str, fmt: str
) -> None:
    path = tmp_path / "postgresql.log"
    shutil.copy(DATA / source, path)
    settings_ = load_settings(write_source(tmp_path / "src", "pgaudit", "stderr"))
    table, counters = read_file(path, settings_, load_catalog())
    assert counters.reconciles, counters.as_dict()
    reasons = {r["pre_error"] for r in table.to_pylist()}
    assert reasons == {
        f"line is a {fmt} record (log_destination = '{fmt}'): set format = \"{fmt}\" in the "
        "source settings"
    }, reasons


@pytest.mark.parametrize(
    ("name", "compression"),
    [("postgresql.log.1.bz2", "bz2"), ("postgresql.log.xz", "xz"), ("postgresql.log.zstd", "zstd")],
)
def test_a_listed_source_is_read_through_any_compression_ingest_reads(
    tmp_path: Path, name: str, compression: str
) -> None:
    """logrotate's ``compresscmd bzip2`` or ``xz``: the file is opened decompressed, as an
    access log of those suffixes is, and matched to its source's patterns without them."""
    from auditpipe.sources.router import SourceRouter

    source = load_settings(write_source(tmp_path, "pgaudit", None))
    router = SourceRouter([replace(source, files=["postgresql.log*"])])
    found = router.classify(tmp_path / name)
    assert found is not None and found.compression == compression
