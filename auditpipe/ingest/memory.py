"""Which allocator Arrow's buffers come from while files are ingested.

An ingest allocates and frees tens of MiB per batch (text, extracted fields, normalised rows,
partition parts). pyarrow's default allocator on Linux, mimalloc, hands freed memory back to
the system soon and takes it again for the next batch, and each time the kernel maps and
zeroes fresh pages: on the benchmark's 500,000-row file that was 1.7-2.0 s of system CPU
in a 10 s ingest, with a higher peak. jemalloc (bundled with pyarrow's Linux and macOS
wheels) keeps recently freed pages for reuse a little longer: 1.1-1.5 s of system CPU and a
peak 50-90 MiB lower. The C library's allocator, used where jemalloc is not built in, sits in
between. A user who chose a pool with ``ARROW_DEFAULT_MEMORY_POOL`` keeps it.
"""

from __future__ import annotations

import os

POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_ingest_memory_pool() -> str:
    """Make jemalloc (else the system allocator) pyarrow's default pool for this process,
    unless ``ARROW_DEFAULT_MEMORY_POOL`` names one; returns the pool's backend name.
    Buffers allocated before keep their own pool, so this may be called at any time."""
    import pyarrow as pa

    if not os.environ.get(POOL_VARIABLE):
        try:
            pool = pa.jemalloc_memory_pool()
        except NotImplementedError:  # a build without jemalloc (Windows)
            pool = pa.system_memory_pool()
        pa.set_memory_pool(pool)
    return str(pa.default_memory_pool().backend_name)
