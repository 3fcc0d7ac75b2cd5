"""The language reaches the command line: --lang (before or after the command), the locale,
[report] lang for reports, and English when nothing asks for Chinese."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_main

CHINESE_HELP = "审计互联网服务提供者如何对待用户个人信息"
ENGLISH_HELP = "Audit how internet service providers treat users' personal information."


@pytest.mark.parametrize(
    "args",
    [["--lang", "zh-CN", "--help"], ["--help", "--lang=zh-CN"], ["--lang", "zh_CN", "--help"]],
)
def test_lang_option_translates_the_top_level_help(args: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_main(args, capsys)
    assert code == 0
    assert CHINESE_HELP in out
    assert "用法:" in out and "选项:" in out and "命令:" in out and "退出码：" in out


def test_lang_after_the_subcommand_translates_its_help(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_main(["report", "--help", "--lang", "zh-CN"], capsys)
    assert code == 0
    assert "就一个期间的发现出具报告" in out
    assert "将报告写入此文件，而不是标准输出。" in out
    assert "退出码：" in out and "130  已中断（Ctrl-C）" in out


@pytest.mark.parametrize("lang", ["zh_CN.UTF-8", "zh_CN.utf8"])
def test_a_chinese_locale_translates(lang: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LANG", lang)
    code, out, _ = run_main(["--help"], capsys)
    assert code == 0 and CHINESE_HELP in out


@pytest.mark.parametrize("lang", ["C", "C.UTF-8", "en_US.UTF-8", "POSIX"])
def test_other_locales_stay_english(lang: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LANG", lang)
    code, out, _ = run_main(["--help"], capsys)
    assert code == 0 and ENGLISH_HELP in out
    assert "Exit codes:" in out and "退出码" not in out


def test_lang_en_overrides_a_chinese_locale(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    code, out, _ = run_main(["--lang", "en", "--help"], capsys)
    assert code == 0 and ENGLISH_HELP in out


def test_an_unknown_language_is_a_usage_error(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_main(["--lang", "fr", "status"], capsys)
    assert code == 2
    assert "'fr' is not a language auditpipe has; use one of: en, zh-CN" in err


def test_errors_and_hints_are_in_the_chosen_language(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_main(["report", "--lake", str(tmp_path / "none"), "--lang", "zh-CN"], capsys)
    assert code == 2
    assert err.startswith("错误：") and "提示：" in err
    code, _, err = run_main(["--lang", "zh-CN", "report", "--no-such-option"], capsys)
    assert code == 2 and "没有选项 '--no-such-option'" in err


def test_a_real_process_under_a_chinese_locale() -> None:
    """The installed entry point, started the way a user's shell starts it."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    for lang, expected in (("zh_CN.UTF-8", CHINESE_HELP), ("C", ENGLISH_HELP)):
        env["LANG"] = lang
        done = subprocess.run(
            [sys.executable, "-m", "auditpipe", "--help"],
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
        )
        assert expected in done.stdout


def test_every_help_text_of_every_command_has_a_chinese_translation() -> None:
    """A help text reaches the catalog only as a ``help="..."`` literal, a docstring or N_():
    one built at run time (an f-string, a helper's argument) stays English under --lang zh-CN."""
    import gettext
    import inspect

    import click

    from auditpipe.cli import cli
    from auditpipe.cli.lazy import subcommands
    from auditpipe.i18n import DOMAIN, LOCALE_DIR

    zh = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"])
    untranslated = []

    def walk(command: click.Command, path: str) -> None:
        texts = [command.help] + [getattr(p, "help", None) for p in command.params]
        for text in filter(None, texts):
            if zh.gettext(inspect.cleandoc(text)) == inspect.cleandoc(text):
                untranslated.append(f"{path}: {text[:60]}")
        if isinstance(command, click.Group):
            for name, sub in subcommands(command).items():
                walk(sub, f"{path} {name}")

    walk(cli, "auditpipe")
    assert untranslated == []


def test_generate_formats_help_names_every_format() -> None:
    """The help is a literal (to be translated), so it is checked against the formats."""
    from auditpipe.cli.generate_cmd import generate
    from auditpipe.generate.formats import FORMATS

    help_text = next(p.help for p in generate.params if p.name == "formats") or ""
    assert help_text.split(": ", 1)[1].rstrip(".").split(", ") == list(FORMATS)


# English words that must not show in a Chinese message: the parts of a message built
# around a translated template (a "did you mean" hint, a value's kind, a list of file kinds).
ENGLISH_WORDS = re.compile(
    r"\b(in|did you mean|instead of|known|should be|a whole number|each|is|must|cannot|use|add)\b"
)


