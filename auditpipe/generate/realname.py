"""Real-name registration in a generated corpus: account snapshots, verify traffic, planted
cases and their labels.

What a generated set holds for it:

- **Snapshots.** Every iisp provider exports its user table twice: as of the day before the
  period and as of its middle day (``<provider>-<date>.accounts.<format>``). Every background
  account that publishes is in both, verified (with a valid, unique ID number) since before
  the period, so background traffic alone produces no real-name finding. A few background
  accounts that never publish are pending or unverified, for realism.
- **Verify traffic.** Some background logins by users at iisp providers become re-checks of
  an already verified identity (``verify``, success): they change no verdict.
- **Planted cases** (``CASES``), once per iisp provider, each with its own accounts, with the
  labels they must produce. Verification at an instant counts from that instant: a post at
  the very second of a successful verification is verified, one second before is not (see
  REALNAME.md, 17:15).
- **Labels** (``_expected/real_name_labels.parquet``): computed from the canonical events and
  snapshot rows by the rules' semantics, independently of detect (Polars, not SQL; the ID
  checks re-implemented here), and checked against what the planted cases promise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .events import LAKE_TIMEZONE, events_from_dicts, local_date_expr, local_midnight_epoch
from .labels import GeneratorBug
from .providers import Provider

SHARED_LIMIT = 5  # more verified accounts than this on one identity is a finding
ACCOUNT_BASE = 950_000_000  # planted accounts u95xxxxxxx (other planted users are u900...)
QUIET_BASE = 970_000_000  # background accounts that never publish
BAD_BASE = 980_000_000  # accounts of malformed snapshot rows (quarantined, never stored)
VERIFY_SHARE = 0.2  # share of background user logins at iisp providers that are re-checks
METHODS = ("id_card_ocr", "face", "bank_card", "carrier")
POST = {"destination_type": "public", "data_fields": ["nickname"], "record_count": 1}
CHECK = {"data_fields": ["real_name", "id_number"], "record_count": 1}
PLANTED_NUMBERS = (400_000_000, 700_000_000)  # id_number(n) of planted accounts: n in this
# range; background accounts use n below it, so no planted identity is shared by accident
PROVINCES = (
    *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"),
    *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"),
    *("65", "71", "81", "82", "83"),
)
LABEL_SCHEMA: dict[str, Any] = {
    "rule_id": pl.String,
    "provider_id": pl.String,
    "account_id": pl.String,  # null for real_name_shared_identity
    "event_date": pl.Date,  # the post's day; null for invalid verification / shared identity
    "account_ids": pl.List(pl.String),  # real_name_shared_identity: the accounts, sorted
    "planted_case": pl.String,
}
SNAPSHOT_SCHEMA: dict[str, Any] = {
    "provider_id": pl.String,
    "account_id": pl.String,
    "registered_s": pl.Int64,
    "verification_status": pl.String,
    "verified_s": pl.Int64,
    "verification_method": pl.String,
    "id_number": pl.String,
    "snapshot_date": pl.Date,
    "planted_case": pl.String,
}


def check_character(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of a 17-digit body (recursive form)."""
    p = 0
    for ch in body:
        p = (p + int(ch)) * 2 % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def id_number(n: int, born: dt.date | None = None) -> str:
    """A valid number, different for every ``n`` below 20 million x 35."""
    region = PROVINCES[n // 20_000_000 % len(PROVINCES)] + "0102"
    born = born or dt.date(1950, 1, 1) + dt.timedelta(days=n % 20_000)
    body = region + born.strftime("%Y%m%d") + f"{n // 20_000 % 1000:03d}"
    return body + check_character(body)


def id_numbers(indices: np.ndarray) -> pl.Series:
    """``id_number`` for many indices at once (Polars, no Python per number)."""
    c = pl.col
    n = pl.Series("n", indices.astype(np.int64))
    region = pl.Series(list(PROVINCES)).gather(n // 20_000_000 % len(PROVINCES)) + "0102"
    bodies = pl.DataFrame({"n": n, "region": region}).select(
        c("region")
        + (pl.lit(dt.date(1950, 1, 1)) + pl.duration(days=c("n") % 20_000)).dt.strftime("%Y%m%d")
        + (c("n") // 20_000 % 1000).cast(pl.String).str.zfill(3)
    )
    return _with_check(bodies.to_series())


def _with_check(bodies: pl.Series) -> pl.Series:
    """17-digit bodies with their MOD 11-2 check character, column-wise."""
    p = pl.lit(0, pl.Int64)
    for i in range(17):
        p = (p + pl.col("b").str.slice(i, 1).cast(pl.Int64)) * 2 % 11
    check = ((12 - p) % 11).cast(pl.String).replace("10", "X")
    return pl.DataFrame({"b": bodies}).select(pl.col("b") + check)["b"]


# -- planted cases ----------------------------------------------------------------------
@dataclass
class Plan:
    """What one planted instance adds: events, snapshot rows and the labels it promises."""

    provider: Provider
    case: str
    start: dt.date
    s1: dt.date
    s2: dt.date
    next_account: Callable[[], str]
    rng: np.random.Generator
    events: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    expect: list[dict[str, Any]] = field(default_factory=list)

    def at(self, day: dt.date, hour: int, second: int = 0) -> int:
        return local_midnight_epoch(day) + hour * 3600 + second

    def event(self, action: str, account: str, time_s: int, **values: Any) -> None:
        p = self.provider
        row = {
            "time_s": time_s,
            "provider_id": p.provider_id,
            "provider_type": p.provider_type,
            "system": p.systems[0],
            "actor_id": account,
            "actor_type": "subject",
            "action": action,
            "subject_id": account,
            "record_count": 1,
            "data_fields": ["nickname"],
            "destination_type": "internal",
            "outcome": "success",
            "source_ip": f"10.9.{int(self.rng.integers(0, 256))}.7",
            "planted_case": self.case,
        }
        row.update(values)
        self.events.append(row)

    def post(self, account: str, time_s: int) -> None:
        self.event("publish", account, time_s, destination_party="public timeline", **POST)

    def verify(self, account: str, time_s: int, outcome: str = "success") -> None:
        self.event("verify", account, time_s, outcome=outcome, **CHECK)

    def register(self, account: str, time_s: int) -> None:
        self.event("register", account, time_s, data_fields=["mobile_number"])

    def snapshot(self, account: str, day: dt.date, status: str, **values: Any) -> None:
        row = {
            "provider_id": self.provider.provider_id,
            "account_id": account,
            "registered_s": self.at(self.s1 - dt.timedelta(days=40), 9),
            "verification_status": status,
            "verified_s": self.at(self.s1 - dt.timedelta(days=40), 10)
            if status == "verified"
            else None,
            "verification_method": "face" if status == "verified" else None,
            "id_number": self.new_number(),
            "snapshot_date": day,
            "planted_case": self.case,
        }
        row.update(values)
        self.rows.append(row)

    def new_number(self) -> str:
        return id_number(int(self.rng.integers(*PLANTED_NUMBERS)))

    def both(self, account: str, status: str, **values: Any) -> None:
        self.snapshot(account, self.s1, status, **values)
        self.snapshot(account, self.s2, status, **values)

    def expects(self, rule_id: str, account: str | None = None, **values: Any) -> None:
        self.expect.append(
            {"rule_id": rule_id, "provider_id": self.provider.provider_id, "account_id": account}
            | values
            | {"planted_case": self.case}
        )


def _before_verify(c: Plan) -> None:
    a = c.next_account()
    t = c.at(c.start, 12, 30)
    c.register(a, c.at(c.start, 8))
    c.post(a, t - 1)
    c.verify(a, t)
    c.expects("real_name_unverified_publish", a, event_date=c.start)


def _at_and_after_verify(c: Plan) -> None:
    a = c.next_account()
    t = c.at(c.start, 12, 30)
    c.register(a, c.at(c.start, 8))
    c.verify(a, t)
    c.post(a, t)  # the same second: verified
    c.post(a, t + 1)


def _verified_then_revoked(c: Plan) -> None:
    a = c.next_account()
    c.snapshot(a, c.s1, "verified")
    c.snapshot(a, c.s2, "revoked", verified_s=None, verification_method=None)
    c.post(a, c.at(c.s2, 9))  # before the end of s2: the older snapshot still holds
    after = c.s2 + dt.timedelta(days=1)
    c.post(a, c.at(after, 9))
    c.expects("real_name_unverified_publish", a, event_date=after)


def _invalid_check_digit(c: Plan) -> None:
    a = c.next_account()
    good = c.new_number()
    bad = good[:17] + str((int(good[17]) + 1) % 10 if good[17] != "X" else 0)
    c.both(a, "verified", id_number=bad)
    c.expects("real_name_invalid_verification", a)


def _impossible_birth_date(c: Plan) -> None:
    a = c.next_account()
    body = "110105" + "19990230" + f"{int(c.rng.integers(0, 1000)):03d}"
    c.both(a, "verified", id_number=body + check_character(body))
    c.expects("real_name_invalid_verification", a)


def _empty_method(c: Plan) -> None:
    a = c.next_account()
    c.both(a, "verified", verification_method=None)
    c.expects("real_name_invalid_verification", a)


def _shared(count: int) -> Callable[[Plan], None]:
    def build(c: Plan) -> None:
        number = c.new_number()
        accounts = [c.next_account() for _ in range(count)]
        for a in accounts:
            c.both(a, "verified", id_number=number)
        if count > SHARED_LIMIT:
            c.expects("real_name_shared_identity", account_ids=sorted(accounts))

    return build


def _verified_publishes(c: Plan) -> None:
    a = c.next_account()
    c.both(a, "verified")
    c.post(a, c.at(c.start, 15))


def _unknown_account(c: Plan) -> None:
    a = c.next_account()
    c.post(a, c.at(c.start, 16))
    c.expects("real_name_unknown_account", a, event_date=c.start)


def _failed_verification(c: Plan) -> None:
    a = c.next_account()
    t = c.at(c.start, 11)
    c.register(a, c.at(c.start, 8))
    c.verify(a, t, outcome="failure")
    c.post(a, t + 60)
    c.expects("real_name_unverified_publish", a, event_date=c.start)


def _iasp_publish(c: Plan) -> None:
    a = c.next_account()
    c.register(a, c.at(c.start, 8))
    c.post(a, c.at(c.start, 9))


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Plan], None]
    iasp: bool = False  # planted at an access provider (outside the requirement)


CASES: tuple[Case, ...] = (
    Case("rn_publish_before_verify", _before_verify),
    Case("rn_publish_at_and_after_verify", _at_and_after_verify),
    Case("rn_verified_then_revoked", _verified_then_revoked),
    Case("rn_invalid_check_digit", _invalid_check_digit),
    Case("rn_impossible_birth_date", _impossible_birth_date),
    Case("rn_verified_without_method", _empty_method),
    Case("rn_six_accounts_one_identity", _shared(6)),
    Case("rn_five_accounts_one_identity", _shared(5)),
    Case("rn_verified_account_publishes", _verified_publishes),
    Case("rn_unknown_account_publishes", _unknown_account),
    Case("rn_publish_after_failed_verification", _failed_verification),
    Case("rn_publish_at_access_provider", _iasp_publish, iasp=True),
)


def snapshot_dates(start: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The day before the period, and its middle day (the start when it has one day)."""
    return start - dt.timedelta(days=1), start + dt.timedelta(days=days // 2)


@dataclass
class RealNamePlan:
    events: pl.DataFrame  # canonical events of the planted cases
    rows: pl.DataFrame  # their snapshot rows (SNAPSHOT_SCHEMA)
    expected: pl.DataFrame  # LABEL_SCHEMA


def build_cases(
    rng: np.random.Generator, providers: list[Provider], start: dt.date, days: int
) -> RealNamePlan:
    s1, s2 = snapshot_dates(start, days)
    serial = iter(range(ACCOUNT_BASE, ACCOUNT_BASE + 100_000))
    events: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    iisp = [p for p in providers if p.provider_type == "iisp"]
    iasp = [p for p in providers if p.provider_type != "iisp"]
    for case in CASES:  # a loop per planted instance: a few dozen in all
        for k, provider in enumerate(iasp if case.iasp else iisp):
            day = start + dt.timedelta(days=k % days)
            plan = Plan(provider, case.name, day, s1, s2, lambda: f"u{next(serial)}", rng)
            case.build(plan)
            events += plan.events
            rows += plan.rows
            expected += plan.expect
    return RealNamePlan(
        events_from_dicts(events),
        pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA, orient="row"),
        pl.DataFrame(expected, schema=LABEL_SCHEMA, orient="row"),
    )


# -- background ---------------------------------------------------------------------------
def with_verify_traffic(events: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Some background user logins at iisp providers become identity re-checks (verify,
    success) of the same user: same count of rows, no verdict changed (the user is verified
    in every snapshot already)."""
    c = pl.col
    pick = pl.Series(rng.random(events.height) < VERIFY_SHARE)
    turn = (
        (c("action") == "login")
        & (c("provider_type") == "iisp")
        & (c("actor_type") == "subject")
        & c("planted_case").is_null()
        & pick
    )
    return events.with_columns(
        action=pl.when(turn).then(pl.lit("verify")).otherwise(c("action")),
        data_fields=pl.when(turn)
        .then(pl.lit(["real_name", "id_number"]))
        .otherwise(c("data_fields")),
        outcome=pl.when(turn).then(pl.lit("success")).otherwise(c("outcome")),
    )


class RealNameAccumulator:
    """Fed each chunk's canonical events (originals only); keeps the few columns the rules
    read of publish, verify and register events, for the snapshots and the labels."""

    COLUMNS = ["time_s", "provider_id", "provider_type", "actor_id", "actor_type", "action",
               "subject_id", "outcome", "planted_case"]  # fmt: skip

    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []

    def add(self, events: pl.DataFrame) -> None:
        kept = events.filter(pl.col("action").is_in(["publish", "verify", "register"]))
        self.parts.append(kept.select(self.COLUMNS))

    def events(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema={k: pl.String for k in self.COLUMNS})
        return pl.concat(self.parts)


def background_rows(
    events: pl.DataFrame,
    providers: list[Provider],
    start: dt.date,
    days: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Snapshot rows of the background: every user who publishes at an iisp provider (and is
    not a planted account), verified since before the period; a few who never publish."""
    s1, s2 = snapshot_dates(start, days)
    c = pl.col
    iisp = [p.provider_id for p in providers if p.provider_type == "iisp"]
    publishers = (
        events.filter(
            (c("action") == "publish")
            & c("provider_id").is_in(iisp)
            & c("planted_case").is_null()
            & c("actor_id").str.starts_with("u")
        )
        .select("provider_id", account_id=c("actor_id"))
        .unique()
        .sort("provider_id", "account_id")
    )
    quiet = pl.DataFrame(
        {
            "provider_id": [p for p in iisp for _ in range(4)],
            "account_id": [f"u{QUIET_BASE + i}" for i in range(4 * len(iisp))],
            "status": ["pending", "unverified", "rejected", "unverified"] * len(iisp),
        }
    )
    accounts = pl.concat(
        [publishers.with_columns(status=pl.lit("verified")), quiet], how="vertical"
    ).with_row_index("n")
    n = accounts.height
    base = local_midnight_epoch(s1 - dt.timedelta(days=30))
    registered = base - rng.integers(0, 400 * 86400, n)
    verified = accounts["status"] == "verified"
    rows = accounts.select(
        "provider_id",
        "account_id",
        registered_s=pl.Series(registered),
        verification_status="status",
        verified_s=pl.when(verified).then(pl.Series(registered + rng.integers(60, 86400, n))),
        verification_method=pl.when(verified).then(
            pl.Series(list(METHODS)).gather(rng.integers(0, len(METHODS), n))
        ),
        id_number=pl.when(c("status") != "unverified").then(
            id_numbers(accounts["n"].to_numpy() * 7919 % 400_000_000)
        ),
        planted_case=pl.lit(None, pl.String),
    )
    return pl.concat([rows.with_columns(snapshot_date=pl.lit(d)) for d in (s1, s2)]).select(
        list(SNAPSHOT_SCHEMA)
    )


# -- labels -------------------------------------------------------------------------------
def valid_id(number: pl.Expr, as_of: pl.Expr) -> pl.Expr:
    """GB 11643-1999 checks, re-implemented in Polars (independent of auditpipe.realname);
    ``as_of``: the snapshot's date (a later birth date fails)."""
    n = number.str.replace_all(r"[\s\-]", "").str.to_uppercase()
    p = pl.lit(0, pl.Int64)
    for i in range(17):
        p = (p + n.str.slice(i, 1).cast(pl.Int64, strict=False)) * 2 % 11
    check = ((12 - p) % 11).cast(pl.String).replace("10", "X")
    born = n.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    prefix = pl.when(n.str.starts_with("9")).then(n.str.slice(1, 2)).otherwise(n.str.slice(0, 2))
    return (
        n.str.contains(r"^[0-9]{17}[0-9X]$")
        & (n.str.slice(17, 1) == check)
        & born.is_not_null()
        & (born >= dt.date(1900, 1, 1))
        & (born <= as_of)
        & prefix.is_in(list(PROVINCES))
    ).fill_null(False)


def compute_labels(events: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The real-name findings the rules must produce (REALNAME.md, 17:15), from the events
    the accumulator kept and every snapshot row."""
    c = pl.col
    account = pl.coalesce(c("subject_id"), c("actor_id"))
    # A snapshot holds as of the end of its day (lake timezone): one lookup per distinct date.
    ends = {
        d: local_midnight_epoch(d + dt.timedelta(days=1)) for d in rows["snapshot_date"].unique()
    }
    rows = rows.with_columns(
        as_of_s=c("snapshot_date").replace_strict(ends, return_dtype=pl.Int64)  # type: ignore[arg-type]
    )
    # Observations: (provider, account, time, verified, rank); at one instant the highest
    # rank wins: an event beats a snapshot, failure beats success.
    checks = events.filter((c("action") == "verify") & c("outcome").is_in(["success", "failure"]))
    observed = pl.concat(
        [
            checks.select(
                "provider_id",
                account=account,
                t=c("time_s"),
                verified=c("outcome") == "success",
                rank=pl.when(c("outcome") == "success").then(2).otherwise(3),
            ),
            rows.select(
                "provider_id",
                account=c("account_id"),
                t=c("as_of_s"),
                verified=c("verification_status") == "verified",
                rank=pl.when(c("verification_status") == "verified").then(0).otherwise(1),
            ),
            rows.filter(
                (c("verification_status") == "verified") & (c("verified_s") <= c("as_of_s"))
            ).select(
                "provider_id",
                account=c("account_id"),
                t=c("verified_s"),
                verified=pl.lit(True),
                rank=pl.lit(0),
            ),
        ],
        how="vertical_relaxed",
    )
    latest = (
        observed.group_by("provider_id", "account", "t")
        .agg(verified=c("verified").sort_by("rank").last())
        .sort("t")
    )
    known = pl.concat(
        [
            rows.select("provider_id", account=c("account_id")),
            events.filter(c("action").is_in(["verify", "register"])).select(
                "provider_id", account=account
            ),
        ]
    ).unique()
    posts = (
        events.filter(
            (c("action") == "publish")
            & (c("provider_type") == "iisp")
            & (c("actor_type") == "subject")
        )
        .select("provider_id", "planted_case", account=c("actor_id"), t=c("time_s"))
        .sort("t")
    )
    judged = posts.join_asof(  # both sorted by t above
        latest, on="t", by=["provider_id", "account"], strategy="backward", check_sortedness=False
    )
    judged = judged.join(
        known.with_columns(known=pl.lit(True)), on=["provider_id", "account"], how="left"
    )
    day = local_date_expr(c("t")).alias("event_date")
    unverified = judged.filter(
        c("known").fill_null(False) & ~c("verified").fill_null(False)
    ).select(
        pl.lit("real_name_unverified_publish").alias("rule_id"),
        "provider_id",
        c("account").alias("account_id"),
        day,
        "planted_case",
    )
    unknown = judged.filter(c("known").is_null()).select(
        pl.lit("real_name_unknown_account").alias("rule_id"),
        "provider_id",
        c("account").alias("account_id"),
        day,
        "planted_case",
    )
    verified_rows = rows.filter(c("verification_status") == "verified")
    invalid = verified_rows.filter(
        (c("id_number").is_not_null() & ~valid_id(c("id_number"), c("snapshot_date")))
        | c("verification_method").fill_null("").str.strip_chars().eq("")
    ).select(
        pl.lit("real_name_invalid_verification").alias("rule_id"),
        "provider_id",
        "account_id",
        pl.lit(None, pl.Date).alias("event_date"),
        "planted_case",
    )
    shared = (
        verified_rows.filter(valid_id(c("id_number"), c("snapshot_date")))
        .with_columns(identity=c("id_number").str.replace_all(r"[\s\-]", "").str.to_uppercase())
        .group_by("provider_id", "snapshot_date", "identity")
        .agg(
            account_ids=c("account_id").unique().sort(),
            planted_case=c("planted_case").drop_nulls().first(),
        )
        .filter(c("account_ids").list.len() > SHARED_LIMIT)
        .select(
            pl.lit("real_name_shared_identity").alias("rule_id"),
            "provider_id",
            "account_ids",
            "planted_case",
        )
    )
    singles = pl.concat([unverified, unknown, invalid]).unique()
    out = pl.concat(
        [
            singles.with_columns(account_ids=pl.lit(None, pl.List(pl.String))),
            shared.unique().with_columns(
                account_id=pl.lit(None, pl.String), event_date=pl.lit(None, pl.Date)
            ),
        ],
        how="diagonal_relaxed",
    )
    return (
        out.select(list(LABEL_SCHEMA))
        .cast(pl.Schema(LABEL_SCHEMA))
        .sort(
            ["planted_case", "rule_id", "provider_id", "account_id", "event_date"], nulls_last=True
        )
    )


def check_labels(labels: pl.DataFrame, expected: pl.DataFrame) -> None:
    """The computed labels must be exactly what the planted cases promise."""
    background = labels.filter(pl.col("planted_case").is_null())
    if background.height:
        raise GeneratorBug(
            f"background real-name traffic produces {background.height} finding(s), e.g. "
            f"{background.head(3).to_dicts()}"
        )
    key = ["rule_id", "provider_id", "account_id", "event_date", "account_ids", "planted_case"]
    as_text = [
        pl.col(k).cast(pl.String) if k != "account_ids" else pl.col(k).list.join(",") for k in key
    ]
    got = set(labels.select(as_text).iter_rows())
    want = set(expected.select(as_text).iter_rows())
    if got != want:
        raise GeneratorBug(
            f"planted real-name cases disagree with the rules' semantics: missing "
            f"{sorted(want - got, key=str)[:5]}, unexpected {sorted(got - want, key=str)[:5]}"
        )


# -- files --------------------------------------------------------------------------------
# CSV snapshots spell their header the way a provider's own export might (aliases of the
# account snapshot contract); JSON Lines and Parquet use the contract's names.
CSV_HEADER = {
    "provider_id": "provider_id",
    "account_id": "uid",
    "registered_at": "注册时间",
    "verification_status": "实名状态",
    "verified_at": "verify_time",
    "verification_method": "method",
    "id_number": "身份证号",
}
STATUS_SPELLING = {"verified": "已认证", "unverified": "未认证"}


def render_rows(rows: pl.DataFrame, family: str) -> pl.DataFrame:
    """Snapshot rows as text columns in the file's spelling (times in the lake timezone,
    naive for CSV, with an offset for the others)."""
    c = pl.col

    def when(col: str) -> pl.Expr:
        local = (
            pl.from_epoch(c(col), time_unit="s")
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone(LAKE_TIMEZONE)
        )
        return local.dt.strftime("%Y-%m-%d %H:%M:%S" if family == "csv" else "%Y-%m-%dT%H:%M:%S%:z")

    status = c("verification_status")
    if family == "csv":
        status = status.replace(STATUS_SPELLING)
    return rows.select(
        "provider_id",
        "account_id",
        registered_at=when("registered_s"),
        verification_status=status,
        verified_at=when("verified_s"),
        verification_method="verification_method",
        id_number="id_number",
    )


def bad_lines(rows: pl.DataFrame, family: str) -> list[str]:
    """Two rows ingest must quarantine, each carrying an ID number: the number must not
    reach the quarantine's raw text. (Parquet can only carry the second kind.)"""
    p = rows["provider_id"][0]
    number = id_number(123_456_789)
    if family == "csv":
        return [
            f"{p},u{BAD_BASE},extra,,verified,,face,{number}",  # one column too many
            f"{p},u{BAD_BASE + 1},,maybe,,,{number}",  # status not in the contract
        ]
    return [
        f'{{"provider_id": "{p}", "account_id": "u{BAD_BASE}", "id_number": "{number}"',
        f'{{"provider_id": "{p}", "account_id": "u{BAD_BASE + 1}", '
        f'"verification_status": "maybe", "id_number": "{number}"}}',
    ]


def write_snapshot(
    path: Path, rows: pl.DataFrame, fmt: str, family: str, bad: bool
) -> tuple[int, int]:
    """One snapshot file (written under a hidden name, then renamed); (rows, bad rows)."""
    import json
    import os

    from .formats import FORMATS
    from .serialize import _open_stream  # the generator's reproducible gzip/zstd writer

    text = render_rows(rows, family)
    partial = path.with_name(f".{path.name}.partial")
    extra = bad_lines(rows, family) if bad and rows.height else []
    if family == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(n, pa.string()) for n in text.columns])
        table = text.to_arrow().cast(schema)
        if extra:
            odd = json.loads(extra[1])
            table = pa.concat_tables(
                [table, pa.table({n: pa.array([odd.get(n)], pa.string()) for n in schema.names})]
            )
            extra = extra[1:]
        pq.write_table(table, partial, compression="zstd")
    else:
        if family == "csv":
            import csv
            import io

            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow([CSV_HEADER[k] for k in text.columns])
            writer.writerows(text.iter_rows())
            lines = buf.getvalue().splitlines()
        else:
            lines = [
                json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False)
                for r in text.iter_rows(named=True)
            ]
        stream = _open_stream(partial, FORMATS[fmt][1])
        try:
            stream.write(("\n".join(lines + extra) + "\n").encode("utf-8"))
        finally:
            stream.close()
    os.replace(partial, path)
    return rows.height + len(extra), len(extra)
