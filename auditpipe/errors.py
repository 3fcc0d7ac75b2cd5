"""One error hierarchy. Every error auditpipe raises on purpose is an AuditpipeError.

The CLI prints ``Error: <message>`` and, when set, ``Hint: <hint>`` on stderr and exits with
``exit_code``; ``--debug`` prints the traceback too, and the exit code stays the same (a
scheduler reads 1 as "findings found"). Anything else that escapes a command is turned into
an AuditpipeError by ``explain``: a full disk, an interrupt, another OS error, or a bug.
Exit codes are listed in docs/operations.md and in each command's --help.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from pathlib import Path
from types import FrameType

from .i18n import _

# Exit codes shared by every command (the nightly job adds its own on top, see docs/nightly.md).
EXIT_OK = 0
EXIT_FINDINGS = 1  # a check failed: e.g. --fail-on found findings at or above the level
EXIT_ERROR = 2  # usage, input or operational error
EXIT_QUARANTINE = 3  # the run completed but rows or whole files were quarantined/rejected
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


class AuditpipeError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` what to do about it."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:
        # keeps the hint when an error crosses a process boundary (a Spark task to its driver)
        return (type(self), (self.message, self.hint))


class UsageError(AuditpipeError):
    """The command line or a path given on it is wrong."""


class ConfigError(AuditpipeError):
    """auditpipe.toml, a catalog file or another settings file is wrong."""


class ContractError(AuditpipeError):
    """The schemas/ contract itself cannot be loaded."""


class LakeError(AuditpipeError):
    """The lake folder is missing, not a lake, or in a state auditpipe cannot work with."""


class LockError(LakeError):
    """Another auditpipe process holds the lake's lock."""


class InputFileError(AuditpipeError):
    """A whole input file cannot be read (truncated or corrupt archive, unreadable file)."""


class EngineError(AuditpipeError):
    """The engine that runs the work (Spark) cannot start or lost a task."""


class SqlError(AuditpipeError):
    """A query given to ``auditpipe sql`` failed."""


class DiskFullError(AuditpipeError):
    """A write failed because the file system is full or the user's quota is used up."""


class Interrupted(AuditpipeError):
    """The user pressed Ctrl-C (or the process got SIGINT)."""

    exit_code = EXIT_INTERRUPTED


class OutputError(AuditpipeError):
    """Standard output could not be written (a closed pipe, a file on a full disk, a closed
    descriptor): not the lake's disk, whatever the OS error says. ``reason`` is the short
    cause ("Broken pipe", "No space left on device") for a command to put in its own words."""

    reason: str = ""


def stdout_error(exc: OSError) -> OutputError:
    """The OutputError for a write to standard output that failed with ``exc``.

    A reader that closed the pipe early (``| head -1``) is not a full disk and not findings:
    every command exits 2 with this message (docs/operations.md, "Output that cannot be
    written")."""
    code = exc.errno
    if code == errno.EPIPE:
        reason = _("the program reading it closed the pipe (Broken pipe)")
        error = OutputError(
            _("standard output was closed before everything was printed: {reason}").format(
                reason=reason
            ),
            hint=_(
                "the output is incomplete; if its reader (head, grep -q ...) had all it "
                "needed, nothing else went wrong, otherwise check what reads the output"
            ),
        )
    elif code in _DISK_FULL_ERRNOS:
        reason = exc.strerror or os.strerror(errno.ENOSPC)
        error = OutputError(
            _(
                "could not write to standard output: {reason} (the disk of the file standard "
                "output goes to is full, not the lake's)"
            ).format(reason=reason),
            hint=_(
                "free space where standard output goes, or send it elsewhere, and run the "
                "command again"
            ),
        )
    elif code == errno.EBADF:
        reason = _("standard output is closed")
        error = OutputError(
            _(
                "could not write to standard output: it is closed (the command was started with >&-)"
            ),
            hint=_(
                "run the command with standard output open; > /dev/null discards what it prints"
            ),
        )
    else:
        reason = exc.strerror or str(exc)
        error = OutputError(
            _("could not write to standard output: {reason}").format(reason=reason),
            hint=_("check where standard output goes, and run the command again"),
        )
    error.reason = reason
    return error


def read_only_hint() -> str:
    """What to do when a write meets a read-only file system: no user can write there."""
    return _(
        "that file system is mounted read-only (or was remounted so after a disk error): "
        "check the disk, remount it read-write (mount -o remount,rw MOUNT_POINT) and run the "
        "command again; the next run completes or rolls back a commit it interrupted (status, "
        "report, sql and findings only read the lake)"
    )


class InternalError(AuditpipeError):
    """A bug: an exception auditpipe did not expect."""


_DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# How DuckDB, Arrow and the C library word it when no errno reaches Python.
_DISK_FULL_TEXT = re.compile(r"no space left on device|disk quota exceeded", re.IGNORECASE)
# A quoted absolute path; DuckDB's asynchronous writer quotes it inside JSON (\"/path\"),
# whose backslash before the closing quote is not part of the name.
_QUOTED_PATH = re.compile(r"""["'](/[^"']+?)\\?["']""")


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def disk_full_path(exc: BaseException) -> Path | None | bool:
    """For a disk-full error anywhere in ``exc``'s chain: the path it names, or None when it
    names none; False when the chain holds no disk-full error."""
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in _DISK_FULL_ERRNOS:
            name = link.filename or link.filename2
            return Path(name) if name else None
        if _DISK_FULL_TEXT.search(str(link)):
            found = _QUOTED_PATH.search(str(link))
            return Path(found.group(1)) if found else None
    return False


