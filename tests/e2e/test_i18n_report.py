"""Reports in Chinese say the same thing as in English: the same numbers, the same masked
identifiers, the same JSON keys and values except the prose; the language comes from --lang,
else [report] lang, else the locale."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from auditpipe.config import Config, load_config
from auditpipe.detect.rules import read_rules
from auditpipe.i18n import using_language
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report
from tests.support.cli import run_main
from tests.support.detect_lakes import detect_events, event
from tests.support.report_lakes import IDENTIFIERS

BUILT_IN = {r.id for r in read_rules()}
USER_RULE = """\
-- id: publish_identity
-- title: Identity data published by staff
-- category: disclosure
-- severity: high
-- clause: Draft amendments: shall not intentionally disclose.
-- description: A publish action on protected data.
-- summary: {actor} published {data} on {date}.
SELECT * FROM in_scope_events WHERE action = 'publish'
"""

FORMATS = ("terminal", "markdown", "html", "json", "csv")
# The JSON fields that are sentences for people and follow the language; everything else
# (keys, ids, categories, severities, numbers, dates, SQL) is the same in every language.
# A finding's summary and a rule's title (in the provenance) follow it too.
PROSE = {"caveat", "notes", "fine_basis", "serious_reasons", "consequences", "summary", "title"}
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _reports(lake: Lake, unmask: bool = False) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for lang in ("en", "zh-CN"):
        with using_language(lang):
            report = build_report(lake, config=Config(), unmask=unmask, now=NOW)
            out[lang] = {f: render_report(report, f, width=100) for f in FORMATS}
    return out


@pytest.fixture(scope="module")
def reports(shared_lake: Lake) -> dict[str, dict[str, str]]:
    return _reports(shared_lake)


def _numbers(text: str) -> Counter[str]:
    return Counter(n.replace(",", "") for n in NUMBER.findall(text))


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html"])
def test_human_formats_hold_the_same_numbers_in_both_languages(reports, fmt: str) -> None:  # type: ignore[no-untyped-def]
    en, zh = reports["en"][fmt], reports["zh-CN"][fmt]
    assert CJK.search(zh) and not CJK.search(en)
    if fmt == "html":  # text only (entities decoded: &#x27; is not a number)
        en, zh = (html.unescape(re.sub(r"<[^>]*>", " ", page)) for page in (en, zh))
    assert _numbers(en) == _numbers(zh)


def _strip_prose(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: (None if k in PROSE else _strip_prose(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_strip_prose(v) for v in doc]
    return doc


def test_json_differs_only_in_its_prose_fields(reports) -> None:  # type: ignore[no-untyped-def]
    en, zh = json.loads(reports["en"]["json"]), json.loads(reports["zh-CN"]["json"])
    assert _strip_prose(en) == _strip_prose(zh)
    assert zh["exposure"]["caveat"] == "本结果为供审查的估算，并非法律认定。"
    providers = zh["exposure"]["providers"]
    assert providers and all(e["consequences"][0] == "责令改正。" for e in providers)


def test_csv_differs_only_in_its_summary_column(reports) -> None:  # type: ignore[no-untyped-def]
    """CSV column names and values are for scripts: English keys whatever the language. The
    summary is the one sentence for people: a finding's, in the report's language."""
    en, zh = (list(csv.DictReader(io.StringIO(reports[k]["csv"]))) for k in ("en", "zh-CN"))
    assert en and len(en) == len(zh)
    for a, b in zip(en, zh, strict=True):
        assert {k: v for k, v in a.items() if k != "summary"} == {
            k: v for k, v in b.items() if k != "summary"
        }
        assert not CJK.search(a["summary"])
        if a["rule_id"] in BUILT_IN:
            assert CJK.search(b["summary"])
        else:  # the shared lake's user rule, not in this configuration: its stored summary
            assert a["summary"] == b["summary"]


def test_every_chinese_summary_is_filled_and_says_what_the_english_one_does(reports) -> None:  # type: ignore[no-untyped-def]
    """Each built-in rule's finding reads in Chinese with no placeholder left, and holds the
    same numbers, dates and party as its English summary."""
    en, zh = json.loads(reports["en"]["json"]), json.loads(reports["zh-CN"]["json"])
    # the shared lake has no account snapshots: the real-name rules are in the golden reports
    assert {r for r in BUILT_IN if not r.startswith("real_name_")} <= {
        f["rule_id"] for f in zh["findings"]
    }
    for a, b in zip(en["findings"], zh["findings"], strict=True):
        assert a["finding_id"] == b["finding_id"]
        if a["rule_id"] not in BUILT_IN:
            continue
        assert CJK.search(b["summary"]) and "{" not in b["summary"], b["summary"]
        assert _numbers(a["summary"]) == _numbers(b["summary"]), (a["summary"], b["summary"])
        if a["destination_party"]:
            assert a["destination_party"] in b["summary"]


def test_a_user_rule_without_a_chinese_summary_keeps_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "our_rules"
    folder.mkdir()
    (folder / "publish_identity.sql").write_text(USER_RULE, encoding="utf-8")
    config_file = tmp_path / "auditpipe.toml"
    config_file.write_text(f'[detect]\nrule_dirs = ["{folder}"]\n', encoding="utf-8")
    identity = {"data_fields": ["id_number"], "data_classes": ["identity"]}
    sold = event(action="transfer", destination_type="external", amount="100", **identity)
    posted = event(action="publish", **identity)
    _, stored = detect_events(tmp_path, [sold, posted], rule_dirs=(folder,))
    with using_language("zh-CN"):
        report = build_report(Lake.open(tmp_path / "lake"), config=load_config(config_file))
    summaries = {f.rule_id: f.summary for f in report.findings}
    english = {f["rule_id"]: f["summary"] for f in stored}
    assert summaries["publish_identity"] == english["publish_identity"]
    assert summaries["selling"] != english["selling"] and "出售" in summaries["selling"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_chinese_reports_stay_masked(reports, fmt: str) -> None:  # type: ignore[no-untyped-def]
    for identifier in IDENTIFIERS:
        assert identifier not in reports["zh-CN"][fmt]


def test_chinese_markdown_uses_the_regulation_words(reports) -> None:  # type: ignore[no-untyped-def]
    zh = reports["zh-CN"]["markdown"]
    for word in ("出售", "故意泄露", "篡改", "非法使用", "责令改正", "罚款", "个人标识符已脱敏"):
        assert word in zh, word
    assert "¥" in zh  # amounts in sentences, summaries included, in the locale's format


def test_chinese_html_chart_tooltips_are_chinese(reports) -> None:  # type: ignore[no-untyped-def]
    """The hover text of every chart bar and point (``<title>``) is in the report's language:
    no English "running total", "so far" or "findings" in the Chinese page."""
    titles = re.findall(r"<title>([^<]*)</title>", reports["zh-CN"]["html"])
    assert titles and "findings" not in " ".join(titles)
    assert not [t for t in titles if "running total" in t or "so far" in t]
    english = " ".join(re.findall(r"<title>([^<]*)</title>", reports["en"]["html"]))
    assert "running total" in english and "so far" in english


def test_html_declares_its_language(reports) -> None:  # type: ignore[no-untyped-def]
    assert '<html lang="en">' in reports["en"]["html"]
    assert '<html lang="zh-CN">' in reports["zh-CN"]["html"]


def _cli_report(lake: Lake, capsys, *args: str) -> str:  # type: ignore[no-untyped-def]
    code, out, err = run_main(
        ["report", "--lake", str(lake.root), "--format", "markdown", *args], capsys
    )
    assert code == 0, err
    return out


def test_report_lang_from_config_and_lang_option_wins(
    shared_lake: Lake, tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "auditpipe.toml"
    config.write_text('[report]\nlang = "zh-CN"\n', encoding="utf-8")
    assert "## 覆盖的数据" in _cli_report(shared_lake, capsys, "--config", str(config))
    out = _cli_report(shared_lake, capsys, "--config", str(config), "--lang", "en")
    assert "## Data covered" in out
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the locale, with no [report] lang
    assert "## 覆盖的数据" in _cli_report(shared_lake, capsys)
    assert "## Data covered" in _cli_report(shared_lake, capsys, "--lang", "en")


def test_an_unknown_report_lang_is_a_config_error(
    shared_lake: Lake, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "auditpipe.toml"
    config.write_text('[report]\nlang = "fr"\n', encoding="utf-8")
    code, _, err = run_main(
        ["report", "--lake", str(shared_lake.root), "--config", str(config)], capsys
    )
    assert code == 2
    assert "[report] lang = 'fr' is not a language auditpipe has" in err


def test_actor_types_are_words_of_the_report_language(reports) -> None:  # type: ignore[no-untyped-def]
    """The contract's actor types read as words in Chinese (the value itself in English);
    a value outside the contract is shown as it is, a missing one as unknown."""
    from auditpipe.report.render.common import actor_type_word

    en, zh = reports["en"]["markdown"], reports["zh-CN"]["markdown"]
    assert "(employee)" in en and "（员工）" in zh
    for value in ("employee", "partner", "service"):
        assert f"（{value}）" not in zh and f"| {value} |" not in zh
    with using_language("zh-CN"):
        assert [actor_type_word(t) for t in ("employee", "robot", None)] == [
            "员工",
            "robot",
            "未知",
        ]
        assert actor_type_word(None, "-") == "-"
    with using_language("en"):
        assert actor_type_word("partner") == "partner"
