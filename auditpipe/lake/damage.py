"""A lake file that cannot be read: which one, where its rows came from, and what to do.

auditpipe writes every lake file through a verified, atomic commit (``commit.py``), so a file
that fails to decode afterwards was damaged outside it: a disk error, a copy cut short, an edit
by hand. DuckDB names such a file in its error (``Failed to read file "<path>": ZSTD
Decompression failure``); the commands that read the lake turn that into a ``LakeError`` that
names the file and the source file its rows were ingested from (the manifest lists what each
ingest wrote), instead of blaming the query (a rule, a report) that happened to read it.

Restoring from a backup is the fix named: the manifest keeps the source file's content as
ingested, so ingesting the source again would be skipped as already in the lake.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import AuditpipeError, LakeError
from ..i18n import _
from . import layout

# How DuckDB names a Parquet file it could not read (2.x; the quotes differ by message), and
# pyarrow, whose datasets auditpipe sql reads through.
_FILE_IN_ERROR = re.compile(
    r"Failed to read file \"(?P<a>[^\"]+)\""
    r"|No magic bytes found at end of file '(?P<b>[^']+)'"
    r"|Invalid Parquet file '(?P<c>[^']+)'"
    r"|Could not open Parquet input source '(?P<d>[^']+)'"
    # a manifest entry (read by the views with read_json) that is not JSON, or not an object
    r"|(?:Malformed JSON|JSON transform error) in file \"(?P<e>[^\"]+)\""
    # the ingest_log view's own check (lake.manifest.DAMAGED_MARK): the entry, or its folder
    r"|auditpipe: damaged manifest entry (?:in )?\"(?P<f>[^\"]+)\""
)


def lake_root_of(path: Path) -> Path | None:
    """The lake folder ``path`` lies in, or None when it is not inside a lake."""
    for folder in path.parents:
        if (folder / "_auditpipe" / "lake.json").is_file():
            return folder
    return None


# A Parquet decoding failure whose message does not name the file (a page header DuckDB's
# thrift reader cannot parse, a codec error inside pyarrow's stream).
_DECODING_FAILED = re.compile(
    r"TProtocolException|deserialize thrift|[Dd]ecompress|Corrupt|magic bytes"
)


def decoding_failed(exc: BaseException) -> bool:
    """A Parquet decoding failure, whether or not the error names the file."""
    text = str(exc)
    return bool(_FILE_IN_ERROR.search(text) or _DECODING_FAILED.search(text))


def damaged_file_error(exc: BaseException, lake: Path | None = None) -> LakeError | None:
    """A LakeError for a DuckDB error that failed reading a file inside a lake; else None
    (the error is something else: a rule's own SQL, a file outside any lake).

    When the error does not name the file but is a Parquet decoding failure and ``lake`` is
    the lake being read, the lake's files are read one after the other to find it (the error
    path only: it costs about what the failed command's scan did)."""
    if isinstance(exc, AuditpipeError):  # explained already (this one's message names it)
        return None
    text = str(exc).splitlines()[0] if str(exc) else ""
    found = _FILE_IN_ERROR.search(text)
    if found:
        path = Path(next(v for v in found.groupdict().values() if v))
        if path.match("_auditpipe/manifest") or path.match("_auditpipe/manifest/*.json"):
            return _damaged_manifest(path, text[found.end() :].strip(" :.,"))
        root = lake_root_of(path)
        if root is None or not path.is_file():  # gone: a reader racing a commit, not damage
            return None
        # what DuckDB found wrong; a file without its footer has nothing after its name
        detail = text[found.end() :].strip(" :.,") or _("no Parquet footer: cut short")
    elif lake is not None and (
        _DECODING_FAILED.search(text) or isinstance(exc, UnicodeDecodeError)
    ):
        # DuckDB's message for a manifest entry it cannot read quotes the entry cut at a byte
        # count, and a cut inside a character leaves a message Python cannot decode: the
        # error is then a UnicodeDecodeError naming nothing. Either names no file: look.
        from . import manifest
        from .layout import manifest_dir

        return damage_in_lake(lake) or (
            manifest.first_damaged(manifest_dir(lake)) if manifest_dir(lake).is_dir() else None
        )
    else:
        return None
    return _damaged(root, path, detail)


def _damaged_manifest(path: Path, detail: str) -> LakeError | None:
    """The error naming a damaged manifest entry: ``path`` itself, or the first damaged one
    in ``path`` when it is the manifest folder; None when none is (gone meanwhile)."""
    from . import manifest

    if path.is_dir():
        return manifest.first_damaged(path)
    if not path.is_file():
        return None
    problem = manifest.problem_of(path) or detail
    return manifest.damaged(path, problem) if problem else None


def damage_in_lake(lake: Path) -> LakeError | None:
    """The LakeError for the lake's first file that does not decode whole; None if all do or
    ``lake`` is not a lake."""
    if lake_root_of(lake / "x") != lake:
        return None
    located = first_unreadable_file(lake)
    return None if located is None else _damaged(lake, *located)


def first_unreadable_file(root: Path) -> tuple[Path, str] | None:
    """The first stored file of the lake that does not decode whole, and why; None if all do.
    One file at a time, one row group at a time: memory stays at one row group."""
    import pyarrow.parquet as pq

    for table in layout.STORED_TABLES:
        for path in layout.stored_files(root, table):
            try:
                with pq.ParquetFile(path) as parquet:
                    for group in range(parquet.num_row_groups):
                        parquet.read_row_group(group)
            except FileNotFoundError:
                continue  # replaced by a commit meanwhile
            except Exception as exc:  # pyarrow raises several kinds for a damaged file
                return path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def _damaged(root: Path, path: Path, detail: str) -> LakeError:
    source = _ingested_from(root, path)
    origin = (
        _("; its rows were ingested from {source} (sha256 {sha256})").format(
            source=source[0], sha256=source[1]
        )
        if source
        else ""
    )
    return LakeError(
        _("the lake file {path} cannot be read: it is damaged ({detail}){origin}").format(
            path=path, detail=detail, origin=origin
        ),
        hint=_(
            "restore the file from a backup of the lake (auditpipe verified it when it was "
            "committed, so it was changed or damaged on disk since); ingesting the source "
            "again would be skipped, as its content is in the manifest"
        ),
    )


def _ingested_from(root: Path, path: Path) -> tuple[str, str] | None:
    """(source_file, sha256) of the manifest entry whose ingest wrote ``path``."""
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
    for manifest in layout.manifest_files(root):  # an error path: reading them all is fine
        try:
            entry = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(entry, dict) and relative in (entry.get("files") or []):
            return str(entry.get("source_file")), str(entry.get("sha256"))
    return None
