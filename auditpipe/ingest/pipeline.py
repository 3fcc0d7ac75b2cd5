"""Ingest: files in, events and quarantine out, one atomic commit per file.

For each file: hash it (content identifies a file, so a second ingest of the same bytes is a
no-op); stream it in batches through the format reader and the normalising query into a
DuckDB work database under the lake's staging folder (DuckDB spills there, so memory stays
bounded); then drop rows whose (provider_id, event_id) is already in the lake or earlier in
the file, write one Parquet file per partition, verify each footer and row count, and commit
the files, the quarantine file and the manifest entry as one lake transaction.

Every row read ends up stored, quarantined with a reason, or counted as a duplicate; the
pipeline checks that these add up for every batch and every file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..contract import Catalog, Contract, load_catalog
from ..errors import AuditpipeError, ConfigError, InputFileError
from ..lake import Lake, new_id, utc_now, verify_parquet
from ..lake_schema import EVENT_FILE_COLUMNS
from ..views import sql_string
from .formats import BatchSource, csv_batches, json_batches, parquet_batches
from .lines import StreamError
from .normalize import normalize_sql
from .settings import IngestSettings
from .sources import SourceFile, discover, open_bytes

if TYPE_CHECKING:
    from ..engines import Engine

STATUS_INGESTED, STATUS_SKIPPED, STATUS_REJECTED = "ingested", "skipped", "rejected"
Progress = Callable[[SourceFile, float], None]  # (file, share of it done: 0.0 to 1.0)


@dataclass
class FileResult:
    source_file: str
    sha256: str
    format: str
    status: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    reason: str | None = None
    partitions: set[tuple[str, dt.date]] = field(default_factory=set)
    # Database audit logs (ingest --source): log-line counts; rows are then statements.
    source_counts: dict[str, int] | None = None

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_stored + self.rows_quarantined + self.rows_duplicate


@dataclass
class IngestResult:
    run_id: str
    files: list[FileResult]

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_stored(self) -> int:
        return self._sum("rows_stored")

    @property
    def rows_quarantined(self) -> int:
        return self._sum("rows_quarantined")

    @property
    def rows_duplicate(self) -> int:
        return self._sum("rows_duplicate")

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == STATUS_REJECTED]

    @property
    def partitions(self) -> set[tuple[str, dt.date]]:
        out: set[tuple[str, dt.date]] = set()
        for f in self.files:
            out |= f.partitions
        return out

    @property
    def clean(self) -> bool:
        return not self.rejected and self.rows_quarantined == 0


def ingest_paths(
    lake: Lake,
    paths: Sequence[Path],
    settings: IngestSettings,
    progress: Progress | None = None,
    source: Any = None,
    engine: Engine | None = None,
) -> IngestResult:
    """Ingest every log under ``paths`` into ``lake``; see the module docstring. ``source``
    (auditpipe.sources.SourceSettings) reads every file as that database audit log.

    ``engine`` stages the files (default: DuckDB in this process, one file after the other;
    on Spark one task per file); each file is committed here, in input order, either way.
    """
    from ..engines.duckdb import DuckDBEngine
    from .tasks import RunCommits, RunCommitter, StageFilesTask, decode

    catalog = load_catalog(settings.catalog)
    sizes: dict[str, Any] = {
        "batch_bytes": settings.batch_bytes,
        "max_line_bytes": settings.max_line_bytes,
    }
    router = None
    only: Any = None
    if source is not None:
        from ..sources import SourceReader, classify_as

        sources = discover(paths, classify_as(source.kind))
        only = SourceReader(source, catalog, **sizes)
    else:
        if settings.sources:
            from ..sources.router import SourceRouter

            router = SourceRouter.load(settings.sources)
        sources = discover(paths, router.classify if router else None)
    engine = engine or DuckDBEngine()
    if not engine.in_process:  # a task elsewhere has another working folder
        sources = [replace(s, path=s.path.resolve()) for s in sources]
    items = [
        (found, router.reader_for(found.path, catalog, **sizes) if router is not None else only)
        for found in sources
    ]
    run_id = new_id("ingest")
    results: list[FileResult] = []
    commits = RunCommits()
    with lake.locked("ingest"):
        task = StageFilesTask(
            str(lake.root.resolve()),
            dict(lake.meta),
            settings,
            catalog,
            run_id,
            commits,
            progress if engine.in_process else None,
        )
        committer = RunCommitter(lake, run_id, commits)
        for payload in engine.run_tasks(task, items, together=False):
            results.extend(committer.commit(staged) for staged in decode(payload))
    return IngestResult(run_id, results)


def check_timezone(name: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown timezone {name!r}", hint="use an IANA name such as Asia/Shanghai"
        ) from None
    return name


def skipped_result(name: str, sha: str, source: SourceFile, previous: dict[str, Any]) -> FileResult:
    """A file whose content the lake already holds."""
    return FileResult(
        name,
        sha,
        source.format,
        STATUS_SKIPPED,
        reason=f"same content already ingested from {previous.get('source_file')} "
        f"at {previous.get('finished_at')}",
    )


def commit_file(
    lake: Lake,
    source: SourceFile,
    staged_files: list[tuple[Path, str]],
    quarantine_file: Path | None,
    result: FileResult,
    run_id: str,
    started: dt.datetime,
) -> None:
    """One file's staged events, quarantine and manifest entry, as one lake transaction."""
    txn = lake.transaction()
    sha16 = result.sha256[:16]
    for staged, rel in staged_files:
        txn.add_file(staged, f"events/{rel}")
    if quarantine_file is not None:
        txn.add_file(quarantine_file, f"quarantine/part-{sha16}.parquet")
    entry = _manifest_entry(result, run_id, started, source)
    entry["files"] = [f"events/{rel}" for _, rel in staged_files] + (
        [f"quarantine/part-{sha16}.parquet"] if quarantine_file is not None else []
    )
    txn.add_json(f"_auditpipe/manifest/{result.sha256}.json", entry)
    txn.commit()


