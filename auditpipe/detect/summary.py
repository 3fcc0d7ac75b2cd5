"""A finding's summary sentence, filled in SQL from its rule's template and its columns.

Detect stores every summary in English (``ENGLISH``): the summary is part of a finding's
content, so a finding detected under a Chinese locale must not differ from the same finding
detected under an English one. A report in another language fills the template again at report
time, from the rule's template in that language (``summary.zh-CN`` in the rule's header) and
the words below translated by the catalog (``SummaryWords.translated``); a rule with no
template in that language keeps its stored summary.

The words are texts with named placeholders (``{n}``, ``{amount}``...) that SQL fills with
``replace``, so translators see whole phrases, never DuckDB format strings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..db import quote_literal
from ..i18n import N_, _


@dataclass(frozen=True)
class SummaryWords:
    """Every word a summary is built from, besides its template."""

    employee: str = N_("An employee")
    partner: str = N_("A partner")
    service: str = N_("A service account")
    subject: str = N_("A user")
    other_actor: str = N_("An unidentified actor")
    login: str = N_("login information")
    credentials: str = N_("login credentials")
    identity: str = N_("real identification information")
    other_class: str = N_("{class} data")
    no_class: str = N_("personal data")
    joiner: str = N_(" and ")
    cny: str = N_("CNY {amount}")
    cny_plus_unconverted: str = N_("{cny} plus {other} with no CNY rate")
    unconverted_only: str = N_("{other} with no CNY rate")
    no_payment: str = N_("no payment recorded")
    unnamed_party: str = N_("an unnamed party")
    record: str = N_("{n} record")
    records: str = N_("{n} records")
    event: str = N_("{n} event")
    events: str = N_("{n} events")
    user: str = N_("{n} user")
    users: str = N_("{n} users")
    account: str = N_("{n} account")
    accounts: str = N_("{n} accounts")
    post: str = N_("{n} post")
    posts: str = N_("{n} posts")
    # {bulk_reason}: why an actor-day is bulk, by what the finding's records show
    bulk_reached: str = N_("reaching the bulk threshold of {threshold}")
    bulk_unbounded: str = N_(
        "below the bulk threshold of {threshold} but with a read of whole tables (no subject "
        "narrowing), which is bulk by itself"
    )

    def translated(self) -> SummaryWords:
        """The same words in the current language (each itself where the catalog has none)."""
        return SummaryWords(**{f.name: _(getattr(self, f.name)) for f in fields(self)})


ENGLISH = SummaryWords()

# Columns the phrases and the fill read (besides the template):
#   actor_type, data_classes, proceeds_cny, unconverted_amounts, record_count, event_count,
#   subject_count, event_date, destination_party (the finding's), and
#   has_credential, protected_classes, bulk_threshold, max_accounts_per_identity (settings).


def money_sql(amount: str) -> str:
    """``amount`` (a DECIMAL expression) as ``1,234.57``: rounded half up to the cent (as the
    penalty rounds) and grouped by thousands, all in decimal arithmetic. ``format('{:,.2f}')``
    goes through a double: 2.675 became 2.67, and amounts beyond 15 digits lost their cent."""
    r = f"round(CAST({amount} AS DECIMAL(38, 4)), 2)"
    return (
        f"(CASE WHEN {r} < 0 THEN '-' ELSE '' END "
        f"|| format('{{:,}}', CAST(trunc(abs({r})) AS HUGEINT)) || '.' "
        f"|| lpad(CAST(CAST((abs({r}) - trunc(abs({r}))) * 100 AS INTEGER) AS VARCHAR), 2, '0'))"
    )


def amount_sql(amount: str) -> str:
    """``amount`` (a DECIMAL of at most 4 decimals) written exactly, as ``penalty.amount_text``
    writes it: two decimals unless more are needed (``0.0049``, ``1,234.5678``), grouped by
    thousands. For amounts that are not rounded to CNY (those without a rate): rounding them
    to the cent could write a payment as ``0.00``."""
    x = f"CAST({amount} AS DECIMAL(38, 4))"
    four = (
        f"(CASE WHEN {x} < 0 THEN '-' ELSE '' END "
        f"|| format('{{:,}}', CAST(trunc(abs({x})) AS HUGEINT)) || '.' "
        f"|| rtrim(lpad(CAST(CAST((abs({x}) - trunc(abs({x}))) * 10000 AS INTEGER) AS VARCHAR),"
        f" 4, '0'), '0'))"
    )
    return f"(CASE WHEN round({x}, 2) = {x} THEN {money_sql(amount)} ELSE {four} END)"


def phrase_columns_sql(words: SummaryWords) -> str:
    """``actor_phrase``, ``data_phrase``, ``cny_phrase`` and ``unconverted_phrase``, as a
    comma-separated SELECT list (computed once, used by ``fill_sql``)."""
    w = {f.name: quote_literal(getattr(words, f.name)) for f in fields(words)}
    return f"""
        CASE actor_type
            WHEN 'employee' THEN {w["employee"]}
            WHEN 'partner' THEN {w["partner"]}
            WHEN 'service' THEN {w["service"]}
            WHEN 'subject' THEN {w["subject"]}
            ELSE {w["other_actor"]}
        END AS actor_phrase,
        coalesce(
            nullif(
                array_to_string(
                    list_transform(
                        list_filter(protected_classes, lambda c: list_contains(data_classes, c)),
                        lambda c: CASE c
                            WHEN 'login' THEN
                                CASE WHEN has_credential THEN {w["credentials"]}
                                     ELSE {w["login"]} END
                            WHEN 'identity' THEN {w["identity"]}
                            ELSE replace({w["other_class"]}, '{{class}}', c)
                        END
                    ),
                    {w["joiner"]}
                ),
                ''
            ),
            {w["no_class"]}
        ) AS data_phrase,
        CASE WHEN proceeds_cny > 0
            THEN replace({w["cny"]}, '{{amount}}', {money_sql("proceeds_cny")})
        END AS cny_phrase,
        nullif(
            array_to_string(
                list_transform(
                    unconverted_amounts,
                    lambda u: {amount_sql("u.amount")} || ' ' || u.currency
                ),
                {w["joiner"]}
            ),
            ''
        ) AS unconverted_phrase"""


def _count(column: str, one: str, many: str) -> str:
    return (
        f"replace(CASE WHEN {column} = 1 THEN {one} ELSE {many} END, "
        f"'{{n}}', format('{{:,}}', {column}))"
    )


def fill_sql(words: SummaryWords, template: str) -> str:
    """The summary: ``template`` (an SQL expression) with every placeholder filled, over the
    columns of ``phrase_columns_sql`` and those it reads. ``{party}`` is filled last: a party's
    name is data and might itself hold a placeholder."""
    w = {f.name: quote_literal(getattr(words, f.name)) for f in fields(words)}
    proceeds = f"""CASE
            WHEN cny_phrase IS NOT NULL AND unconverted_phrase IS NOT NULL
                THEN replace(replace({w["cny_plus_unconverted"]}, '{{cny}}', cny_phrase),
                             '{{other}}', unconverted_phrase)
            WHEN cny_phrase IS NOT NULL THEN cny_phrase
            WHEN unconverted_phrase IS NOT NULL
                THEN replace({w["unconverted_only"]}, '{{other}}', unconverted_phrase)
            ELSE {w["no_payment"]}
        END"""
    threshold = f"replace({w['records']}, '{{n}}', format('{{:,}}', bulk_threshold))"
    fills = [
        ("actor", "actor_phrase"),
        ("data", "data_phrase"),
        ("records", _count("record_count", w["record"], w["records"])),
        ("events", _count("event_count", w["event"], w["events"])),
        ("subjects", _count("subject_count", w["user"], w["users"])),
        ("proceeds", proceeds),
        ("date", "CAST(event_date AS VARCHAR)"),
        ("bulk_threshold", threshold),
        (
            "bulk_reason",
            # an actor-day of the bulk rule under the threshold has an unbounded read: its
            # records are what the log could count, so the sentence must not claim the threshold
            f"replace(CASE WHEN record_count >= bulk_threshold THEN {w['bulk_reached']} "
            f"ELSE {w['bulk_unbounded']} END, '{{threshold}}', {threshold})",
        ),
        ("accounts", _count("subject_count", w["account"], w["accounts"])),
        ("posts", _count("event_count", w["post"], w["posts"])),
        ("identity_limit", "format('{:,}', max_accounts_per_identity)"),
        ("party", f"coalesce(destination_party, {w['unnamed_party']})"),
    ]
    sql = template
    for placeholder, value in fills:
        sql = f"replace({sql},\n        '{{{placeholder}}}', {value})"
    return sql
