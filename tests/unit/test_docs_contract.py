"""The contract and catalog tables of docs/contract.md are generated from schemas/ and must
match it."""

from __future__ import annotations

from auditpipe.contract import catalog_markdown, contract_markdown, load_contract
from tests.support.docs import DOCS

CONTRACT_PAGE = DOCS / "contract.md"


def test_contract_page_field_table_matches_the_schema() -> None:
    assert contract_markdown() in CONTRACT_PAGE.read_text(encoding="utf-8"), (
        "docs/contract.md is out of date: paste the output of `python -m auditpipe.contract`"
    )


def test_contract_page_catalog_table_matches_the_catalog() -> None:
    assert catalog_markdown() in CONTRACT_PAGE.read_text(encoding="utf-8")


def test_contract_names_the_required_fields_of_the_issue() -> None:
    assert set(load_contract().required) == {
        "event_time",
        "provider_id",
        "actor_id",
        "action",
        "data_fields",
    }
