"""The evidence behind findings, as people read it: one masked record per evidence event.

One module for every place that shows evidence (``findings show`` and the HTML report), so
they show the same columns, masked the same way (``report.masking.EVIDENCE_MASKS``), and lead
to the same file; the account snapshot rows behind real-name findings are shown through the
same record (``ACCOUNT_AS_EVENT``). ``stage_evidence`` works on a set of findings at once: a finding's
``evidence_event_ids`` are stored sorted by (event_time, event_id), so an id's position in that
list is its row number within the finding; the first ``per_finding`` are taken by slicing each
list before unnesting (one query for every finding shown, and a finding with 100,000 events
costs no more than its first five), then joined to ``events`` on (provider_id, event_date,
event_id), the partition the finding was detected in.

An evidence event's source file is resolved through its sha256 (``lake.locations``): where the
file is now, or ``missing`` when it is in none of the places it was ever recorded at.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..lake.locations import MISSING, resolve_sources
from ..lake.schema import ACCOUNT_COLUMNS, empty_select
from ..lake.views import snapshot_evidence_id_sql
from .masking import EVIDENCE_MASKS, Mask, masked_source_sql

if TYPE_CHECKING:
    from ..db import Database
    from ..lake import Lake

# What evidence_shown masks: the event's columns, and where its source file is now.
EVIDENCE_SHOWN: tuple[Mask, ...] = (
    *EVIDENCE_MASKS,
    ("source_now", "path_now", lambda m: m.text("path_now")),
)
# evidence_raw with where each event's source file is now (evidence_files).
_WITH_FILES = f"""(
    SELECT r.*, f.path_now, coalesce(f.status, '{MISSING}') AS source_status
    FROM evidence_raw AS r
    LEFT JOIN evidence_files AS f USING (source_sha256)
)"""

# The event columns an evidence record is built from (besides the ids and the partition).
EVENT_FIELDS = (
    "event_time",
    "actor_id",
    "actor_type",
    "action",
    "subject_id",
    "record_count",
    "data_fields",
    "data_categories",
    "system",
    "destination_type",
    "destination_party",
    "authorization_ref",
    "purpose",
    "amount",
    "currency",
    "outcome",
    "source_file",
    "source_sha256",
    "line_number",
)


# What an account snapshot row (the evidence of real-name findings: ``evidence_kind`` account
# in ``finding_evidence``) shows in an evidence record's event columns: the account, its
# verification state as the "action", the failed ID check and a missing method as the fields
# touched, and the snapshot file and line. The ID number itself is never in the lake.
ACCOUNT_AS_EVENT = {
    "event_time": "a.verified_at",
    "actor_id": "a.account_id",
    "actor_type": "'subject'",
    "action": "concat('snapshot ', CAST(a.snapshot_date AS VARCHAR), ': ', "
    "coalesce(a.verification_status, '-'))",
    "data_fields": "list_filter([CASE WHEN a.id_number_problem IS NOT NULL "
    "THEN 'id_number: ' || a.id_number_problem END, CASE WHEN nullif(trim("
    "coalesce(a.verification_method, '')), '') IS NULL THEN 'verification_method: none' END], "
    "lambda x: x IS NOT NULL)",
    "source_file": "a.source_file",
    "source_sha256": "a.snapshot_id",
    "line_number": "a.source_line",
}


def show_command(lake_root: Path, finding_id: str) -> str:
    """The command that lists every evidence event of a finding (shell-quoted, absolute).
    A finding id needs no quoting (``f-`` and hex digits); ``<finding_id>`` makes a template."""
    return f"auditpipe findings show {finding_id} --lake {shlex.quote(str(lake_root.resolve()))}"


def stage_evidence(
    con: Database,
    lake: Lake,
    chosen: str,
    *,
    unmask: bool,
    per_finding: int | None = None,
    offset: int = 0,
    params: dict[str, Any] | None = None,
    partition: tuple[str, dt.date] | None = None,
) -> None:
    """``evidence_shown``: one row per evidence event of the findings ``chosen`` (a query
    returning finding_id, provider_id, event_date and evidence_event_ids), masked unless
    ``unmask``, with ``evidence_rank`` (1 = earliest), ``evidence_total`` (of its finding),
    ``in_lake`` (false for an id whose event is no longer in the lake), and the source file
    resolved: ``source_now`` (where it is now, NULL when missing) and ``source_status``.
    ``offset`` skips each finding's first events, ``per_finding`` keeps that many after them.
    ``partition`` (provider_id, event_date), when every finding is of that one, lets DuckDB
    read only that partition's event files.
    """
    start = int(offset) + 1
    stop = "" if per_finding is None else str(int(offset) + int(per_finding))
    ids = f"evidence_event_ids[{start}:{stop}]"
    event_cols = ", ".join(
        f"CASE WHEN a.account_id IS NOT NULL THEN {ACCOUNT_AS_EVENT[c]} ELSE e.{c} END AS {c}"
        if c in ACCOUNT_AS_EVENT
        else f"CASE WHEN a.account_id IS NULL THEN e.{c} END AS {c}"
        for c in EVENT_FIELDS
    )
    params = dict(params or {})
    where_partition = ""
    if partition is not None:
        where_partition = "\n      AND provider_id = $__provider AND event_date = $__day"
        params.update(__provider=partition[0], __day=partition[1])
    # A connection over events and findings only (no accounts view) has no account evidence.
    has_accounts = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'accounts'"
    ).fetchone()
    accounts = (
        "accounts" if has_accounts and has_accounts[0] else f"({empty_select(ACCOUNT_COLUMNS)})"
    )
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE evidence_raw AS
WITH chosen AS ({chosen}),
ids AS (
    SELECT finding_id, provider_id, event_date,
           len(coalesce(evidence_event_ids, [])) AS evidence_total,
           unnest({ids}) AS event_id,
           generate_subscripts({ids}, 1) + {start - 1} AS evidence_rank
    FROM chosen
)
SELECT i.finding_id, i.evidence_rank, i.evidence_total, i.event_id,
       e.event_id IS NOT NULL OR a.account_id IS NOT NULL AS in_lake, {event_cols}
FROM ids AS i
LEFT JOIN (
    SELECT * FROM events
    WHERE provider_id IN (SELECT provider_id FROM chosen)
      AND event_date IN (SELECT event_date FROM chosen){where_partition}
) AS e
    ON e.provider_id = i.provider_id AND e.event_date = i.event_date AND e.event_id = i.event_id
LEFT JOIN (
    SELECT * FROM {accounts} AS accounts
    WHERE provider_id IN (SELECT provider_id FROM chosen)
      AND snapshot_date IN (SELECT event_date FROM chosen)
) AS a
    ON i.event_id LIKE 's-%' AND a.provider_id = i.provider_id
    AND a.snapshot_date = i.event_date AND {snapshot_evidence_id_sql("a")} = i.event_id
""",
        params,
    )
    _stage_files(con, lake)
    # A view, so the masked and formatted records stream out of evidence_raw (no second copy).
    # Masked column by column (together=False): a finding may have 100,000 evidence events.
    unmask_sql = "true" if unmask else "false"
    con.execute(
        f"""
CREATE OR REPLACE TEMP VIEW evidence_shown AS
SELECT
    finding_id, evidence_rank, evidence_total, in_lake, event_time, record_count, amount,
    line_number, source_sha256, source_status,
    {", ".join(name for name, _, _ in EVIDENCE_SHOWN)}
FROM {masked_source_sql(_WITH_FILES, EVIDENCE_SHOWN, unmask_sql, together=False)}
"""
    )


