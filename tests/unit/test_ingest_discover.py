"""Which files an ingest of folders reads, which it skips (and says so), and when there is
nothing to ingest at all (a usage error, never an empty run that exits 0)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditpipe.errors import UsageError
from auditpipe.ingest.sources import SHOWN_NAMES, discover

LOG_SUFFIXES = [".jsonl", ".ndjson", ".csv", ".parquet", ".jsonl.gz", ".csv.zst", ".JSONL"]
OTHER_SUFFIXES = [".txt", ".log", ".xml", ".json", ".md", "", ".jsonl.bak", ".gz", ".csv.tmp"]

names = st.text(alphabet="abcxyz0123-", min_size=1, max_size=6)
files = st.lists(
    st.tuples(
        st.sampled_from(["", "sub/", "sub/deeper/"]),
        st.sampled_from(["", ".", "_"]),  # a hidden name is skipped without a word
        names,
        st.sampled_from(LOG_SUFFIXES + OTHER_SUFFIXES),
    ),
    max_size=25,
    unique_by=lambda f: (f[0], f[1] + f[2] + f[3]),
)


def _files_of_other_kinds(n: int) -> str:
    kinds = "file of a kind" if n == 1 else "files of kinds"
    return f"{n} {kinds} auditpipe does not read"


@settings(max_examples=60, deadline=None)
@given(files)
def test_folders_yield_the_logs_and_warn_about_every_other_file_by_count_and_name(
    layout: list[tuple[str, str, str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "in"
        root.mkdir()
        logs, others = set(), []
        for folder, prefix, stem, suffix in layout:
            path = root / folder / f"{prefix}{stem}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
            if prefix:
                continue
            if suffix in LOG_SUFFIXES:
                logs.add(path)
            else:
                others.append(path)
        warnings: list[str] = []
        if not logs:
            with pytest.raises(UsageError, match="nothing to ingest") as caught:
                discover([root], warn=warnings.append)
            if others:
                assert _files_of_other_kinds(len(others)) in str(caught.value)
        else:
            found = discover([root], warn=warnings.append)
            assert {s.path for s in found} == logs
        # one warning per kind of file skipped (each ends with what to do about that kind):
        # together they count every other file, and each names its first SHOWN_NAMES
        counted = 0
        for warning in warnings:
            match = re.match(
                r"skipped (\d+) files? of (?:a kind|kinds) auditpipe does not", warning
            )
            assert match, warning
            n = int(match.group(1))
            counted += n
            named = [
                p for p in others if any(f"{p}{end}" in warning for end in (",", " (", " and"))
            ]
            assert len(named) == min(n, SHOWN_NAMES), warning
            if n > SHOWN_NAMES:
                assert f"and {n - SHOWN_NAMES} more (" in warning
            assert warning.endswith(")")
        assert counted == len(others)


def test_an_empty_folder_is_nothing_to_ingest(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothing to ingest in .*: no log files") as caught:
        discover([tmp_path])
    assert "--source" in (caught.value.hint or "")


def test_unreadable_files_are_skipped_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    (tmp_path / "a.jsonl").write_text("{}\n")
    (tmp_path / "b.jsonl").write_text("{}\n")
    real_access = os.access
    # Tests may run as root, for whom every file is readable: take the permission away here.
    monkeypatch.setattr(
        "auditpipe.ingest.sources.os.access",
        lambda p, mode: Path(p).name != "b.jsonl" and real_access(p, mode),
    )
    warnings: list[str] = []
    found = discover([tmp_path], warn=warnings.append)
    assert [s.path.name for s in found] == ["a.jsonl"]
    assert warnings == [
        f"skipped 1 file that is not readable (permissions): {tmp_path / 'b.jsonl'}"
        " (check its permissions: the user running auditpipe must be able to read it)"
    ]


def test_no_paths_at_all_is_not_an_error() -> None:
    assert discover([]) == []  # the nightly job passes an empty list on a quiet night