def _manifest_entry(
    result: FileResult, run_id: str, started: dt.datetime, source: SourceFile
) -> dict[str, Any]:
    return {
        "sha256": result.sha256,
        "source_file": result.source_file,
        "format": source.format,
        "compression": source.compression,
        "bytes": source.path.stat().st_size,
        "status": result.status,
        "reason": result.reason,
        "rows_read": result.rows_read,
        "rows_stored": result.rows_stored,
        "rows_quarantined": result.rows_quarantined,
        "rows_duplicate": result.rows_duplicate,
        "partitions": sorted(f"{p}/{d.isoformat()}" for p, d in result.partitions),
        **({"source": result.source_counts} if result.source_counts is not None else {}),
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": utc_now().isoformat(),
    }


def record_rejection(
    lake: Lake,
    source: SourceFile,
    sha: str,
    name: str,
    run_id: str,
    started: dt.datetime,
    exc: AuditpipeError,
) -> FileResult:
    result = FileResult(name, sha, source.format, STATUS_REJECTED, reason=exc.message)
    txn = lake.transaction()
    entry = _manifest_entry(result, run_id, started, source)
    entry["files"] = []
    txn.add_json(f"_auditpipe/manifest/{sha}.json", entry)
    txn.commit()
    return result


def _batches(
    con: Any,
    source: SourceFile,
    settings: IngestSettings,
    contract: Contract,
    work: Path,
    progress: Progress | None,
    opened: list[Any],
    reader: Any = None,
) -> Iterator[BatchSource]:
    if reader is not None:
        from ..sources.seam import batch_sources

        stream, _ = open_bytes(source)
        opened.append(stream)
        return batch_sources(con, reader.batches(stream, str(source.path)), contract)
    if source.format == "parquet":
        path = source.path
        if source.compression:  # Parquet needs random access: decompress to staging first
            path = work / "input.parquet"
            stream, raw = open_bytes(source)
            opened.append(stream)
            with open(path, "wb") as out:
                while block := _read(stream):
                    out.write(block)
        return parquet_batches(con, path, contract=contract)
    stream, raw = open_bytes(source)
    opened.append(stream)
    total = max(source.path.stat().st_size, 1)

    def tick() -> None:
        if progress is not None:
            progress(source, min(raw.tell() / total, 1.0))

    reader = json_batches if source.format == "jsonl" else csv_batches
    return reader(
        con,
        stream,
        contract=contract,
        batch_bytes=settings.batch_bytes,
        max_line_bytes=settings.max_line_bytes,
        on_progress=tick,
    )


