"""One settings loader for every table of auditpipe.toml: unknown tables and keys are errors
that name the nearest known one, every value is checked against its field's type, defaults
live only in the dataclasses, and a flag overrides the file only when the user gave it."""

from __future__ import annotations

import dataclasses
import os
import threading
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from auditpipe.cli.options import given
from auditpipe.config import TABLES, Config, load_config
from auditpipe.detect.settings import DetectSettings
from auditpipe.engines import EngineSettings, SparkSettings
from auditpipe.errors import ConfigError
from auditpipe.ingest.settings import IngestSettings
from auditpipe.nightly.settings import NightlySettings
from auditpipe.penalty import PenaltySettings
from auditpipe.report.settings import ReportSettings
from tests.support import REPO

SETTINGS: dict[str, Any] = {
    "ingest": IngestSettings,
    "nightly": NightlySettings,
    "detect": DetectSettings,
    "report": ReportSettings,
    "penalty": PenaltySettings,
    "engine": EngineSettings,
    "spark": SparkSettings,
}


def _readable(cls: Any) -> list[dataclasses.Field[Any]]:
    return [
        f
        for f in dataclasses.fields(cls)
        if f.metadata.get("config", True) and "parse" not in f.metadata
    ]


def test_every_table_has_a_settings_class() -> None:
    assert set(SETTINGS) == set(TABLES)


@pytest.mark.parametrize(
    ("table", "typo", "meant"),
    [
        ("ingest", "max_line_byte", "max_line_bytes"),
        ("nightly", "settle_second", "settle_seconds"),
        ("detect", "bulk_treshold", "bulk_threshold"),
        ("report", "listed_finding", "listed_findings"),
        ("penalty", "fine_treshold_cny", "fine_threshold_cny"),
    ],
)
def test_a_misspelt_key_is_an_error_that_names_the_key_meant(
    table: str, typo: str, meant: str
) -> None:
    with pytest.raises(ConfigError, match=f"unknown key.*in \\[{table}\\]: {typo}") as info:
        SETTINGS[table].from_config(Config({table: {typo: 1}}))
    assert info.value.hint is not None and f"did you mean {meant} instead of {typo}" in (
        info.value.hint
    )


def _wrong_value(hint: Any) -> Any:
    """A TOML value of another type than the field's."""
    if typing.get_origin(hint) is tuple:
        return "not a list"
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    hint = args[0] if args else hint
    return {bool: "yes", str: 12, Path: 12, int: "12", float: "1.5", Decimal: True}[hint]


@pytest.mark.parametrize("table", TABLES)
def test_a_value_of_the_wrong_type_is_an_error_for_every_key(table: str) -> None:
    cls = SETTINGS[table]
    hints = typing.get_type_hints(cls)
    for f in _readable(cls):
        with pytest.raises(ConfigError, match=f"\\[{table}\\] {f.name}"):
            cls.from_config(Config({table: {f.name: _wrong_value(hints[f.name])}}))


def test_a_wrong_list_item_names_its_key_and_index() -> None:
    """The hint says which key to fix (it once said "fix item in the [detect] table")."""
    with pytest.raises(ConfigError, match=r"\[detect\] severity_record_steps\[1\]") as info:
        DetectSettings.from_config(Config({"detect": {"severity_record_steps": [1, "a"]}}))
    assert info.value.hint == "fix severity_record_steps in the [detect] table of auditpipe.toml"


@pytest.mark.parametrize("table", TABLES)
def test_an_empty_table_gives_the_dataclass_defaults(table: str) -> None:
    cls = SETTINGS[table]
    assert cls.from_config(Config({table: {}})) == cls.from_config(Config()) == cls()


