"""Planted breaches and near-misses: small hand-built groups of events with known outcomes.

Each ``Case`` builds the events of one instance and states the findings it expects (none for
a near-miss). Every case is planted ``INSTANCES`` times, on different providers and days, each
time with its own actor, so a finding maps back to exactly one instance. The expected findings
are not trusted as they are: labels.py computes the findings of the whole corpus from the
rules' semantics and the generator fails if the two disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from . import vocab as v
from .events import events_from_dicts, local_midnight_epoch
from .providers import Provider

INSTANCES = 3
BREACH, NEAR_MISS = "breach", "near_miss"


@dataclass(frozen=True)
class Expect:
    """One finding an instance must produce, for the instance's actor."""

    rule_id: str
    party: str | None = None
    day_offset: int = 0


@dataclass
class Context:
    """What one instance of a case is built with."""

    case: str
    provider: Provider
    other_provider: Provider | None
    day: dt.date
    actor_id: str
    actor_type: str
    rng: np.random.Generator
    events: list[dict[str, Any]] = field(default_factory=list)

    def event(
        self,
        action: str,
        fields: list[str],
        *,
        hour: int | None = None,
        minute: int | None = None,
        day_offset: int = 0,
        provider: Provider | None = None,
        **values: Any,
    ) -> dict[str, Any]:
        """Add an event by this instance's actor; ``values`` override canonical columns."""
        rng = self.rng
        p = provider or self.provider
        hour = int(rng.integers(9, 20)) if hour is None else hour
        minute = int(rng.integers(0, 60)) if minute is None else minute
        at = local_midnight_epoch(self.day) + day_offset * 86400 + hour * 3600 + minute * 60
        row: dict[str, Any] = {
            "time_s": at + int(rng.integers(0, 60)),
            "provider_id": p.provider_id,
            "provider_type": p.provider_type,
            "system": p.systems[int(rng.integers(0, len(p.systems)))],
            "actor_id": self.actor_id,
            "actor_type": self.actor_type,
            "action": action,
            "subject_id": f"u{int(rng.integers(0, 10**9)):09d}",
            "record_count": 1,
            "data_fields": fields,
            "destination_type": "internal",
            "outcome": "success",
            "source_ip": f"10.{int(rng.integers(0, 256))}.{int(rng.integers(0, 256))}.7",
            "planted_case": self.case,
        }
        if values.get("amount_cents") is not None and "currency" not in values:
            values["currency"] = "CNY"
        row.update(values)
        self.events.append(row)
        return row


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # breach | near_miss
    actor: str  # employee | partner | service | unknown | subject | self_employee
    description: str
    build: Callable[[Context], object]
    expect: tuple[Expect, ...] = ()
    providers_needed: int = 1
    days_needed: int = 1


def _ext(party: str, **kw: Any) -> dict[str, Any]:
    return {"destination_type": "external", "destination_party": party, **kw}


def _pub(party: str, **kw: Any) -> dict[str, Any]:
    return {"destination_type": "public", "destination_party": party, **kw}


AUTH: dict[str, Any] = {"authorization_ref": "TKT-PLANTED"}
PURPOSE: dict[str, Any] = {"purpose": "customer support ticket"}
IDS = ["real_name", "id_number"]

