"""The nightly summary for people: a few lines and tables on stdout (``--json`` prints
``NightlyResult.to_dict()`` instead)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ..console import printable
from ..i18n import N_, _, ngettext
from ..lake.layout import lake_arg
from ..penalty import CAVEAT, NO_FINE, amount_text
from ..vocabulary import SEVERITIES
from .result import (
    INGESTED,
    MISSING,
    REJECTED,
    SKIPPED,
    UNREADABLE,
    UNSUPPORTED,
    WAITING,
    NightlyResult,
    exit_reason_words,
    status_word,
)


def _by_severity(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "0"
    from ..report.render.common import severity_word

    parts = _(", ").join(
        f"{severity_word(s)} {counts[s]:,}" for s in reversed(SEVERITIES) if counts.get(s)
    )
    return f"{total:,} ({parts})"


def _fine_range(doc: dict[str, Any]) -> str:
    """``min-max`` of an exposure document, or that no fine applies (real-name findings only)."""
    if doc.get("fine_min_cny") is None or doc.get("fine_max_cny") is None:
        return _(NO_FINE)
    return f"{_money(doc['fine_min_cny'])}-{_money(doc['fine_max_cny'])}"


def _proceeds(doc: dict[str, Any]) -> str:
    """The proceeds in CNY, and those without a CNY rate when there are any (``0 + 2.25 XAU``):
    a provider paid only in such a currency never reads as one without proceeds."""
    text = _money(doc.get("illegal_proceeds_cny", 0))
    other = doc.get("unconverted_amounts") or {}
    if other:
        text += " + " + ", ".join(
            f"{amount_text(Decimal(str(a)))} {c}" for c, a in sorted(other.items())
        )
    return text


def _money(value: Any) -> str:
    """Whole yuan without decimals (fines are), else two decimals."""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def render_summary(result: NightlyResult) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..console import get_console, visible

    out = get_console()
    head = Text(f"auditpipe nightly {result.night}", style="bold")
    head.append(
        f" ({result.run_id}): "
        + _("exit {code}, {reason}").format(
            code=result.exit_code,
            reason=exit_reason_words(result.to_dict()) or result.exit_reason,
        )
    )
    out.print(head)
    if result.resumed_runs:
        out.print(
            _("Completed the work of earlier run(s) that did not finish: {runs}").format(
                runs=", ".join(result.resumed_runs)
            )
        )
    counts = [
        (INGESTED, N_("{n} ingested")),
        (SKIPPED, N_("{n} already in the lake")),
        (REJECTED, N_("{n} rejected")),
        (WAITING, N_("{n} waiting (still being written)")),
        (UNSUPPORTED, N_("{n} not log files")),
        (UNREADABLE, N_("{n} unreadable")),
        (MISSING, N_("{n} missing")),
    ]
    files = _(", ").join(
        _(label).format(n=result.count(s)) for s, label in counts if result.count(s)
    )
    moved = _("; {n} moved to processed/").format(n=result.moved) if result.moved else ""
    out.print(_("Files: {files}{moved}").format(files=files or _("none in the inbox"), moved=moved))
    out.print(
        _(
            "Rows: {read} read = {stored} stored + {quarantined} quarantined + {duplicate} duplicate"
        ).format(
            read=f"{result.rows_read:,}",
            stored=f"{result.rows_stored:,}",
            quarantined=f"{result.rows_quarantined:,}",
            duplicate=f"{result.rows_duplicate:,}",
        )
    )
    notable = [
        f
        for f in result.files
        if f.status in (INGESTED, REJECTED, MISSING, UNSUPPORTED, UNREADABLE)
    ]
    if notable:
        table = Table(title_justify="left")
        columns = [
            (_("file"), "left"),
            (_("status"), "left"),
            (_("read"), "right"),
            (_("stored"), "right"),
            (_("quarantined"), "right"),
            (_("duplicate"), "right"),
        ]
        for col, justify in columns:
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for f in notable:
            status = status_word(f.status) + (_(" (resumed)") if f.resumed else "")
            table.add_row(
                Text(printable(f.path)),  # a name is neither markup nor escapes
                status,
                f"{f.rows_read:,}",
                f"{f.rows_stored:,}",
                f"{f.rows_quarantined:,}",
                f"{f.rows_duplicate:,}",
            )
        out.print(table)
    for f in result.files:
        if f.status in (REJECTED, MISSING, WAITING, UNREADABLE) and f.reason:
            # a reason nightly wrote is in the catalog; ingest's rejection reasons are stored
            # data and stay English (the lookup leaves them as they are)
            line = f"  {status_word(f.status)}: {printable(f.path)}: {_(f.reason)}"
            out.print(visible(line), markup=False)
        if f.status == UNSUPPORTED:
            # what the file is and how to take it in, as a folder ingest's warning says
            from ..ingest.sources import skipped_advice

            what, todo = skipped_advice(Path(f.path))
            line = _("  {status}: {path}: {what} ({todo})").format(
                status=status_word(f.status), path=printable(f.path), what=what, todo=todo
            )
            out.print(visible(line), markup=False)
        if f.duplicates_of_another_day:
            from ..ingest.messages import event_ids_reused

            text = f"  {printable(f.path)}: {event_ids_reused(f.duplicates_of_another_day)}"
            out.print(visible(text), markup=False)
        if f.move_error:
            out.print(
                visible(
                    _("  not moved to processed/: {path}: {error}").format(
                        path=printable(f.path), error=f.move_error
                    )
                ),
                markup=False,
            )
    if result.days_evaluated:
        days = ", ".join(d.isoformat() for d in result.days_evaluated)
        out.print(_("Days evaluated: {days}").format(days=days))
        changes = result.changes
        out.print(
            _("Findings: new {new}; updated {updated}; removed {removed}").format(
                new=_by_severity(changes.new_by_severity),
                updated=_by_severity(changes.updated_by_severity),
                removed=f"{changes.removed:,}",
            )
        )
    elif result.days_pruned:
        out.print(_("Days evaluated: none"))
    else:
        out.print(_("Days evaluated: none (no new events)"))
    if result.days_pruned:
        from ..detect.render import days_pruned_text

        # Late events of days retention pruned: stored, but their days are left as they were.
        out.print(days_pruned_text(result.days_pruned, result.retention_cutoff))
    if result.exposure:
        table = Table(title=_("Exposure per provider (days evaluated)"), title_justify="left")
        headers = (
            _("provider"),
            _("findings"),
            _("records"),
            _("proceeds CNY"),
            _("fine range CNY"),
            _("serious"),
        )
        for n, col in enumerate(headers):
            table.add_column(col, justify="left" if n == 0 else "right")
        for e in result.exposure:
            table.add_row(
                Text(printable(str(e.get("provider_id")))),  # the data's, not markup
                f"{int(e.get('finding_count') or 0):,}",
                f"{int(e.get('records_affected') or 0):,}",
                _proceeds(e),
                _fine_range(e),
                _("yes") if e.get("serious") else _("no"),
            )
        t = result.exposure_total
        if t and len(result.exposure) > 1:
            table.add_section()
            table.add_row(
                ngettext("all {n} provider", "all {n} providers", t["providers"]).format(
                    n=t["providers"]
                ),
                f"{int(t['finding_count']):,}",
                f"{int(t['records_affected']):,}",
                _proceeds(t),
                _fine_range(t),
                ngettext("{n} serious", "{n} serious", t["serious_providers"]).format(
                    n=t["serious_providers"]
                ),
                style="bold",
            )
        out.print(table)
        out.print(_(CAVEAT))
    if result.reports:
        out.print(_("Reports:"))
        for path in result.reports:
            out.print(f"  {printable(path)}", markup=False)
    if result.rows_quarantined:
        out.print(
            _("Quarantined rows: {command}").format(
                command=f"auditpipe sql {lake_arg(result.lake)} "
                '"SELECT source_file, line_number, reason FROM quarantine"'
            ),
            markup=False,
        )
