"""The seam between input kinds and the ingest pipeline.

An input *kind* (JSON Lines, CSV, Parquet, a database's audit log ...) knows how to read one
file; the pipeline knows everything after that: normalising to the contract, quarantine,
dedup, partitioned Parquet, reconciliation and the lake commit. The pipeline looks a kind up
by the file's format name (``SourceFile.format``) and then only calls ``kind.batches(ctx)``; it
never branches on which kind it is. A new kind is one module with one class, registered with
``register_kind``.

What a kind yields: ``pyarrow.Table`` (or ``RecordBatch``) batches, in input order, with

``line_number`` (int64, required)
    where the row starts in the file, 1-based and exact (physical line for text; row number
    for Parquet). Batches must come in increasing line order: dedup keeps an event's first
    delivery.
``raw`` (string, required)
    the row's own text, kept in the quarantine when the row is rejected. Text that is not
    UTF-8 is shown with its bytes escaped, never dropped.
``reason`` (string, optional)
    not NULL for a row the kind already knows is bad (not UTF-8, not JSON, wrong CSV column
    count ...): the row is quarantined with this reason and its other columns are ignored.
``extras`` (string, optional)
    a JSON object holding fields outside the contract, or NULL.
one string column per contract field found (optional; named as in the contract)
    the field's text as found; the pipeline trims it, maps aliases, parses times, checks
    every rule and builds reasons. A field the kind does not provide is simply absent.

Every row read must be in exactly one batch: ``rows read`` is the sum of the batches' row
counts, and the pipeline proves that each of them is stored, quarantined or a duplicate.

Per-file problems (truncated archive, unreadable header, unsupported encoding) are raised as
``InputFileError`` with a reason and a hint: the file is rejected whole, the run goes on.
Anything else a kind raises is a bug.

A kind may count things that are not rows (e.g. ``non_audit_lines`` in a server log) with
``ctx.count(name, n)``; these counters appear in the file's result (``FileResult.counters``),
the ``--json`` summary and the manifest entry (``counters``). A counter of rows the kind
knows will be quarantined (``rows_not_utf8_gb18030``) is counted with
``ctx.count_quarantined(name, rows)``, which also records which rows they are: when the file
grew under its path and its old bad rows are dropped as quarantined already, the counter then
counts only what this run quarantined, as the rows do.

Which kind reads a file: ``SourceFile.format``, set by ``sources.classify`` from the kind's
``suffixes`` (before any ``.gz``/``.zst``). A caller that knows better (a file listed as a
database source) builds the ``SourceFile`` with that kind's ``name`` itself. Names are
unique; registering a name again replaces the kind. tests/e2e/test_ingest_kinds.py is a
complete small kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from ..errors import UsageError
from ..i18n import _

if TYPE_CHECKING:
    import pyarrow as pa

    from ..contract import Contract
    from .sources import SourceFile


@dataclass
class ReadContext:
    """What a kind gets to read one file."""

    source: SourceFile
    contract: Contract
    batch_bytes: int  # decompressed bytes per batch: bounds memory whatever the file size
    max_line_bytes: int  # a longer row is quarantined without being held whole
    work: Path  # a private folder in the lake's staging area for temporary files
    con: Any  # a DuckDB connection the kind may use (TimeZone is the lake's)
    on_progress: Callable[[float], None] = lambda share: None  # 0.0 .. 1.0 of the file
    counters: Counter[str] = field(default_factory=Counter)
    # name -> a Parquet writer of the rows a quarantine counter counted (see count_quarantined)
    counted_rows: dict[str, Any] = field(default_factory=dict)
    # The file's column names (a CSV header, JSON keys, a Parquet schema) that name a field
    # of the account snapshots' contract and none of the events' (see note_columns).
    snapshot_columns: set[str] = field(default_factory=set)

    def note_columns(self, names: Iterable[str]) -> None:
        """Keep those of ``names`` (column names the kind found) that only an account
        snapshot has: a user export not named ``*.accounts.*`` is read as an access log, and
        its summary then says so (pipeline.looks_like_a_snapshot). Kinds call it once per
        new name, not per row."""
        snapshots = _snapshot_contract()
        for name in names:
            if self.contract.canonical_key(name) is None:
                found = snapshots.canonical_key(name)
                if found is not None:
                    self.snapshot_columns.add(found)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def count_quarantined(self, name: str, rows: pa.Table) -> None:
        """Count rows that will be quarantined: ``rows`` (line_number, raw: as the quarantine
        will hold them; n: how much each one counts) add their ``n`` to counter ``name``."""
        import pyarrow.compute as pc

        self.count(name, int(pc.sum(rows["n"]).as_py() or 0))
        self.record_quarantined(name, rows)

    def record_quarantined(self, name: str, rows: pa.Table) -> None:
        """Only record ``rows`` under ``name`` (a counter kept elsewhere, such as a database
        log's ``lines_quarantined``), so that the stager can tell how much of ``name`` an
        earlier ingest of the same path quarantined already. Written to the file's work
        folder, not held: a file may have millions of bad rows."""
        import pyarrow as pa

        from ..lake.parquet_writer import ParquetWriter

        if not rows.num_rows:
            return
        schema = pa.schema([("line_number", pa.int64()), ("raw", pa.string()), ("n", pa.int64())])
        writer = self.counted_rows.get(name)
        if writer is None:
            folder = self.work / "counted"
            folder.mkdir(parents=True, exist_ok=True)
            writer = self.counted_rows[name] = ParquetWriter(folder / f"{name}.parquet", schema)
        writer.write_table(rows.select(schema.names).cast(schema))

    def close_counted(self) -> dict[str, Path]:
        """Close the files ``record_quarantined`` wrote: counter name -> its file."""
        files = {}
        for name, writer in self.counted_rows.items():
            writer.close()
            files[name] = self.work / "counted" / f"{name}.parquet"
        self.counted_rows = {}
        return files

    def open_bytes(self) -> IO[bytes]:
        """The file's decompressed bytes; progress follows the compressed position."""
        from .sources import open_bytes

        stream, raw = open_bytes(self.source)
        total = max(self.source.path.stat().st_size, 1)
        return _Tracked(stream, raw, total, self.on_progress)  # type: ignore[return-value]


class _Tracked:
    """A file's decompressed bytes, reporting progress as they are read. A plain class: a
    class made per call (as this was) sits in a reference cycle, so it and the file's read
    context (its DuckDB connection, its open stream) lived on until Python's next full
    garbage collection, a file or more later."""

    def __init__(
        self, stream: IO[bytes], raw: Any, total: int, on_progress: Callable[[float], None]
    ) -> None:
        self.stream, self.raw, self.total, self.on_progress = stream, raw, total, on_progress

    def read(self, size: int) -> bytes:
        block = self.stream.read(size)
        self.on_progress(min(self.raw.tell() / self.total, 1.0))
        return bytes(block)

    def readinto(self, buffer: memoryview) -> int:
        # open_bytes gives a pyarrow NativeFile, which reads into a buffer.
        n = int(self.stream.readinto(buffer))  # type: ignore[attr-defined]
        self.on_progress(min(self.raw.tell() / self.total, 1.0))
        return n

    def close(self) -> None:
        self.stream.close()


class Kind(Protocol):
    """One input kind. ``name`` is the format name files are classified as."""

    name: str
    suffixes: tuple[str, ...]  # file name suffixes (before any .gz/.zst) that mean this kind

    def batches(self, ctx: ReadContext) -> Iterator[pa.Table | pa.RecordBatch]: ...


_KINDS: dict[str, Kind] = {}
_BUILTIN_LOADED = False


@cache
def _snapshot_contract() -> Contract:
    from ..contract import load_account_contract

    return load_account_contract()


def register_kind(kind: Kind) -> Kind:
    _KINDS[kind.name] = kind
    return kind


def kind_for(name: str) -> Kind:
    _load_builtin()
    try:
        return _KINDS[name]
    except KeyError:
        raise UsageError(
            _("unknown input kind {name!r}").format(name=name),
            hint=_("known: {known_kinds}").format(known_kinds=known_kinds()),
        ) from None


def known_kinds() -> str:
    _load_builtin()
    return ", ".join(sorted(_KINDS))


def suffix_kinds() -> dict[str, str]:
    """File name suffix (lower case, with the dot) -> kind name."""
    _load_builtin()
    return {s: k.name for k in _KINDS.values() for s in k.suffixes}


def _load_builtin() -> None:
    global _BUILTIN_LOADED
    if not _BUILTIN_LOADED:
        _BUILTIN_LOADED = True
        from . import read_csv, read_jsonl, read_parquet  # noqa: F401  (they register)