CASES: tuple[Case, ...] = (
    # -- selling: leaves the provider and is paid (or goes to a watch-listed broker) --------
    Case("selling_paid", BREACH, "employee", "identity data sold to a buyer",
         lambda c: c.event("transfer", [*IDS, "mobile_number"], record_count=500,
                           **_ext(v.BUYERS[0], amount_cents=28_000_00)),
         (Expect("selling", v.BUYERS[0]),)),
    Case("selling_paid_authorized", BREACH, "partner", "a sale with a contract reference: "
         "authorisation does not excuse a sale",
         lambda c: c.event("transfer", ["login_history", "login_ip"], record_count=120,
                           **_ext(v.BUYERS[1], amount_cents=6_500_00,
                                  authorization_ref="CONTRACT-2026-17")),
         (Expect("selling", v.BUYERS[1]),)),
    Case("selling_two_payments_one_buyer", BREACH, "employee", "two paid exports to one "
         "buyer on one day: one finding with two events of evidence",
         lambda c: [c.event("export", [*IDS, "face_image"], hour=h, record_count=2000,
                            **_ext(v.BUYERS[2], amount_cents=60_000_00)) for h in (10, 16)],
         (Expect("selling", v.BUYERS[2]),)),
    Case("selling_foreign_currency", BREACH, "employee", "paid in USD",
         lambda c: c.event("transfer", ["mobile_number"], record_count=300,
                           **_ext(v.BUYERS[3], amount_cents=2_000_00, currency="USD")),
         (Expect("selling", v.BUYERS[3]),)),
    Case("selling_two_buyers", BREACH, "employee", "one actor sells to two buyers on one day: "
         "one finding per buyer",
         lambda c: [c.event("transfer", ["phone_number"], hour=11,
                            **_ext(v.BUYERS[0], amount_cents=3_000_00)),
                    c.event("transfer", ["phone_number"], hour=15,
                            **_ext(v.BUYERS[1], amount_cents=4_500_00))],
         (Expect("selling", v.BUYERS[0]), Expect("selling", v.BUYERS[1]))),
    Case("selling_public_listing", BREACH, "employee", "identity data listed publicly for a "
         "fee: selling, not disclosure",
         lambda c: c.event("publish", ["real_name", "phone"], record_count=50,
                           **_pub(v.LISTING_SITE, amount_cents=1_500_00)),
         (Expect("selling", v.LISTING_SITE),)),
    Case("selling_to_broker", BREACH, "employee", "an authorised, unpaid transfer to the "
         "broker in _expected/brokers.txt: selling only when that watchlist is configured",
         lambda c: c.event("transfer", IDS, record_count=800, **_ext(v.BROKER, **AUTH)),
         (Expect("selling", v.BROKER),)),
    Case("selling_and_disclosure_same_day", BREACH, "employee", "a sale to one party and an "
         "unauthorised hand-over to another on the same day",
         lambda c: [c.event("transfer", ["id_number"], hour=10,
                            **_ext(v.BUYERS[0], amount_cents=12_000_00)),
                    c.event("transfer", ["id_number"], hour=14,
                            **_ext(v.DISCLOSURE_PARTIES[0]))],
         (Expect("selling", v.BUYERS[0]), Expect("disclosure", v.DISCLOSURE_PARTIES[0]))),
    # -- disclosure: leaves, not a sale, and unauthorised or public -------------------------
    Case("disclosure_unauthorized_transfer", BREACH, "employee", "phone numbers handed to a "
         "marketing partner without authorisation",
         lambda c: c.event("transfer", ["mobile_number", "real_name"], record_count=40,
                           **_ext(v.DISCLOSURE_PARTIES[0])),
         (Expect("disclosure", v.DISCLOSURE_PARTIES[0]),)),
    Case("disclosure_authorized_public", BREACH, "employee", "published with a ticket: "
         "publishing is disclosure even when authorised",
         lambda c: c.event("publish", IDS, **_pub(v.PUBLIC_PLACES[1], **AUTH)),
         (Expect("disclosure", v.PUBLIC_PLACES[1]),)),
    Case("disclosure_unknown_actor_public", BREACH, "unknown", "an unidentified actor "
         "publishes phone numbers",
         lambda c: c.event("publish", ["phone"], **_pub(v.PUBLIC_PLACES[0])),
         (Expect("disclosure", v.PUBLIC_PLACES[0]),)),
    Case("disclosure_service_account", BREACH, "service", "a service account ships login "
         "records to a vendor: service accounts are not exempt from disclosure",
         lambda c: c.event("transfer", ["login_history", "login_device"], record_count=900,
                           **_ext(v.DISCLOSURE_PARTIES[1])),
         (Expect("disclosure", v.DISCLOSURE_PARTIES[1]),)),
    Case("disclosure_zero_amount", BREACH, "employee", "amount 0 is not a payment",
         lambda c: c.event("transfer", ["id_card_number"],
                           **_ext(v.DISCLOSURE_PARTIES[2], amount_cents=0)),
         (Expect("disclosure", v.DISCLOSURE_PARTIES[2]),)),
    # -- modification: update or delete without authorisation --------------------------------
    Case("modification_update", BREACH, "employee", "real name changed without a ticket",
         lambda c: c.event("update", ["real_name"]), (Expect("modification"),)),
    Case("modification_delete", BREACH, "partner", "login history deleted by a partner",
         lambda c: c.event("delete", ["login_history"], record_count=25),
         (Expect("modification"),)),
    Case("modification_service_account", BREACH, "service", "a service account rewrites "
         "phone numbers without authorisation",
         lambda c: c.event("update", ["mobile_number"], record_count=10),
         (Expect("modification"),)),
    # -- illegal use: internal view/search/export by employee, partner or unknown ------------
    Case("illegal_use_unauthorized_view", BREACH, "employee", "ID numbers viewed with neither "
         "authorisation nor purpose",
         lambda c: c.event("view", IDS), (Expect("illegal_use_unauthorized"),)),
    Case("illegal_use_unauthorized_unknown_actor", BREACH, "unknown", "an unidentified actor "
         "searches phone numbers",
         lambda c: c.event("search", ["mobile_number"], record_count=5),
         (Expect("illegal_use_unauthorized"),)),
    Case("illegal_use_credential_with_purpose", BREACH, "employee", "password hashes read "
         "with a purpose: credentials are never for people to read",
         lambda c: c.event("view", ["password_hash"], purpose="debug login issue"),
         (Expect("illegal_use_credential"),)),
    Case("illegal_use_credential_unauthorized", BREACH, "partner", "session tokens read "
         "without authorisation: two rules fire",
         lambda c: c.event("view", ["session_token", "real_name"]),
         (Expect("illegal_use_unauthorized"), Expect("illegal_use_credential"))),
    Case("illegal_use_bulk_authorized", BREACH, "employee", "authorised exports adding up "
         "to 1,100 records in a day",
         lambda c: [c.event("export", ["id_number"], hour=h, record_count=n, **AUTH)
                    for h, n in ((9, 400), (13, 400), (17, 300))],
         (Expect("illegal_use_bulk"),)),
    Case("illegal_use_bulk_exact_threshold", BREACH, "partner", "exactly 1,000 records: the "
         "threshold is reached",
         lambda c: c.event("search", ["mobile_number"], record_count=1000, **PURPOSE),
         (Expect("illegal_use_bulk"),)),
    Case("illegal_use_bulk_many_small", BREACH, "employee", "20 views of 50 records each",
         lambda c: [c.event("view", ["real_name", "phone"], hour=9 + i // 3,
                            minute=(i % 3) * 20, record_count=50, **PURPOSE)
                    for i in range(20)],
         (Expect("illegal_use_bulk"),)),
    Case("illegal_use_bulk_unauthorized_credentials", BREACH, "employee", "1,500 password "
         "hashes exported without authorisation: three rules fire",
         lambda c: c.event("export", ["password_hash", "mobile_number"], record_count=1500),
         (Expect("illegal_use_unauthorized"), Expect("illegal_use_credential"),
          Expect("illegal_use_bulk"))),
    # -- near-misses: look like breaches, are not ---------------------------------------------
    Case("near_self_access_subject", NEAR_MISS, "subject", "a user exports their own data "
         "and changes their own password",
         lambda c: [c.event("export", IDS, subject_id=c.actor_id,
                            **_ext(v.PERSONAL_DESTINATIONS[0])),
                    c.event("update", ["password_hash"], subject_id=c.actor_id)]),
    Case("near_self_access_same_id", NEAR_MISS, "self_employee", "an employee views and "
         "edits their own user record (actor_id = subject_id)",
         lambda c: [c.event("view", ["id_number"], subject_id=c.actor_id),
                    c.event("update", ["mobile_number"], subject_id=c.actor_id)]),
    Case("near_authorized_transfer", NEAR_MISS, "employee", "an authorised, unpaid transfer "
         "to the police",
         lambda c: c.event("transfer", IDS, **_ext(v.LAWFUL_PARTIES[0], **AUTH))),
    Case("near_authorized_transfer_zero_amount", NEAR_MISS, "employee", "authorised, amount 0",
         lambda c: c.event("transfer", ["real_name", "phone"],
                           **_ext(v.LAWFUL_PARTIES[2], amount_cents=0, **AUTH))),
    Case("near_service_credential_view", NEAR_MISS, "service", "a service account reads "
         "password hashes internally",
         lambda c: c.event("view", ["password_hash", "otp_secret"], record_count=3)),
    Case("near_service_bulk_export", NEAR_MISS, "service", "a service account exports 5,000 "
         "identity records internally",
         lambda c: c.event("export", IDS, record_count=5000)),
    Case("near_failed_sale", NEAR_MISS, "employee", "a paid transfer that failed",
         lambda c: c.event("transfer", ["id_number"], outcome="failure",
                           **_ext(v.BUYERS[0], amount_cents=9_000_00))),
    Case("near_failed_update", NEAR_MISS, "employee", "an unauthorised update that was denied",
         lambda c: c.event("update", ["real_name"], outcome="failure")),
    Case("near_failed_credential_view", NEAR_MISS, "partner", "a denied read of password hashes",
         lambda c: c.event("view", ["password_hash"], outcome="failure")),
    Case("near_unprotected_sale", NEAR_MISS, "employee", "purchase history sold: not login "
         "or identity data",
         lambda c: c.event("transfer", ["purchase_history", "nickname"], record_count=700,
                           **_ext(v.BUYERS[1], amount_cents=5_000_00))),
    Case("near_unprotected_bulk_export", NEAR_MISS, "employee", "5,000 order histories "
         "exported without authorisation",
         lambda c: c.event("export", ["order_history"], record_count=5000)),
    Case("near_bulk_just_under", NEAR_MISS, "employee", "authorised views adding up to 999",
         lambda c: [c.event("view", ["mobile_number"], hour=h, record_count=n, **AUTH)
                    for h, n in ((9, 500), (12, 400), (18, 99))]),
    Case("near_bulk_timezone_split", NEAR_MISS, "employee", "600 records at 23:30 and 600 at "
         "00:30 the next day (+08:00): one UTC day, two local days",
         lambda c: [c.event("export", ["id_number"], hour=23, minute=30, record_count=600,
                            **AUTH),
                    c.event("export", ["id_number"], hour=0, minute=30, day_offset=1,
                            record_count=600, **AUTH)],
         days_needed=2),
    Case("near_bulk_failures_not_counted", NEAR_MISS, "employee", "900 records read plus 500 "
         "in failed attempts",
         lambda c: [c.event("view", ["real_name"], hour=10, record_count=900, **AUTH),
                    c.event("view", ["real_name"], hour=11, record_count=500, outcome="failure",
                            **AUTH)]),
    Case("near_bulk_two_providers", NEAR_MISS, "employee", "one actor id reads 600 records "
         "at each of two providers",
         lambda c: [c.event("view", ["phone"], record_count=600, **PURPOSE),
                    c.event("view", ["phone"], record_count=600, provider=c.other_provider,
                            **PURPOSE)],
         providers_needed=2),
    Case("near_bulk_updates_not_counted", NEAR_MISS, "employee", "600 records read and 600 "
         "updated, both authorised",
         lambda c: [c.event("view", ["real_name"], hour=10, record_count=600, **AUTH),
                    c.event("update", ["real_name"], hour=15, record_count=600, **AUTH)]),
    Case("near_authorized_update", NEAR_MISS, "employee", "a phone number changed with a ticket",
         lambda c: c.event("update", ["mobile_number"], **AUTH)),
    Case("near_internal_transfer", NEAR_MISS, "employee", "an unauthorised transfer that "
         "stays internal (neither leaves nor is a read)",
         lambda c: c.event("transfer", ["id_number"])),
    Case("near_purpose_only_view", NEAR_MISS, "employee", "a read with a purpose but no "
         "ticket",
         lambda c: c.event("view", ["real_name"], **PURPOSE)),
    Case("near_login_record_search", NEAR_MISS, "partner", "login history (not a credential) "
         "searched with a ticket",
         lambda c: c.event("search", ["login_history"], **AUTH)),
)  # fmt: skip


