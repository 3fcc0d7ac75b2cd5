"""pyarrow's ``ParquetWriter`` made safe to fail: closed for good when closing fails, and
naming its file in the error.

A Parquet file's footer is written when the writer closes, so on a full disk it is ``close()``
that fails. pyarrow's writer then stays "open": its ``__del__`` closes it again when it is
collected, fails again, and Python prints ``Exception ignored in: ParquetWriter.__del__`` with
a traceback on stderr, after the command's own clean ``Error: the disk is full``. And Arrow's
error names no file ("Error writing bytes to file"), so the message named the lake, not the
file whose write failed. Import this module only where pyarrow is loaded already (it imports
``pyarrow.parquet``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq


def name_file(exc: BaseException, path: str | os.PathLike[str] | None) -> None:
    """Give an OSError that names no file (a failed write or fsync) the file it was for."""
    if path is not None and isinstance(exc, OSError) and not (exc.filename or exc.filename2):
        exc.filename = str(path)


class ParquetWriter(pq.ParquetWriter):
    """``pyarrow.parquet.ParquetWriter`` whose errors name its file and whose failed
    ``close()`` leaves it closed (nothing retried, nothing printed when it is collected)."""

    def __init__(self, where: Any, schema: Any, **options: Any) -> None:
        self.path = where if isinstance(where, str | Path) else None
        try:
            super().__init__(where, schema, **options)
        except OSError as exc:
            name_file(exc, self.path)
            raise

    def write_table(self, table: Any, row_group_size: int | None = None) -> None:
        try:
            super().write_table(table, row_group_size=row_group_size)
        except OSError as exc:
            name_file(exc, self.path)
            raise

    def close(self) -> None:
        try:
            super().close()
        except BaseException as exc:
            # pyarrow sets is_open only after a close that succeeded: mark it closed, and let
            # the file go, so that nothing tries to finish a file that cannot be finished.
            self.is_open = False
            if self.file_handle is not None:
                with contextlib.suppress(Exception):
                    self.file_handle.close()
            name_file(exc, self.path)
            raise

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            super().__del__()
