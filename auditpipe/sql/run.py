"""One call for the command line: run a query over a lake and write its result."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..db import quote_literal
from ..errors import SqlError
from ..i18n import _
from ..lake import Lake
from ..lake.commit import read_while_writers_commit
from ..lake.damage import damage_in_lake
from ..lake.views import view_statements
from ..outputs import atomic_binary, check_output_path, is_stream
from ..report.masking import masking_sql_text
from .connection import connect, open_lake
from .output import (
    DEFAULT_MAX_ROWS,
    STREAMED_FORMATS,
    WriteSummary,
    choose_format,
    write_result,
)
from .query import DAMAGED_HINT, run_sql

if TYPE_CHECKING:
    from rich.console import Console


def query_lake(
    lake: Lake | str | os.PathLike[str] | None,
    sql: str,
    *,
    fmt: str | None = None,
    output: Path | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    console: Console | None = None,
    memory_limit: str | None = None,
    bom: bool = False,
) -> WriteSummary | None:
    """Run ``sql`` (one or more statements) read-only over ``lake``; write the last result
    in ``fmt`` (None: from ``output``'s suffix, else a table on a terminal, TSV otherwise).

    Returns None when the last statement returns no rows to show (e.g. CREATE TEMP VIEW).

    A writer (compact, detect) may replace files while the query runs; the query then starts
    again on the lake as it is now (``read_while_writers_commit``). So that a second run never
    doubles output, nothing reaches stdout before the result is complete: a table is printed
    from the rows it fetched, an ``--output`` file is renamed into place when complete, and
    the streamed formats (TSV, CSV, JSON...) for stdout are spooled (in memory up to 8 MiB,
    then in a temporary file). ``bom`` starts CSV with a UTF-8 byte order mark (for Excel).
    """
    lake_obj = open_lake(lake)
    terminal = console.is_terminal if console is not None else sys.stdout.isatty()
    fmt = choose_format(fmt, output, terminal)
    if output is not None:
        check_output_path(output, lake_obj.root)
        if is_stream(output):
            # A pipe or a device (/dev/stdout): the result is written whole to a file first and
            # then copied, so that a run started again never sends it a result twice.
            with tempfile.TemporaryDirectory(prefix="auditpipe-sql-") as folder:
                staged = Path(folder) / "result"
                summary = query_lake(
                    lake_obj,
                    sql,
                    fmt=fmt,
                    output=staged,
                    max_rows=max_rows,
                    console=console,
                    memory_limit=memory_limit,
                    bom=bom,
                )
                if staged.exists():
                    with open(staged, "rb") as source, atomic_binary(output) as sink:
                        shutil.copyfileobj(source, sink)
            return summary
    spool = (
        output is None
        and fmt in STREAMED_FORMATS
        and console is None
        and _stdout_bytes() is not None
    )

    def attempt() -> tuple[WriteSummary | None, IO[bytes] | None]:
        con = connect(lake_obj, memory_limit=memory_limit)
        try:
            result = run_sql(con, sql)
            if result.relation is None:
                return None, None
            if not spool:
                summary = write_result(
                    result.relation,
                    fmt,
                    output=output,
                    console=console,
                    max_rows=max_rows,
                    bom=bom,
                    placement=result.placement,
                )
                return summary, None
            buffer = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
            try:
                summary = write_result(
                    result.relation,
                    fmt,
                    output=None,
                    stream=buffer,
                    bom=bom,
                    placement=result.placement,
                )
            except BaseException:
                buffer.close()
                raise
            return summary, buffer
        finally:
            con.close()

    try:
        summary, buffer = read_while_writers_commit(lake_obj.root, attempt)
    except SqlError as exc:
        # a lake file failed to decode and the error did not say which (the hint is translated
        # when it is made, so it is compared in the language in force)
        if exc.hint == _(DAMAGED_HINT):
            damaged = damage_in_lake(lake_obj.root)
            if damaged is not None:
                raise damaged from exc
        raise
    stdout = _stdout_bytes()
    if buffer is not None and stdout is not None:
        with buffer:
            buffer.seek(0)
            shutil.copyfileobj(buffer, stdout)
            stdout.flush()
    return summary


def _stdout_bytes() -> IO[bytes] | None:
    return getattr(sys.stdout, "buffer", None)


_SPOOL_BYTES = 8 * 1024 * 1024


def printable_views(lake: Lake | str | os.PathLike[str] | None) -> str:
    """The CREATE VIEW statements (and masking macros) to paste into another DuckDB client."""
    lake_obj = open_lake(lake)
    header = (
        f"-- auditpipe views over the lake {lake_obj.root.resolve()}\n"
        "-- They list the lake's files as they are now, one by one, so every query through them\n"
        "-- sees one consistent lake, never half of a commit. Print them again after ingest,\n"
        "-- detect or compact: files added later are not in them, and a query over a file that\n"
        "-- compact has since replaced fails instead of answering from a different lake.\n"
        f"SET TimeZone = {quote_literal(lake_obj.timezone)};\n\n"
    )
    views = "\n\n".join(view_statements(lake_obj.root).values())
    return (
        header
        + views
        + "\n\n-- masking macros (mask_id, mask_text, mask_actor)\n"
        + masking_sql_text()
    )
