"""Files auditpipe writes for people (reports, query results): never inside the lake, and
written beside their final name then renamed into place, so a reader sees the old file or the
whole new one, never half of it. The lake's own files go through the lake's commit instead.

CSV cells are neutralised against formula injection as OWASP recommends: a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote,
so Excel or LibreOffice shows it as text instead of running it (a destination party named
``=cmd|' /C calc'!A0`` stays a name). Numeric columns are numbers and are left as they are; a
text cell such as ``-5`` reads ``'-5``. The same rule runs in Python (report CSV) and in SQL
(``auditpipe sql --format csv``, its column names included), both generated from
``CSV_FORMULA_STARTS``.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import UsageError
from .i18n import _

# The UTF-8 byte order mark: Excel reads a CSV file as UTF-8 only when it starts with it.
UTF8_BOM = b"\xef\xbb\xbf"

# First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(value: str) -> str:
    """``value`` with a leading ``'`` when it starts like a formula, else unchanged."""
    return "'" + value if value.startswith(CSV_FORMULA_STARTS) else value


def neutralise_csv_sql(expression: str) -> str:
    """The same rule as ``neutralise_csv_cell`` for a VARCHAR SQL expression (NULL stays)."""
    starts = ", ".join(f"chr({ord(c)})" for c in CSV_FORMULA_STARTS)
    quote = "chr(39)"
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) "
        f"THEN {quote} || {expression} ELSE {expression} END"
    )


def bom_not_csv(fmt: str) -> UsageError:
    """The error for ``--bom`` with a format other than CSV."""
    from .i18n import _

    return UsageError(
        _("--bom is for CSV, not {fmt}").format(fmt=fmt),
        hint=_("add --format csv, or drop --bom"),
    )


def check_output_path(output: Path, lake_root: Path) -> None:
    """Refuse an output file inside the lake (or the lake folder itself), a folder, or a file
    whose folder does not exist."""
    target = output.expanduser().resolve()
    lake = lake_root.resolve()
    if target == lake or lake in target.parents:
        raise UsageError(
            _("--output {output} is inside the lake {lake_root}").format(
                output=output, lake_root=lake_root
            ),
            hint=_("auditpipe never writes its outputs into the lake; choose a path outside it"),
        )
    if target.is_dir():
        raise UsageError(
            _("--output {output} is a folder").format(output=output), hint=_("give a file name")
        )
    # checked before the work, so a mistyped folder is not found only when the file is written
    folder = output.expanduser().parent
    if not folder.exists():
        raise UsageError(
            _("--output {output}: the folder {folder} does not exist").format(
                output=output, folder=folder
            ),
            hint=_("create it first, or choose a file in an existing folder"),
        )
    if not folder.is_dir():
        raise UsageError(
            _("--output {output}: {folder} is not a folder").format(output=output, folder=folder),
            hint=_("choose a file in an existing folder"),
        )


def is_stream(path: Path) -> bool:
    """Whether ``path`` is there and is neither a file nor a link to one: a named pipe,
    ``/dev/stdout``, a device. Written as a stream, never renamed onto."""
    path = path.expanduser()
    return path.exists() and not path.is_file() and not path.is_dir()


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that appears at ``path`` only when the block completes.

    A symlink's target is written that way (the link stays a link). A path that is neither a
    file nor a link to one (a named pipe, ``/dev/stdout``, a device) is a stream: it is
    written directly, since renaming onto it would replace it with a file nobody reads."""
    path = path.expanduser()
    try:
        if is_stream(path):
            with open(path, "wb") as stream:
                yield stream
            return
        if path.is_symlink():
            path = path.resolve()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with open(tmp, "wb") as fh:
                yield fh
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    except OSError as exc:
        # write() and close() name no file: a full disk under --output was reported at the
        # lake, which a report only reads, so space was freed on the wrong disk.
        if exc.errno is not None and not (exc.filename or exc.filename2):
            exc.filename = str(path)
        raise


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """``atomic_binary`` as UTF-8 text."""
    with atomic_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
        try:
            yield text
        finally:
            text.detach()


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_text(path) as fh:
        fh.write(text)
