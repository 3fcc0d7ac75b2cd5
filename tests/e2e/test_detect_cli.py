"""`auditpipe detect` on the command line, and the [detect] settings it reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditpipe.cli import cli, main
from auditpipe.config import Config, load_config
from auditpipe.detect import DetectSettings
from auditpipe.errors import ConfigError
from auditpipe.lake import Lake
from tests.support.detect_lakes import event, make_lake, read_findings, write_events

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}


@pytest.fixture
def lake_dir(tmp_path: Path) -> Path:
    lake = make_lake(tmp_path / "lake")
    write_events(
        lake,
        [event(**SALE, amount=60_000), event(authorization_ref=None, purpose=None, actor_id="e2")],
    )
    return lake.root


def test_detect_prints_findings_and_exposure_on_stdout(lake_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["detect", "--lake", str(lake_dir)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "selling" in out and "illegal_use" in out
    assert "p1: 2 findings" in out
    assert "fine: CNY 180,000.00 to CNY 300,000.00" in out
    assert "This is an estimate for review, not a legal determination." in out
    assert "detect: 9 rules over 1 day(s)" in result.stderr
    assert "detect:" not in out
    assert len(read_findings(Lake.open(lake_dir))) == 2


def test_detect_json_output(lake_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["detect", "--lake", str(lake_dir), "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["findings_total"] == 2
    assert doc["new_by_severity"]["high"] == 1
    assert doc["exposure"][0]["fine_max_cny"] == "300000.00"
    assert doc["exposure"][0]["caveat"].startswith("This is an estimate")
    assert doc["exposure_total"]["fine_max_cny"] == "300000.00"  # one provider: its own


def test_detect_adds_up_the_exposure_of_several_providers(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(
        lake,
        [
            event(**SALE, amount=60_000),
            event(**SALE, amount=70_000, provider_id="p2", event_id="e-p2"),
        ],
    )
    text = CliRunner().invoke(cli, ["detect", "--lake", str(lake.root)])
    assert text.exit_code == 0, text.output
    # fines of 3-5 times: 180,000-300,000 and 210,000-350,000
    assert (
        "All 2 providers: 2 findings, 2 records affected, illegal proceeds CNY 130,000.00, "
        "fines of CNY 390,000.00 to CNY 650,000.00 in all, 2 serious case(s)"
    ) in text.stdout


@pytest.mark.parametrize(("level", "code"), [("high", 1), ("critical", 0), ("none", 0), ("low", 1)])
def test_fail_on_sets_the_exit_code(lake_dir: Path, level: str, code: int) -> None:
    result = CliRunner().invoke(cli, ["detect", "--lake", str(lake_dir), "--fail-on", level, "-q"])
    assert result.exit_code == code, result.output


def test_bulk_threshold_flag_overrides_the_config(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event(record_count=300)])
    config = tmp_path / "auditpipe.toml"
    config.write_text("[detect]\nbulk_threshold = 5000\n")
    args = ["detect", "--lake", str(lake.root), "--config", str(config), "-q"]
    CliRunner().invoke(cli, args)
    assert read_findings(lake) == []
    result = CliRunner().invoke(cli, [*args, "--bulk-threshold", "300"])
    assert result.exit_code == 0, result.output
    assert [f["rule_id"] for f in read_findings(lake)] == ["illegal_use_bulk"]


def test_detect_on_a_missing_lake_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["detect", "--lake", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    assert "Error: no lake at" in capsys.readouterr().err


def test_detect_help_has_an_example() -> None:
    for args in (
        ["detect", "--help"],
        ["rules", "--help"],
        ["rules", "list", "--help"],
        ["rules", "show", "--help"],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_settings_from_the_detect_table(tmp_path: Path) -> None:
    (tmp_path / "brokers.txt").write_text("X\n")
    config_file = tmp_path / "auditpipe.toml"
    config_file.write_text(
        "[detect]\n"
        "bulk_threshold = 250\n"
        'broker_watchlist = "brokers.txt"\n'
        'rule_dirs = ["rules"]\n'
        'disabled_rules = ["illegal_use_unauthorized"]\n'
        "[penalty.rates]\nUSD = 7.0\n"
    )
    settings = DetectSettings.from_config(load_config(config_file))
    assert settings.bulk_threshold == 250
    assert settings.broker_watchlist == tmp_path / "brokers.txt"
    assert settings.rule_dirs == (tmp_path / "rules",)
    assert settings.disabled_rules == ("illegal_use_unauthorized",)
    assert str(settings.penalty.rates["USD"]) == "7.0"
    assert settings.watchlist_names() == ["x"]
    assert (
        DetectSettings.from_config(load_config(config_file), bulk_threshold=9).bulk_threshold == 9
    )


def test_protected_classes_follow_the_ingest_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"protected_classes": ["login", "identity", "finance"], "fields": {}}')
    config = Config({"ingest": {"catalog": str(catalog)}})
    assert DetectSettings.from_config(config).protected_classes == ("login", "identity", "finance")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"bulk_treshold": 5}, "unknown key"),
        ({"bulk_threshold": "many"}, "should be a whole number"),
        ({"bulk_threshold": 0}, "at least 1"),
        ({"severity_record_steps": [10, 5, 100]}, "three rising"),
    ],
    ids=["typo", "type", "zero", "steps"],
)
def test_bad_detect_settings_are_clear_errors(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DetectSettings.from_config(Config({"detect": table}))


def test_a_missing_watchlist_file_is_a_clear_error(tmp_path: Path) -> None:
    settings = DetectSettings(broker_watchlist=tmp_path / "nope.txt")
    with pytest.raises(ConfigError, match="broker watchlist .* does not exist"):
        settings.watchlist_names()


def test_since_after_until_is_a_usage_error(
    lake_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["detect", "--lake", str(lake_dir), "--since", "2026-03-05", "--until", "2026-03-01"])
    assert exit_info.value.code == 2
    assert "--since 2026-03-05 is after --until 2026-03-01" in capsys.readouterr().err


def test_json_output_carries_the_caveat_even_without_findings(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(lake, [event()])
    result = CliRunner().invoke(cli, ["detect", "--lake", str(lake.root), "--json", "-q"])
    doc = json.loads(result.stdout)
    assert doc["findings_total"] == 0 and doc["exposure"] == []
    assert doc["caveat"] == "This is an estimate for review, not a legal determination."
