"""Data field names the catalog does not know, counted per file.

A field the catalog does not know is stored with class ``other``: never protected, so a
breach of it goes unseen. Ingest therefore counts, per file, the events naming each unknown
field, and reports the most frequent ones (``[ingest] unclassified_top``, default 10) in its
summary, ``ingest --json`` and the manifest (``ingest_log.unclassified_fields``), with how many
different unknown names the file had (``unclassified_field_names``).

Counting is set-based: each normalised batch's ``data_fields`` lists are flattened and grouped
with Arrow compute (an event naming a field twice counts once), and only the batch's small
tally (one entry per distinct unknown name) is merged in Python. Rows quarantined are not
counted; duplicates are (they name the same fields). Memory stays bounded: past
``MAX_TRACKED`` different names, the least frequent are dropped, so the counts of a file with
that many different unknown names are lower bounds and the number of names saturates there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from ..contract import Catalog

MAX_TRACKED = 10_000


@dataclass
class UnclassifiedTally:
    """Events per unknown data field name, over the batches of one file."""

    known: pa.Array  # the catalog's (normalised) names
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> UnclassifiedTally:
        import pyarrow as pa

        return cls(known=pa.array(sorted({e.name for e in catalog.entries}), pa.string()))

    def add(self, batch: pa.Table) -> None:
        """Count a normalised batch (its ``reason`` and ``data_fields`` columns)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        # Only the one column: filtering the whole batch would copy every column.
        lists = pc.filter(batch["data_fields"], pc.is_null(batch["reason"])).combine_chunks()
        if not len(lists):
            return
        names = pc.list_flatten(lists)
        rows = pc.list_parent_indices(lists)
        unknown = pc.invert(pc.is_in(names, value_set=self.known))
        pairs = pa.table({"name": names, "row": rows}).filter(unknown)
        if not pairs.num_rows:
            return
        tally = pairs.group_by("name").aggregate([("row", "count_distinct")])
        names_found = tally["name"].to_pylist()
        self.counts.update(
            dict(zip(names_found, tally["row_count_distinct"].to_pylist(), strict=True))
        )
        if len(self.counts) > 2 * MAX_TRACKED:
            self.counts = Counter(dict(self.counts.most_common(MAX_TRACKED)))

    def top(self, n: int) -> list[tuple[str, int]]:
        """The ``n`` most frequent names with their event counts, most frequent first (ties
        by name)."""
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:n]


def unclassified_json(top: list[tuple[str, int]]) -> list[dict[str, object]]:
    """The manifest's and ``ingest --json``'s form: ``[{"name": ..., "events": n}, ...]``."""
    return [{"name": name, "events": events} for name, events in top]
