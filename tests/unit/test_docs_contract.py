"""The README's contract and catalog tables are generated from schemas/ and must match it."""

from __future__ import annotations

from auditpipe.contract import catalog_markdown, contract_markdown, load_contract
from tests.support import REPO

README = REPO / "README.md"


def test_readme_field_table_matches_the_schema() -> None:
    assert contract_markdown() in README.read_text(encoding="utf-8"), (
        "README is out of date: paste the output of `python -m auditpipe.contract`"
    )


def test_readme_catalog_table_matches_the_catalog() -> None:
    assert catalog_markdown() in README.read_text(encoding="utf-8")


def test_contract_names_the_required_fields_of_the_issue() -> None:
    assert set(load_contract().required) == {
        "event_time",
        "provider_id",
        "actor_id",
        "action",
        "data_fields",
    }
