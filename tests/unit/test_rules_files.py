"""Rule files: the header format, user rule folders, clear errors, `rules list/show`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditpipe.cli import cli, main
from auditpipe.detect import CATEGORIES, SEVERITIES, RuleError, load_rules
from auditpipe.detect.rules import REQUIRED_KEYS, parse_rule_text
from tests.support.detect_lakes import detect_events, event

DEFAULT_IDS = {
    "selling",
    "disclosure",
    "modification",
    "illegal_use_unauthorized",
    "illegal_use_credential",
    "illegal_use_bulk",
    "real_name_unverified_publish",
    "real_name_invalid_verification",
    "real_name_shared_identity",
}

PUBLISH_RULE = """\
-- id: publish_identity
-- title: Identity data published by anyone but the user
-- category: disclosure
-- severity: high
-- clause: Draft amendments: shall not intentionally disclose.
-- description: A publish action on protected data,
--   even with an authorization reference.
-- false_positives: none known
SELECT * FROM in_scope_events WHERE action = 'publish'
"""


def write_rule(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_rules_are_the_nine_of_the_contract_with_full_headers() -> None:
    rules = load_rules()
    assert {r.id for r in rules} == DEFAULT_IDS
    for rule in rules:
        assert rule.category in CATEGORIES and rule.severity in SEVERITIES
        assert rule.title and rule.description and rule.clause and rule.false_positives
        assert rule.builtin
    by_id = {r.id: r for r in rules}
    assert by_id["illegal_use_bulk"].category == "illegal_use"
    assert by_id["selling"].category == "selling"
    assert {by_id[i].category for i in DEFAULT_IDS if i.startswith("real_name_")} == {"real_name"}


def test_header_values_continue_on_indented_lines() -> None:
    rule = parse_rule_text(PUBLISH_RULE, Path("publish.sql"))
    assert (
        rule.description
        == "A publish action on protected data, even with an authorization reference."
    )
    assert rule.sql == "SELECT * FROM in_scope_events WHERE action = 'publish'"


def test_a_user_rule_folder_adds_rules_that_fire(tmp_path: Path) -> None:
    folder = tmp_path / "our_rules"
    write_rule(folder, "publish_identity.sql", PUBLISH_RULE)
    write_rule(folder, "_notes.sql", "this file is skipped: its name starts with _")
    assert "publish_identity" in {r.id for r in load_rules([folder])}
    lake_events = [event(action="publish", destination_type="internal")]
    _, findings = detect_events(tmp_path, lake_events, rule_dirs=(folder,))
    (finding,) = findings
    assert finding["rule_id"] == "publish_identity"
    assert finding["category"] == "disclosure"
    assert finding["severity"] == "high"
    assert "Identity data published by anyone but the user" in finding["summary"]


def test_disabled_rules_do_not_run(tmp_path: Path) -> None:
    unauthorized = [event(authorization_ref=None, purpose=None)]
    _, findings = detect_events(
        tmp_path, unauthorized, disabled_rules=("illegal_use_unauthorized",)
    )
    assert findings == []


@pytest.mark.parametrize("missing", REQUIRED_KEYS)
def test_a_header_missing_a_key_names_the_file_and_the_key(tmp_path: Path, missing: str) -> None:
    text = "\n".join(
        line for line in PUBLISH_RULE.splitlines() if not line.startswith(f"-- {missing}:")
    )
    path = write_rule(tmp_path / "r", "broken.sql", text)
    with pytest.raises(RuleError, match=rf"{path}.*lacks {missing}"):
        load_rules([path.parent])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("-- severity: high", "-- severity: urgent"), "severity 'urgent' is not one of"),
        (("-- category: disclosure", "-- category: spying"), "category 'spying' is not one of"),
        (("-- id: publish_identity", "-- id: Publish-Identity"), "is not a valid rule id"),
        (("-- false_positives: none known", "-- false_positive: none"), "unknown header key"),
        (("SELECT * FROM in_scope_events WHERE action = 'publish'", ""), "no SQL after the header"),
    ],
    ids=["severity", "category", "id", "unknown_key", "no_sql"],
)
def test_a_bad_header_is_a_clear_error_naming_the_file(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write_rule(tmp_path / "r", "broken.sql", PUBLISH_RULE.replace(*change))
    with pytest.raises(RuleError, match=message) as err:
        load_rules([path.parent])
    assert str(path) in err.value.message


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELEC * FROM in_scope_events", "does not parse"),
        ("SELECT * FROM in_scope_event WHERE paid", "is not valid"),
        ("SELECT * FROM in_scope_events WHERE no_such_column", "is not valid"),
        ("SELECT event_id, provider_id FROM in_scope_events", "does not return"),
        ("SELECT * FROM in_scope_events; DELETE FROM in_scope_events", "exactly one SELECT"),
        ("DROP TABLE in_scope_events", "exactly one SELECT"),
    ],
    ids=[
        "syntax",
        "unknown_table",
        "unknown_column",
        "missing_columns",
        "two_statements",
        "not_select",
    ],
)
def test_bad_sql_is_a_clear_error_naming_the_file(tmp_path: Path, sql: str, message: str) -> None:
    text = PUBLISH_RULE.replace("SELECT * FROM in_scope_events WHERE action = 'publish'", sql)
    path = write_rule(tmp_path / "r", "broken.sql", text)
    with pytest.raises(RuleError, match=message) as err:
        load_rules([path.parent])
    assert str(path) in err.value.message
    assert "publish_identity" in err.value.message


def test_a_user_rule_may_not_reuse_a_built_in_id(tmp_path: Path) -> None:
    path = write_rule(
        tmp_path / "r", "selling.sql", PUBLISH_RULE.replace("publish_identity", "selling")
    )
    with pytest.raises(RuleError, match="already used by built-in") as err:
        load_rules([path.parent])
    assert "disabled_rules" in (err.value.hint or "")


def test_a_missing_rules_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="does not exist"):
        load_rules([tmp_path / "nope"])


def test_rules_list_prints_every_rule(tmp_path: Path) -> None:
    folder = tmp_path / "our_rules"
    write_rule(folder, "publish_identity.sql", PUBLISH_RULE)
    result = CliRunner().invoke(cli, ["rules", "list", "--rules", str(folder)])
    assert result.exit_code == 0, result.output
    for rule_id in DEFAULT_IDS | {"publish_identity"}:
        assert rule_id in result.output
    assert f"from {folder / 'publish_identity.sql'}" in result.output


def test_rules_show_prints_metadata_and_sql() -> None:
    result = CliRunner().invoke(cli, ["rules", "show", "illegal_use_bulk"])
    assert result.exit_code == 0, result.output
    assert "category:        illegal_use" in result.output
    assert "clause:" in result.output and "false positives:" in result.output
    assert "bulk_threshold" in result.output
    assert "FROM in_scope_events" in result.output


def test_rules_show_in_chinese_gives_the_clause_description_and_false_positives_in_chinese() -> (
    None
):
    result = CliRunner().invoke(cli, ["--lang", "zh-CN", "rules", "show", "illegal_use_bulk"])
    assert result.exit_code == 0, result.output
    assert "不得非法使用。" in result.output and "累计达到 bulk_threshold 条记录" in result.output
    assert "调高 bulk_threshold" in result.output
    for english in ("Draft amendments", "An employee, partner", "Approved migrations"):
        assert english not in result.output, english
    assert "FROM in_scope_events" in result.output


def test_rules_show_unknown_id_exits_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["rules", "show", "no_such_rule"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Error: no rule with id 'no_such_rule'" in err
    assert "Hint: see the ids with: auditpipe rules list" in err


def test_cli_bad_rule_file_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rule(tmp_path / "r", "broken.sql", PUBLISH_RULE.replace("SELECT *", "SELECT nope"))
    with pytest.raises(SystemExit) as exit_info:
        main(["rules", "list", "--rules", str(path.parent)])
    assert exit_info.value.code == 2
    assert f"Error: rule publish_identity ({path})" in capsys.readouterr().err


def test_a_rule_failing_on_the_data_is_named(tmp_path: Path) -> None:
    # binds (so it passes the check) but cannot cast 'emp1' to a number when it runs
    text = PUBLISH_RULE.replace(
        "SELECT * FROM in_scope_events WHERE action = 'publish'",
        "SELECT * FROM in_scope_events WHERE CAST(actor_id AS INTEGER) > 0",
    )
    path = write_rule(tmp_path / "r", "casts.sql", text)
    with pytest.raises(
        RuleError, match=r"rule publish_identity \(.*casts.sql\) failed on the lake"
    ):
        detect_events(tmp_path, [event()], rule_dirs=(path.parent,))


def test_a_user_rule_may_read_events_directly(tmp_path: Path) -> None:
    text = PUBLISH_RULE.replace(
        "SELECT * FROM in_scope_events WHERE action = 'publish'",
        "SELECT * FROM events WHERE list_contains(data_fields, 'nickname') AND action = 'export'",
    )
    folder = tmp_path / "r"
    write_rule(folder, "nick.sql", text)
    events = [event(action="export", data_fields=["nickname"]), event(data_fields=["nickname"])]
    _, findings = detect_events(tmp_path, events, rule_dirs=(folder,))
    assert [(f["rule_id"], f["event_count"]) for f in findings] == [("publish_identity", 1)]
    assert "personal data" in findings[0]["summary"]


def test_a_window_rule_sees_every_row_of_in_scope_events(tmp_path: Path) -> None:
    # all rules run in one query over one materialised in_scope_events; a rule with a window
    # must still count every row, not only rows another rule's filter keeps
    text = PUBLISH_RULE.replace(
        "SELECT * FROM in_scope_events WHERE action = 'publish'",
        "SELECT * FROM in_scope_events WHERE internal_use\n"
        "QUALIFY count(*) OVER (PARTITION BY provider_id, actor_id, event_date) >= 3",
    )
    folder = tmp_path / "r"
    write_rule(folder, "repeat.sql", text)
    events = [event(actor_id="a", event_id=f"a{i}") for i in range(3)]
    events += [event(actor_id="b", event_id=f"b{i}") for i in range(2)]
    events += [
        event(
            actor_id="b",
            event_id="b-sold",
            action="transfer",
            amount=5,
            destination_type="external",
            destination_party="acme",
        )
    ]
    _, findings = detect_events(tmp_path, events, rule_dirs=(folder,))
    by_rule = {(f["rule_id"], f["actor_id"]): f["evidence_event_ids"] for f in findings}
    assert by_rule == {("publish_identity", "a"): ["a0", "a1", "a2"], ("selling", "b"): ["b-sold"]}
