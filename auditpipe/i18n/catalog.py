"""Keeping the catalogs up to date: extract, merge into each ``.po``, compile each ``.mo``.

``make translations`` runs ``python -m auditpipe.i18n.catalog``. It extracts with Babel
exactly as ``pybabel extract -F babel.cfg -k N_ auditpipe`` would, merges the template into
every ``auditpipe/locale/<lang>/LC_MESSAGES/auditpipe.po`` (new strings get an empty
``msgstr``; strings gone from the code are dropped, git keeps their history) and compiles the
``.mo`` beside it. The files are written sorted, without line numbers and with a fixed header
date, so two branches that add different strings touch different lines and a run that
changes nothing changes no byte. It prints the strings still untranslated and exits 1 when
there are any. Development only: Babel's extraction code is never imported at run time.
"""

from __future__ import annotations

import datetime as dt
import gettext
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from . import DOMAIN, LOCALE_DIR

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ROOT = LOCALE_DIR.parent.parent  # the repository (babel.cfg is there)
PACKAGE = LOCALE_DIR.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# A fixed date in the header: the catalog's content, not the hour it was built, decides its bytes.
HEADER_DATE = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def extract() -> Catalog:
    """Every message in the package's code, as ``babel.cfg`` says to find them."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project="auditpipe", creation_date=HEADER_DATE, charset="utf-8")
    found = extract_from_dir(
        str(PACKAGE), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read(path: Path) -> Catalog:
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        return read_po(f)


def _write_po(catalog: Catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    catalog.creation_date = catalog.revision_date = HEADER_DATE
    catalog.fuzzy = False
    catalog.last_translator = catalog.language_team = "auditpipe"
    catalog.msgid_bugs_address = ""
    with open(path, "wb") as f:
        write_po(f, catalog, width=0, no_location=True, sort_output=True, ignore_obsolete=True)


def compile_mo(catalog: Catalog, path: Path) -> None:
    from babel.messages.mofile import write_mo

    with open(path, "wb") as f:
        write_mo(f, catalog)


def update(template: Catalog, language: str) -> Catalog:
    """Merge ``template`` into the language's .po, write it and its .mo; the merged catalog."""
    path = po_path(language)
    catalog = read(path)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    _write_po(catalog, path)
    catalog = read(path)
    compile_mo(catalog, path.with_suffix(".mo"))
    return catalog


def untranslated(catalog: Catalog) -> list[str]:
    """Message ids with an empty (or partly empty plural) or fuzzy translation."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def compiled(path: Path) -> dict[object, str]:
    """What a compiled .mo holds, as gettext reads it (header entry left out)."""
    with open(path, "rb") as f:
        held = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    return {k: v for k, v in held.items() if k != ""}


def expected(catalog: Catalog) -> dict[object, object]:
    """What the .mo of ``catalog`` must hold, in the same shape as ``compiled``."""
    held: dict[object, object] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            for index, text in enumerate(message.string or ()):
                if text:
                    held[(message.id[0], index)] = text
        elif message.string:
            held[message.id] = message.string
    return held


def _main(argv: Iterable[str]) -> int:
    template = extract()
    status = 0
    for language in list(argv) or languages():
        catalog = update(template, language)
        missing = untranslated(catalog)
        count = sum(1 for m in catalog if m.id)
        print(f"{language}: {count} messages, {len(missing)} untranslated")
        for msgid in missing:
            print("  untranslated: " + msgid.splitlines()[0][:90])
        status = status or (1 if missing else 0)
    return status


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