@pytest.mark.parametrize(
    ("toml", "args"),
    [
        ("[detcet]\nbulk_threshold = 1\n", ["detect"]),
        ("[detect]\nbulk_treshold = 1\n", ["detect"]),
        ('[detect]\nbulk_threshold = "x"\n', ["detect"]),
        ('[detect]\nseverity_record_steps = ["a"]\n', ["detect"]),
        ("", ["ingest", "{tmp}/empty"]),
        ("", ["ingest", "{tmp}/notes.txt"]),
        ("[penalty]\nfine_multiple_min = 9\n", ["detect"]),
        ("[penalty.rates]\nDOLLAR = 7\n", ["detect"]),
        ("[penalty.rates]\nCNY = 2\n", ["detect"]),
        ("[detect]\nmax_accounts_per_identity = 0\n", ["detect"]),
        ("", ["report", "--output", "{tmp}/report.xyz"]),
        ('kind = "pgsql"\nprovider_id = "x"\n', ["sources", "check", "{tmp}/source.toml"]),
        (
            'kind = "pgaudit"\n[columns]\nnodot = "id_number"\n',
            ["sources", "check", "{tmp}/source.toml"],
        ),
    ],
    ids=[
        "table",
        "key",
        "kind",
        "list",
        "nothing-to-ingest",
        "unknown-kind",
        "penalty-range",
        "penalty-currency",
        "penalty-cny",
        "accounts-per-identity",
        "report-suffix",
        "source-kind",
        "source-column",
    ],
)
def test_chinese_errors_are_chinese_throughout(  # type: ignore[no-untyped-def]
    toml: str, args: list[str], tmp_path: Path, capsys
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hi\n", encoding="utf-8")
    config = tmp_path / "auditpipe.toml"
    argv = [a.format(tmp=tmp_path) for a in args]
    if argv[0] == "sources":  # a source settings file, not auditpipe.toml
        (tmp_path / "source.toml").write_text(toml, encoding="utf-8")
    else:
        config.write_text(toml, encoding="utf-8")
        argv += ["--lake", str(tmp_path / "lake"), "--config", str(config)]
    code, _, err = run_main(["--lang", "zh-CN", *argv], capsys)
    assert code == 2 and err.startswith("错误："), err
    words = ENGLISH_WORDS.findall(err.replace(str(tmp_path), ""))
    assert words == [], err


def test_rules_show_in_chinese_lines_its_values_up(capsys) -> None:  # type: ignore[no-untyped-def]
    """Labels are padded by display cells: a Chinese character takes two."""
    from rich.cells import cell_len

    code, out, _ = run_main(["--lang", "zh-CN", "rules", "show", "selling"], capsys)
    assert code == 0
    header = out.split("\n\n", 1)[0].splitlines()
    starts = {
        cell_len(line.split(":", 1)[0])
        + 1
        + len(line.split(":", 1)[1])
        - len(line.split(":", 1)[1].lstrip())
        for line in header
    }
    assert starts == {17}, header
    assert "至少为 high" in out


def test_chinese_help_lines_option_descriptions_up(capsys) -> None:  # type: ignore[no-untyped-def]
    """An option whose metavar is translated (--lake 目录) is measured in display columns, so
    its description starts where the others do."""
    from auditpipe.i18n.clickhelp import display_width

    code, out, _ = run_main(["--lang", "zh-CN", "report", "--help"], capsys)
    assert code == 0
    options = out.split("选项:", 1)[1].split("退出码", 1)[0]
    # each option line that has its description beside it: where the description starts
    starts = {
        display_width(m.group(1)) for m in re.finditer(r"^(  -\S.*?  +)\S", options, flags=re.M)
    }
    assert len(starts) == 1, options


def test_rules_check_says_what_breaks_locality_in_chinese(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "cross_day.sql").write_text(
        "-- id: cross_day\n-- title: t\n-- category: disclosure\n-- severity: low\n"
        "-- clause: c\n-- description: d\n"
        "SELECT a.* FROM in_scope_events a JOIN events AS b ON a.actor_id = b.actor_id\n",
        encoding="utf-8",
    )
    code, out, _ = run_main(["--lang", "zh-CN", "rules", "check", "--rules", str(rules)], capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("cross_day"))
    assert "没有要求 provider_id 和 event_date 相等" in line, line
    assert not re.search(r"\b(joins|without|equal)\b", line), line