def _stage_files(con: Database, lake: Lake) -> None:
    """``evidence_files``: where each distinct source file of ``evidence_raw`` is now (one
    look-up per file, never per event)."""
    import pyarrow as pa

    files = con.execute(
        "SELECT DISTINCT source_sha256, source_file FROM evidence_raw "
        "WHERE source_sha256 IS NOT NULL ORDER BY ALL"
    ).fetchall()
    sizes = {sha: _manifest_bytes(lake, sha) for sha, _ in files}
    found = resolve_sources(lake.root, files, sizes)
    table = pa.table(
        {
            "source_sha256": pa.array([f.sha256 for f in found], pa.string()),
            "path_now": pa.array([f.path for f in found], pa.string()),
            "status": pa.array([f.status for f in found], pa.string()),
        }
    )
    con.register("evidence_files_arrow", table)
    con.execute("CREATE OR REPLACE TEMP TABLE evidence_files AS SELECT * FROM evidence_files_arrow")


def _manifest_bytes(lake: Lake, sha256: str) -> int | None:
    entry = lake.manifest_entry(sha256)
    value = (entry or {}).get("bytes")
    return int(value) if isinstance(value, int) else None


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence event as the HTML report shows it (masked unless the report is not)."""

    finding_id: str
    rank: int
    in_lake: bool
    event_time: dt.datetime | None
    actor_id: str | None
    actor_type: str | None
    action: str | None
    data_fields: list[str]
    destination_type: str | None
    destination_party: str | None
    source_file: str | None  # where the file is now; where ingest read it when missing
    line_number: int | None
    source_status: str


EVIDENCE_ROWS = """
SELECT finding_id, evidence_rank, in_lake, event_time, actor_id, actor_type, action,
       coalesce(data_fields, []), destination_type, destination_party,
       coalesce(source_now, source_file), line_number, source_status
FROM evidence_shown
ORDER BY finding_id, evidence_rank
"""


def evidence_rows(
    con: Database, lake: Lake, chosen: str, per_finding: int, *, unmask: bool, params: Any = None
) -> dict[str, list[EvidenceRow]]:
    """The first ``per_finding`` evidence events of each finding ``chosen``, by finding id:
    one query for all of them (a report shows a few hundred findings, a few events each)."""
    if per_finding <= 0:
        return {}
    stage_evidence(con, lake, chosen, unmask=unmask, per_finding=per_finding, params=params)
    out: dict[str, list[EvidenceRow]] = {}
    for row in con.execute(EVIDENCE_ROWS).fetchall():
        out.setdefault(row[0], []).append(EvidenceRow(*row))
    return out
