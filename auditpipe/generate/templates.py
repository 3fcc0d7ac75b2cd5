"""Background traffic: the kinds of everyday access a provider logs, none of which is a breach.

Each template says who acts, what they do to which fields, where the data goes, and why the
rules stay silent on it (``silent_because``). The generator checks that claim on every run by
computing the expected findings of the whole corpus (labels.py) and failing if any finding
comes from background traffic, so a template that would fire a rule can never ship unnoticed.

Bulk access is the one rule that depends on volume: employees' and partners' protected
internal reads (``employee_block``/``partner_block``) are handed out in blocks of consecutive
rows per actor, with the actor pool sized so that no actor reaches the bulk threshold on any
day (see background.Layout).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import vocab as v


@dataclass(frozen=True)
class Template:
    name: str
    weight_iisp: float  # share of an information-service provider's traffic (relative)
    weight_iasp: float  # share of an access-service provider's traffic (relative)
    actor: str  # subject | employee | employee_block | partner | partner_block | service | job
    actions: tuple[str, ...]
    field_sets: tuple[tuple[str, ...], ...]
    silent_because: str
    destinations: tuple[str, ...] = ("internal",)
    parties: tuple[str, ...] = ()  # recipients when the destination is external/public
    services: tuple[str, ...] = ()  # account names when actor is "service"
    authorization: float = 0.0  # share of rows with an authorization_ref
    purpose: float = 0.0  # share of rows with a purpose
    auth_or_purpose: bool = False  # every row has at least one of the two
    paid: float = 0.0  # share of rows with an amount > 0
    zero_amount: float = 0.0  # share of rows with amount 0 (present, but not paid)
    failure: float = 0.0  # share of rows whose outcome is failure
    records: tuple[int, int] = (1, 1)  # record_count range, inclusive
    has_subject: bool = True


TEMPLATES: tuple[Template, ...] = (
    Template(
        "user_login", 0.16, 0.16, "subject", ("login",),
        (("login_ip", "login_time", "login_device"), ("password", "login_ip"),
         ("login_ip", "login_device")),
        "self-access", failure=0.08,
    ),
    Template(
        "login_check", 0.08, 0.06, "service", ("login", "view"),
        (("password_hash",), ("password_hash", "otp_secret"), ("session_token",),
         ("access_token", "refresh_token")),
        "service accounts are outside illegal use; the data stays internal",
        services=("svc-auth",), failure=0.04,
    ),
    Template(
        "user_register", 0.02, 0.02, "subject", ("register",),
        (("mobile_number", "password_hash"), ("real_name", "id_number", "mobile_number",
         "password_hash"), ("phone", "password")),
        "self-access",
    ),
    Template(
        "user_self_service", 0.07, 0.05, "subject", ("view", "update", "export", "delete"),
        (("real_name",), ("mobile_number",), ("login_history",), ("password_hash",),
         ("nickname", "avatar_url"), ("email", "phone_number")),
        "self-access",
    ),
    Template(
        "user_portability", 0.005, 0.005, "subject", ("export", "transfer"),
        (("real_name", "id_number", "login_history"), ("order_history", "mobile_number")),
        "self-access, even though the data leaves the provider",
        destinations=("external",), parties=v.PERSONAL_DESTINATIONS,
    ),
    Template(
        "user_post", 0.08, 0.0, "subject", ("publish",),
        (("nickname", "post_content"), ("post_content",), ("avatar_url", "nickname")),
        "self-access of unprotected fields",
        destinations=("public",), parties=v.PUBLIC_PLACES,
    ),
    Template(
        "support_lookup", 0.12, 0.14, "employee_block", ("view", "search", "export"),
        (("mobile_number",), ("real_name", "mobile_number"), ("login_history",),
         ("login_ip", "login_time"), ("id_number",), ("phone", "real_name")),
        "authorised or with a purpose, no credentials, each actor-day under the bulk threshold",
        authorization=0.6, purpose=0.7, auth_or_purpose=True, records=(1, 3),
    ),
    Template(
        "partner_verify", 0.03, 0.03, "partner_block", ("search", "view"),
        (("mobile_number",), ("real_name", "id_number"), ("id_card_number",)),
        "with a purpose, no credentials, each actor-day under the bulk threshold",
        authorization=0.3, purpose=1.0, records=(1, 3),
    ),
    Template(
        "staff_content", 0.10, 0.05, "employee", ("view", "search", "export", "update", "delete"),
        (("post_content",), ("nickname", "post_content"), ("order_history",),
         ("email", "follower_count")),
        "unprotected fields", records=(1, 50),
    ),
    Template(
        "lawful_transfer", 0.01, 0.015, "employee", ("transfer",),
        (("real_name", "id_number", "mobile_number"), ("login_ip", "login_time"),
         ("real_name", "phone")),
        "authorised, unpaid, not public",
        destinations=("external",), parties=v.LAWFUL_PARTIES, authorization=1.0, zero_amount=0.3,
    ),
    Template(
        "authorized_change", 0.03, 0.03, "employee", ("update", "delete"),
        (("mobile_number",), ("real_name",), ("login_history",)),
        "authorised", authorization=1.0,
    ),
    Template(
        "denied_attempt", 0.02, 0.02, "employee", ("view", "export", "update", "transfer", "publish"),
        (("id_number", "real_name"), ("password_hash",), ("mobile_number",)),
        "the attempt failed",
        destinations=("internal", "external", "public"), parties=v.AD_NETWORKS,
        paid=0.3, failure=1.0,
    ),
    Template(
        "service_batch", 0.03, 0.04, "service", ("export", "view", "search"),
        (("real_name", "id_number", "mobile_number"), ("password_hash", "session_token"),
         ("login_history", "login_ip")),
        "service accounts are outside illegal use; the data stays internal",
        services=("svc-backup", "svc-risk-engine", "svc-search-indexer"), records=(100, 5000),
        has_subject=False,
    ),
    Template(
        "ad_sharing", 0.01, 0.01, "partner", ("transfer",),
        (("ad_clicks", "purchase_history"), ("device_model", "app_usage"), ("page_views",)),
        "unprotected fields, although paid and external",
        destinations=("external",), parties=v.AD_NETWORKS, paid=1.0,
    ),
    Template(
        "job_batch", 0.02, 0.03, "job", ("view", "export", "search"),
        (("bandwidth_usage",), ("page_views", "app_usage"), ("data_plan",)),
        "unprotected fields", records=(1, 2000), has_subject=False,
    ),
    Template(
        "network_session", 0.0, 0.10, "service", ("view", "login"),
        (("login_ip", "login_time", "device_model"), ("login_device", "login_ip")),
        "service accounts are outside illegal use; the data stays internal",
        services=("svc-radius",),
    ),
    Template(
        "billing_review", 0.0, 0.05, "employee", ("view", "search", "export"),
        (("billing_address", "bandwidth_usage"), ("data_plan", "billing_address"), ("email",)),
        "unprotected fields",
    ),
)  # fmt: skip

# Largest record_count a block actor's protected internal read can have: the bulk bound in
# background.Layout relies on it.
BLOCK_MAX_RECORDS = max(
    t.records[1] for t in TEMPLATES if t.actor in ("employee_block", "partner_block")
)
