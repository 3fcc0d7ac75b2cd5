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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engines import to_ipc
from ..i18n import _
from ..lake import layout
from . import findings as fsql
from .rules import Rule, RuleError
from .session import create_events_view, create_settings_tables, create_terms, open_connection
from .settings import DetectSettings

if TYPE_CHECKING:
    from ..db import Database


@dataclass(frozen=True)
class Partition:
    """One (provider_id, event_date) partition of the events table and its files."""

    folder: str  # provider_id=<p>/event_date=<d>, as in the lake (provider ids are escaped)
    event_date: dt.date
    files: tuple[str, ...]


def event_partitions(root: Path, days: Sequence[dt.date]) -> list[Partition]:
    """The event partitions of ``days`` holding files, each with its absolute file paths."""
    return [
        Partition(
            f"{p.folder.parent.name}/{p.folder.name}",
            p.event_date,
            tuple(str(f.resolve()) for f in p.files),
        )
        for p in layout.list_partitions(root, layout.EVENTS, days)
    ]


@dataclass(frozen=True)
class FindingsTask:
    """Picklable: a Spark executor unpickles it and calls it with its partition."""

    settings: DetectSettings
    timezone: str  # the lake's
    rules: tuple[Rule, ...]
    watchlist: tuple[str, ...]
    spill_dir: str  # DuckDB spills into a fresh folder below this one

    def __call__(self, partitions: Sequence[Partition]) -> bytes:
        spill = Path(self.spill_dir) / f"task-{uuid.uuid4().hex[:12]}"
        con = open_connection(self.settings, self.timezone, temp_dir=spill)
        try:
            create_settings_tables(con, self.settings, self.rules, self.watchlist)
            files = [Path(f) for p in partitions for f in p.files]
            build_findings(con, self.rules, files)
            return to_ipc(con.sql("SELECT * FROM new_findings").to_arrow_table())
        finally:
            con.close()
            shutil.rmtree(spill, ignore_errors=True)


def build_findings(con: Database, rules: Sequence[Rule], files: Sequence[Path]) -> None:
    """``new_findings`` from the events in ``files`` (settings tables must exist)."""
    create_events_view(con, files)
    create_terms(con)  # the one heavy scan of the lake
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
