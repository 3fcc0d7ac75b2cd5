"""``auditpipe generate``: realistic provider access logs with known contents.

Writes logs of several providers in several formats, with every surface form the contract
accepts, a chosen share of malformed rows of every kind, re-sent duplicates, and planted
breaches and near-misses; beside them ``_expected/`` holds what an ingest must reconcile to
(``summary.json``) and what detect must find (``labels.parquet``). The same seed gives the same
bytes. Heavy imports happen inside ``generate`` so importing this package stays cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from .formats import DEFAULT_FORMATS, FORMATS
from .result import GeneratedFile, GenerateResult

DEFAULT_DUPLICATE_SHARE = 0.005


def generate(
    out: Path,
    *,
    rows: int,
    seed: int,
    bad_share: float = 0.01,
    formats: Sequence[str] = DEFAULT_FORMATS,
    providers: int = 4,
    start: dt.date = dt.date(2026, 3, 1),
    days: int = 3,
    plant: bool = True,
    duplicate_share: float = DEFAULT_DUPLICATE_SHARE,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    """Write ``rows`` log rows into ``out`` (a new or empty folder) and ``out/_expected/``.

    ``rows`` counts every data row written: good events, planted events, malformed rows
    (``bad_share`` of them) and re-sent copies (``duplicate_share``). Files are one per provider
    per format, named ``<provider_id>.<format>``. ``plant`` adds the planted breaches and
    near-misses whose expected findings go to ``_expected/labels.parquet``. ``overwrite``
    replaces an earlier generated set in ``out``. ``progress(rows_written, rows)`` is called
    after each chunk.
    """
    from .runner import run_generate

    return run_generate(
        Path(out),
        rows=rows,
        seed=seed,
        bad_share=bad_share,
        duplicate_share=duplicate_share,
        formats=formats,
        providers=providers,
        start=start,
        days=days,
        plant=plant,
        overwrite=overwrite,
        progress=progress,
    )


__all__ = ["DEFAULT_FORMATS", "FORMATS", "GenerateResult", "GeneratedFile", "generate"]
