"""Finding input files, telling their format, hashing them and opening them as byte streams.

Only regular files are read: a FIFO, a device or a socket (or a link to one) named like a log
would block or never end, so inside a folder it is skipped with a warning, and named on the
command line it is a usage error. A lake folder inside an input folder (``auditpipe ingest .``
with the default ``./lake``) is never read as input, nor is anything under a lake's
``_auditpipe/``: the names start with '_' or the folder holds a lake marker.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import InputFileError, UsageError
from ..i18n import N_, _, ngettext

_COMPRESSION_SUFFIXES = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bz2", ".xz": "xz"}
COMPRESSION_SUFFIXES = tuple(_COMPRESSION_SUFFIXES)


def compression_of(path: Path) -> str | None:
    """The compression a file's last suffix names (gzip, zstd, bz2, xz), or None."""
    return _COMPRESSION_SUFFIXES.get(path.suffix.lower())


SUPPORTED = N_(".jsonl, .ndjson, .csv, .parquet, each optionally .gz, .zst, .bz2 or .xz")
# Archives and compressions auditpipe does not read, by suffix: what the file is, what to do.
_UNREAD_SUFFIXES = {
    ".zip": (N_("a ZIP archive"), N_("unzip it and ingest the files inside")),
    ".7z": (N_("a 7-Zip archive"), N_("extract it (7z x) and ingest the files inside")),
    ".rar": (N_("a RAR archive"), N_("extract it and ingest the files inside")),
    ".tar": (N_("a tar archive"), N_("extract it (tar -xf) and ingest the files inside")),
    ".tgz": (N_("a tar archive"), N_("extract it (tar -xzf) and ingest the files inside")),
    ".lz4": (
        N_("LZ4-compressed"),
        N_("decompress it (lz4 -d FILE) or compress it with gzip or zstd, and ingest that"),
    ),
    ".br": (
        N_("Brotli-compressed"),
        N_("decompress it (brotli -d FILE) or compress it with gzip or zstd, and ingest that"),
    ),
    ".snappy": (
        N_("Snappy-compressed"),
        N_("decompress it or compress it with gzip or zstd, and ingest that"),
    ),
}
# A tar archive compressed (its last suffix a compression auditpipe reads: .tar.gz ...).
_TAR_SHORT = {".tbz2": "bz2", ".tbz": "bz2", ".txz": "xz", ".tzst": "zstd"}
# Spreadsheets, which people export logs to and drop beside them.
_SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
# Names a copy or download in progress leaves (as the nightly job's PARTIAL_SUFFIXES).
_PARTIAL = (".part", ".tmp", ".partial", ".crdownload", ".filepart", ".download", ".swp")
SHOWN_NAMES = 10  # files a warning names before "and N more"


@dataclass(frozen=True)
class Hashed:
    """A file's sha256 computed earlier (the nightly job's inbox scan), with the size, mtime
    and inode the file had then: ingest trusts it while the file still has those."""

    sha256: str
    size: int
    mtime_ns: int
    inode: int

    def matches(self, path: Path) -> bool:
        try:
            st = path.stat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns, st.st_ino) == (self.size, self.mtime_ns, self.inode)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    format: str  # jsonl | csv | parquet
    compression: str | None  # gzip | zstd | None
    hashed: Hashed | None = None  # its sha256 when already known

    @property
    def name(self) -> str:
        return str(self.path)


def classify(path: Path) -> SourceFile | None:
    """Format and compression from the file name, or None when it is not a log we read."""
    from .kinds import suffix_kinds

    kinds = suffix_kinds()
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        compression = _COMPRESSION_SUFFIXES[suffixes.pop()]
    if not suffixes or suffixes[-1] not in kinds:
        return None
    return SourceFile(path, kinds[suffixes[-1]], compression)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def classify_as(kind: str) -> Callable[[Path], SourceFile]:
    """A classifier for files of one database audit log source (``ingest --source``): any
    name, compression from the suffix."""

    def classify_source(path: Path) -> SourceFile:
        suffix = path.suffix.lower()
        return SourceFile(path, kind, _COMPRESSION_SUFFIXES.get(suffix))

    return classify_source


def is_lake(folder: Path) -> bool:
    return (folder / "_auditpipe" / "lake.json").is_file()


