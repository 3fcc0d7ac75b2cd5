"""Structured logs of a nightly run: one JSON object per line, appended to ``--log-file``.

Every line has ``ts`` (UTC, ISO 8601), ``level``, ``event`` and ``run_id``; the rest depends on
the event (``file``, ``phase``, ``summary``, ``error`` ...). Lines are flushed as they are
written, so a killed run's log ends with the last thing it did.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import IO, Any

from ..errors import UsageError
from ..i18n import _
from ..lake import utc_now


class JobLog:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.run_id: str | None = None
        self._fh: IO[str] | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 (kept open for the run)
            except OSError as exc:
                raise UsageError(
                    _("cannot open log file {path}: {strerror}").format(
                        path=path, strerror=exc.strerror
                    ),
                    hint=_("check that its folder exists and is writable"),
                ) from exc

    def __call__(self, event: str, level: str = "info", **fields: Any) -> None:
        if self._fh is None:
            return
        doc = {"ts": utc_now().isoformat(), "level": level, "event": event, "run_id": self.run_id}
        doc.update(fields)
        try:
            self._fh.write(json.dumps(doc, default=str, sort_keys=False) + "\n")
            self._fh.flush()
        except OSError as exc:
            # The log's disk is full (or gone): the night's work must not stop for it, nor be
            # reported as a full disk at the lake. Said once, even with --quiet.
            self._lost(exc)

    def _lost(self, exc: OSError) -> None:
        from ..console import get_console

        fh, self._fh = self._fh, None
        with contextlib.suppress(OSError):
            if fh is not None:
                fh.close()
        text = _("cannot write to the log file {path}: {error}; the run goes on without it").format(
            path=self.path, error=exc.strerror or exc
        )
        get_console().err.print(_("Warning: {text}").format(text=text), markup=False)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
