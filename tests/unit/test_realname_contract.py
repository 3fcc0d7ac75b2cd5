"""The real-name contract: the verify action, the account snapshot schema, and its docs table.

The schemas are read here as JSON (the data), and compared with what the code loads."""

from __future__ import annotations

import json

from auditpipe.contract import contract_markdown, load_account_contract, load_contract
from tests.support import REPO

SCHEMAS = REPO / "schemas"


def test_verify_is_an_action_with_the_aliases_of_the_interface() -> None:
    doc = json.loads((SCHEMAS / "access_event.schema.json").read_text(encoding="utf-8"))
    action = doc["properties"]["action"]
    assert "verify" in action["enum"]
    aliases = {k for k, v in action["x-aliases"].items() if v == "verify"}
    assert aliases == {
        "real_name_verify",
        "realname_verify",
        "identity_check",
        "identity_verify",
        "kyc",
        "verification",
    }
    assert load_contract().field("action").value_map["kyc"] == "verify"


def test_account_snapshot_contract_names_every_field_of_the_accounts_table() -> None:
    doc = json.loads((SCHEMAS / "account_snapshot.schema.json").read_text(encoding="utf-8"))
    contract = load_account_contract()
    assert list(doc["properties"]) == list(contract.names)
    assert set(contract.required) == {"provider_id", "account_id", "verification_status"}
    assert contract.field("verification_status").enum == (
        "verified",
        "unverified",
        "pending",
        "rejected",
        "revoked",
    )


def test_id_number_is_found_under_the_names_providers_use() -> None:
    contract = load_account_contract()
    for name in ("id_card_no", "身份证号", "SFZH", "id-no", "Cert No", "id_number"):
        assert contract.canonical_key(name) == "id_number", name
    assert contract.canonical_key("nickname") is None


def test_the_docs_table_is_generated_from_the_schema() -> None:
    page = (REPO / "docs" / "real-name.md").read_text(encoding="utf-8")
    assert contract_markdown(load_account_contract()) in page, (
        "docs/real-name.md is out of date: paste the table printed by the command above it"
    )
