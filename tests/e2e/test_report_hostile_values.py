"""Ids from a provider's log reach the officer's screen: in the report (terminal, markdown,
html), ``findings list`` and ``findings show`` each shows what it holds and nothing more. An
ESC sequence, a carriage return or a bidirectional override is spelled out instead of acting
(forging or hiding a line), rich markup is shown as text (``[/]`` once failed the terminal
report), and HTML or Markdown characters stay text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.report_lakes import base_event, build_lake

HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
IDS = {
    "ansi": ("evil\x1b[2J\x1b[31mFORGED\x1b[0m", "evil\\x1b[2J\\x1b[31mFORGED\\x1b[0m"),
    "cr": ("emp\rOVERWRITE", "emp\\rOVERWRITE"),
    "bidi": ("a\u202egnp.exe", "a\\u202egnp.exe"),
    "newline": ("nl\nforged line", "nl\\nforged line"),
    "markup": ("[/]", "[/]"),
    "style": ("[bold red]FAKE[/bold red]", "[bold red]FAKE[/bold red]"),
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-ids")
    events = [
        base_event(
            event_id=f"sale-{name}",
            actor_id=raw,
            action="transfer",
            destination_type="external",
            destination_party=f"party {raw}",
            amount=100,
            data_fields=["password"],
        )
        for name, (raw, _shown) in IDS.items()
    ]
    return build_lake(root, events, rules=None).root


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html"])
def test_the_report_shows_hostile_ids_spelled_out(
    lake: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(["report", "--lake", str(lake), "--format", fmt], capsys)
    assert code == 0, err
    assert not HIDDEN.search(out)
    assert "<script" not in out
    for name, (_raw, shown) in IDS.items():
        if name == "newline" and fmt == "html":  # a line feed is white space in HTML
            continue
        if fmt == "terminal" or name not in ("markup", "style"):
            assert shown in out, name
    if fmt == "markdown":
        assert "\\[bold red\\]FAKE\\[/bold red\\]" in out
    if fmt == "terminal":  # each finding's lines stay lines: none starts with the forged text
        assert not any(line.startswith("forged line") for line in out.splitlines())


def test_findings_list_keeps_one_finding_a_line(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(["findings", "list", "--lake", str(lake)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1 + len(IDS)
    assert {line.count("\t") for line in lines} == {8}
    assert not HIDDEN.search(out)
    for _raw, shown in IDS.values():
        assert shown in out


def test_findings_show_spells_out_the_ids_of_the_finding_and_its_evidence(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, shown = IDS["ansi"]
    code, out, err = run_main(["findings", "list", "--lake", str(lake), "--format", "csv"], capsys)
    (finding_id,) = re.findall(r"^(f-[0-9a-f]+),.*FORGED", out, re.MULTILINE)
    code, out, err = run_main(["findings", "show", finding_id, "--lake", str(lake)], capsys)
    assert code == 0, err
    assert not HIDDEN.search(out)
    assert f"actor     {shown} (employee)" in out  # the finding
    assert f"actor        {shown} (employee)" in out  # its evidence event, formatted by DuckDB
    assert f"destination  external: party {shown}" in out
