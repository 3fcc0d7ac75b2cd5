"""Where an ingested file is now: provenance that survives ``nightly --move-processed``.

An event's ``source_file`` is the path ingest read it from, and the lake's event files are
never rewritten when the file moves. What moved is recorded per content, keyed by sha256 like
the manifest, in ``_auditpipe/locations/<sha256>.json``::

    {"sha256": "...", "location": "/abs/inbox/processed/2026-03-05/a.jsonl",
     "moves": [{"from": "/abs/inbox/a.jsonl", "to": "/abs/...", "at": "...", "run_id": "..."}]}

``nightly`` records a move *before* it renames the file (``record_move``), so a crash between
the two leaves the file at a place the record still lists. ``resolve_sources`` finds a file:
the newest recorded location first, then each place it was moved from, newest first, then the
path ingest read it from; the first that is a regular file of the size the manifest recorded
is where the file is now. Its sha256 is not recomputed on every look-up (a log can be
gigabytes); the size check catches a different file put at the same path, and the sha256 is
shown beside the path so anyone can check it (``sha256sum``). When no candidate holds the file
it is reported missing, with the places it was looked for, never as a path that works.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import layout
from .commit import utc_now, write_json_atomic

LOCATIONS_DIR = "locations"

# What resolve_sources says of a file.
IN_PLACE = "in place"  # still where ingest read it
MOVED = "moved"  # found where it was moved to (or an earlier step of its moves)
MISSING = "missing"  # in none of the places it was ever recorded at
CHANGED = "changed"  # a file is there, but not the one ingested (another size)


def locations_dir(root: Path) -> Path:
    return layout.meta_dir(root) / LOCATIONS_DIR


def location_doc(root: Path, sha256: str) -> dict[str, Any] | None:
    path = locations_dir(root) / f"{sha256}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # never moved (or a damaged record: the other candidates still count)
    return doc if isinstance(doc, dict) else None


def record_move(root: Path, sha256: str, source: Path, dest: Path, run_id: str) -> None:
    """Record that the file with this content moves from ``source`` to ``dest``; call it
    before the rename, under the lake's lock. Paths are stored absolute."""
    doc = location_doc(root, sha256) or {"sha256": sha256, "moves": []}
    to = str(dest.resolve())
    moves = [*(doc.get("moves") or [])]
    moves.append(
        {"from": str(source.resolve()), "to": to, "at": utc_now().isoformat(), "run_id": run_id}
    )
    doc = {**doc, "location": to, "moves": moves}
    write_json_atomic(locations_dir(root) / f"{sha256}.json", doc)


@dataclass(frozen=True)
class SourceLocation:
    """Where the file with ``sha256`` is now (``path``, None when missing), and the places it
    was looked for, in order."""

    sha256: str
    ingested_as: str
    path: str | None
    status: str
    looked_at: tuple[str, ...]


def candidates(ingested_as: str, doc: dict[str, Any] | None) -> list[str]:
    """The places a file may be, most recent first, each once."""
    found: list[str] = []
    if doc:
        found.append(str(doc.get("location") or ""))
        for move in reversed(doc.get("moves") or []):
            found += [str(move.get("to") or ""), str(move.get("from") or "")]
    found.append(ingested_as)
    return [p for i, p in enumerate(found) if p and p not in found[:i]]


def resolve_sources(
    root: Path, files: Iterable[tuple[str, str]], sizes: dict[str, int | None]
) -> list[SourceLocation]:
    """Where each (sha256, path ingest read it from) is now; ``sizes`` are the manifest's
    byte counts by sha256. One look-up per distinct file, never per event."""
    out = []
    for sha, ingested_as in files:
        looked = candidates(ingested_as, location_doc(root, sha))
        path, status = None, MISSING
        for candidate in looked:
            here = _size(candidate)
            if here is None:
                continue
            expected = sizes.get(sha)
            if expected is not None and here != expected:
                status = CHANGED if status == MISSING else status
                continue
            path, status = candidate, (IN_PLACE if candidate == ingested_as else MOVED)
            break
        out.append(SourceLocation(sha, ingested_as, path, status, tuple(looked)))
    return out


def _size(path: str) -> int | None:
    """The size of a regular file at ``path``; None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None
