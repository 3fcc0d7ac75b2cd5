"""Files auditpipe writes for people (reports, query results): never inside the lake, and
written beside their final name then renamed into place, so a reader sees the old file or the
whole new one, never half of it. The lake's own files go through the lake's commit instead.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import UsageError


def check_output_path(output: Path, lake_root: Path) -> None:
    """Refuse an output file inside the lake (or the lake folder itself), or a folder."""
    target = output.expanduser().resolve()
    lake = lake_root.resolve()
    if target == lake or lake in target.parents:
        raise UsageError(
            f"--output {output} is inside the lake {lake_root}",
            hint="auditpipe never writes its outputs into the lake; choose a path outside it",
        )
    if target.is_dir():
        raise UsageError(f"--output {output} is a folder", hint="give a file name")


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that appears at ``path`` only when the block completes."""
    path = path.expanduser()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(tmp, "wb") as fh:
            yield fh
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


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
