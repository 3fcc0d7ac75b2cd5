"""Each default rule: events that must fire it, and near-misses that must not.

Every case asserts the exact set of rules that fire, so a near-miss of one rule also proves
no other rule picks the event up by accident. The baseline ``event()`` (an employee viewing
one phone number internally, with a ticket and a purpose) fires nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.support.detect_lakes import DAY, at, detect_events, event

UNAUTH = {"authorization_ref": None, "purpose": None}
NEXT_DAY = DAY + dt.timedelta(days=1)
SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}


CASES: list[tuple[str, list[dict[str, Any]], set[str]]] = [
    ("baseline_authorized_internal_view", [event()], set()),
    # selling
    ("selling_paid_external_transfer", [event(**SALE, amount=100)], {"selling"}),
    (
        "selling_paid_public_post",
        [event(**SALE | {"destination_type": "public"}, amount=1)],
        {"selling"},
    ),
    (
        "selling_authorization_does_not_excuse_a_sale",
        [event(**SALE, amount=5, authorization_ref="CONTRACT-9")],
        {"selling"},
    ),
    (
        "selling_unauthorized_paid_is_selling_not_disclosure",
        [event(**SALE, amount=5, authorization_ref=None)],
        {"selling"},
    ),
    ("selling_near_miss_paid_but_internal", [event(amount=100, destination_party="acme")], set()),
    (
        "selling_near_miss_self_access_by_subject",
        [event(**SALE, amount=100, actor_type="subject")],
        set(),
    ),
    (
        "selling_near_miss_actor_is_the_subject",
        [event(**SALE, amount=100, actor_id="u1", subject_id="u1")],
        set(),
    ),
    ("selling_near_miss_failed_attempt", [event(**SALE, amount=100, outcome="failure")], set()),
    (
        "selling_near_miss_unprotected_fields",
        [event(**SALE, amount=100, data_fields=["nickname", "avatar"])],
        set(),
    ),
    ("selling_near_miss_free_authorized_transfer", [event(**SALE, amount=0)], set()),
    # disclosure
    (
        "disclosure_unauthorized_external_transfer",
        [event(**SALE, authorization_ref=None)],
        {"disclosure"},
    ),
    (
        "disclosure_public_even_when_authorized",
        [event(**SALE | {"destination_type": "public"})],
        {"disclosure"},
    ),
    (
        "disclosure_unauthorized_with_purpose_still_fires",
        [event(**SALE, authorization_ref=None, purpose="marketing")],
        {"disclosure"},
    ),
    ("disclosure_near_miss_authorized_external", [event(**SALE)], set()),
    (
        "disclosure_near_miss_internal_unauthorized_export_by_service",
        [event(action="export", actor_type="service", **UNAUTH)],
        set(),
    ),
    (
        "disclosure_near_miss_self_access",
        [event(**SALE, authorization_ref=None, actor_type="subject")],
        set(),
    ),
    (
        "disclosure_near_miss_failed",
        [event(**SALE, authorization_ref=None, outcome="failure")],
        set(),
    ),
    # modification
    (
        "modification_unauthorized_update",
        [event(action="update", authorization_ref=None)],
        {"modification"},
    ),
    (
        "modification_unauthorized_delete_by_service",
        [event(action="delete", actor_type="service", authorization_ref=None)],
        {"modification"},
    ),
    ("modification_near_miss_authorized_update", [event(action="update")], set()),
    (
        "modification_near_miss_purpose_is_not_authorization",
        [event(action="update", authorization_ref=None, purpose="cleanup")],
        {"modification"},
    ),
    (
        "modification_near_miss_user_edits_own_profile",
        [event(action="update", authorization_ref=None, actor_type="subject")],
        set(),
    ),
    (
        "modification_near_miss_failed_update",
        [event(action="update", authorization_ref=None, outcome="failure")],
        set(),
    ),
    (
        "modification_near_miss_unprotected_field",
        [event(action="delete", authorization_ref=None, data_fields=["signature"])],
        set(),
    ),
    # illegal_use_unauthorized
    ("unauthorized_view_by_employee", [event(**UNAUTH)], {"illegal_use_unauthorized"}),
    (
        "unauthorized_search_by_partner",
        [event(action="search", actor_type="partner", **UNAUTH)],
        {"illegal_use_unauthorized"},
    ),
    (
        "unauthorized_export_by_unknown",
        [event(action="export", actor_type="unknown", **UNAUTH)],
        {"illegal_use_unauthorized"},
    ),
    ("unauthorized_near_miss_purpose_only", [event(authorization_ref=None)], set()),
    ("unauthorized_near_miss_ticket_only", [event(purpose=None)], set()),
    ("unauthorized_near_miss_service_account", [event(actor_type="service", **UNAUTH)], set()),
    ("unauthorized_near_miss_login_action", [event(action="login", **UNAUTH)], set()),
    (
        "unauthorized_near_miss_empty_strings_count_as_absent",
        [event(authorization_ref=" ", purpose="")],
        {"illegal_use_unauthorized"},
    ),
    # illegal_use_credential
    (
        "credential_authorized_view_of_password_hash",
        [event(data_fields=["password_hash"])],
        {"illegal_use_credential"},
    ),
    (
        "credential_unauthorized_token_export_fires_both",
        [event(action="export", data_fields=["session_token"], **UNAUTH)],
        {"illegal_use_credential", "illegal_use_unauthorized"},
    ),
    (
        "credential_near_miss_service_account_reads_tokens",
        [event(actor_type="service", data_fields=["access_token"])],
        set(),
    ),
    (
        "credential_near_miss_login_record_is_not_a_credential",
        [event(data_fields=["login_ip"])],
        set(),
    ),
    (
        "credential_near_miss_user_resets_own_password",
        [event(action="view", actor_type="subject", data_fields=["password"])],
        set(),
    ),
    ("credential_near_miss_failed", [event(data_fields=["password"], outcome="failure")], set()),
]


BULK_CASES: list[tuple[str, list[dict[str, Any]], set[str]]] = [
    ("bulk_fires_at_exactly_the_threshold", [event(record_count=1000)], {"illegal_use_bulk"}),
    (
        "bulk_near_miss_just_under_the_threshold",
        [event(record_count=500), event(record_count=499, action="search")],
        set(),
    ),
    # 23:30 and 00:30 Shanghai are one UTC day (15:30, 16:30 UTC) but two event_dates
    (
        "bulk_near_miss_day_split_by_the_lake_timezone",
        [
            event(record_count=600, event_time=at(DAY, 23, 30)),
            event(record_count=600, event_time=at(NEXT_DAY, 0, 30)),
        ],
        set(),
    ),
    # 00:30 and 23:30 Shanghai on DAY fall on two different UTC dates
    (
        "bulk_fires_on_one_shanghai_day_spanning_two_utc_days",
        [
            event(record_count=600, event_time=at(DAY, 0, 30)),
            event(record_count=600, event_time=at(DAY, 23, 30)),
        ],
        {"illegal_use_bulk"},
    ),
    (
        "bulk_near_miss_two_actors_each_under",
        [event(actor_id="a", record_count=600), event(actor_id="b", record_count=600)],
        set(),
    ),
    (
        "bulk_near_miss_same_actor_in_two_providers",
        [event(provider_id="p1", record_count=600), event(provider_id="p2", record_count=600)],
        set(),
    ),
    ("bulk_near_miss_service_account", [event(actor_type="service", record_count=50_000)], set()),
    (
        "bulk_near_miss_failures_do_not_count",
        [event(record_count=999), event(record_count=5000, outcome="failure")],
        set(),
    ),
    (
        "bulk_near_miss_external_exports_do_not_count",
        [event(record_count=999), event(**SALE, record_count=5000)],
        set(),
    ),
    (
        "bulk_counts_authorized_access",
        [event(record_count=700), event(record_count=300, authorization_ref="AUDIT-7")],
        {"illegal_use_bulk"},
    ),
    # watchlist (the shared lake's watchlist lists "DataMart Ltd")
    (
        "selling_to_a_watchlisted_broker_without_payment",
        [event(**SALE | {"destination_party": "  datamart LTD"})],
        {"selling"},
    ),
    (
        "selling_near_miss_party_not_on_the_watchlist",
        [event(**SALE | {"destination_party": "DataMart Holdings"})],
        set(),
    ),
]

ALL_CASES = CASES + BULK_CASES


@pytest.fixture(scope="module")
def fired_by_case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """One lake holding every case, each under its own provider ids, detected once."""
    root = tmp_path_factory.mktemp("default_rules")
    watchlist = root / "brokers.txt"
    watchlist.write_text("# known data brokers\n  DataMart Ltd \n\nother broker # note\n")
    events = [
        {**e, "provider_id": f"{name}.{e['provider_id']}"}
        for name, evs, _ in ALL_CASES
        for e in evs
    ]
    _, findings = detect_events(root, events, broker_watchlist=watchlist)
    fired: dict[str, set[str]] = {name: set() for name, _, _ in ALL_CASES}
    for f in findings:
        fired[f["provider_id"].split(".")[0]].add(f["rule_id"])
    return fired


@pytest.mark.parametrize(
    ("name", "expected"), [(n, x) for n, _, x in ALL_CASES], ids=[n for n, _, _ in ALL_CASES]
)
def test_rule_fires_exactly(
    fired_by_case: dict[str, set[str]], name: str, expected: set[str]
) -> None:
    assert fired_by_case[name] == expected


def test_timezone_cases_really_straddle_utc_days() -> None:
    split = dict((n, e) for n, e, _ in BULK_CASES)
    same_utc = split["bulk_near_miss_day_split_by_the_lake_timezone"]
    assert same_utc[0]["event_time"].date() == same_utc[1]["event_time"].date()
    two_utc = split["bulk_fires_on_one_shanghai_day_spanning_two_utc_days"]
    assert two_utc[0]["event_time"].date() != two_utc[1]["event_time"].date()


def test_bulk_sums_events_and_every_event_is_evidence(tmp_path: Path) -> None:
    events = [
        event(event_id="b1", record_count=400, event_time=at(hour=9)),
        event(event_id="b2", record_count=300, action="search", event_time=at(hour=11)),
        event(event_id="b3", record_count=300, action="export", event_time=at(hour=15)),
    ]
    _, findings = detect_events(tmp_path, events)
    (bulk,) = findings
    assert bulk["rule_id"] == "illegal_use_bulk"
    assert bulk["evidence_event_ids"] == ["b1", "b2", "b3"]
    assert bulk["record_count"] == 1000
    assert bulk["event_count"] == 3


def test_bulk_threshold_is_a_setting(tmp_path: Path) -> None:
    _, findings = detect_events(tmp_path, [event(record_count=600)], bulk_threshold=500)
    assert {f["rule_id"] for f in findings} == {"illegal_use_bulk"}


def test_bulk_is_one_finding_per_actor_day_whatever_parties_the_reads_name(
    tmp_path: Path,
) -> None:
    """An internal read may name a party (a team, a system): the threshold is reached by the
    actor-day, so its one finding holds every read, not one finding per party each stating
    fewer records than the threshold it claims to reach."""
    events = [
        event(
            event_id="p1", record_count=600, destination_party="risk-team", event_time=at(hour=9)
        ),
        event(event_id="p2", record_count=400, event_time=at(hour=10)),
        event(event_id="p3", record_count=100, destination_party="audit", event_time=at(hour=11)),
    ]
    _, findings = detect_events(tmp_path, events)
    (bulk,) = findings
    assert bulk["rule_id"] == "illegal_use_bulk"
    assert bulk["destination_party"] is None
    assert bulk["evidence_event_ids"] == ["p1", "p2", "p3"]
    assert bulk["record_count"] == 1100
    assert "1,100 records" in bulk["summary"]


def test_a_bulk_summary_claims_the_threshold_only_when_the_records_reach_it(
    tmp_path: Path,
) -> None:
    """An unbounded read (a whole-table SELECT, `ingest --source`) makes an actor-day bulk
    whatever record_count the log could tell (often 1): its summary says why, and never that
    1 record reached a threshold of 1,000; an actor-day that does reach it says so."""
    events = [
        event(actor_id="dump", record_count=1, extras='{"unbounded": true}'),
        event(actor_id="many", record_count=1000),
    ]
    _, findings = detect_events(tmp_path, events)
    summaries = {f["actor_id"]: f["summary"] for f in findings}
    assert "reaching the bulk threshold" not in summaries["dump"]
    assert "1 record" in summaries["dump"] and "whole tables" in summaries["dump"]
    assert summaries["many"].endswith(
        "in 1 event on 2026-03-01, reaching the bulk threshold of 1,000 records."
    )


# Every character Python's str.strip() removes, as the watchlist's names are trimmed
WHITE_SPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def test_white_space_alone_is_no_authorization_and_around_a_broker_is_trimmed(
    tmp_path: Path,
) -> None:
    """ "Authorized" is a reference that is present, a watchlisted party is matched trimmed:
    for every white-space character alike (a tab as well as a no-break space), as the
    watchlist file itself is read."""
    watchlist = tmp_path / "brokers.txt"
    watchlist.write_text("DataMart Ltd\n")
    events = []
    for i, space in enumerate(WHITE_SPACE):
        events.append(
            event(provider_id=f"ws{i}", authorization_ref=space * 2, purpose=space, actor_id="a")
        )
        party = f"{space}DataMart Ltd{space}"
        events.append(event(provider_id=f"ws{i}", **SALE | {"destination_party": party}))
    _, findings = detect_events(tmp_path, events, broker_watchlist=watchlist)
    fired: dict[str, set[str]] = {}
    for f in findings:
        fired.setdefault(f["provider_id"], set()).add(f["rule_id"])
    wrong = {
        repr(space): fired.get(f"ws{i}", set())
        for i, space in enumerate(WHITE_SPACE)
        if fired.get(f"ws{i}") != {"illegal_use_unauthorized", "selling"}
    }
    assert wrong == {}
