"""Sentences about an ingested file that both ingest and nightly print."""

from __future__ import annotations

from ..i18n import _

# The counter of a file's duplicates whose key the lake holds on another day
# (stage.StagedFiles.duplicates_of_another_day).
DUPLICATES_OF_ANOTHER_DAY = "rows_duplicate_of_another_day"


def event_ids_reused(n: int) -> str:
    """``n`` rows counted as duplicates whose event_id an event of another day has, earlier
    in the file or in the lake (stage.DUPLICATES_OF_ANOTHER_DAY): not the same event, the
    provider's id used again."""
    return _(
        "{n:,} rows have the event_id of an event of another day (earlier in the file or in "
        "the lake), so they are not the same event but were counted as duplicates; if this "
        "provider's event ids repeat (reset daily, per file or per server), leave event_id out "
        "so each event gets an id from its content (docs/contract.md)"
    ).format(n=n)
