"""How the ingest's memory is allocated: Arrow's buffers, and the C library's own heap.

An ingest allocates and frees tens of MiB per batch (text, extracted fields, normalised rows,
partition parts). pyarrow's default allocator on Linux, mimalloc, hands freed memory back to
the system soon and takes it again for the next batch, and each time the kernel maps and
zeroes fresh pages: on the benchmark's 500,000-row file that was 1.7-2.0 s of system CPU
in a 10 s ingest, with a higher peak. jemalloc (bundled with pyarrow's Linux and macOS
wheels) keeps recently freed pages for reuse a little longer: 1.1-1.5 s of system CPU and a
peak 50-90 MiB lower. The C library's allocator, used where jemalloc is not built in, sits in
between. A user who chose a pool with ``ARROW_DEFAULT_MEMORY_POOL`` keeps it.

What does not come from Arrow's pool (numpy arrays, Python's large bytes objects such as the
blocks read from the file, compression contexts) comes from the C library's malloc. glibc
gives a thread that allocates while others do an arena of its own (up to 8 per core), and
keeps what is freed in an arena for that arena's next allocations. Each file's reading,
normalising and writing threads are new threads, and they land in arenas other threads
filled: over an ingest of six files (3M events) the arenas' resident pages grew from 34 to
168 MiB while glibc had 13 MiB in use, RSS between files rose from about 400 to 620 MiB, and
each file's peak rose with it. With one arena, freed blocks are reused whichever thread asks:
RSS between files stays at about 350 MiB, the inbox's peak drops from 901 to 829 MiB and a
2M-row file's from 823 to 800 MiB, for CPU within the noise (+0.5% and +1.7%, paired runs).
Only the start of a process can limit the arenas (see ``limit_malloc_arenas``). Setting
``MALLOC_ARENA_MAX`` (or ``GLIBC_TUNABLES``) keeps the user's choice.
"""

from __future__ import annotations

import os
import sys

POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
_ARENAS = 1


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


def limit_malloc_arenas() -> bool:
    """Give glibc's malloc at most ``_ARENAS`` arenas from now on, unless the user set them;
    whether it was done (not on other C libraries). Only the start of a process can do it:
    arenas made before stay in use, and once a process has more than 8 glibc fixes its limit
    for good. So the ``ingest`` and ``nightly`` commands call it first of all, before any
    library (pyarrow, polars, DuckDB) has started threads."""
    if not sys.platform.startswith("linux") or os.environ.keys() & {
        "MALLOC_ARENA_MAX",
        "GLIBC_TUNABLES",
    }:
        return False
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, _ARENAS))
