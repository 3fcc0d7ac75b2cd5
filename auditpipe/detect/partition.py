"""The findings of some (provider_id, event_date) partitions: the work an engine runs.

``FindingsTask`` is the whole computation of findings from events: a fresh DuckDB session with
the settings tables, ``events`` over exactly the partitions' files, the shared terms, every rule
in one query, then ``BUILD_FINDINGS``. It returns the findings as Arrow IPC bytes. The
``duckdb`` engine calls it once over every partition of the run; the ``spark`` engine once per
partition, on an executor. Both give the same findings because every built-in rule is local to
one provider and one day (the locality contract, docs/detect.md), and the finding
keys (rule, provider, actor, day, party) never span two partitions.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..engines import to_ipc
from ..errors import is_out_of_memory
from ..i18n import _
from ..lake import layout
from ..lake.damage import damaged_file_error, decoding_failed
from . import findings as fsql
from .real_name import account_partitions
from .rules import Rule, RuleError
from .session import create_events_view, create_settings_tables, create_terms, open_connection
from .settings import DetectSettings

if TYPE_CHECKING:
    from ..db import Database


@dataclass(frozen=True)
class Partition:
    """One (provider_id, event_date) partition: its event files and the files of the
    provider's account snapshot of that date (either may be empty, not both)."""

    folder: str  # provider_id=<p>/event_date=<d>, as in the lake (provider ids are escaped)
    event_date: dt.date
    files: tuple[str, ...]
    account_files: tuple[str, ...] = ()


def event_partitions(root: Path, days: Sequence[dt.date]) -> list[Partition]:
    """The partitions of ``days`` holding event files or snapshot files, each with its
    absolute file paths, sorted by provider then day."""
    found: dict[tuple[str, dt.date], Partition] = {}
    for p in layout.list_partitions(root, layout.EVENTS, days):
        found[(p.folder.parent.name, p.event_date)] = Partition(
            f"{p.folder.parent.name}/{p.folder.name}",
            p.event_date,
            tuple(str(f.resolve()) for f in p.files),
        )
    for a in account_partitions(root, days):
        key = (a.folder.parent.name, a.event_date)
        base = found.get(key) or Partition(
            f"{a.folder.parent.name}/event_date={a.event_date.isoformat()}", a.event_date, ()
        )
        found[key] = replace(base, account_files=tuple(str(f.resolve()) for f in a.files))
    return [found[k] for k in sorted(found)]


@dataclass(frozen=True)
class FindingsTask:
    """Picklable: a Spark executor unpickles it and calls it with its partition."""

    settings: DetectSettings
    timezone: str  # the lake's
    rules: tuple[Rule, ...]
    watchlist: tuple[str, ...]
    spill_dir: str  # DuckDB spills into a fresh folder below this one
    # the run's account timeline (real_name.write_timeline), read by every task; None = none
    timeline: str | None = None

    def __call__(self, partitions: Sequence[Partition]) -> bytes:
        spill = Path(self.spill_dir) / f"task-{uuid.uuid4().hex[:12]}"
        con = open_connection(self.settings, self.timezone, temp_dir=spill)
        try:
            self.build(con, partitions)
            return to_ipc(con.sql("SELECT * FROM new_findings").to_arrow_table())
        finally:
            con.close()
            shutil.rmtree(spill, ignore_errors=True)

    def build(self, con: Database, partitions: Sequence[Partition]) -> None:
        """``new_findings`` of ``partitions`` in ``con``, a connection opened like the task's
        own (``open_connection`` with these settings and timezone): what ``__call__`` returns,
        without the Arrow round trip, for an engine that runs the one task in this process."""
        create_settings_tables(con, self.settings, self.rules, self.watchlist)
        files = [Path(f) for p in partitions for f in p.files]
        account_files = [Path(f) for p in partitions for f in p.account_files]
        timeline = Path(self.timeline) if self.timeline else None
        build_findings(con, self.rules, files, account_files, timeline)


def build_findings(
    con: Database,
    rules: Sequence[Rule],
    files: Sequence[Path],
    account_files: Sequence[Path] = (),
    timeline: Path | None = None,
) -> None:
    """``new_findings`` from the events in ``files`` and the snapshots in ``account_files``
    (settings tables must exist)."""
    create_events_view(con, files)
    create_terms(con, account_files, timeline)  # the one heavy scan of the lake
    run_rules(con, rules)
    con.execute(fsql.BUILD_FINDINGS)


def run_rules(con: Database, rules: Sequence[Rule]) -> None:
    """All rules in one query; if it fails, each rule alone to name the one at fault."""
    import duckdb

    con.execute(fsql.HITS_TABLE)
    try:
        con.execute("INSERT INTO rule_hits " + fsql.rule_rows_sql([r.sql for r in rules]))
        return
    except duckdb.Error as exc:
        failure: duckdb.Error = exc
    damaged = damaged_file_error(failure)
    if damaged is not None:  # the lake, not a rule: every rule would fail on that file
        raise damaged from failure
    if decoding_failed(failure):  # a lake file DuckDB does not name: the command finds it
        raise failure
    if is_out_of_memory(failure):  # the memory limit, not a rule: errors.explain says so
        raise failure
    for rule in rules:
        try:
            con.execute(f"SELECT count(*) FROM ({fsql.rule_rows_sql([rule.sql])})")
        except duckdb.Error as exc:
            raise RuleError(
                _("rule {id} ({path}) failed on the lake: {splitlines}").format(
                    id=rule.id, path=rule.path, splitlines=str(exc).splitlines()[0]
                ),
                hint=_("fix the rule, or disable it with disabled_rules in [detect]"),
            ) from exc
    raise failure
