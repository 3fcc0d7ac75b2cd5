"""A finding's summary: the SQL that fills a template (detect's English, a report's other
language) against a plain Python reading of the same rules, and rule headers that give a
title and summary in another language."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditpipe.detect.rules import SUMMARY_PLACEHOLDERS, RuleError, parse_rule_text, read_rules
from auditpipe.detect.summary import ENGLISH, SummaryWords, fill_sql, phrase_columns_sql
from auditpipe.i18n import using_language
from auditpipe.penalty import amount_text

PROTECTED = ["login", "identity"]
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def cents(amount: Decimal) -> str:
    """An amount as a summary writes it: to the cent, half up, as the penalty rounds."""
    return f"{amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def reference(template: str, w: SummaryWords, row: dict[str, Any]) -> str:
    """The summary as the docs describe it, in Python, one finding at a time."""
    actors = {
        "employee": w.employee,
        "partner": w.partner,
        "service": w.service,
        "subject": w.subject,
    }
    classes = [c for c in row["protected_classes"] if c in (row["data_classes"] or [])]
    named = []
    for c in classes:
        if c == "login":
            named.append(w.credentials if row["has_credential"] else w.login)
        elif c == "identity":
            named.append(w.identity)
        else:
            named.append(w.other_class.replace("{class}", c))
    cny = w.cny.replace("{amount}", cents(row["proceeds_cny"])) if row["proceeds_cny"] > 0 else None
    # amounts without a rate are not rounded: exact, two decimals unless more are needed
    other = w.joiner.join(f"{amount_text(a['amount'])} {a['currency']}" for a in row["unconverted"])
    if cny and other:
        proceeds = w.cny_plus_unconverted.replace("{cny}", cny).replace("{other}", other)
    elif cny:
        proceeds = cny
    elif other:
        proceeds = w.unconverted_only.replace("{other}", other)
    else:
        proceeds = w.no_payment

    def count(n: int, one: str, many: str) -> str:
        return (one if n == 1 else many).replace("{n}", f"{n:,}")

    threshold = w.records.replace("{n}", f"{row['bulk_threshold']:,}")
    fills = [
        ("actor", actors.get(row["actor_type"], w.other_actor)),
        ("data", w.joiner.join(named) or w.no_class),
        ("records", count(row["record_count"], w.record, w.records)),
        ("events", count(row["event_count"], w.event, w.events)),
        ("subjects", count(row["subject_count"], w.user, w.users)),
        ("proceeds", proceeds),
        ("date", row["event_date"]),
        ("bulk_threshold", threshold),
        (
            "bulk_reason",
            (
                w.bulk_reached if row["record_count"] >= row["bulk_threshold"] else w.bulk_unbounded
            ).replace("{threshold}", threshold),
        ),
        ("accounts", count(row["subject_count"], w.account, w.accounts)),
        ("posts", count(row["event_count"], w.post, w.posts)),
        ("identity_limit", f"{row['max_accounts_per_identity']:,}"),
        ("party", row["destination_party"] or w.unnamed_party),
    ]
    text = template
    for name, value in fills:
        text = text.replace("{" + name + "}", value)
    return text


CON = duckdb.connect()


def sql_summaries(
    templates: list[str], words: SummaryWords, rows: list[dict[str, Any]]
) -> list[str]:
    """The summaries ``fill_sql`` gives for each template and each of ``rows`` (templates
    outermost), in one query."""
    pairs = [(t, r) for t in templates for r in rows]
    rows = [r for _, r in pairs]
    table = pa.table(
        {
            "i": pa.array(range(len(rows)), pa.int64()),
            "actor_type": pa.array([r["actor_type"] for r in rows], pa.string()),
            "data_classes": pa.array([r["data_classes"] for r in rows], pa.list_(pa.string())),
            "has_credential": pa.array([r["has_credential"] for r in rows], pa.bool_()),
            "protected_classes": pa.array(
                [r["protected_classes"] for r in rows], pa.list_(pa.string())
            ),
            "proceeds_cny": pa.array([r["proceeds_cny"] for r in rows], pa.decimal128(18, 2)),
            "unconverted_amounts": pa.array(
                [r["unconverted"] for r in rows],
                pa.list_(pa.struct([("currency", pa.string()), ("amount", pa.decimal128(18, 4))])),
            ),
            "record_count": pa.array([r["record_count"] for r in rows], pa.int64()),
            "event_count": pa.array([r["event_count"] for r in rows], pa.int64()),
            "subject_count": pa.array([r["subject_count"] for r in rows], pa.int64()),
            "event_date": pa.array([r["event_date"] for r in rows], pa.string()),
            "bulk_threshold": pa.array([r["bulk_threshold"] for r in rows], pa.int64()),
            "max_accounts_per_identity": pa.array(
                [r["max_accounts_per_identity"] for r in rows], pa.int64()
            ),
            "destination_party": pa.array([r["destination_party"] for r in rows], pa.string()),
            "template": pa.array([t for t, _ in pairs], pa.string()),
        }
    )
    CON.register("rows_in", table)
    found = CON.execute(
        f"""
        SELECT {fill_sql(words, "template")}
        FROM (SELECT *, {phrase_columns_sql(words)} FROM rows_in)
        ORDER BY i
        """
    ).fetchall()
    CON.unregister("rows_in")
    return [r[0] for r in found]


NAMES = st.text(alphabet="abc-{}_ 张", min_size=1, max_size=12)
ROWS = st.fixed_dictionaries(
    {
        "actor_type": st.sampled_from(["employee", "partner", "service", "subject", "unknown"])
        | st.none(),
        "data_classes": st.none()
        | st.lists(st.sampled_from(["login", "identity", "contact", "{party}"]), max_size=3),
        "has_credential": st.booleans(),
        "protected_classes": st.sampled_from(
            [PROTECTED, ["login"], ["identity", "contact"], ["contact", "{party}"], []]
        ),
        "proceeds_cny": st.sampled_from(
            # the last beyond a double's 15-16 digits: formatting through one lost its cent
            [Decimal("0"), Decimal("0.50"), Decimal("1234567.89"), Decimal("99999999999999.99")]
        ),
        "unconverted": st.lists(
            st.fixed_dictionaries(
                {
                    "currency": st.sampled_from(["USD", "EUR"]),
                    # half a cent: 2.675 is 2.67499... as a double
                    "amount": st.sampled_from(
                        [Decimal("12.5000"), Decimal("1000000.2500"), Decimal("2.6750")]
                        + [Decimal("1.0050"), Decimal("0.1250"), Decimal("0.0049")]
                        + [Decimal("99999999999999.9999")]
                    ),
                }
            ),
            max_size=2,
        ),
        "record_count": st.sampled_from([1, 2, 1000, 1234567]),
        "event_count": st.sampled_from([1, 3, 10000]),
        "subject_count": st.sampled_from([1, 7]),
        "event_date": st.just("2026-03-01"),
        "bulk_threshold": st.sampled_from([1, 1000]),
        "max_accounts_per_identity": st.sampled_from([1, 5, 12000]),
        "destination_party": st.none() | NAMES,
    }
)
# Every placeholder twice, with text between; a template of a built-in rule is one of these.
EVERY_PLACEHOLDER = " / ".join("{" + p + "}" for p in SUMMARY_PLACEHOLDERS * 2) + "."


def chinese_words() -> SummaryWords:
    with using_language("zh-CN"):
        return ENGLISH.translated()


RULES = read_rules()
ZH = chinese_words()


@given(rows=st.lists(ROWS, min_size=1, max_size=8))
def test_the_sql_fills_a_template_as_the_reference_does_in_english_and_chinese(
    rows: list[dict[str, Any]],
) -> None:
    english = [EVERY_PLACEHOLDER, *(r.summary for r in RULES)]
    assert sql_summaries(english, ENGLISH, rows) == [
        reference(t, ENGLISH, r) for t in english for r in rows
    ]
    chinese = [EVERY_PLACEHOLDER, *(str(r.localized("summary", "zh-CN")) for r in RULES)]
    assert sql_summaries(chinese, ZH, rows) == [reference(t, ZH, r) for t in chinese for r in rows]


def test_the_chinese_words_are_translated_and_keep_their_placeholders() -> None:
    zh = chinese_words()
    for name, english in vars(ENGLISH).items():
        chinese = getattr(zh, name)
        assert chinese != english, name
        assert sorted(PLACEHOLDER.findall(chinese)) == sorted(PLACEHOLDER.findall(english)), name


def test_every_built_in_rule_has_a_chinese_title_and_summary_saying_as_much() -> None:
    for rule in read_rules():
        title, summary = rule.localized("title", "zh-CN"), rule.localized("summary", "zh-CN")
        assert title and summary and title != rule.title, rule.id
        # the same facts: every placeholder of the English summary, and no other
        assert set(PLACEHOLDER.findall(summary)) == set(PLACEHOLDER.findall(rule.summary)), rule.id
        assert rule.localized("summary", "en") == rule.summary


def test_every_built_in_rule_says_its_clause_description_and_false_positives_in_chinese() -> None:
    """A compliance officer reading Chinese acts on the clause a finding enforces: the
    built-in rules give it, their description and their false positives in Chinese."""
    for rule in read_rules():
        for key in ("clause", "description", "false_positives"):
            chinese = rule.localized(key, "zh-CN")
            assert chinese and re.search("[\u4e00-\u9fff]", chinese), (rule.id, key)
            assert rule.localized(key, "en") == getattr(rule, key)


RULE = """\
-- id: my_rule
-- title: My rule
-- title.zh-CN: 我的规则
-- category: disclosure
-- severity: low
-- clause: c
-- description: d
-- summary: {actor} did it on {date}.
-- summary.zh-cn: {actor}于 {date}（{title}）。
SELECT * FROM in_scope_events
"""


def test_a_header_gives_a_title_and_summary_in_another_language() -> None:
    rule = parse_rule_text(RULE, Path("my_rule.sql"))
    assert rule.title == "My rule" and rule.summary == "{actor} did it on {date}."
    assert rule.localized("title", "zh-CN") == "我的规则"
    # the language is spelled as auditpipe spells it; {title} is the title in that language
    assert rule.localized("summary", "zh-CN") == "{actor}于 {date}（我的规则）。"


def test_a_rule_without_a_translation_has_none() -> None:
    text = "\n".join(line for line in RULE.splitlines() if ".zh-" not in line) + "\n"
    rule = parse_rule_text(text, Path("my_rule.sql"))
    assert rule.localized("summary", "zh-CN") is None
    assert rule.localized("title", "zh-CN") is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("summary.zh-cn:", "summary.fr:", "'summary.fr' is not a header key"),
        ("summary.zh-cn:", "summary.en:", "'summary.en' is not a header key"),
        ("summary.zh-cn:", "category.zh-CN:", "'category.zh-CN' is not a header key"),
        ("{actor}于 {date}", "{actor}于 {when}", "unknown placeholder(s) {when}"),
        ("-- category", "-- title.zh-CN: 再一次\n-- category", "'title.zh-CN' is given twice"),
    ],
)
def test_a_bad_translated_header_line_is_a_clear_error(old: str, new: str, message: str) -> None:
    assert old in RULE
    text = RULE.replace(old, new)
    with pytest.raises(RuleError) as caught:
        parse_rule_text(text, Path("my_rule.sql"))
    assert message in str(caught.value)