def _read(stream: Any) -> bytes:
    try:
        return bytes(stream.read(8 * 1024 * 1024))
    except Exception as exc:
        raise StreamError(str(exc)) from exc


def stage_file(
    lake: Lake,
    work: Path,
    source: SourceFile,
    sha: str,
    name: str,
    settings: IngestSettings,
    contract: Contract,
    catalog: Catalog,
    run_id: str,
    progress: Progress | None,
    reader: Any = None,
) -> tuple[list[tuple[Path, str]], Path | None, FileResult]:
    import duckdb
    import pyarrow as pa

    opened: list[Any] = []
    # In-memory, but DuckDB spills to temp_directory (in staging) past memory_limit, so a file
    # larger than memory is still fine.
    con = duckdb.connect(
        ":memory:",
        config={"memory_limit": settings.memory_limit, "temp_directory": str(work / "spill")},
    )
    try:
        con.execute(f"SET TimeZone = {sql_string(lake.timezone)}")
        con.execute("SET enable_progress_bar = false")  # our own progress goes to stderr
        _create_work_tables(con)
        provenance = {
            "source_file": sql_string(name),
            "source_sha256": sql_string(sha),
            "ingest_run_id": sql_string(run_id),
            "ingested_at": f"TIMESTAMPTZ {sql_string(utc_now().isoformat())}",
        }
        rows_read = 0
        try:
            for batch in _batches(con, source, settings, contract, work, progress, opened, reader):
                rows_read += _normalize_batch(con, batch, contract, catalog)
        except StreamError as exc:
            raise InputFileError(
                f"{source.path} cannot be read to the end: {exc}",
                hint="the archive is truncated or corrupt; ask the provider to send it again",
            ) from exc
        except (pa.ArrowInvalid, OSError) as exc:
            if source.format != "parquet" or isinstance(exc, PermissionError):
                raise
            raise InputFileError(
                f"{source.path} is not a readable Parquet file: {exc}",
                hint="check that the file is complete; ask the provider to send it again",
            ) from exc
        if progress:
            progress(source, 1.0)
        staged, stored = _write_events(con, lake, work, sha[:16], provenance)
        accepted, quarantined = con.execute(
            "SELECT count(*) FILTER (reason IS NULL), count(*) FILTER (reason IS NOT NULL) "
            "FROM rows_all"
        ).fetchall()[0]
        quarantine_file = None
        if quarantined:
            quarantine_file = work / "quarantine.parquet"
            con.execute(
                f"""COPY (
                    SELECT {provenance["source_file"]} AS source_file,
                        {provenance["source_sha256"]} AS source_sha256, line_number, raw, reason,
                        provider_id, {provenance["ingest_run_id"]} AS ingest_run_id,
                        {provenance["ingested_at"]} AS ingested_at
                    FROM rows_all WHERE reason IS NOT NULL ORDER BY line_number
                ) TO {sql_string(str(quarantine_file))} (FORMAT parquet, COMPRESSION zstd)"""
            )
            verify_parquet(quarantine_file, quarantined)
    finally:
        con.close()
        for stream in opened:
            stream.close()
    result = FileResult(
        name,
        sha,
        source.format,
        STATUS_INGESTED,
        rows_read=rows_read,
        rows_stored=stored,
        rows_quarantined=quarantined,
        rows_duplicate=accepted - stored,
        partitions={p for _, _, p in staged},
        source_counts=reader.counters.as_dict() if reader is not None else None,
    )
    if reader is not None and not reader.counters.reconciles:
        raise AuditpipeError(
            f"internal error: {source.path}: log lines do not reconcile "
            f"({reader.counters.as_dict()}); nothing was published",
            hint="please report this with the file",
        )
    if accepted + quarantined != rows_read:
        raise AuditpipeError(
            f"internal error: {source.path}: {rows_read} rows read but {accepted} accepted "
            f"and {quarantined} quarantined; nothing was published",
            hint="please report this with the file",
        )
    return [(path, rel) for path, rel, _ in staged], quarantine_file, result


