"""The human formats of one report state the same headline as each other and as the JSON
document, in both languages: the lake it read and the findings sentence with its count.

A renderer that puts a value into a sentence through a placeholder must put the value there:
a placeholder that the escaping of the format alters is no longer found, and the reader gets
the placeholder (``\\x00n\\x00 finding(s)``) instead of the number."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from auditpipe.config import Config
from auditpipe.i18n import using_language
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report
from auditpipe.report.render.common import count, findings_sentence, heading

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
LANGS = ("en", "zh-CN")


def _shown(text: str, fmt: str) -> str:
    """What a reader sees of ``text``, white space collapsed (tables and wrapping aside)."""
    if fmt == "html":
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    elif fmt == "markdown":
        text = re.sub(r"\\(.)", r"\1", text.replace("**", "").replace("`", ""))
    return " ".join(text.split())


@pytest.fixture(scope="module")
def rendered(shared_lake: Lake) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        with using_language(lang):
            report = build_report(shared_lake, config=Config(), now=NOW)
            assert report.totals.findings > 0
            out[lang] = {
                "heading": " ".join(heading(report, report.lake).split()),
                "sentence": " ".join(
                    findings_sentence(report, count(report.totals.findings)).split()
                ),
                **{
                    f: render_report(report, f, width=100) for f in ("terminal", "markdown", "html")
                },
            }
    return out


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html"])
def test_every_human_format_names_the_lake_it_read(rendered, lang: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    r = rendered[lang]
    assert r["heading"] in _shown(r[fmt], fmt)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_the_findings_sentence_states_the_findings_count(rendered, lang: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    r = rendered[lang]
    assert r["sentence"] in _shown(r[fmt], fmt)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html"])
def test_no_placeholder_reaches_the_reader(rendered, lang: str, fmt: str) -> None:  # type: ignore[no-untyped-def]
    # the shared lake's values hold no control character, so none may be spelled out
    assert "\\x00" not in rendered[lang][fmt]
