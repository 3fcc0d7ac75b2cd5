"""Golden files: the markdown and json reports of sample_data/, byte for byte, and the
terminal and markdown reports in Simplified Chinese (``--lang zh-CN``).

The lake is built the way a user would: sample_data/ copied to a temporary folder, then
``auditpipe ingest`` and ``auditpipe detect``. What varies between runs is pinned or replaced:
``SOURCE_DATE_EPOCH`` pins generated_at, the temporary lake path reads ``<LAKE>`` and the
temporary folder of the input files (in the provenance) reads ``<WORK>``.

On a mismatch the actual output is written beside the golden file as ``*.actual``. After a
deliberate change, regenerate with::

    AUDITPIPE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/e2e/test_report_golden.py
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

import pytest

from auditpipe.lake import Lake
from auditpipe.report.build import SOURCE_DATE_EPOCH
from tests.support import REPO
from tests.support.report_lakes import schema_errors

SAMPLE = REPO / "sample_data"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_ENV = "AUDITPIPE_UPDATE_GOLDEN"
PINNED_EPOCH = "1772323200"  # 2026-03-01T00:00:00Z


def sample_files() -> list[Path]:
    return [p for p in SAMPLE.rglob("*") if p.is_file()] if SAMPLE.is_dir() else []


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not sample_files():
        pytest.fail("sample_data/ is empty: make sample-data writes it (see the Makefile)")
    work = tmp_path_factory.mktemp("golden")
    shutil.copytree(SAMPLE, work / "sample_data")
    return work


def compare_with_golden(actual: str, name: str) -> None:
    golden = GOLDEN / name
    actual_path = golden.with_name(golden.name + ".actual")
    if os.environ.get(UPDATE_ENV) == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        actual_path.unlink(missing_ok=True)
        return
    expected = golden.read_text(encoding="utf-8") if golden.exists() else ""
    if actual == expected:
        actual_path.unlink(missing_ok=True)
        return
    actual_path.write_text(actual, encoding="utf-8")
    diff = "".join(
        list(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{name}",
                tofile=f"golden/{name}.actual",
            )
        )[:80]
    )
    pytest.fail(
        f"{name} differs from its golden file; the actual output is in {actual_path}.\n"
        f"If the change is intended: {UPDATE_ENV}=1 .venv/bin/pytest {Path(__file__).name}\n"
        + (diff or f"{golden} does not exist yet")
    )


@pytest.fixture(scope="module")
def reports(sample_lake: Path) -> dict[str, str]:
    """markdown and json of the sample lake, through the real CLI, with stable values."""
    lake = sample_lake / "lake"
    outputs: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SOURCE_DATE_EPOCH, PINNED_EPOCH)
        mp.delenv("AUDITPIPE_CONFIG", raising=False)
        mp.chdir(sample_lake)  # no ./auditpipe.toml of the repo applies
        # a fixed identity key: identity hashes (shared-identity findings) are keyed per lake
        Lake.open(lake, create=True)
        key = lake / "_auditpipe" / "identity.key"
        key.write_text("ab" * 32 + "\n", encoding="utf-8")
        key.chmod(0o600)
        for args in (
            ["ingest", str(sample_lake / "sample_data"), "--lake", str(lake), "--quiet"],
            ["detect", "--lake", str(lake), "--quiet"],
        ):
            code = _main(args)
            assert code in (0, 1, 3), f"auditpipe {' '.join(args)} exited {code}"
        for fmt, suffix in (("markdown", "md"), ("json", "json")):
            out = sample_lake / f"report.{suffix}"
            assert (
                _main(["report", "--lake", str(lake), "--format", fmt, "--output", str(out)]) == 0
            )
            outputs[fmt] = _stable(out.read_text(encoding="utf-8"), lake, sample_lake)
        for fmt, suffix in (("terminal", "txt"), ("markdown", "md")):
            out = sample_lake / f"report.zh-CN.{suffix}"
            # The terminal report wraps its lines before _stable can shorten the lake's path:
            # named relative to the working folder (sample_lake), the path has one length on
            # every machine. The absolute temporary one (pytest-of-<user>/pytest-<n>/...) moved
            # the wrapping with the user name and the run number.
            where = "lake" if fmt == "terminal" else str(lake)
            args = ["report", "--lake", where, "--format", fmt, "--output", str(out)]
            assert _main([*args, "--lang", "zh-CN"]) == 0
            outputs[f"{fmt} zh-CN"] = _stable(out.read_text(encoding="utf-8"), lake, sample_lake)
    return outputs


def _stable(text: str, lake: Path, work: Path) -> str:
    """The report with the temporary lake path as <LAKE> and the temporary folder of the
    input files (named in the provenance) as <WORK>."""
    return text.replace(str(lake), "<LAKE>").replace(str(work), "<WORK>")


def _main(args: list[str]) -> int:
    from auditpipe.cli import main

    try:
        main(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0


@pytest.mark.slow
def test_markdown_report_of_the_sample_data(reports: dict[str, str]) -> None:
    compare_with_golden(reports["markdown"], "sample_report.md")


@pytest.mark.slow
def test_json_report_of_the_sample_data(reports: dict[str, str]) -> None:
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert schema_errors(json.loads(reports["json"]), schema) == []
    compare_with_golden(reports["json"], "sample_report.json")


@pytest.mark.slow
def test_chinese_terminal_report_of_the_sample_data(reports: dict[str, str]) -> None:
    compare_with_golden(reports["terminal zh-CN"], "sample_report.zh-CN.txt")


@pytest.mark.slow
def test_chinese_markdown_report_of_the_sample_data(reports: dict[str, str]) -> None:
    compare_with_golden(reports["markdown zh-CN"], "sample_report.zh-CN.md")


def test_golden_comparison_writes_the_actual_output_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{__name__}.GOLDEN", tmp_path)
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    (tmp_path / "x.md").write_text("old\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="differs from its golden file"):
        compare_with_golden("new\n", "x.md")
    assert (tmp_path / "x.md.actual").read_text(encoding="utf-8") == "new\n"
    monkeypatch.setenv(UPDATE_ENV, "1")
    compare_with_golden("new\n", "x.md")
    assert (tmp_path / "x.md").read_text(encoding="utf-8") == "new\n"
    assert not (tmp_path / "x.md.actual").exists()
