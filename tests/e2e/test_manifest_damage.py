"""A damaged manifest entry is named with what to do by every command that reads it, never
read as nothing, as a row of NULLs, or reported as a DuckDB binder or internal error.

Damage of every kind: not JSON, cut short, empty, a JSON value that is not an object (an
array of them included), an object missing its sha256 or with another one, a required field
missing, a field of a type that does not cast."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from tests.support.cli import run_main
from tests.support.nightly import breach, event, write_log


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a lake of three ingested files, the folder of those files)."""
    base = tmp_path_factory.mktemp("manifest")
    logs = base / "logs"
    write_log(logs / "a.jsonl", [event("a1"), breach("a2")])
    write_log(logs / "b.jsonl", [event("b1", "2026-03-02")])
    write_log(logs / "c.jsonl", [event("c1", "2026-03-02", provider_id="blog-b")])
    ingest_paths(Lake.open(base / "lake", create=True), [logs], IngestSettings())
    return base / "lake", logs


def _damaged_copy(built: tuple[Path, Path], where: Path, text: str) -> tuple[Path, Path]:
    """A copy of the lake whose manifest entry of a.jsonl holds ``text``."""
    lake = where / "lake"
    shutil.copytree(built[0], lake)
    entries = sorted((lake / "_auditpipe" / "manifest").glob("*.json"))
    (entry,) = [e for e in entries if json.loads(e.read_text())["source_file"].endswith("a.jsonl")]
    entry.write_text(text, encoding="utf-8")
    return lake, entry


def _real_entry(built: tuple[Path, Path]) -> str:
    entries = sorted((built[0] / "_auditpipe" / "manifest").glob("*.json"))
    texts = [e.read_text() for e in entries]
    return next(t for t in texts if json.loads(t)["source_file"].endswith("a.jsonl"))


def _edit(field: str, value: object) -> object:
    def edit(doc: dict[str, object]) -> dict[str, object]:
        if value is _MISSING:
            doc.pop(field)
        else:
            doc[field] = value
        return doc

    return edit


_MISSING = object()

# (damage, what the message says); a damage is the file's text, or an edit of the real entry.
DAMAGES = {
    "not json": ("{not json", "not valid JSON, or cut short"),
    "cut short": (lambda text: text[: len(text) // 2], "not valid JSON, or cut short"),
    "empty": ("", "the file is empty"),
    "blank": ("  \n", "the file is empty"),
    "array": ("[1, 2]", "a JSON array, not a JSON object"),
    "array of the entry": (lambda text: f"[{text}]", "a JSON array, not a JSON object"),
    "empty array": ("[]", "a JSON array, not a JSON object"),
    "null": ("null", "a JSON null, not a JSON object"),
    "number": ("42", "a JSON number, not a JSON object"),
    "string": ('"entry"', "a JSON string, not a JSON object"),
    "empty object": ("{}", "its sha256 field is null, not the file's name"),
    "two objects": (lambda text: text + text, "not valid JSON, or cut short"),
    "another sha256": (_edit("sha256", "0" * 64), 'its sha256 field is "000'),
    "no status": (_edit("status", _MISSING), "the field status is missing"),
    "no source_file": (_edit("source_file", None), "the field source_file is missing"),
    "rows_read a word": (_edit("rows_read", "many"), 'the field rows_read is "many"'),
    "started_at a word": (_edit("started_at", "yesterday"), 'the field started_at is "yesterday"'),
    "partitions an object": (_edit("partitions", {"a": 1}), "the field partitions is"),
}


def _text(damage: object, real: str) -> str:
    if isinstance(damage, str):
        return damage
    if damage.__name__ == "edit":  # type: ignore[attr-defined]
        return json.dumps(damage(json.loads(real)))  # type: ignore[operator]
    return damage(real)  # type: ignore[operator,no-any-return]


def _commands(lake: Path, logs: Path) -> dict[str, list[str]]:
    return {
        "status": ["status", "--lake", str(lake)],
        "status --json": ["status", "--lake", str(lake), "--json"],
        "sql": ["sql", "--lake", str(lake), "SELECT count(*) FROM ingest_log"],
        "report": ["report", "--lake", str(lake), "--format", "json"],
        "ingest": ["ingest", str(logs / "a.jsonl"), "--lake", str(lake)],
    }


@pytest.mark.parametrize("command", ["status", "status --json", "sql", "report", "ingest"])
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_manifest_entry_is_named_by_every_command(
    built: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: str,
    command: str,
) -> None:
    how, says = DAMAGES[damage]
    lake, entry = _damaged_copy(built, tmp_path, _text(how, _real_entry(built)))
    code, _, err = run_main(_commands(lake, built[1])[command], capsys)
    assert code == 2, err
    assert f"manifest entry {entry} is damaged: {says}" in err, err
    assert "Hint: restore it from a backup of the lake" in err
    for wrong in ("Traceback", "internal error", "Binder", "Parquet"):
        assert wrong not in err, err


def _not_an_object() -> st.SearchStrategy[object]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    )
    return values.filter(lambda v: not isinstance(v, dict))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_not_an_object())
# DuckDB quotes the entry cut at a byte count inside a character: its message does not decode
@example(value=[[None, None], [None, -1000000000000000], "0\x1f\x80\u0800"])
def test_any_json_value_that_is_not_an_object_is_named(
    built: tuple[Path, Path], value: object
) -> None:
    where = Path(tempfile.mkdtemp())
    try:
        lake, entry = _damaged_copy(built, where, json.dumps(value))
        from auditpipe.lake.views import connect_views

        with pytest.raises(Exception) as raised:
            db = connect_views(Lake.open(lake))
            try:
                db.query("SELECT count(*) FILTER (WHERE status = 'ingested') FROM ingest_log")
            finally:
                db.close()
        from auditpipe.cli import explain_error

        error = explain_error(raised.value, where=lake)
        assert error.message.startswith(f"manifest entry {entry} is damaged: a JSON "), error
    finally:
        shutil.rmtree(where)
