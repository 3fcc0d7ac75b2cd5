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


def log_reader(
    tmp_path: Path, kind: str = "pgaudit", fmt: str | None = "stderr", extra: str = ""
) -> Any:
    """``read_log`` for many texts of one source: the settings, catalog and reader (with its
    analysis cache) made once, for tests that read hundreds of variants of one log."""
    import io
    import json

    import polars as pl

    from auditpipe.sources.reader import SourceReader

    reader = SourceReader(
        load_settings(write_source(tmp_path / "src", kind, fmt, extra)), load_catalog()
    )

    def read(text: str | bytes) -> tuple[list[dict[str, Any]], Any]:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        tables = list(reader.batches(io.BytesIO(data), "log.txt"))
        counters = reader.counters
        assert counters.reconciles, counters.as_dict()
        if not tables:
            return [], counters
        rows = pl.concat([pl.from_arrow(t) for t in tables]).sort("line_number").to_dicts()
        for row in rows:
            row["extras"] = json.loads(row["extras"]) if row.get("extras") else {}
        return rows, counters

    return read


def cut_points(record: str, start: int, tail: int = 24, stride: int = 3) -> list[int]:
    """Where to end a file inside ``record`` (its last record): every ``stride``-th byte from
    ``start``, every byte of its last ``tail`` bytes (parameters, row counts, return codes)
    and each line break with the byte after it; the whole record last."""
    ends = {i + 1 for i, ch in enumerate(record) if ch == "\n"} | {
        i for i, ch in enumerate(record) if ch == "\n"
    }
    points = set(range(start, len(record), stride)) | set(range(len(record) - tail, len(record)))
    return sorted(p for p in points | ends | {len(record)} if start <= p <= len(record))


def events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["pre_error"] is None]


def quarantined(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["pre_error"] is not None]
