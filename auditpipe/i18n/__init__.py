"""Translations: English by default, Simplified Chinese with ``--lang zh-CN`` or a zh_CN locale.

The standard gettext machinery: English strings in the code are the message ids, the
catalog ``auditpipe/locale/zh_CN/LC_MESSAGES/auditpipe.po`` holds their translations and is
compiled to ``auditpipe.mo`` beside it (committed, so a fresh clone and a wheel work offline
with no build step; a test fails when the .mo is older than the .po). Babel extracts and
compiles the catalog; at run time only the standard library's ``gettext`` reads the ``.mo``,
so importing this module costs nothing noticeable and ``--help`` stays instant.

The public face::

    from auditpipe.i18n import _, N_, ngettext

    _("Report written to {path}.").format(path=output)   # translated now
    ngettext("{n} finding", "{n} findings", n).format(n=n)
    LABEL = N_("Selling")          # marked for the catalog, translated later with _(LABEL)

``set_language(code)`` switches the process's language (``"en"`` or ``"zh-CN"``; also
``zh_CN``, ``zh``, ``zh-Hans``); ``current_language()`` says which is on; ``using_language()``
switches for a block (a report in the language of ``[report] lang``); ``language_from_env()``
reads the locale (LC_ALL, then LC_MESSAGES, then LANG; LANGUAGE first when the locale is not
C/POSIX, as GNU gettext does). Only Simplified Chinese locales (zh_CN, zh_SG, zh_Hans, zh)
choose Chinese; zh_TW and zh_HK stay English, as there is no Traditional catalog.

How another engineer adds a user-facing string
-----------------------------------------------
1. Wrap it: ``_("...")`` where the text is produced (at run time, not at import), with
   ``{name}`` placeholders and ``.format(...)`` instead of an f-string (an f-string cannot be
   a message id). Module-level constants take ``N_("...")`` and ``_(CONSTANT)`` where used.
   Click help needs nothing: every ``help="..."`` literal and every command's docstring is
   extracted automatically and translated when ``--help`` is printed (``i18n.clickhelp``).
   Keep identifiers, rule ids, SQL, JSON keys and CSV column names out of ``_()``.
2. Run ``make translations``: it extracts every string (``babel.cfg``), merges the new ones
   into ``auditpipe.po`` and compiles ``auditpipe.mo``.
3. Fill the new entries' ``msgstr`` in ``auditpipe.po`` (keep placeholders, ``\\b`` markers
   and line breaks of help text), run ``make translations`` again, commit both files.
   ``tests/unit/test_i18n_catalog.py`` fails while any extracted string has no translation
   or the .mo is stale. On a rebase conflict in ``auditpipe.mo``: resolve the ``.po``, run
   ``make translations`` and ``git add`` both.

Legal terms follow the regulation's wording: 出售 (sell), 篡改 (modify), 故意泄露
(intentionally disclose), 非法使用 (illegally use); 登录信息, 真实身份信息; 责令改正,
没收违法所得, 罚款, 暂停/吊销.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

DOMAIN = "auditpipe"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LANGUAGE = "en"
# Language codes (BCP 47, as --lang and [report] lang take them) -> gettext catalog names.
SUPPORTED_LANGUAGES: dict[str, str | None] = {"en": None, "zh-CN": "zh_CN"}
# Environment variables that name the locale, in POSIX precedence.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_ALIASES = {
    "en": "en",
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "zh-sg": "zh-CN",
    "zh-hans": "zh-CN",
    "zh-hans-cn": "zh-CN",
}

_language = DEFAULT_LANGUAGE
_chosen = False  # the language was chosen for this run (--lang), not taken from the locale
_translations: _gettext.NullTranslations = _gettext.NullTranslations()
_loaded: dict[str, _gettext.NullTranslations] = {}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for the catalog without translating it now (translate with ``_``)."""
    return message


def _(message: str) -> str:
    """``message`` in the current language (itself when there is no translation)."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current language."""
    return _translations.ngettext(singular, plural, n)


def normalize_language(value: str) -> str | None:
    """The supported language code ``value`` names (``zh_CN.UTF-8`` -> ``zh-CN``), else None.

    English locales (en_US, en_GB.UTF-8...) name ``en``; so do C and POSIX.
    """
    raw = value.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if raw in ("c", "posix") or raw == "en" or raw.startswith("en-"):
        return "en"
    return _ALIASES.get(raw)


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for (``en`` when it names none we have)."""
    env = os.environ if environ is None else environ
    locale = next((env[v] for v in LOCALE_VARIABLES if env.get(v)), "")
    base = locale.split(".")[0]
    if base and base not in ("C", "POSIX"):
        # GNU gettext: LANGUAGE is a priority list, honoured unless the locale is C.
        for entry in env.get("LANGUAGE", "").split(":"):
            found = normalize_language(entry) if entry else None
            if found:
                return found
    return (normalize_language(locale) if locale else None) or DEFAULT_LANGUAGE


def _catalog(language: str) -> _gettext.NullTranslations:
    if language not in _loaded:
        name = SUPPORTED_LANGUAGES[language]
        if name is None:
            _loaded[language] = _gettext.NullTranslations()
        else:  # the file itself: gettext.translation() would search locale aliases first
            with open(LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as mo:
                _loaded[language] = _gettext.GNUTranslations(mo)
    return _loaded[language]


def set_language(language: str, *, chosen: bool | None = None) -> str:
    """Switch to ``language`` (any form ``normalize_language`` knows); returns its code.

    ``chosen`` records whether the user chose it for this run (``--lang``), which then wins
    over ``[report] lang``; None leaves that record as it is. ValueError for a language
    without a catalog.
    """
    global _language, _translations, _chosen
    code = normalize_language(language)
    if code is None:
        raise ValueError(f"unknown language {language!r}")
    _translations = _catalog(code)
    _language = code
    if chosen is not None:
        _chosen = chosen
    return code


def language_chosen() -> bool:
    """Whether this run's language was chosen explicitly (``--lang``) rather than by the locale."""
    return _chosen


def current_language() -> str:
    """``en`` or ``zh-CN``."""
    return _language


def babel_locale() -> str:
    """The current language as a Babel/CLDR locale name (``en``, ``zh_CN``)."""
    return _language.replace("-", "_")


@contextlib.contextmanager
def using_language(language: str | None) -> Iterator[str]:
    """Switch to ``language`` for the block (no change when None) and back after it."""
    before = _language
    code = set_language(language) if language else before
    try:
        yield code
    finally:
        set_language(before)


__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALE_DIR",
    "N_",
    "SUPPORTED_LANGUAGES",
    "_",
    "babel_locale",
    "current_language",
    "language_chosen",
    "language_from_env",
    "ngettext",
    "normalize_language",
    "set_language",
    "using_language",
]
