"""Low-cardinality columns normalised once per distinct text, for a whole file.

The enum columns (action, actor_type, ...) and ``data_fields`` hold few distinct texts, and
the same ones batch after batch. Mapping a text (alias spellings, Chinese names, lists of
field names with their classes and categories) costs regular expressions, so it is paid once
per distinct text: ``ValueLookups`` keeps, per column, the texts already mapped with their
results, maps only the batch's new texts with the queries ``normalize.lookup_queries`` builds
(the same SQL the normalising query joined on before), and hands the batch its looked-up
columns by an Arrow ``index_in`` and ``take``. The normalising query then reads them as
columns: no distinct scan and no hash join per lookup in each batch, whose planning alone
cost more than the lookups themselves.

A text maps to the same result whatever else the file holds, so caching changes nothing in
the lake. Memory stays bounded: a column's cache that passes ``MAX_CACHED`` texts (a hostile
file with a different ``data_fields`` text on every line) is dropped and started again.

The caches outlive the file: a query holds everything its mapping depends on as literals (the
contract's spellings, the catalog's names), so what it mapped is kept per query text, for the
process's next file with the same contract and catalog (``SHARED``: an hourly delivery of 24
files, a nightly of many providers). Mapping a file's first texts cost about 70 ms of DuckDB
planning per file, most of a small file's ingest. At most ``SHARED_QUERIES`` queries are kept,
the least recently used dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..db import arrow_table
from .normalize import lookup_queries

if TYPE_CHECKING:
    import pyarrow as pa

    from ..contract import Catalog, Contract

MAX_CACHED = 100_000
SHARED_QUERIES = 32


class _Shared:
    """Query text -> the texts it mapped so far and their looked-up columns, for the process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.known: OrderedDict[str, pa.Table] = OrderedDict()

    def get(self, query: str) -> pa.Table | None:
        with self.lock:
            known = self.known.get(query)
            if known is not None:
                self.known.move_to_end(query)
            return known

    def put(self, query: str, known: pa.Table) -> None:
        with self.lock:
            self.known[query] = known
            self.known.move_to_end(query)
            while len(self.known) > SHARED_QUERIES:
                self.known.popitem(last=False)


SHARED = _Shared()


@dataclass
class ValueLookups:
    """Per file: column as read -> the texts mapped so far (``r_<column>``) and their
    looked-up columns."""

    queries: dict[str, str]
    cache: dict[str, pa.Table] = field(default_factory=dict)
    shared: _Shared | None = SHARED  # None: this file's own cache only

    @classmethod
    def for_contract(
        cls, contract: Contract, catalog: Catalog, shared: _Shared | None = SHARED
    ) -> ValueLookups:
        return cls(lookup_queries(contract, catalog), shared=shared)

    def columns(self, con: Any, batch: pa.Table) -> dict[str, pa.Array]:
        """The looked-up columns for ``batch`` (which holds every column the queries read),
        row for row."""
        import pyarrow as pa
        import pyarrow.compute as pc

        out: dict[str, pa.Array] = {}
        for name in self.queries:
            texts = batch[name].combine_chunks().cast(pa.string())
            cached = self.cache.get(name)
            if cached is None and self.shared is not None:
                cached = self.shared.get(self.queries[name])
                if cached is not None:
                    self.cache[name] = cached
            at = None if cached is None else pc.index_in(texts, value_set=cached[f"r_{name}"])
            if cached is None or at is None or at.null_count > texts.null_count:
                # A text not mapped yet (after the first batches, rare): map the batch's.
                known = self._known(con, name, pc.unique(texts).drop_null())
                at = pc.index_in(texts, value_set=known[f"r_{name}"])
            else:
                known = cached
            for column in known.column_names[1:]:
                out[column] = pc.take(known[column], at)
        return out

    def _known(self, con: Any, name: str, distinct: pa.Array) -> pa.Table:
        """The cache of ``name``, grown to hold every text of ``distinct``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        known = self.cache.get(name)
        if known is not None and known.num_rows + len(distinct) > MAX_CACHED:
            known = None
        new = (
            distinct
            if known is None
            else distinct.filter(pc.invert(pc.is_in(distinct, value_set=known[f"r_{name}"])))
        )
        if known is not None and not len(new):
            return known
        con.register("lookup_values", pa.table({name: new}))
        try:
            mapped = arrow_table(con, self.queries[name])
        finally:
            con.unregister("lookup_values")
        # A text that maps to nothing (blank, for data_fields) is cached as NULLs too.
        at = pc.index_in(new, value_set=mapped[f"r_{name}"])
        rows = pa.table(
            {f"r_{name}": new, **{c: pc.take(mapped[c], at) for c in mapped.column_names[1:]}}
        )
        known = rows if known is None else pa.concat_tables([known, rows]).combine_chunks()
        self.cache[name] = known
        if self.shared is not None:
            self.shared.put(self.queries[name], known)
        return known
