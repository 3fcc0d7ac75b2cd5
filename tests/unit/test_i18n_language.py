"""Choosing the language: --lang, the locale (LC_ALL > LC_MESSAGES > LANG, LANGUAGE first
unless the locale is C), and the fall back to English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditpipe.i18n import (
    _,
    current_language,
    language_from_env,
    ngettext,
    normalize_language,
    set_language,
    using_language,
)
from auditpipe.i18n.clickhelp import display_width, wrap_wide


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


@given(
    st.lists(
        st.one_of(
            st.sampled_from(["数据湖", "文件夹", "，", "。", "（", "）", "选项", "事件"]),
            st.from_regex(r"[a-z0-9_\-\[\]]{1,12}", fullmatch=True),
            st.just(" "),
        ),
        max_size=60,
    ),
    st.integers(min_value=10, max_value=80),
)
def test_wide_text_wraps_within_the_width_and_keeps_every_character(
    tokens: list[str], width: int
) -> None:
    text = "".join(tokens)
    wrapped = wrap_wide(text, width)
    for line in wrapped.splitlines():
        # a line may overflow only when it is one unbreakable (ASCII) word, or by a closing
        # punctuation mark kept at its end
        one_word = " " not in line and display_width(line) == len(line)
        assert display_width(line) <= width or one_word or line[-1] in "，。）"
    assert wrapped.replace("\n", "").replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("，", "。", "）")) for line in wrapped.splitlines()[1:])
