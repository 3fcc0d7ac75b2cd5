"""Whether a manifest entry is sound, and the error that names one that is not.

Ingest writes one JSON object per input file to ``_auditpipe/manifest/<sha256>.json``, with the
fields ``INGEST_LOG_COLUMNS`` declares. An entry damaged on disk or edited by hand (not JSON, cut
short, empty, an array or another value instead of an object, a field of the wrong type, a
sha256 that is not its file's name) is named with what to do, the same way by every command:
ingest and nightly read entries in Python (``entry``), the ``ingest_log`` view reads them with
DuckDB and fails loudly on such an entry (``lake.views.ingest_log_body``), and
``damaged_entry_error`` turns DuckDB's error into this message (``lake.damage``).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from pathlib import Path
from typing import Any

from ..errors import LakeError
from ..i18n import _
from . import layout

# DuckDB's error() in the ingest_log view: the entry it names (or, for an entry that holds no
# JSON value at all, the manifest folder) is damaged. lake.damage finds the path in it.
DAMAGED_MARK = "auditpipe: damaged manifest entry"
# Fields every entry has had since the first ingest (besides sha256, its file's name); the
# others read as NULL in entries written before they existed.
REQUIRED_FIELDS = ("source_file", "status")


def entry(path: Path) -> dict[str, Any]:
    """The manifest entry in ``path``; a LakeError naming it when it is damaged."""
    doc, problem = _read(path)
    if problem is not None:
        raise damaged(path, problem)
    if doc is None:  # removed since it was listed
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
    return doc


def problem_of(path: Path) -> str | None:
    """What is wrong with the entry in ``path`` (None when it is sound or gone)."""
    return _read(path)[1]


def first_damaged(manifest: Path) -> LakeError | None:
    """The error naming the first damaged entry in the ``manifest`` folder; None if none is
    (an error path: it reads every entry)."""
    for path in layout.json_files(manifest):
        problem = problem_of(path)
        if problem is not None:
            return damaged(path, problem)
    return None


def damaged(path: Path, problem: str) -> LakeError:
    return LakeError(
        _("manifest entry {path} is damaged: {error}").format(path=path, error=problem),
        hint=_("restore it from a backup of the lake"),
    )


def _read(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None  # gone: a commit replaced it, not damage
    except UnicodeDecodeError as exc:
        return None, _("not UTF-8 text ({error})").format(error=exc)
    if not text.strip():
        return None, _("the file is empty")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return None, _("not valid JSON, or cut short ({error})").format(error=exc)
    if not isinstance(doc, dict):
        return None, _("a JSON {kind}, not a JSON object").format(kind=_json_kind(doc))
    if doc.get("sha256") != path.stem:
        return None, _("its sha256 field is {value}, not the file's name").format(
            value=json.dumps(doc.get("sha256"))
        )
    for name in REQUIRED_FIELDS:
        if doc.get(name) is None:
            return None, _("the field {name} is missing").format(name=name)
    for name, duck_type in _columns():
        if doc.get(name) is not None and not _fits(doc[name], duck_type):
            return None, _("the field {name} is {value}, not {kind}").format(
                name=name, value=_short(doc[name]), kind=_kind_words(duck_type)
            )
    return doc, None


def _columns() -> list[tuple[str, str]]:
    from .views import INGEST_LOG_COLUMNS

    return INGEST_LOG_COLUMNS


def _fits(value: Any, duck_type: str) -> bool:
    """Whether a JSON value is what ingest writes for a field of ``duck_type``."""
    if duck_type == "VARCHAR":
        return isinstance(value, str)
    if duck_type == "BIGINT":
        return isinstance(value, int) and not isinstance(value, bool)
    if duck_type == "VARCHAR[]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if duck_type == "TIMESTAMP WITH TIME ZONE":
        if not isinstance(value, str):
            return False
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    if duck_type == "STRUCT(name VARCHAR, events BIGINT)[]":
        return isinstance(value, list) and all(
            isinstance(v, dict)
            and (v.get("name") is None or isinstance(v["name"], str))
            and (v.get("events") is None or _fits(v["events"], "BIGINT"))
            for v in value
        )
    if duck_type == "JSON":
        return isinstance(value, dict)
    return True  # a type this check does not know: DuckDB's reader judges it


def _kind_words(duck_type: str) -> str:
    return {
        "VARCHAR": _("a string"),
        "BIGINT": _("a whole number"),
        "VARCHAR[]": _("a list of strings"),
        "TIMESTAMP WITH TIME ZONE": _("an ISO 8601 timestamp"),
        "JSON": _("a JSON object"),
        "STRUCT(name VARCHAR, events BIGINT)[]": _("a list of objects with a name and events"),
    }.get(duck_type, duck_type)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return _("array")
    if isinstance(value, str):
        return _("string")
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return _("number")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