_ACTOR_PREFIX = {"employee": "emp-", "partner": "ptn-", "service": "svc-sync-", "unknown": "job-"}
_ACTOR_TYPE = {"self_employee": "employee"}
PLANTED_ACTOR_BASE = 800_000  # background actor numbers stay below this (see Layout)


def applicable_cases(providers: int, days: int) -> list[Case]:
    return [c for c in CASES if c.providers_needed <= providers]


@dataclass(frozen=True)
class Planted:
    events: pl.DataFrame  # canonical events, planted_case set
    expected: pl.DataFrame  # rule_id, provider_id, actor_id, event_date, destination_party,
    # planted_case
    cases: list[Case]


def build_planted(
    rng: np.random.Generator,
    providers: list[Provider],
    start: dt.date,
    days: int,
    actor_base: int = PLANTED_ACTOR_BASE,
) -> Planted:
    """Every applicable case, ``INSTANCES`` times; actors are numbered from ``actor_base`` up,
    above every background actor number, so each instance's actor is its own."""
    cases = applicable_cases(len(providers), days)
    events: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    serial = 0
    for ci, case in enumerate(cases):  # a loop per case instance: a few hundred events in all
        for inst in range(INSTANCES):
            serial += 1
            k = (ci + inst) % len(providers)
            last_day = max(days - case.days_needed, 0)  # a two-day case spills over if days=1
            day = start + dt.timedelta(days=(ci * 7 + inst * 2) % (last_day + 1))
            if case.actor in ("subject", "self_employee"):
                actor_id = f"u{900_000_000 + serial:09d}"
            else:
                actor_id = f"{_ACTOR_PREFIX[case.actor]}{actor_base + serial:06d}"
            ctx = Context(
                case=case.name,
                provider=providers[k],
                other_provider=providers[(k + 1) % len(providers)],
                day=day,
                actor_id=actor_id,
                actor_type=_ACTOR_TYPE.get(case.actor, case.actor),
                rng=rng,
            )
            case.build(ctx)
            events.extend(ctx.events)
            for e in case.expect:
                expected.append(
                    {
                        "rule_id": e.rule_id,
                        "provider_id": ctx.provider.provider_id,
                        "actor_id": actor_id,
                        "event_date": day + dt.timedelta(days=e.day_offset),
                        "destination_party": e.party,
                        "planted_case": case.name,
                    }
                )
    return Planted(events_from_dicts(events), expected_frame(expected), cases)


def expected_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "rule_id": pl.String,
            "provider_id": pl.String,
            "actor_id": pl.String,
            "event_date": pl.Date,
            "destination_party": pl.String,
            "planted_case": pl.String,
        },
        orient="row",
    )
