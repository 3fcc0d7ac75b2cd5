"""The "Real-name registration" section's words and tables, written once for every format.

Markdown and HTML lay the ``tables.Table`` values out themselves; the terminal turns them into
rich tables; JSON carries ``report.real_name`` as data and CSV one row per provider and day
(``csv_rows``). What each number means is in ``report/real_name.py``.
"""

from __future__ import annotations

from ...i18n import N_, _, ngettext
from ..model import RealNameSection, Report
from .common import count, day, moment, percent
from .tables import Cells, Table

# 真实身份信息: the regulation's "real identification information".
TITLE = N_("Real-name registration")
INTRO = N_(
    "Users who publish at an information service provider (iisp) must be registered with "
    "their real identity. Compliance rate = posts by accounts verified at the moment of the "
    "post / posts by verified and unverified accounts; posts by accounts found in no account "
    "snapshot and no register or verify event are a data gap, counted apart and left out of "
    "the rate."
)
ACCESS_PROVIDER = N_(
    "Access provider (iasp): outside the publishing requirement, its posts are not judged."
)
RECTIFY = N_("The draft names no fine for these findings: the consequence is an order to rectify.")


def overview_table(report: Report, cells: Cells) -> Table:
    return Table(
        [
            _("Provider"),
            _("Posts"),
            _("Verified"),
            _("Unverified"),
            _("Unknown (data gap)"),
            _("Compliance"),
            _("Unverified publishers"),
            _("Invalid verifications"),
            _("Shared identities"),
        ],
        [
            [
                cells.text(s.provider_id) + ("" if s.applies else " (iasp)"),
                count(s.posts),
                count(s.verified_posts),
                count(s.unverified_posts),
                count(s.unknown_posts),
                percent(s.compliance_rate),
                count(s.unverified_publishers),
                count(s.invalid_verifications),
                count(s.shared_identities),
            ]
            for s in report.real_name
        ],
        frozenset(range(1, 9)),
    )


def days_table(section: RealNameSection) -> Table:
    return Table(
        [_("Day"), _("Posts"), _("Verified"), _("Unverified"), _("Unknown"), _("Compliance")],
        [
            [
                day(d.event_date),
                count(d.posts),
                count(d.verified_posts),
                count(d.unverified_posts),
                count(d.unknown_posts),
                percent(d.compliance_rate),
            ]
            for d in section.days
        ],
        frozenset(range(1, 6)),
        unbroken=frozenset({0}),
    )


def unverified_table(section: RealNameSection, cells: Cells) -> Table:
    return Table(
        [_("Account"), _("Days"), _("Posts"), _("First post"), _("Last post")],
        [
            [
                cells.code(u.account_id or "-"),
                count(u.days),
                count(u.posts),
                moment(u.first_post),
                moment(u.last_post),
            ]
            for u in section.unverified
        ],
        frozenset({1, 2}),
    )


def invalid_table(section: RealNameSection, cells: Cells) -> Table:
    return Table(
        [_("Account"), _("Problem"), _("Snapshots"), _("Last snapshot")],
        [
            [
                cells.code(i.account_id or "-"),
                cells.text(problem_text(i.problem)),
                count(i.snapshots),
                day(i.last_snapshot),
            ]
            for i in section.invalid
        ],
        frozenset({2}),
        unbroken=frozenset({3}),
    )


def shared_table(section: RealNameSection, cells: Cells) -> Table:
    return Table(
        [_("Identity (pseudonym)"), _("Verified accounts"), _("Snapshots"), _("Last snapshot")],
        [
            [cells.code(s.identity), count(s.accounts), count(s.snapshots), day(s.last_snapshot)]
            for s in section.shared
        ],
        frozenset({1, 2}),
        unbroken=frozenset({3}),
    )


def provider_tables(section: RealNameSection, cells: Cells) -> list[tuple[str, Table]]:
    """(heading, table) for one provider's detail: only the lists that hold something (the
    overview table gives every count, zeros included)."""
    if not section.applies:
        return []
    out: list[tuple[str, Table]] = []
    if section.verified_posts + section.unverified_posts:
        out.append((_("Share of posts by verified accounts, per day"), days_table(section)))
    if section.unverified:
        shown, total = len(section.unverified), section.unverified_publishers
        title = (
            _("Unverified publishers ({total}, the {shown} with most posts)")
            if total > shown
            else _("Unverified publishers ({total})")
        ).format(total=count(total), shown=shown)
        out.append((title, unverified_table(section, cells)))
    if section.invalid:
        title = _("Invalid verifications ({total})").format(
            total=count(section.invalid_verifications)
        )
        out.append((title, invalid_table(section, cells)))
    if section.shared:
        title = _("Shared identities ({total})").format(total=count(section.shared_identities))
        out.append((title, shared_table(section, cells)))
    return out


# What the report says when a verification fails a check (id_number_problem, from ingest).
PROBLEMS = {
    "length": N_("ID number fails the length check"),
    "format": N_("ID number fails the format check"),
    "check_digit": N_("ID number fails the check digit"),
    "birth_date": N_("ID number holds an impossible birth date"),
    "region": N_("ID number has an unknown region code"),
    "no_method": N_("no verification method"),
}


def problem_text(problem: str) -> str:
    """The report's words for ``InvalidVerification.problem``: problem keys joined by ','."""
    return _("; ").join(_(PROBLEMS.get(key, key)) for key in problem.split(",") if key)


def provider_note(section: RealNameSection) -> str:
    if not section.applies:
        return _(ACCESS_PROVIDER)
    parts = []
    if section.posts and section.posts == section.unknown_posts:
        parts.append(
            ngettext(
                "None of its {n} post can be judged: the lake holds no account snapshot and "
                "no register or verify event of its account.",
                "None of its {n} posts can be judged: the lake holds no account snapshot and "
                "no register or verify event of their accounts.",
                section.posts,
            ).format(n=count(section.posts))
        )
    elif section.unknown_posts:
        parts.append(
            _(
                "{posts} post(s) by {accounts} unknown account(s): ask the provider for their "
                "account records."
            ).format(posts=count(section.unknown_posts), accounts=count(section.unknown_accounts))
        )
    if section.unverified_posts or section.invalid_verifications or section.shared_identities:
        parts.append(_(RECTIFY))
    return " ".join(parts)
