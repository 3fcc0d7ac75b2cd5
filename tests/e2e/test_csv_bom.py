"""CSV for Excel: report CSV starts with a UTF-8 byte order mark only when asked (--bom, or
csv_bom under [report]), and formula neutralisation holds with it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditpipe.cli import cli
from auditpipe.outputs import CSV_FORMULA_STARTS
from tests.e2e.test_csv_injection import HOSTILE, hostile_lake  # noqa: F401 (fixture)
from tests.support.cli import run_main

BOM = b"\xef\xbb\xbf"


def report_csv(lake: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    result = CliRunner(env=env).invoke(
        cli, ["report", "--lake", str(lake), "--format", "csv", *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_report_csv_has_a_bom_only_with_bom(hostile_lake: Path) -> None:  # noqa: F811
    plain, marked = report_csv(hostile_lake), report_csv(hostile_lake, "--bom")
    assert not plain.startswith(BOM)
    assert marked.startswith(BOM) and marked.count(BOM) == 1
    rows = list(csv.DictReader(io.StringIO(marked.decode("utf-8-sig"))))
    assert "'" + HOSTILE[0] in {r["destination_party"] for r in rows}
    for row in rows:
        for value in row.values():
            assert not value.startswith(CSV_FORMULA_STARTS), value


def test_report_csv_file_has_the_bom_too(hostile_lake: Path, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "r.csv"
    report_csv(hostile_lake, "--output", str(target), "--bom")
    data = target.read_bytes()
    assert data.startswith(BOM) and not data[3:].startswith(BOM)


def test_csv_bom_setting_and_no_bom_flag(hostile_lake: Path, tmp_path: Path) -> None:  # noqa: F811
    config = tmp_path / "auditpipe.toml"
    config.write_text("[report]\ncsv_bom = true\n")
    env = {"AUDITPIPE_CONFIG": str(config)}
    assert report_csv(hostile_lake, env=env).startswith(BOM)
    assert not report_csv(hostile_lake, "--no-bom", env=env).startswith(BOM)
    # the setting is for CSV: other formats of the same config are unchanged
    result = CliRunner(env=env).invoke(
        cli, ["report", "--lake", str(hostile_lake), "--format", "json"]
    )
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"{")


def test_bom_flag_with_another_format_is_a_usage_error(
    hostile_lake: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_main(
        ["report", "--lake", str(hostile_lake), "--format", "json", "--bom"], capsys
    )
    assert code == 2 and "--bom is for CSV" in err
