"""Helpers for the database audit log tests: settings, schema and reading a log text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditpipe.contract import load_catalog
from auditpipe.generate.dblogs import SCHEMA_DDL, settings_toml
from auditpipe.sources import load_settings, read_file


def write_source(folder: Path, kind: str, fmt: str | None = None, extra: str = "") -> Path:
    """source.toml and schema.sql in ``folder``; ``extra`` TOML lines are put first."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.sql").write_text(SCHEMA_DDL, encoding="utf-8")
    text = settings_toml(kind, "shop-db", fmt)
    if extra:  # extra lines replace the generated ones with the same keys
        keys = {line.split("=")[0].strip() for line in extra.splitlines() if "=" in line}
        kept = [line for line in text.splitlines() if line.split("=")[0].strip() not in keys]
        text = extra + "\n" + "\n".join(kept) + "\n"
    path = folder / "source.toml"
    path.write_text(text, encoding="utf-8")
    return path


def read_log(
    tmp_path: Path,
    text: str | bytes,
    kind: str = "pgaudit",
    fmt: str | None = "stderr",
    extra: str = "",
    **kw: Any,
) -> tuple[list[dict[str, Any]], Any]:
    """Events and quarantined rows of one log text, sorted by line, and the counters."""
    import json

    import polars as pl

    settings_path = write_source(tmp_path / "src", kind, fmt, extra)
    log = tmp_path / "log.txt"
    log.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    table, counters = read_file(log, load_settings(settings_path), load_catalog(), **kw)
    assert counters.reconciles, counters.as_dict()
    rows = pl.from_arrow(table).sort("line_number").to_dicts()
    for row in rows:
        row["extras"] = json.loads(row["extras"]) if row.get("extras") else {}
    return rows, counters


def events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["pre_error"] is None]


def quarantined(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["pre_error"] is not None]
