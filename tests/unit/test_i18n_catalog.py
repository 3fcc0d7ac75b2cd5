"""The Chinese catalog is complete and compiled: every string the code marks for translation
(``_()``, ``N_()``, ``ngettext()``, click help literals and command docstrings) has a
non-empty zh_CN translation, and the committed .mo holds exactly what the .po says."""

from __future__ import annotations

import io
import re

import pytest

from auditpipe.i18n import catalog
from auditpipe.i18n.extract import click_texts, extract_auditpipe

LANGUAGES = catalog.languages()
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)s")


@pytest.fixture(scope="module")
def template():  # type: ignore[no-untyped-def]
    return catalog.extract()


def _ids(messages):  # type: ignore[no-untyped-def]
    return {m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id}


def test_there_is_a_chinese_catalog() -> None:
    assert "zh_CN" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_string_has_a_translation(template, language: str) -> None:  # type: ignore[no-untyped-def]
    po = catalog.read(catalog.po_path(language))
    translated = _ids(m for m in po if m.id) - set(catalog.untranslated(po))
    missing = sorted(_ids(template) - translated)
    assert not missing, (
        f"{len(missing)} string(s) have no {language} translation; run `make translations` "
        "and fill their msgstr in "
        + str(catalog.po_path(language))
        + ":\n  "
        + "\n  ".join(m.splitlines()[0][:100] for m in missing[:30])
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po(language: str) -> None:
    po_file = catalog.po_path(language)
    held = catalog.compiled(po_file.with_suffix(".mo"))
    assert held == catalog.expected(catalog.read(po_file)), (
        f"{po_file.with_suffix('.mo')} is stale: run `make translations` and commit it"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    """A translation that drops or renames ``{name}`` would fail (or lie) at .format()."""
    wrong = []
    for m in catalog.read(catalog.po_path(language)):
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        wanted = set().union(*(set(PLACEHOLDER.findall(i)) for i in ids))
        for text in strings:
            used = set(PLACEHOLDER.findall(text))
            # a plural's one form may use either form's placeholders; a plain message all of its own
            if not used <= wanted or (isinstance(m.id, str) and used != wanted):
                wrong.append((ids[0], text))
    assert not wrong, wrong[:5]


def test_an_unmarked_new_string_would_fail_the_completeness_check(template) -> None:  # type: ignore[no-untyped-def]
    """The check is not vacuous: a new _() string in the code shows up as missing."""
    source = b'from auditpipe.i18n import _\nx = _("A string nobody translated yet 7f3a")\n'
    found = [m[2] for m in extract_auditpipe(io.BytesIO(source), ["_", "N_"], [], {})]
    assert set(found) == {"A string nobody translated yet 7f3a"}
    po = catalog.read(catalog.po_path("zh_CN"))
    assert "A string nobody translated yet 7f3a" not in _ids(po)


def test_click_help_literals_and_command_docstrings_are_extracted() -> None:
    source = '''
import click
@cli.command("x")
@click.option("--a", help="First " "part.")
@click.option("--b", help="Joined " + "with plus.")
def x():
    """Do x.

    More about x.
    """
def not_a_command():
    """Not extracted."""
'''
    texts = [t for _, t in click_texts(source)]
    assert sorted(texts) == ["Do x.\n\nMore about x.", "First part.", "Joined with plus."]


def test_gettext_calls_inside_f_strings_are_extracted() -> None:
    source = (
        b'x = f"<h2>{escape(_(\'Inside an f-string\'))}</h2>"\ny = ngettext("a {n}", "b {n}", 2)\n'
    )
    found = [m[2] for m in extract_auditpipe(io.BytesIO(source), ["_", "N_", "ngettext"], [], {})]
    assert "Inside an f-string" in found
    assert ("a {n}", "b {n}") in found
