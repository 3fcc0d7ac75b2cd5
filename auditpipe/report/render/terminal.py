"""The report on a terminal: rich tables, coloured by severity, at most 100 columns wide."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from ..model import Report, Tally
from .common import (
    MASKED_NOTE,
    SEVERITY_ORDER,
    SEVERITY_STYLES,
    UNMASKED_NOTE,
    category_label,
    cny,
    count,
    day,
    evidence_line,
    finding_numbers,
    generated,
    listed,
    moment,
    period_title,
    unconverted,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

MAX_WIDTH = 100


def render_terminal(report: Report, *, width: int | None = None, color: bool = False) -> str:
    """The report as text for a terminal of ``width`` columns (capped at 100)."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=min(width or MAX_WIDTH, MAX_WIDTH),
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    for block in _blocks(report):
        console.print(block)
    return buffer.getvalue()


def _severity(severity: str) -> RenderableType:
    from rich.text import Text

    return Text(severity.upper(), style=SEVERITY_STYLES.get(severity, ""))


def _table(title: str, *columns: tuple[str, str]) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        expand=False,
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    return table


def _blocks(report: Report) -> list[RenderableType]:
    from rich.text import Text

    blocks: list[RenderableType] = []
    head = Text()
    head.append("auditpipe report", style="bold")
    head.append(f"  {period_title(report)}\n")
    head.append(
        f"Lake {report.lake} · timezone {report.timezone} · generated {generated(report)}\n",
        style="dim",
    )
    if report.masked:
        head.append(MASKED_NOTE, style="dim")
    else:
        head.append(UNMASKED_NOTE, style="bold red")
    blocks.append(head)
    blocks.append(_coverage(report))
    blocks.append(_providers(report))
    blocks.extend(_findings_summary(report))
    blocks.extend(_top(report))
    blocks.extend(_exposure(report))
    blocks.extend(_findings(report))
    if report.notes:
        notes = Text("\nNotes\n", style="bold")
        for note in report.notes:
            notes.append(f"- {note}\n", style="")
        blocks.append(notes)
    return blocks


def _coverage(report: Report) -> RenderableType:
    c = report.coverage
    table = _table("\nData covered", ("", "left"), ("", "left"))
    table.show_header = False
    table.add_row(
        "Events", f"{count(c.events)} ({count(c.records)} records; {count(c.failed_events)} failed)"
    )
    table.add_row("Providers", f"{len(c.providers)}: {', '.join(c.providers)}")
    table.add_row("Days with events", f"{c.days_with_events} of {report.period.days}")
    table.add_row("First / last event", f"{moment(c.first_event)} / {moment(c.last_event)}")
    table.add_row(
        "Quarantined rows",
        f"{count(c.quarantined_rows)} from the files behind these events "
        f"({count(c.quarantined_rows_lake)} in the lake)",
    )
    table.add_row(
        "Files (whole lake)",
        f"{count(c.files_ingested)} ingested, {count(c.files_rejected)} rejected",
    )
    return table


def _providers(report: Report) -> RenderableType:
    table = _table(
        "Per provider",
        ("Provider", "left"),
        ("Events", "right"),
        ("Records", "right"),
        ("Days", "right"),
        ("First day", "left"),
        ("Last day", "left"),
        ("Quarantined", "right"),
    )
    for p in report.providers:
        table.add_row(
            p.provider_id,
            count(p.events),
            count(p.records),
            str(p.days_with_events),
            day(p.first_event_date),
            day(p.last_event_date),
            count(p.quarantined_rows),
        )
    return table


def _tally_table(title: str, first: str, tallies: list[Tally], label: bool) -> Table:
    from rich.text import Text

    columns = [(first, "left"), ("Findings", "right"), ("Events", "right"), ("Records", "right")]
    columns.append(("Proceeds (CNY)", "right"))
    columns.extend((s.capitalize()[:4] + ".", "right") for s in SEVERITY_ORDER)
    table = _table(title, *columns)
    for t in tallies:
        table.add_row(
            category_label(t.key) if label else t.key,
            count(t.findings),
            count(t.events),
            count(t.records),
            f"{t.proceeds_cny:,}" if t.proceeds_cny else "-",
            *(
                Text(count(t.by_severity[s]), style=SEVERITY_STYLES[s])
                if t.by_severity.get(s)
                else Text("-", style="dim")
                for s in SEVERITY_ORDER
            ),
        )
    return table


