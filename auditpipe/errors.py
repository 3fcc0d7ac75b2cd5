"""One error hierarchy. Every error auditpipe raises on purpose is an AuditpipeError.

The CLI prints ``Error: <message>`` and, when set, ``Hint: <hint>`` on stderr and exits with
``exit_code``; ``--debug`` shows the traceback instead. Exit codes are listed in the README.
"""

from __future__ import annotations

# Exit codes shared by every command (the nightly job adds its own on top, see README).
EXIT_OK = 0
EXIT_FINDINGS = 1  # a check failed: e.g. --fail-on found findings at or above the level
EXIT_ERROR = 2  # usage, input or operational error
EXIT_QUARANTINE = 3  # the run completed but rows or whole files were quarantined/rejected


class AuditpipeError(Exception):
    """Base class: ``message`` says what is wrong, ``hint`` what to do about it."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


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


class SqlError(AuditpipeError):
    """A query given to ``auditpipe sql`` failed."""
