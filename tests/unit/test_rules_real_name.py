"""The real-name rules on hand-built lakes: each edge of "verified at the moment of publishing",
exactly N and N+1 accounts on one identity, snapshots as of the end of their day, access
providers, unknown accounts; and a property test of the state rule against a plain model.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditpipe.detect import DetectSettings, run_detect
from tests.support.account_lakes import (
    account,
    identity,
    publish_event,
    register_event,
    verify_event,
    write_accounts,
)
from tests.support.detect_lakes import DAY, at, event, make_lake, read_findings, write_events

T = at(DAY, 12)  # the moment of a verification in these cases
SECOND = dt.timedelta(seconds=1)
NEXT_DAY = DAY + dt.timedelta(days=1)


def post(account_id: str = "a1", when: dt.datetime = T, **fields: Any) -> dict[str, Any]:
    return publish_event(fields.pop("provider_id", "p1"), account_id, when, **fields)


def verify(
    account_id: str = "a1", when: dt.datetime = T, outcome: str = "success"
) -> dict[str, Any]:
    return verify_event("p1", account_id, when, outcome)


def register(
    account_id: str = "a1", when: dt.datetime = T - dt.timedelta(hours=1)
) -> dict[str, Any]:
    return register_event("p1", account_id, when)


def run(
    tmp_path: Path,
    events: list[dict[str, Any]],
    accounts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    **overrides: Any,
) -> list[dict[str, Any]]:
    """Write a lake, run detect, return the real-name findings."""
    lake = make_lake(tmp_path / "lake")
    if events:
        write_events(lake, events)
    if accounts:
        write_accounts(lake, accounts)
    run_detect(lake, DetectSettings(**overrides))
    return [f for f in read_findings(lake) if f["category"] == "real_name"]


def flagged_posts(findings: list[dict[str, Any]]) -> set[str]:
    return {
        e
        for f in findings
        if f["rule_id"] == "real_name_unverified_publish"
        for e in f["evidence_event_ids"]
    }


def test_a_verification_at_the_same_second_as_the_post_counts(tmp_path: Path) -> None:
    before, same, after = post(when=T - SECOND), post(when=T), post(when=T + SECOND)
    findings = run(tmp_path, [verify(), before, same, after])
    assert flagged_posts(findings) == {before["event_id"]}
    (finding,) = findings
    assert finding["actor_id"] == "a1" and finding["event_date"] == DAY
    assert finding["summary"].startswith("A user published 1 post on 2026-03-01")


def test_times_are_compared_to_the_microsecond_not_the_second(tmp_path: Path) -> None:
    """docs/real-name.md: a post earlier than the check by less than a second, in the same
    second, is unverified publishing; one at the same microsecond is not."""
    ms = dt.timedelta(milliseconds=1)
    check = T + 800 * ms
    early, same = post(when=T + 300 * ms), post(when=check)
    findings = run(tmp_path, [verify(when=check), early, same])
    assert flagged_posts(findings) == {early["event_id"]}


def test_one_finding_per_account_and_day_with_every_post_as_evidence(tmp_path: Path) -> None:
    parties = ["public timeline", "group chat", None]
    posts = [post(when=T + i * SECOND, destination_party=parties[i]) for i in range(3)]
    late = post(when=at(NEXT_DAY, 9))
    findings = run(tmp_path, [register(), *posts, late])
    by_day = {f["event_date"]: f for f in findings}
    assert set(by_day) == {DAY, NEXT_DAY}
    assert by_day[DAY]["evidence_event_ids"] == [p["event_id"] for p in posts]
    assert by_day[DAY]["event_count"] == 3 and by_day[DAY]["destination_party"] is None
    assert by_day[NEXT_DAY]["evidence_event_ids"] == [late["event_id"]]


def test_a_later_failed_verification_unverifies(tmp_path: Path) -> None:
    ok = post(when=T + SECOND)
    failed_at = T + dt.timedelta(hours=1)
    tie = post(when=failed_at)
    later = post(when=failed_at + SECOND)
    findings = run(tmp_path, [verify(), verify(when=failed_at, outcome="failure"), ok, tie, later])
    assert flagged_posts(findings) == {tie["event_id"], later["event_id"]}


def test_success_and_failure_at_one_instant_is_not_verified(tmp_path: Path) -> None:
    p = post(when=T + SECOND)
    findings = run(tmp_path, [verify(), verify(outcome="failure"), p])
    assert flagged_posts(findings) == {p["event_id"]}


def test_a_snapshot_speaks_for_the_end_of_its_day(tmp_path: Path) -> None:
    """Older snapshot verified, newer one revoked: posts before the end of the newer snapshot's
    day are fine, posts after it fire."""
    older, newer = DAY, DAY + dt.timedelta(days=3)
    snapshots = [
        account(account_id="a1", snapshot_date=older, verified_at=None),
        account(
            account_id="a1",
            snapshot_date=newer,
            verification_status="revoked",
            verified_at=None,
        ),
    ]
    on_older_day = post(when=at(older, 23, 59))  # before the older snapshot's moment
    between = post(when=at(newer, 23, 59))  # still before the newer snapshot's moment
    after = post(when=at(newer + dt.timedelta(days=1), 0, 0))  # the very moment
    findings = run(tmp_path, [on_older_day, between, after], snapshots)
    assert flagged_posts(findings) == {on_older_day["event_id"], after["event_id"]}


def test_verified_at_in_a_later_snapshot_covers_earlier_posts(tmp_path: Path) -> None:
    """The provider's record 'verified at v' covers posts from v on, even when the first
    snapshot is exported days later; a post before v still fires."""
    snapshot = account(account_id="a1", snapshot_date=DAY + dt.timedelta(days=5), verified_at=T)
    before, after = post(when=T - SECOND), post(when=T)
    findings = run(tmp_path, [before, after], [snapshot])
    assert flagged_posts(findings) == {before["event_id"]}


def test_access_providers_unknown_accounts_and_failed_posts_fire_nothing(tmp_path: Path) -> None:
    events = [
        register("a1"),
        post("a1", provider_type="iasp"),
        post("a1", outcome="failure"),
        post("stranger"),  # in no snapshot and no register or verify event: a data gap
        post("a1", actor_type="employee"),  # an employee posting is not a user publishing
    ]
    assert run(tmp_path, events) == []


def test_an_untyped_post_takes_its_providers_type(tmp_path: Path) -> None:
    """provider_type is the provider's: a post that leaves it empty is judged as its provider's
    other events say; a provider whose events name both types leaves it unjudged."""
    typed = post("a1", provider_type=None)
    mixed = [
        register("b1") | {"provider_id": "p2", "provider_type": "iisp"},
        event(provider_id="p2", provider_type="iasp"),
        post("b1", provider_id="p2", provider_type=None),
    ]
    assert flagged_posts(run(tmp_path, [register("a1"), typed, *mixed])) == {typed["event_id"]}


def test_a_verified_account_that_publishes_fires_nothing(tmp_path: Path) -> None:
    snapshot = account(account_id="a1", snapshot_date=DAY - dt.timedelta(days=1))
    assert run(tmp_path, [post()], [snapshot]) == []


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({"id_number_valid": False, "id_number_problem": "check_digit"}, True),
        ({"id_number_valid": False, "id_number_problem": "birth_date"}, True),
        ({"verification_method": None}, True),
        ({"verification_method": "  "}, True),
        ({"id_number_present": False, "id_number_valid": None}, False),
        ({"verification_status": "pending", "id_number_valid": False}, False),
        ({}, False),
    ],
)
def test_invalid_verification(tmp_path: Path, changes: dict[str, Any], fires: bool) -> None:
    findings = run(tmp_path, [], [account(account_id="a9", **changes)])
    invalid = [f for f in findings if f["rule_id"] == "real_name_invalid_verification"]
    assert bool(invalid) == fires
    if fires:
        (finding,) = invalid
        assert finding["actor_id"] == "a9" and finding["event_date"] == DAY
        assert finding["evidence_event_ids"][0].startswith("s-")


@pytest.mark.parametrize(
    ("accounts", "limit", "fires"), [(5, 5, False), (6, 5, True), (3, 2, True)]
)
def test_more_than_n_verified_accounts_on_one_identity(
    tmp_path: Path, accounts: int, limit: int, fires: bool
) -> None:
    shared = identity("one person")
    rows = [account(account_id=f"m{i}", identity_hash=shared) for i in range(accounts)]
    # an unverified account on the same identity never counts
    rows.append(account(account_id="extra", identity_hash=shared, verification_status="pending"))
    findings = run(tmp_path, [], rows, max_accounts_per_identity=limit)
    found = [f for f in findings if f["rule_id"] == "real_name_shared_identity"]
    assert bool(found) == fires
    if fires:
        (finding,) = found
        assert finding["actor_id"] == "identity:" + shared[:16]
        assert finding["event_count"] == finding["subject_count"] == accounts
        assert f"{accounts} accounts" in finding["summary"]


def test_a_number_that_fails_the_checks_is_no_shared_identity(tmp_path: Path) -> None:
    """Six verified accounts on one placeholder ("无", "000000000000000000") were "one real
    identity behind 6 accounts": the officer, who never sees the number, would look for one
    person. Each is an invalid verification; a valid number shared by six still fires."""
    placeholder = identity("a placeholder")
    rows = [
        account(
            account_id=f"p{i}",
            identity_hash=placeholder,
            id_number_valid=False,
            id_number_problem="length",
        )
        for i in range(6)
    ]
    shared = identity("one person")
    rows += [account(account_id=f"v{i}", identity_hash=shared) for i in range(6)]
    findings = run(tmp_path, [], rows)
    found = [f for f in findings if f["rule_id"] == "real_name_shared_identity"]
    assert [f["actor_id"] for f in found] == ["identity:" + shared[:16]]
    invalid = {f["actor_id"] for f in findings if f["rule_id"] == "real_name_invalid_verification"}
    assert invalid == {f"p{i}" for i in range(6)}


def test_history_comes_from_earlier_days_when_only_one_day_is_evaluated(tmp_path: Path) -> None:
    """A verification on an earlier day counts when detect evaluates only the day of the post."""
    lake = make_lake(tmp_path / "lake")
    later = NEXT_DAY + dt.timedelta(days=1)
    write_events(
        lake, [verify(), post(when=at(later, 9)), register("a2"), post("a2", at(later, 9))]
    )
    run_detect(lake, DetectSettings(), since=later, until=later)
    findings = read_findings(lake)
    assert {(f["actor_id"], f["event_date"]) for f in findings} == {("a2", later)}


def test_findings_keep_their_ids_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake")
    shared = identity("p")
    write_events(lake, [register(), post()])
    write_accounts(lake, [account(account_id=f"m{i}", identity_hash=shared) for i in range(6)])
    first = run_detect(lake, DetectSettings())
    ids = {f["finding_id"] for f in read_findings(lake)}
    again = run_detect(lake, DetectSettings())
    assert first.new == 2 and again.unchanged == 2 and again.new == again.updated == 0
    assert {f["finding_id"] for f in read_findings(lake)} == ids


# -- the state rule, as a property: any order of verifications, snapshots and posts ----------
OUTCOMES = st.sampled_from(["success", "failure"])
MINUTES = st.integers(min_value=0, max_value=3 * 24 * 60 - 1)  # three days, minute steps
STATUSES = st.sampled_from(["verified", "unverified", "revoked"])


def _moment(minute: int) -> dt.datetime:
    return at(DAY, 0) + dt.timedelta(minutes=minute)


def expected_unverified(
    verifies: list[tuple[int, str]], snapshots: list[tuple[int, str]], posts: list[int]
) -> set[int]:
    """A plain model of the documented rule: the latest observation at or before the post;
    at one instant an event beats a snapshot and failure beats success."""
    observations: list[tuple[dt.datetime, int, bool]] = []
    for minute, outcome in verifies:
        observations.append((_moment(minute), 0, outcome == "success"))
    for day_offset, status in snapshots:
        as_of = at(DAY + dt.timedelta(days=day_offset + 1), 0)
        observations.append((as_of, 1, status == "verified"))
    flagged = set()
    for minute in posts:
        t = _moment(minute)
        seen = [o for o in observations if o[0] <= t]
        if not seen:
            flagged.add(minute)
            continue
        latest = max(o[0] for o in seen)
        at_latest = sorted((rank, verified) for when, rank, verified in seen if when == latest)
        if not at_latest[0][1]:
            flagged.add(minute)
    return flagged


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    verifies=st.lists(st.tuples(MINUTES, OUTCOMES), max_size=4),
    snapshots=st.lists(
        st.tuples(st.integers(0, 2), STATUSES), max_size=3, unique_by=lambda s: s[0]
    ),
    posts=st.lists(MINUTES, min_size=1, max_size=6, unique=True),
)
def test_the_rule_agrees_with_a_plain_model_of_the_state(
    tmp_path_factory: pytest.TempPathFactory,
    verifies: list[tuple[int, str]],
    snapshots: list[tuple[int, str]],
    posts: list[int],
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    events = [register(when=_moment(0) - dt.timedelta(days=1))]
    events += [verify(when=_moment(m), outcome=o) for m, o in verifies]
    by_minute = {m: post(when=_moment(m)) for m in posts}
    rows = [
        account(
            account_id="a1",
            snapshot_date=DAY + dt.timedelta(days=d),
            verification_status=s,
            verified_at=None,
        )
        for d, s in snapshots
    ]
    findings = run(tmp, [*events, *by_minute.values()], rows)
    want = {by_minute[m]["event_id"] for m in expected_unverified(verifies, snapshots, posts)}
    assert flagged_posts(findings) == want


def test_rules_show_says_access_providers_are_outside_the_requirement() -> None:
    from click.testing import CliRunner

    from auditpipe.cli import cli

    result = CliRunner().invoke(cli, ["rules", "show", "real_name_unverified_publish"])
    assert result.exit_code == 0
    assert "Access providers (iasp) are outside the publishing requirement" in result.output
    assert "category:        real_name" in result.output
