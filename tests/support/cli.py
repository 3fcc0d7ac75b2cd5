"""Running the real ``auditpipe`` entry point in-process, error handler included."""

from __future__ import annotations

from typing import Any

from auditpipe.cli import main


def run_main(args: list[str], capsys: Any) -> tuple[int, str, str]:
    """``auditpipe ARGS`` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out, err = capsys.readouterr()
    return code, out, err
