"""`findings show` names the data a finding touched in the reader's language: every category
of the default catalog (and `other`) has a Chinese word, shown with the category SQL filters
on; English shows the category as it is."""

from __future__ import annotations

import json

from auditpipe.findings_view.output import DATA_CATEGORY_WORDS, data_category_word
from auditpipe.i18n import using_language
from tests.support import REPO


def test_every_catalog_category_has_a_word_in_chinese() -> None:
    catalog = json.loads((REPO / "schemas" / "data_catalog.json").read_text(encoding="utf-8"))
    categories = {entry["category"] for entry in catalog["fields"].values()} | {"other"}
    assert categories == set(DATA_CATEGORY_WORDS)
    with using_language("zh-CN"):
        for category in categories:
            word = data_category_word(category)
            assert word != category and word.endswith(f"（{category}）"), word
        assert data_category_word("our_own") == "our_own"
    assert [data_category_word(c) for c in sorted(categories)] == sorted(categories)