def _findings_summary(report: Report) -> list[RenderableType]:
    from rich.text import Text

    t = report.totals
    line = Text("\nFindings: ", style="bold")
    line.append(
        f"{count(t.findings)} across {t.providers_with_findings} provider(s); "
        f"{count(t.events)} evidence events, {count(t.records)} records affected"
    )
    if t.proceeds_cny:
        line.append(f", illegal proceeds {cny(t.proceeds_cny)}")
    blocks: list[RenderableType] = [line]
    if t.findings:
        blocks.append(_tally_table("By category", "Category", report.by_category, label=True))
        blocks.append(_tally_table("By provider", "Provider", report.by_provider, label=False))
        blocks.append(
            Text(
                "An event behind several findings counts once per row.",
                style="dim",
            )
        )
    return blocks


def _top(report: Report) -> list[RenderableType]:
    blocks: list[RenderableType] = []
    if report.top_actors:
        table = _table(
            "\nTop actors",
            ("Provider", "left"),
            ("Actor", "left"),
            ("Type", "left"),
            ("Findings", "right"),
            ("Records", "right"),
            ("Categories", "left"),
            ("Worst", "left"),
        )
        for a in report.top_actors:
            table.add_row(
                a.provider_id,
                a.actor_id or "-",
                a.actor_type or "-",
                count(a.findings),
                count(a.records),
                ", ".join(category_label(c) for c in a.categories),
                _severity(a.top_severity),
            )
        blocks.append(table)
    if report.top_parties:
        table = _table(
            "Top destination parties",
            ("Party", "left"),
            ("Providers", "left"),
            ("Findings", "right"),
            ("Records", "right"),
            ("Proceeds (CNY)", "right"),
            ("Categories", "left"),
            ("Worst", "left"),
        )
        for p in report.top_parties:
            table.add_row(
                p.destination_party,
                ", ".join(p.providers),
                count(p.findings),
                count(p.records),
                f"{p.proceeds_cny:,}" if p.proceeds_cny else "-",
                ", ".join(category_label(c) for c in p.categories),
                _severity(p.top_severity),
            )
        blocks.append(table)
    return blocks


def _exposure(report: Report) -> list[RenderableType]:
    from rich.text import Text

    if not report.exposure:
        return []
    table = _table(
        "\nPenalty exposure per provider",
        ("Provider", "left"),
        ("Findings", "right"),
        ("Records", "right"),
        ("Proceeds (CNY)", "right"),
        ("Fine range (CNY)", "right"),
        ("Serious", "left"),
    )
    details = Text()
    for e in report.exposure:
        proceeds = f"{e.illegal_proceeds_cny:,}"
        if e.unconverted_amounts:
            proceeds += f" + {unconverted(e.unconverted_amounts)}"
        table.add_row(
            e.provider_id,
            count(e.finding_count),
            count(e.records_affected),
            proceeds,
            f"{e.fine_min_cny:,} to {e.fine_max_cny:,}",
            Text("yes", style="bold red") if e.serious else Text("no"),
        )
        details.append(f"{e.provider_id}: ", style="bold")
        details.append(e.fine_basis + "\n")
        if e.serious_reasons:
            details.append("  Serious because: " + "; ".join(e.serious_reasons) + ".\n")
        details.append("  Consequences: " + " ".join(e.consequences) + "\n")
    details.append(report.caveat, style="bold yellow")
    return [table, details]


def _findings(report: Report) -> list[RenderableType]:
    from rich.text import Text

    shown, left_out = listed(report)
    if not report.findings:
        return []
    head = Text(f"\nFindings ({count(len(report.findings))})\n", style="bold")
    head.append("Every evidence event of a finding: ", style="dim")
    head.append(report.evidence_sql_template, style="dim")
    blocks: list[RenderableType] = [head]
    for f in shown:
        block = Text()
        block.append(f" {f.severity.upper()} ", style=SEVERITY_STYLES.get(f.severity, ""))
        block.append(
            f" {category_label(f.category)} · {f.rule_id} · {f.provider_id} · {f.event_date}",
            style="bold",
        )
        block.append(f"  {f.finding_id}\n", style="dim")
        block.append(f"  {f.summary}\n")
        actor = f"{f.actor_id or '-'} ({f.actor_type or 'unknown'})"
        party = f" -> {f.destination_party}" if f.destination_party else ""
        block.append(f"  {actor}{party}; {finding_numbers(f)}\n", style="")
        block.append(f"  seen {moment(f.first_seen)} to {moment(f.last_seen)}\n", style="dim")
        block.append(f"  evidence: {evidence_line(f)}", style="dim")
        blocks.append(block)
    if left_out:
        blocks.append(
            Text(
                f"\n{count(left_out)} more finding(s) not listed here: "
                "--format csv or json lists every finding.",
                style="bold",
            )
        )
    return blocks


def render_console(report: Report, console: Console) -> None:
    """Print straight to a rich console (keeps its width, colour and NO_COLOR handling)."""
    for block in _blocks(report):
        console.print(block)
