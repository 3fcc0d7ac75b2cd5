"""The report on a terminal: rich tables, coloured by severity, at most 100 columns wide."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from ...console import visible
from ...i18n import _
from ..model import Report, Tally
from . import real_name as rn
from .common import (
    SEVERITY_ORDER,
    SEVERITY_STYLES,
    actor_type_word,
    all_providers,
    amount,
    category_label,
    cny,
    consequences_line,
    count,
    coverage_rows,
    day,
    evidence_line,
    finding_numbers,
    fine_range_text,
    heading,
    listed,
    masking_note,
    period_title,
    provenance_lines,
    records_affected,
    seen_line,
    serious_because,
    serious_count,
    severity_short,
    severity_word,
    yes_no,
)
from .tables import Cells, exposure_proceeds
from .tables import Table as SharedTable

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
        # Providers, actors and file names come from the data: read as markup, a provider
        # named "x[/]y" stopped the report (MarkupError) and "[red]z" was shown as "z".
        markup=False,
    )
    for block in _blocks(report):
        _keep_numbers_whole(block, console)
        console.print(block)
    # Trailing blanks carry nothing on a terminal, and rich versions differ in them (rich 15
    # keeps the space at a wrapped line's end, 14 dropped it): cut them so the text is stable.
    return "\n".join(line.rstrip(" ") for line in buffer.getvalue().split("\n"))


def _keep_numbers_whole(block: RenderableType, console: Console) -> None:
    """Lay a table out so that no number is split across lines. Where rich, squeezing a table
    into the width, would fold a number (``200,000,000,000,000.0`` over ``0`` reads as two
    numbers), the columns get widths of their own: each number column at least as wide as its
    longest word (amounts, ``to``, a currency), the text columns (names, words) narrowed
    instead, to their longest word first, then further. Tables rich lays out without
    splitting a number are left as rich lays them out."""
    from rich.cells import cell_len
    from rich.table import Table

    if not isinstance(block, Table) or not block.columns:
        return
    columns = block.columns
    try:  # rich's own layout, through methods it does not promise to keep
        pads = [block._get_padding_width(i) for i in range(len(columns))]
        inner = console.options.max_width - block._extra_width  # as rich's Table lays itself out
        laid = block._calculate_column_widths(console, console.options.update_width(inner))
    except (AttributeError, TypeError):  # a rich that lays tables out otherwise: its layout
        return
    texts = [[str(column.header)] + [str(cell) for cell in column.cells] for column in columns]
    natural = [max(cell_len(line) for t in ts for line in t.split("\n")) for ts in texts]
    word = [max((cell_len(w) for t in ts for w in t.split()), default=1) for ts in texts]
    number = [column.justify == "right" for column in columns]
    if all(w - p >= word[i] for i, (w, p) in enumerate(zip(laid, pads, strict=True)) if number[i]):
        return
    room = inner - sum(pads)
    widths = list(natural)
    for floors in (
        [word[i] for i in range(len(columns))],
        [word[i] if number[i] else min(word[i], _NARROWEST) for i in range(len(columns))],
    ):
        while sum(widths) > room:
            slack = [widths[i] - floors[i] for i in range(len(columns))]
            i = max(range(len(columns)), key=lambda k: (slack[k], not number[k]))
            if slack[i] <= 0:
                break
            widths[i] -= min(slack[i], sum(widths) - room)
        if sum(widths) <= room:
            break
    else:
        return  # not even the numbers alone fit: leave the table to rich
    for column, width in zip(columns, widths, strict=True):
        column.width = width


# The narrowest a text column is made to let the numbers beside it stay whole.
_NARROWEST = 4


def _severity(severity: str) -> RenderableType:
    from rich.text import Text

    return Text(severity_word(severity).upper(), style=SEVERITY_STYLES.get(severity, ""))


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


def _add_row(table: Table, *cells: RenderableType, style: str | None = None) -> None:
    """A row whose texts are shown as they are: never read as rich markup (a provider's id
    "[/]" would fail the report, "[red]" restyle it) and with characters that would act on the
    terminal (ESC sequences, carriage returns, bidirectional overrides) spelled out."""
    from rich.text import Text

    table.add_row(*(Text(visible(c)) if isinstance(c, str) else c for c in cells), style=style)


def _blocks(report: Report) -> list[RenderableType]:
    from rich.text import Text

    blocks: list[RenderableType] = []
    head = Text()
    head.append(_("auditpipe report"), style="bold")
    head.append(f"  {visible(period_title(report))}\n")
    head.append(visible(heading(report, report.lake)) + "\n", style="dim")
    head.append(masking_note(report), style="dim" if report.masked else "bold red")
    blocks.append(head)
    blocks.append(_coverage(report))
    blocks.append(_providers(report))
    blocks.extend(_findings_summary(report))
    blocks.extend(_top(report))
    blocks.extend(_exposure(report))
    blocks.extend(_real_name(report))
    blocks.extend(_findings(report))
    if report.notes:
        notes = Text("\n" + _("Notes") + "\n", style="bold")
        for note in report.notes:
            notes.append(f"- {visible(note)}\n", style="")
        blocks.append(notes)
    blocks.append(_provenance(report))
    return blocks


def _coverage(report: Report) -> RenderableType:
    c = report.coverage
    table = _table("\n" + _("Data covered"), ("", "left"), ("", "left"))
    table.show_header = False
    for label, value in coverage_rows(report, ", ".join(c.providers)):
        _add_row(table, label, value)
    return table


def _from_table(title: str, table: SharedTable) -> Table:
    """A table the formats share (``render.tables.Table``) as a rich table."""
    out = _table(
        title,
        *((h, "right" if i in table.numeric else "left") for i, h in enumerate(table.headers)),
    )
    for row in table.rows:
        _add_row(out, *row)
    return out


_PLAIN = Cells(text=str, code=str, category=category_label, severity=str.upper, separator=", ")


def _real_name(report: Report) -> list[RenderableType]:
    from rich.text import Text

    if not report.real_name:
        return []
    blocks: list[RenderableType] = [
        Text(f"\n{_(rn.TITLE)}", style="bold"),
        Text(_(rn.INTRO), style="dim"),
        _from_table("", rn.overview_table(report, _PLAIN)),
    ]
    for section in report.real_name:
        blocks.append(Text(f"\n{visible(section.provider_id)}", style="bold"))
        note = rn.provider_note(section)
        if note:
            blocks.append(Text(visible(note), style="dim"))
        for title, table in rn.provider_tables(section, _PLAIN):
            blocks.append(_from_table(title, table))
    return blocks


def _providers(report: Report) -> RenderableType:
    table = _table(
        _("Per provider"),
        (_("Provider"), "left"),
        (_("Events"), "right"),
        (_("Records"), "right"),
        (_("Days"), "right"),
        (_("First day"), "left"),
        (_("Last day"), "left"),
        (_("Quarantined"), "right"),
    )
    for p in report.providers:
        _add_row(
            table,
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

    columns = [(first, "left"), (_("Findings"), "right"), (_("Events"), "right")]
    columns += [(_("Records"), "right"), (_("Proceeds (CNY)"), "right")]
    columns.extend((severity_short(s), "right") for s in SEVERITY_ORDER)
    table = _table(title, *columns)
    for t in tallies:
        _add_row(
            table,
            category_label(t.key) if label else t.key,
            count(t.findings),
            count(t.events),
            count(t.records),
            amount(t.proceeds_cny) if t.proceeds_cny else "-",
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
    line = Text("\n" + _("Findings: "), style="bold")
    line.append(
        _(
            "{findings} across {providers} provider(s); "
            "{events} evidence events, {records} records affected"
        ).format(
            findings=count(t.findings),
            providers=t.providers_with_findings,
            events=count(t.events),
            records=count(records_affected(report)),
        )
    )
    if t.proceeds_cny:
        line.append(_(", illegal proceeds {amount}").format(amount=cny(t.proceeds_cny)))
    blocks: list[RenderableType] = [line]
    if t.findings:
        blocks.append(_tally_table(_("By category"), _("Category"), report.by_category, label=True))
        blocks.append(
            _tally_table(_("By provider"), _("Provider"), report.by_provider, label=False)
        )
        blocks.append(Text(_("An event behind several findings counts once per row."), style="dim"))
    return blocks


def _top(report: Report) -> list[RenderableType]:
    blocks: list[RenderableType] = []
    if report.top_actors:
        table = _table(
            "\n" + _("Top actors"),
            (_("Provider"), "left"),
            (_("Actor"), "left"),
            (_("Type"), "left"),
            (_("Findings"), "right"),
            (_("Records"), "right"),
            (_("Categories"), "left"),
            (_("Worst"), "left"),
        )
        for a in report.top_actors:
            _add_row(
                table,
                a.provider_id,
                a.actor_id or "-",
                actor_type_word(a.actor_type, "-"),
                count(a.findings),
                count(a.records),
                _(", ").join(category_label(c) for c in a.categories),
                _severity(a.top_severity),
            )
        blocks.append(table)
    if report.top_parties:
        table = _table(
            _("Top destination parties"),
            (_("Party"), "left"),
            (_("Providers"), "left"),
            (_("Findings"), "right"),
            (_("Records"), "right"),
            (_("Proceeds (CNY)"), "right"),
            (_("Categories"), "left"),
            (_("Worst"), "left"),
        )
        for p in report.top_parties:
            _add_row(
                table,
                p.destination_party,
                ", ".join(p.providers),
                count(p.findings),
                count(p.records),
                amount(p.proceeds_cny) if p.proceeds_cny else "-",
                _(", ").join(category_label(c) for c in p.categories),
                _severity(p.top_severity),
            )
        blocks.append(table)
    return blocks


def _exposure(report: Report) -> list[RenderableType]:
    from rich.text import Text

    if not report.exposure:
        return []
    table = _table(
        "\n" + _("Penalty exposure per provider"),
        (_("Provider"), "left"),
        (_("Findings"), "right"),
        (_("Records"), "right"),
        (_("Proceeds (CNY)"), "right"),
        (_("Fine range (CNY)"), "right"),
        (_("Serious"), "left"),
    )
    details = Text()
    for e in report.exposure:
        _add_row(
            table,
            e.provider_id,
            count(e.finding_count),
            count(e.records_affected),
            exposure_proceeds(e.illegal_proceeds_cny, e.unconverted_amounts),
            fine_range_text(e.fine_min_cny, e.fine_max_cny),
            Text(yes_no(e.serious), style="bold red" if e.serious else ""),
        )
        details.append(f"{visible(e.provider_id)}: ", style="bold")
        details.append(visible(e.fine_basis) + "\n")
        if e.serious_reasons:
            details.append("  " + serious_because(e.serious_reasons) + "\n")
        details.append("  " + consequences_line(e.consequences) + "\n")
    t = report.exposure_total
    table.add_section()
    _add_row(
        table,
        all_providers(t.providers),
        count(t.finding_count),
        count(t.records_affected),
        exposure_proceeds(t.illegal_proceeds_cny, t.unconverted_amounts),
        fine_range_text(t.fine_min_cny, t.fine_max_cny),
        serious_count(t.serious_providers),
        style="bold",
    )
    details.append(report.caveat, style="bold yellow")
    return [table, details]


def _provenance(report: Report) -> RenderableType:
    """In brief: what the report was computed from (json and markdown list all of it)."""
    from rich.text import Text

    text = Text("\n" + _("Provenance") + "\n", style="bold")
    for line in provenance_lines(report):
        text.append(visible(line) + "\n", style="dim")
    return text


def _findings(report: Report) -> list[RenderableType]:
    from rich.text import Text

    shown, left_out = listed(report)
    if not report.findings:
        return []
    head = Text(
        "\n" + _("Findings ({n})").format(n=count(len(report.findings))) + "\n", style="bold"
    )
    head.append(_("Every evidence event of a finding: "), style="dim")
    head.append(visible(report.evidence_sql_template), style="dim")
    blocks: list[RenderableType] = [head]
    for f in shown:
        block = Text()
        block.append(
            f" {severity_word(f.severity).upper()} ", style=SEVERITY_STYLES.get(f.severity, "")
        )
        block.append(
            visible(
                f" {category_label(f.category)} · {f.rule_id} · {f.provider_id} · {f.event_date}"
            ),
            style="bold",
        )
        block.append(f"  {visible(f.finding_id)}\n", style="dim")
        block.append(f"  {visible(f.summary)}\n")
        actor = f"{f.actor_id or '-'} ({actor_type_word(f.actor_type)})"
        party = f" -> {f.destination_party}" if f.destination_party else ""
        block.append(f"  {visible(actor + party)}; {finding_numbers(f)}\n", style="")
        block.append("  " + seen_line(f) + "\n", style="dim")
        block.append("  " + _("evidence: {ids}").format(ids=visible(evidence_line(f))), style="dim")
        blocks.append(block)
    if left_out:
        blocks.append(
            Text(
                "\n"
                + _(
                    "{n} more finding(s) not listed here: --format csv or json lists every finding."
                ).format(n=count(left_out)),
                style="bold",
            )
        )
    return blocks


def render_console(report: Report, console: Console) -> None:
    """Print straight to a rich console (keeps its width, colour and NO_COLOR handling)."""
    for block in _blocks(report):
        _keep_numbers_whole(block, console)
        console.print(block)
