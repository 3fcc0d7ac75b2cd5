"""Finding input files, telling their format, hashing them and opening them as byte streams."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import InputFileError, UsageError

FORMATS = ("jsonl", "csv", "parquet")
_FORMAT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
_COMPRESSION_SUFFIXES = {".gz": "gzip", ".zst": "zstd"}
SUPPORTED = ".jsonl, .ndjson, .csv, .parquet, each optionally .gz or .zst"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    format: str  # jsonl | csv | parquet | a database audit log kind (see auditpipe.sources)
    compression: str | None  # gzip | zstd | None

    @property
    def name(self) -> str:
        return str(self.path)


def classify(path: Path) -> SourceFile | None:
    """Format and compression from the file name, or None when it is not a log we read."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        compression = _COMPRESSION_SUFFIXES[suffixes.pop()]
    if not suffixes or suffixes[-1] not in _FORMAT_SUFFIXES:
        return None
    return SourceFile(path, _FORMAT_SUFFIXES[suffixes[-1]], compression)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def classify_as(kind: str) -> Any:
    """A classifier for files of one database audit log source (``ingest --source``): any
    name, compression from the suffix."""

    def classify_source(path: Path) -> SourceFile:
        suffix = path.suffix.lower()
        return SourceFile(path, kind, _COMPRESSION_SUFFIXES.get(suffix))

    return classify_source


def discover(paths: Iterable[Path], classifier: Any = None) -> list[SourceFile]:
    """Every input file under ``paths``, sorted within each folder.

    A file named on the command line must be readable and of a known kind (else UsageError);
    inside folders, files and folders whose names start with '.' or '_' are skipped (as Spark
    and Hadoop do: `_expected/`, `.tmp` files), and so are files of other kinds.
    """
    found: list[SourceFile] = []
    seen: set[Path] = set()
    for given in paths:
        if not given.exists():
            raise UsageError(f"{given} does not exist", hint="check the path and try again")
        if given.is_dir():
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not _hidden(d))
                for name in sorted(files):
                    if _hidden(name):
                        continue
                    source = (classifier or classify)(Path(root) / name)
                    if source and source.path.resolve() not in seen:
                        seen.add(source.path.resolve())
                        found.append(source)
            continue
        source = (classifier or classify)(given)
        if source is None:
            raise UsageError(
                f"{given}: unknown kind of file",
                hint=f"auditpipe reads {SUPPORTED}; rename the file if it is one of these",
            )
        if not os.access(given, os.R_OK):
            raise UsageError(f"{given} is not readable", hint="check its permissions")
        if source.path.resolve() not in seen:
            seen.add(source.path.resolve())
            found.append(source)
    return found


def sha256_of(path: Path, chunk: int = 4 * 1024 * 1024) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}") from exc
    return digest.hexdigest()


def open_bytes(source: SourceFile) -> tuple[IO[bytes], Any]:
    """A stream of the file's decompressed bytes, and the raw file under it (whose ``tell()``
    shows progress through the file on disk). pyarrow's decompressors report a truncated or
    corrupt archive as an error when the end is reached, which the reader turns into a
    whole-file rejection."""
    import pyarrow as pa

    raw = pa.OSFile(str(source.path), "rb")
    if source.compression is None:
        return raw, raw  # type: ignore[return-value]
    return pa.CompressedInputStream(raw, source.compression), raw  # type: ignore[return-value]
