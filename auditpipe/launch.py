"""The ``auditpipe`` command's entry point (``auditpipe`` and ``python -m auditpipe``).

It imports nothing before it can answer a Ctrl-C: importing the command line (click, the error
hierarchy, the translations) takes about a tenth of a second, and a Ctrl-C in that time used
to end in Python's traceback and a death by signal, the only way out of the command line that
was neither a documented exit code nor a message. Once ``cli.main`` runs, it handles Ctrl-C
itself (exit 130, with the same message).
"""

from __future__ import annotations

import sys

# errors.EXIT_INTERRUPTED, not imported: the import is what may be interrupted
_EXIT_INTERRUPTED = 130


def main() -> None:
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        interrupted_at_start()
    run()


def interrupted_at_start(own_process: bool = True) -> None:
    """Say that a Ctrl-C stopped the command before it started, then exit 130. In the
    process's own command a second Ctrl-C is ignored from then on, so it cannot cut the
    message; a caller running ``cli.main(argv)`` in its process keeps its handler."""
    import signal

    if own_process:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # in the user's language when the translations can be loaded
        from .i18n import _

        lines = (
            _("Error: {message}").format(
                message=_("interrupted (Ctrl-C) before the command started; nothing was done")
            )
            + "\n"
            + _("Hint: {hint}").format(hint=_("run the command again"))
            + "\n"
        )
    except Exception:  # noqa: BLE001 - the English lines are the answer if they cannot
        lines = (
            "Error: interrupted (Ctrl-C) before the command started; nothing was done\n"
            "Hint: run the command again\n"
        )
    sys.stderr.write(lines)
    sys.stderr.flush()
    raise SystemExit(_EXIT_INTERRUPTED)