def regular_file(path: Path) -> bool:
    """True for a regular file (following links); False for FIFOs, devices, sockets."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def broken_link(path: Path) -> bool:
    """True for a symbolic link that cannot be followed: its target is missing (a log rotated
    away under a link to it) or the links loop."""
    if not path.is_symlink():
        return False
    try:
        path.stat()
    except OSError:
        return True
    return False


def discover(
    paths: Iterable[Path],
    classifier: Callable[[Path], SourceFile | None] | None = None,
    exclude: Sequence[Path] = (),
    warn: Callable[[str], None] | None = None,
    skipped: Skipped | None = None,
) -> list[SourceFile]:
    """Every input file under ``paths``, sorted within each folder.

    A file named on the command line must be a readable regular file of a known kind (else
    UsageError); inside folders, files and folders whose names start with '.' or '_' are
    skipped (as Spark and Hadoop do: `_expected/`, `.tmp` files), and so are lakes
    (``exclude`` and any folder holding a lake marker). Files of other kinds, and files that
    are not regular or not readable, are skipped too, and one warning names them with their
    count. When ``paths`` hold nothing to ingest at all, that is a UsageError (exit 2): a
    run that reads nothing must not look like a run that read everything. ``classifier``
    (default ``classify``) tells a file's kind, or None to leave it out; ``skipped``, when
    given, receives the files left out.
    """
    paths = list(paths)
    found: list[SourceFile] = []
    seen: set[Path] = set()
    skipped = Skipped() if skipped is None else skipped
    skip_dirs = {p.resolve() for p in exclude}
    for given in paths:
        if not given.exists():
            raise UsageError(
                _("{given} does not exist").format(given=given),
                hint=_("check the path and try again"),
            )
        kind_of = classifier or classify
        candidates = (
            _in_folder(given, kind_of, skip_dirs, skipped)
            if given.is_dir()
            else [_named(given, kind_of)]
        )
        for source in candidates:
            if source.path.resolve() not in seen:
                seen.add(source.path.resolve())
                found.append(source)
    for line in skipped.warnings():
        (warn or _warn)(line)
    if paths and not found:
        where = ", ".join(map(str, paths))
        hint = _(
            "auditpipe reads {kinds} (names starting with '.' or '_' are skipped); "
            "read database audit logs of any name with --source FILE"
        ).format(kinds=_(SUPPORTED))
        # What to do with the first file of a kind that has a way in (a .json, a .zip ...)
        todo = next((u[1] for u in map(_unread_kind, skipped.other_kinds) if u), None)
        raise UsageError(
            _("nothing to ingest in {paths}: no log files ({skipped})").format(
                paths=where, skipped=skipped.summary()
            )
            if skipped
            else _("nothing to ingest in {paths}: no log files").format(paths=where),
            hint=f"{todo}; {hint}" if todo else hint,
        )
    return found


@dataclass
class Skipped:
    """Files inside input folders that ingest leaves out, by reason (hidden names aside)."""

    other_kinds: list[Path] = field(default_factory=list)
    not_regular: list[Path] = field(default_factory=list)  # FIFOs, devices, sockets
    unreadable: list[Path] = field(default_factory=list)  # no read permission
    broken_links: list[Path] = field(default_factory=list)  # target missing, or links loop

    def __bool__(self) -> bool:
        return bool(self.other_kinds or self.not_regular or self.unreadable or self.broken_links)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "other_kinds": [str(p) for p in self.other_kinds],
            "not_regular": [str(p) for p in self.not_regular],
            "unreadable": [str(p) for p in self.unreadable],
            "broken_links": [str(p) for p in self.broken_links],
        }

    def summary(self) -> str:
        """``2 files of kinds auditpipe does not read; 1 file that is not readable ...``"""
        reasons: list[tuple[list[Path], Callable[[int], str]]] = [
            (
                self.other_kinds,
                lambda n: ngettext(
                    "{n} file of a kind auditpipe does not read",
                    "{n} files of kinds auditpipe does not read",
                    n,
                ),
            ),
            (
                self.not_regular,
                lambda n: ngettext(
                    "{n} file that is not a regular file (a FIFO, device or socket)",
                    "{n} files that are not regular files (FIFOs, devices or sockets)",
                    n,
                ),
            ),
            (
                self.unreadable,
                lambda n: ngettext(
                    "{n} file that is not readable (permissions)",
                    "{n} files that are not readable (permissions)",
                    n,
                ),
            ),
            (
                self.broken_links,
                lambda n: ngettext(
                    "{n} link whose target is missing or that loops",
                    "{n} links whose targets are missing or that loop",
                    n,
                ),
            ),
        ]
        return "; ".join(
            words(len(files)).format(n=len(files)) for files, words in reasons if files
        )

    def warnings(self) -> list[str]:
        """One line per reason (files of other kinds: per kind), the count, the first names
        and what to do: a warning that only said a .zip was skipped left the operator to find
        out how to take it in."""
        by_kind: dict[tuple[str, str], list[Path]] = {}
        for path in self.other_kinds:
            by_kind.setdefault(skipped_advice(path), []).append(path)
        groups = [
            ("other_kinds", files, _("{what}: {todo}").format(what=what, todo=todo))
            for (what, todo), files in by_kind.items()
        ]
        groups += [
            (kind, files, todo)
            for kind, files, todo in (
                (
                    "not_regular",
                    self.not_regular,
                    _("copy the log into a regular file and ingest that"),
                ),
                (
                    "unreadable",
                    self.unreadable,
                    _("check its permissions: the user running auditpipe must be able to read it"),
                ),
                (
                    "broken_links",
                    self.broken_links,
                    _("point the link at the log again, or remove it"),
                ),
            )
            if files
        ]
        return [
            _("skipped {files}: {names} ({todo})").format(
                files=Skipped(**{kind: files}).summary(), names=_names(files), todo=todo
            )
            for kind, files, todo in groups
        ]


def _names(files: Sequence[Path], shown: int = SHOWN_NAMES) -> str:
    names = ", ".join(str(f) for f in files[:shown])
    if len(files) <= shown:
        return names
    return _("{names} and {n} more").format(names=names, n=len(files) - shown)


def _in_folder(
    folder: Path,
    kind_of: Callable[[Path], SourceFile | None],
    skip_dirs: set[Path],
    skipped: Skipped,
) -> Iterator[SourceFile]:
    def cannot_list(exc: OSError) -> None:
        # os.walk passes over a folder it cannot list (no permission) in silence.
        skipped.unreadable.append(Path(exc.filename) if exc.filename else folder)

    for root, dirs, files in os.walk(folder, onerror=cannot_list):
        dirs[:] = sorted(
            d
            for d in dirs
            if not _hidden(d)
            and (Path(root) / d).resolve() not in skip_dirs
            and not is_lake(Path(root) / d)
        )
        for name in sorted(files):
            if _hidden(name):
                continue
            path = Path(root) / name
            source = kind_of(path)
            if source is None:
                skipped.other_kinds.append(path)
            elif broken_link(path):
                skipped.broken_links.append(path)
            elif not regular_file(source.path):
                skipped.not_regular.append(path)
            elif not os.access(source.path, os.R_OK):
                skipped.unreadable.append(path)
            else:
                yield source


def _named(given: Path, kind_of: Callable[[Path], SourceFile | None]) -> SourceFile:
    source = kind_of(given)
    if source is None:
        unread = _unread_kind(given)
        if unread is not None:
            what, todo = unread
            raise UsageError(
                _("{given} is {what}, which auditpipe does not read").format(
                    given=given, what=what
                ),
                hint=todo,
            )
        raise UsageError(
            _("{given}: unknown kind of file").format(given=given),
            hint=_("auditpipe reads {SUPPORTED}; rename the file if it is one of these").format(
                SUPPORTED=_(SUPPORTED)
            ),
        )
    if not regular_file(given):
        raise UsageError(
            _("{given} is not a regular file (a FIFO, device or socket)").format(given=given),
            hint=_("copy the log into a regular file and ingest that"),
        )
    if not os.access(given, os.R_OK):
        raise UsageError(
            _("{given} is not readable").format(given=given), hint=_("check its permissions")
        )
    return source


def _unread_kind(path: Path) -> tuple[str, str] | None:
    """What a file named like an archive or a compression auditpipe does not read is, and
    what to do, or None: ``.csv.zip``, ``.jsonl.lz4``, a log compressed twice (``.gz.gz``),
    a ``.json`` file (JSON Lines as Spark, DuckDB and BigQuery name them, or a document)."""
    suffixes = [s.lower() for s in path.suffixes]
    if not suffixes:
        return None
    if [s for s in suffixes if s not in _COMPRESSION_SUFFIXES][-1:] == [".json"]:
        return _("a .json file"), _(
            "auditpipe reads JSON Lines named .jsonl or .ndjson: if the file holds one JSON "
            "object a line (as Spark, DuckDB and BigQuery write .json), rename it to .jsonl; "
            "if it is one JSON document, convert it: jq -c '.[]' FILE.json > FILE.jsonl"
        )
    if suffixes[-1] in _PARTIAL:
        return _("a file still being copied or downloaded ({suffix})").format(
            suffix=suffixes[-1]
        ), _(
            "wait until it is complete and has its final name (.jsonl, .csv or .parquet), "
            "then ingest it"
        )
    if (
        suffixes[-1] in _TAR_SHORT
        or suffixes[-2:-1] == [".tar"]
        and suffixes[-1] in (_COMPRESSION_SUFFIXES)
    ):
        return _("a compressed tar archive"), _(
            "extract it (tar -xf FILE) and ingest the files inside"
        )
    if suffixes[-1] in _SPREADSHEETS:
        return _("a spreadsheet"), _(
            "save the sheet as CSV UTF-8 (in Excel: File > Save As > CSV UTF-8) and ingest the CSV"
        )
    if suffixes[-1] in _UNREAD_SUFFIXES:
        what, todo = _UNREAD_SUFFIXES[suffixes[-1]]
        return _(what), _(todo)
    if len(suffixes) >= 2 and all(s in _COMPRESSION_SUFFIXES for s in suffixes[-2:]):
        return (
            _("a file compressed twice ({suffixes})").format(suffixes="".join(suffixes[-2:])),
            _("decompress it once (e.g. gunzip FILE.gz) and ingest what that gives"),
        )
    return None


def skipped_advice(path: Path) -> tuple[str, str]:
    """What a file ingest leaves out is, and what to do to take it in (translated): the
    archives and compressions it does not read, a .json file, a spreadsheet, a file still
    being copied, and any other name."""
    unread = _unread_kind(path)
    if unread is not None:
        return unread
    return _("a file of a kind auditpipe does not read"), _(
        "auditpipe reads {kinds}: rename a log of one of those kinds to its suffix, and read "
        "a database audit log of any name with --source FILE"
    ).format(kinds=_(SUPPORTED))


def _warn(text: str) -> None:
    from ..console import warn

    warn(text)


def sha256_of(path: Path, chunk: int = 4 * 1024 * 1024, limit: int | None = None) -> str:
    """The file's sha256, read in ``chunk``-sized pieces into one buffer: memory stays at one
    chunk, and no piece is a fresh allocation whose pages the kernel must fault in and zero
    (``read()`` of 32 MiB pieces cost 0.4 s more system CPU on a 1 GB file than this).
    ``limit``: hash only the first ``limit`` bytes (the file's size when ingest started on it,
    so that bytes appended meanwhile are not named by a hash its reading may not cover)."""
    digest = hashlib.sha256()
    buffer = memoryview(bytearray(chunk))
    left = limit
    try:
        with open(path, "rb", buffering=0) as fh:
            while size := fh.readinto(buffer if left is None else buffer[: min(chunk, left)]):
                digest.update(buffer[:size])  # hashlib releases the GIL on pieces this large
                if left is not None:
                    left -= size
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
    _check_compressed(source, raw)
    if source.compression == "gzip":
        import gzip

        # Python's gzip reader, not pyarrow's, reads what gzip(1) reads: members one after
        # another, and zero bytes padding the end (tape and disk blocks, `dd conv=sync`, some
        # transfer tools). pyarrow's took the padding for a corrupt next member and rejected
        # the whole file. Both are zlib underneath, at the same speed (0.76-0.89 s against
        # 0.78-0.95 s for 200 MB of JSON Lines); bytes after the data that are neither padding
        # nor a member still reject the file, as gzip(1) warns of them.
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[arg-type,return-value]
    if source.compression == "bz2":
        import bz2

        # Python's readers, as for gzip: several streams one after another (pbzip2, files
        # joined with cat) are whole content.
        return bz2.BZ2File(raw, mode="rb"), raw  # type: ignore[arg-type,return-value]
    if source.compression == "xz":
        import lzma

        return lzma.LZMAFile(raw, mode="rb"), raw  # type: ignore[arg-type,return-value]
    return pa.CompressedInputStream(raw, source.compression), raw  # type: ignore[return-value]


# The bytes each compression's stream starts with (zstd: a frame, or a skippable frame).
_SKIPPABLE_ZSTD = tuple(bytes([0x50 + n, 0x2A, 0x4D, 0x18]) for n in range(16))
_MAGIC = {
    "gzip": (b"\x1f\x8b",),
    "zstd": (b"\x28\xb5\x2f\xfd", *_SKIPPABLE_ZSTD),
    "bz2": (b"BZh",),
    "xz": (b"\xfd7zXZ\x00",),
}
_SHOWN = {"gzip": "gzip", "zstd": "zstd", "bz2": "bzip2", "xz": "xz"}  # names in messages


def _check_compressed(source: SourceFile, raw: Any) -> None:
    """A file named ``.gz``/``.zst`` whose bytes are not that compression (a plain log given
    the suffix, a zstd file named .gz) is rejected saying so, not as a "truncated or
    corrupt" archive: nothing is wrong with its content, only with its name."""
    head = raw.read(6)  # the longest signature, xz's
    raw.seek(0)
    if head.startswith(_MAGIC[str(source.compression)]):
        return
    suffix = source.path.suffix
    shown = _SHOWN[str(source.compression)]
    if not head:  # a compressed file, even of nothing, has a header: this one was cut short
        raise InputFileError(
            f"{source.path} is empty: a {shown} file holds at least a header, "
            "so it was cut short (an upload or copy that failed)",
            hint="ask the provider to send it again",
        )
    other = next((name for name, magics in _MAGIC.items() if head.startswith(magics)), None)
    # In English, as the other reasons a file is rejected for: the manifest records them.
    raise InputFileError(
        f"{source.path} is named {suffix} but is not {shown}-compressed"
        + (f" (it is {_SHOWN[other]}-compressed)" if other else ""),
        hint="rename it to what it holds and ingest it again",
    )
