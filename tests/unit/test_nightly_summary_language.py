"""The nightly summary a Chinese operator reads is Chinese: the exit reason, each file's
status, the exposure total row and the last run in `auditpipe status` (the values stay English
in --json, the log and the run record, which scripts read)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from auditpipe.i18n import using_language
from auditpipe.nightly.baseline import FindingChanges
from auditpipe.nightly.render import render_summary
from auditpipe.nightly.result import (
    INGESTED,
    MISSING,
    REJECTED,
    SKIPPED,
    UNREADABLE,
    UNSUPPORTED,
    WAITING,
    FileOutcome,
    NightlyResult,
)

STATUSES = (INGESTED, SKIPPED, REJECTED, WAITING, UNSUPPORTED, MISSING, UNREADABLE)
# Reasons nightly itself writes (ingest's rejection reasons are stored data, English).
REASONS = {
    WAITING: "its name says it is still being written",
    UNREADABLE: "no permission to read it",
    MISSING: "it left the inbox after the scan (renamed or removed)",
}

ENGLISH = re.compile(
    r"\b(exit|new finding|at or above|all \d|serious|clean|row\(s\)|still|permission|inbox)\b"
)


def _result(new_high: int, quarantined: int) -> NightlyResult:
    result = NightlyResult(
        run_id="nightly-1",
        night=dt.date(2026, 3, 4),
        lake="lake",
        inbox="inbox",
        reports_dir="reports",
        fail_on="high",
        started_at="2026-03-04T00:00:00+00:00",
        files=[
            FileOutcome(
                path=f"{status}.jsonl",
                status=status,
                rows_quarantined=quarantined,
                reason=REASONS.get(status),
            )
            for status in STATUSES
        ],
        days_evaluated=[dt.date(2026, 3, 3)],
        changes=FindingChanges(new_by_severity={"high": new_high}),
        exposure=[
            {"provider_id": p, "finding_count": 1, "records_affected": 1, "serious": False}
            for p in ("forum-a", "isp-c")
        ],
        exposure_total={
            "providers": 2,
            "finding_count": 2,
            "records_affected": 2,
            "illegal_proceeds_cny": "0",
            "serious_providers": 1,
        },
    )
    result.decide_exit_code()
    return result


@pytest.mark.parametrize(("new_high", "quarantined"), [(2, 0), (0, 3), (0, 0)])
def test_the_nightly_summary_in_chinese_has_no_english_words(
    new_high: int, quarantined: int, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _result(new_high, quarantined)
    with using_language("zh-CN"):
        render_summary(result)
    out = capsys.readouterr().out
    assert ENGLISH.findall(out) == [], out
    for status in STATUSES:
        assert f"│ {status} " not in out, out
    reason = out.splitlines()[0].split("退出码", 1)[1]
    assert not re.search("[a-z]{3}", reason), reason
    # The stored reason, which --json, the log and status --json carry, stays English.
    assert result.to_dict()["exit_reason"] == result.exit_reason
    assert re.fullmatch(r"[ -~]+", result.exit_reason)


def test_status_says_the_last_runs_outcome_in_chinese() -> None:
    """`auditpipe status` reads the run record's summary (its exit_reason is English, stored):
    the words it prints come from the summary's numbers."""
    from auditpipe.lake.runs import run_status_word
    from auditpipe.status import exit_reason_words

    summary = _result(2, 0).to_dict()
    with using_language("zh-CN"):
        assert run_status_word("completed") == "已完成"
        words = exit_reason_words(summary)
    assert words is not None and "2" in words and not re.search("[a-z]{3}", words), words
    assert exit_reason_words({"exit_code": 1}) is None  # an older record: the stored reason
