"""Choosing the language: --lang, the locale (LC_ALL > LC_MESSAGES > LANG, LANGUAGE first
unless the locale is C), and the fall back to English."""

from __future__ import annotations

import pytest

from auditpipe.i18n import (
    _,
    current_language,
    language_from_env,
    ngettext,
    normalize_language,
    set_language,
    using_language,
)


@pytest.mark.parametrize(
    "env",
    [
        {"LANG": "zh_CN.UTF-8"},
        {"LANG": "zh_CN.utf8"},
        {"LANG": "zh_CN"},
        {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"},
        {"LC_MESSAGES": "zh_CN.GB18030", "LANG": "C"},
        {"LANG": "zh_SG.UTF-8"},
        {"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"},
    ],
)
def test_a_simplified_chinese_locale_chooses_chinese(env: dict[str, str]) -> None:
    assert language_from_env(env) == "zh-CN"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"LANG": "C"},
        {"LANG": "C.UTF-8"},
        {"LANG": "POSIX"},
        {"LANG": "en_US.UTF-8"},
        {"LANG": "en_GB.UTF-8"},
        {"LANG": "de_DE.UTF-8"},
        {"LANG": "zh_TW.UTF-8"},  # Traditional Chinese: no catalog, English
        {"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"},  # LC_ALL wins
        {"LANG": "C", "LANGUAGE": "zh_CN"},  # GNU: LANGUAGE is ignored under the C locale
    ],
)
def test_other_locales_stay_english(env: dict[str, str]) -> None:
    assert language_from_env(env) == "en"


@pytest.mark.parametrize("value", ["zh-CN", "zh_CN", "zh", "ZH-cn", "zh-Hans", "zh_CN.UTF-8"])
def test_forms_of_chinese(value: str) -> None:
    assert normalize_language(value) == "zh-CN"


@pytest.mark.parametrize("value", ["fr", "zh-TW", "", "klingon"])
def test_unknown_languages(value: str) -> None:
    assert normalize_language(value) is None
    with pytest.raises(ValueError):
        set_language(value or "x")


def test_switching_translates_and_switching_back_does_not() -> None:
    assert _("Selling") == "Selling"
    with using_language("zh-CN"):
        assert current_language() == "zh-CN"
        assert _("Selling") == "出售"
        assert _("Modification") == "篡改"
        assert _("Disclosure") == "故意泄露"
        assert _("Illegal use") == "非法使用"
        assert ngettext("{n} day", "{n} days", 3).format(n=3) == "3 天"
        assert _("no such message id in any catalog") == "no such message id in any catalog"
    assert current_language() == "en"
    assert _("Selling") == "Selling"