def _out_of_inodes(path: Path | None) -> bool:
    """Has the file system of ``path`` run out of inodes (files) rather than space? Both are
    ENOSPC. Read after the failed command tidied up, which gave a few inodes back: under 1% of
    its inodes free while at least 1% of its space is."""
    if path is None:
        return False
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        st = os.statvfs(probe)
    except OSError:
        return False
    return st.f_files > 0 and st.f_favail * 100 < st.f_files and st.f_bavail * 100 >= st.f_blocks


# Set by the SIGINT handler ``watch_interrupts`` installs: Ctrl-C was pressed in this command.
_sigint_received = False


def watch_interrupts() -> None:
    """Remember a Ctrl-C (SIGINT) for ``explain``, then raise KeyboardInterrupt as Python does.

    A library may turn the KeyboardInterrupt into an error of its own: DuckDB, interrupted
    inside ``execute``, raises ``RuntimeError: Query interrupted`` (or its InterruptException),
    and code between it and the CLI may wrap that again. Whatever reaches the CLI after a
    Ctrl-C is an interrupt (exit 130), never an "unexpected internal error" (exit 2). Called
    by the CLI at the start of each command; does nothing outside the main thread or when
    SIGINT is not Python's default handler (someone else handles it)."""
    import signal

    global _sigint_received
    _sigint_received = False
    current = signal.getsignal(signal.SIGINT)
    if current is not signal.default_int_handler and current is not _on_sigint:
        return
    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    import signal

    global _sigint_received
    _sigint_received = True
    signal.default_int_handler(signum, frame)


def forget_interrupt() -> None:
    """Forget a Ctrl-C that was handled (the SQL prompt drops the statement and goes on), so
    a later error of the same command is not taken for an interrupt."""
    global _sigint_received
    _sigint_received = False


def is_interrupt(exc: BaseException) -> bool:
    """Did ``exc`` come of a Ctrl-C, whatever form a library gave it?"""
    # DuckDB raises its own InterruptException (or a RuntimeError) when Ctrl-C lands inside a
    # query; the SIGINT handler's flag catches every form.
    return (
        _sigint_received
        or isinstance(exc, KeyboardInterrupt)
        or (
            type(exc).__name__ == "InterruptException"
            and type(exc).__module__.lstrip("_").startswith("duckdb")
        )
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """Did DuckDB run out of memory (its limit too small for the work, or for starting)?"""
    return any(
        type(link).__name__ == "OutOfMemoryException"
        and type(link).__module__.lstrip("_").startswith("duckdb")
        for link in _chain(exc)
    )


def explain(exc: BaseException, where: Path | None = None) -> AuditpipeError:
    """The AuditpipeError a person should see for ``exc``: itself when it is one, else a full
    disk (at the path it names, else at ``where``), an interrupt, another OS error, or a bug."""
    if isinstance(exc, DiskFullError | Interrupted | OutputError):
        return exc
    # Standard output failed and something on the way wrapped the error: still stdout's.
    output = next((link for link in _chain(exc) if isinstance(link, OutputError)), None)
    if output is not None:
        return output
    full = disk_full_path(exc)
    if full is not False:
        at = full or where
        where_text = _(" at {path}").format(path=at) if at else ""
        if isinstance(at, Path) and _out_of_inodes(at):
            return DiskFullError(
                _(
                    "the disk is full{where}: its file system has no free inodes left (too "
                    "many files), though it has free space ({error})"
                ).format(where=where_text, error=exc),
                hint=_(
                    "remove files on that file system (df -i shows its inodes; auditpipe "
                    "compact merges a lake's small files) and run the command again; a failed "
                    "write leaves the lake as it was, and the next run completes or rolls back "
                    "a commit it interrupted"
                ),
            )
        return DiskFullError(
            _("the disk is full{where} ({error})").format(where=where_text, error=exc),
            hint=_(
                "free space on that file system (or raise the quota) and run the command "
                "again; a failed write leaves the lake as it was, and the next run completes or "
                "rolls back a commit it interrupted"
            ),
        )
    if is_interrupt(exc):
        return Interrupted(
            _("interrupted"),
            hint=_("the lake holds what was committed before; run the command again to finish"),
        )
    if isinstance(exc, AuditpipeError):
        return exc
    if is_out_of_memory(exc):
        return AuditpipeError(
            _("DuckDB ran out of memory within its limit: {error}").format(
                error=str(exc).splitlines()[0]
            ),
            hint=_(
                "raise the limit of the command that failed: memory_limit in [ingest] or "
                "[detect] of auditpipe.toml (default 4GB; nightly uses both), --memory-limit "
                "for sql"
            ),
        )
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        name = exc.filename or exc.filename2 or where
        return AuditpipeError(
            _("the file system of {path} is read-only ({error})").format(path=name, error=exc),
            hint=read_only_hint(),
        )
    if isinstance(exc, OSError):
        name = exc.filename or exc.filename2
        if exc.filename and exc.filename2:  # a rename: either folder may be the one refusing
            name = f"{exc.filename} -> {exc.filename2}"
        return AuditpipeError(
            f"{exc.strerror or exc}" + (f" ({name})" if name else ""),
            hint=_("check the disk and permissions, then run the command again"),
        )
    return InternalError(
        _("unexpected internal error: {kind}: {error}").format(kind=type(exc).__name__, error=exc),
        hint=_("run the command again with --debug and report the traceback"),
    )