def _another(value: Any) -> Any:
    """A valid value of the same type as ``value`` that differs from it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float | Decimal):
        return value + 1
    return {"high": "low"}.get(value, value)


def _toml(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("table", TABLES)
def test_a_changed_dataclass_default_reaches_users_with_a_config_file(table: str) -> None:
    """Defaults live only in the dataclass: a subclass with other defaults loads with them,
    whatever other key the file sets."""
    cls = SETTINGS[table]
    hints = typing.get_type_hints(cls)
    simple = [f for f in _readable(cls) if hints[f.name] in (int, float, bool, str, Decimal)]
    assert simple, "every table has plain keys"
    for f in simple:
        new = _another(getattr(cls(), f.name))
        if new == getattr(cls(), f.name):
            continue  # a string with no known alternative
        changed = dataclasses.make_dataclass(
            "Changed",
            [(f.name, hints[f.name], dataclasses.field(default=new))],
            bases=(cls,),
            frozen=True,
        )
        other = next(g for g in simple if g.name != f.name)
        file_value = _toml(getattr(cls(), other.name))
        loaded = changed.from_config(Config({table: {other.name: file_value}}))
        assert getattr(loaded, f.name) == new, f.name


def test_a_misspelt_table_is_an_error_that_names_the_table_meant(tmp_path: Path) -> None:
    path = tmp_path / "auditpipe.toml"
    path.write_text("[detcet]\nbulk_threshold = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown table\(s\) in .*: \[detcet\]") as info:
        load_config(path)
    assert info.value.hint is not None and "did you mean [detect] instead of [detcet]" in (
        info.value.hint
    )


def test_a_key_outside_any_table_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "auditpipe.toml"
    path.write_text("bulk_threshold = 5\n[detect]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="outside any table.*bulk_threshold"):
        load_config(path)


def test_every_known_table_and_a_sub_table_load(tmp_path: Path) -> None:
    path = tmp_path / "auditpipe.toml"
    path.write_text(
        "".join(f"[{t}]\n" for t in TABLES) + "[penalty.rates]\nUSD = 7\n", encoding="utf-8"
    )
    config = load_config(path)
    assert PenaltySettings.from_config(config).rates["USD"] == Decimal("7")


def test_paths_are_resolved_against_the_config_files_folder(tmp_path: Path) -> None:
    path = tmp_path / "auditpipe.toml"
    path.write_text('[nightly]\nreports_dir = "r"\n[ingest]\ncatalog = "c.json"\n')
    config = load_config(path)
    assert NightlySettings.from_config(config).reports_dir == tmp_path.resolve() / "r"
    assert IngestSettings.from_config(config).catalog == tmp_path.resolve() / "c.json"


@click.command()
@click.option("--level", default=7, envvar="TEST_LEVEL", type=int)
@click.option("--other", default="x")
def _probe(level: int, other: str) -> None:
    click.echo(repr(given(click.get_current_context(), "level", "other")))


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, {}),
        (["--level", "7"], {}, {"level": 7}),  # the default's value, but given: it wins
        ([], {"TEST_LEVEL": "3"}, {"level": 3}),
        (["--other", "y"], {}, {"other": "y"}),
    ],
    ids=["nothing", "same-as-default", "environment", "other"],
)
def test_only_options_the_user_gave_override_settings(
    args: list[str], env: dict[str, str], expected: dict[str, Any]
) -> None:
    result = CliRunner().invoke(_probe, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(expected)


def test_flags_override_the_file_and_the_file_overrides_defaults() -> None:
    config = Config({"nightly": {"fail_on": "low", "settle_seconds": 5}})
    assert NightlySettings.from_config(config).fail_on == "low"
    got = NightlySettings.from_config(config, fail_on="critical", settle_seconds=None)
    assert (got.fail_on, got.settle_seconds) == ("critical", 5.0)


def test_an_override_that_is_not_a_setting_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="unknown NightlySettings override.*settle_second"):
        NightlySettings.from_config(Config(), settle_second=5)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")], ids=str)
@pytest.mark.parametrize("table", TABLES)
def test_a_number_that_is_not_finite_is_an_error_for_every_float_key(
    table: str, value: float
) -> None:
    """TOML has inf and nan (and 1e400 reads as inf): 'settle_seconds = inf' was an internal
    error (OverflowError) in the nightly's inbox scan."""
    cls = SETTINGS[table]
    hints = typing.get_type_hints(cls)
    for f in _readable(cls):
        if hints[f.name] not in (float, float | None):
            continue
        with pytest.raises(ConfigError, match=f"\\[{table}\\] {f.name} should be a finite"):
            cls.from_config(Config({table: {f.name: value}}))


@pytest.mark.parametrize("value", [float("inf"), float("nan")], ids=str)
def test_a_settle_seconds_flag_that_is_not_finite_is_a_settings_error(value: float) -> None:
    with pytest.raises(ConfigError, match="settle_seconds"):
        NightlySettings.from_config(Config(), settle_seconds=value)


def test_dev_null_or_a_pipe_as_the_config_file_is_read_as_an_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'--config /dev/null' (no settings, whatever ./auditpipe.toml says) and a pipe ('--config
    <(...)') were refused as 'config file /dev/null does not exist'."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "auditpipe.toml").write_text("[detcet]\n")
    assert load_config("/dev/null").data == {}
    fifo = tmp_path / "settings.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(
        target=fifo.write_text, args=('[nightly]\nfail_on = "low"\n',), daemon=True
    )
    writer.start()
    try:
        assert NightlySettings.from_config(load_config(fifo)).fail_on == "low"
    finally:
        writer.join(timeout=5)


def test_a_config_folder_or_a_missing_file_is_an_error_saying_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_an_unreadable_config_file_says_so_and_what_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron user who may not read the operator's auditpipe.toml (mode 600): the message
    was the bare '[Errno 13] Permission denied: ...' with no hint."""
    path = tmp_path / "auditpipe.toml"
    path.write_text("[nightly]\n")

    def denied(self: Path, *args: Any, **kwargs: Any) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(ConfigError, match="cannot read config file .*: Permission denied$") as info:
        load_config(path)
    assert "permissions" in (info.value.hint or "")


def test_a_config_file_saved_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows Notepad starts UTF-8 files with a BOM: it was 'not valid TOML: Invalid statement
    (at line 1, column 1)', a line that looks right."""
    path = tmp_path / "auditpipe.toml"
    path.write_bytes(b'\xef\xbb\xbf[nightly]\r\nfail_on = "low"\r\n')
    assert NightlySettings.from_config(load_config(path)).fail_on == "low"


def test_a_source_settings_file_with_a_byte_order_mark_is_read_as_without(tmp_path: Path) -> None:
    from auditpipe.sources import load_settings

    source = REPO / "sample_data" / "_sources" / "pgaudit" / "source.toml"
    path = tmp_path / "source.toml"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    (tmp_path / "schema.sql").write_bytes((source.parent / "schema.sql").read_bytes())
    # The same settings; only the paths, which are the file's own, differ.
    moved = {"path": None, "schema_file": None}
    assert dataclasses.replace(load_settings(path), **moved) == dataclasses.replace(
        load_settings(source), **moved
    )