_EVENT_COLS = [name for name, _ in EVENT_FILE_COLUMNS]
_PROVENANCE = {"source_file", "source_sha256", "line_number", "ingest_run_id", "ingested_at"}


def _create_work_tables(con: Any) -> None:
    """``rows_all`` holds every row read: stored candidates (reason NULL) and rejects."""
    event_cols = [(n, t) for n, t in EVENT_FILE_COLUMNS if n not in _PROVENANCE]
    cols = ", ".join(f"{n} {t}" for n, t in event_cols)
    con.execute(
        "CREATE TABLE rows_all (line_number BIGINT, raw VARCHAR, reason VARCHAR, "
        f"provider_id VARCHAR, {cols}, event_date DATE)"
    )
    con.execute("CREATE VIEW acc AS SELECT * FROM rows_all WHERE reason IS NULL")


def _normalize_batch(con: Any, batch: BatchSource, contract: Contract, catalog: Catalog) -> int:
    sql = normalize_sql(batch.src, batch.field_exprs, batch.extras_expr, contract, catalog)
    produced = con.execute(f"INSERT INTO rows_all BY NAME {sql}").fetchall()[0][0]
    if produced != batch.rows_read:
        raise AuditpipeError(
            f"internal error: a batch of {batch.rows_read} rows normalised to {produced}",
            hint="please report this with the file",
        )
    return int(produced)


def _write_events(
    con: Any, lake: Lake, work: Path, sha16: str, provenance: dict[str, str]
) -> tuple[list[tuple[Path, str, tuple[str, dt.date]]], int]:
    """Write the file's new events, one Parquet file per partition, into staging; verify them."""
    not_in_lake = ""
    if lake.has_events():
        glob = sql_string(str((lake.events_dir / "*" / "*" / "*.parquet").resolve()))
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW lake_keys AS
            SELECT provider_id, event_id FROM read_parquet({glob}, hive_partitioning = true,
                hive_types = {{'provider_id': 'VARCHAR', 'event_date': 'DATE'}})
            WHERE provider_id IN (SELECT DISTINCT provider_id FROM acc)"""
        )
        not_in_lake = (
            "NOT EXISTS (SELECT 1 FROM lake_keys k "
            "WHERE k.provider_id = a.provider_id AND k.event_id = a.event_id)"
        )
    # An event delivered more than once keeps its first line. Finding the repeated keys is one
    # hash aggregation; the rows then need only a join with that (usually tiny) table, not a
    # ranking of every row.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE repeated AS SELECT provider_id, event_id, "
        "min(line_number) AS first_line FROM acc GROUP BY ALL HAVING count(*) > 1"
    )
    conditions = ["(r.first_line IS NULL OR a.line_number = r.first_line)"]
    if not_in_lake:
        conditions.append(not_in_lake)
    out_dir = work / "events"
    cols = ", ".join(
        [f"{provenance[c]} AS {c}" if c in provenance else f"a.{c}" for c in _EVENT_COLS]
        + ["a.provider_id", "a.event_date"]
    )
    stored = con.execute(
        f"""COPY (
            SELECT {cols} FROM acc a
            LEFT JOIN repeated r ON r.provider_id = a.provider_id AND r.event_id = a.event_id
            WHERE {" AND ".join(conditions)}
        ) TO {sql_string(str(out_dir))} (FORMAT parquet, COMPRESSION zstd,
            PARTITION_BY (provider_id, event_date), FILENAME_PATTERN {sql_string(f"part-{sha16}-{{i}}")})"""
    ).fetchall()[0][0]
    staged = []
    total = 0
    for path in sorted(out_dir.rglob("*.parquet")) if out_dir.is_dir() else []:
        total += verify_parquet(path)
        rel = path.relative_to(out_dir)
        provider = unquote(rel.parts[0].split("=", 1)[1])
        day = dt.date.fromisoformat(unquote(rel.parts[1].split("=", 1)[1]))
        staged.append((path, rel.as_posix(), (provider, day)))
    if total != stored:
        raise AuditpipeError(
            f"internal error: staged files hold {total} rows but {stored} were written",
            hint="nothing was published; please report this",
        )
    return staged, int(stored)
