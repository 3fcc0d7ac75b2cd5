"""``findings show``: one finding, the rule and clause behind it, and every evidence event.

``open_finding`` looks the finding up (a unique prefix of its id is enough), stages its
evidence (``evidence.stage_evidence``) and returns a ``FindingEvidence`` whose records are
read in batches (``batches``), so a finding with 100,000 evidence events is printed with
bounded memory; ``limit``/``offset`` page through them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..i18n import _
from ..lake.locations import IN_PLACE, MOVED
from ..report.evidence import show_command, stage_evidence
from ..report.masking import FINDING_MASKS, create_mask_macros, masked_source_sql

if TYPE_CHECKING:
    from ..db import Database
    from ..detect.rules import Rule
    from ..detect.settings import DetectSettings
    from ..lake import Lake

BATCH_ROWS = 2_000  # evidence records fetched and written at a time
# Evidence events staged at a time: memory stays flat however many events a finding has (each
# page is one join of that many ids against the finding's partition of events).
PAGE_EVENTS = 50_000

FINDING_COLUMNS = f"""
    finding_id, rule_id, category, severity, provider_id, event_date,
    {", ".join(name for name, _, _ in FINDING_MASKS)},
    actor_type, first_seen, last_seen, event_count, record_count, subject_count,
    coalesce(data_classes, []) AS data_classes, coalesce(data_categories, []) AS data_categories,
    coalesce(proceeds_cny, 0) AS proceeds_cny, coalesce(unconverted_amounts, []) AS unconverted_amounts,
    len(coalesce(evidence_event_ids, [])) AS evidence_count, detected_at"""


class NoSuchFinding(UsageError):
    """The finding id given is not in the lake (or a prefix matches several)."""


@dataclass
class FindingEvidence:
    """A finding (masked unless ``unmask``) with its rule, and its evidence to read in
    batches from ``con`` (open until the ``open_finding`` block ends)."""

    lake: Lake
    finding: dict[str, Any]
    rule: Rule | None
    rule_problem: str | None
    unmask: bool
    offset: int
    limit: int | None
    con: Database = field(repr=False)
    # sha256s of source files read so far that are missing or changed
    file_problems: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return int(self.finding["evidence_count"])

    @property
    def shown(self) -> int:
        """How many evidence records ``batches`` yields."""
        left = max(self.total - self.offset, 0)
        return left if self.limit is None else min(left, self.limit)

    def batches(self, projection: str) -> Iterator[list[tuple[Any, ...]]]:
        """The evidence records as ``projection`` (a SELECT list over ``evidence_shown``),
        in evidence order, ``BATCH_ROWS`` rows at a time: staged ``PAGE_EVENTS`` events at a
        time and streamed from DuckDB, never the whole evidence in memory at once."""
        end = self.offset + self.shown
        for start in range(self.offset, end, PAGE_EVENTS):
            stage_evidence(
                self.con,
                self.lake,
                "SELECT finding_id, provider_id, event_date, evidence_event_ids FROM findings "
                "WHERE finding_id = $id",
                unmask=self.unmask,
                params={"id": self.finding["finding_id"]},
                per_finding=min(PAGE_EVENTS, end - start),
                offset=start,
                partition=(self.finding["provider_id"], self.finding["event_date"]),
            )
            self.file_problems |= {
                sha
                for sha, status in self.con.execute(
                    "SELECT source_sha256, status FROM evidence_files"
                ).fetchall()
                if status not in (IN_PLACE, MOVED)
            }
            sql = f"SELECT {projection} FROM evidence_shown ORDER BY evidence_rank"
            for batch in self.con.sql(sql).to_arrow_reader(BATCH_ROWS):
                if batch.num_rows:
                    yield list(zip(*(c.to_pylist() for c in batch.columns), strict=True))

    def show_command(self) -> str:
        return show_command(self.lake.root, self.finding["finding_id"])


@contextlib.contextmanager
def open_finding(
    lake: Lake,
    finding_id: str,
    *,
    unmask: bool = False,
    rules: Sequence[Rule] | None = None,
    rule_problem: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    settings: DetectSettings | None = None,
) -> Iterator[FindingEvidence]:
    """The finding ``finding_id`` (or the one finding whose id starts with it) and its
    evidence; a ``NoSuchFinding`` error naming the nearest ids when there is none. With the
    detect ``settings``, its summary is in the current language where its rule (among
    ``rules``) gives its template in it (``report.summaries``); else as stored (English)."""
    from ..i18n import current_language
    from ..lake.views import connect_views
    from ..report.summaries import findings_source

    con = connect_views(lake)
    try:
        create_mask_macros(con)
        full_id = resolve_id(con, lake, finding_id)
        source = findings_source(con, rules or (), settings, current_language())
        cursor = con.execute(
            "SELECT "
            + FINDING_COLUMNS
            + f" FROM {masked_source_sql(source, FINDING_MASKS)} WHERE finding_id = $id LIMIT 1",
            {"id": full_id, "unmask": unmask},
        )
        names = [d[0] for d in cursor.description or []]
        finding = dict(zip(names, cursor.fetchone() or (), strict=True))
        rule = next((r for r in rules or () if r.id == finding["rule_id"]), None)
        if rule is None and rule_problem is None:
            rule_problem = _(
                "rule {rule!r} is not among the rules known now (built-in and [detect] "
                "rule_dirs); pass the folder it came from with --rules"
            ).format(rule=finding["rule_id"])
        yield FindingEvidence(lake, finding, rule, rule_problem, unmask, offset, limit, con)
    finally:
        con.close()


def resolve_id(con: Database, lake: Lake, wanted: str) -> str:
    """The full id of the finding ``wanted`` names: itself, or the only id it is a prefix of.
    Otherwise a NoSuchFinding error with the candidates or the nearest ids."""
    exact = con.execute(
        "SELECT count(*) FROM findings WHERE finding_id = $id", {"id": wanted}
    ).fetchone()
    if exact and exact[0]:
        return wanted
    prefixed = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT finding_id FROM findings WHERE starts_with(finding_id, $id) "
            "ORDER BY 1 LIMIT 6",
            {"id": wanted},
        ).fetchall()
    ]
    lake_arg = f"--lake {_quoted(lake.root)}"
    if len(prefixed) == 1 and len(wanted) >= 4:
        return prefixed[0]
    if prefixed:
        raise NoSuchFinding(
            _("finding id {id!r} is ambiguous: it begins {ids}").format(
                id=wanted, ids=", ".join(prefixed[:5]) + (" ..." if len(prefixed) > 5 else "")
            ),
            hint=_("give more of the id, or list them with: {command}").format(
                command="auditpipe findings list " + lake_arg
            ),
        )
    nearest = [
        r[0]
        for r in con.execute(
            "SELECT finding_id FROM (SELECT DISTINCT finding_id FROM findings) "
            "ORDER BY levenshtein(finding_id, $id), finding_id LIMIT 3",
            {"id": wanted},
        ).fetchall()
    ]
    if not nearest:
        raise NoSuchFinding(
            _("no finding {id!r}: the lake {lake} holds no findings").format(
                id=wanted, lake=lake.root
            ),
            hint=_("run detection first: {command}").format(command=f"auditpipe detect {lake_arg}"),
        )
    raise NoSuchFinding(
        _("no finding {id!r} in the lake {lake}").format(id=wanted, lake=lake.root),
        hint=_("the nearest ids are {ids}; list findings with: {command}").format(
            ids=", ".join(nearest), command=f"auditpipe findings list {lake_arg}"
        ),
    )


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(str(path.resolve()))
