"""What keeps memory between the files of one ingest run: glibc's per-thread arenas (limited
at the start of the ingest and nightly commands) and a file's read context (freed with the
file, not at Python's next full garbage collection)."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from auditpipe.contract import load_contract
from auditpipe.ingest.kinds import ReadContext
from auditpipe.ingest.memory import limit_malloc_arenas
from auditpipe.ingest.sources import SourceFile

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# Eight threads allocate at the same time, each a new thread, as each file's threads are;
# then count glibc's arenas (malloc_info lists one <heap> per arena).
ARENAS_AFTER_THREADS = """
import ctypes, os, re, sys, tempfile, threading
limit = sys.argv[1] == "limit"
if limit:
    from auditpipe.ingest.memory import limit_malloc_arenas
    assert limit_malloc_arenas()
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    blocks = [ctypes.create_string_buffer(200_000) for _ in range(50)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
libc.fdopen.restype = ctypes.c_void_p
with tempfile.TemporaryFile() as f:
    out = libc.fdopen(os.dup(f.fileno()), b"w")
    libc.malloc_info(0, ctypes.c_void_p(out))
    libc.fclose(ctypes.c_void_p(out))
    f.seek(0)
    print(len(re.findall(rb"<heap nr=", f.read())))
"""


def _arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES")}
    out = subprocess.run(
        [sys.executable, "-c", ARENAS_AFTER_THREADS, mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc arenas")
def test_threads_share_the_arenas_there_were_when_limited() -> None:
    """Without the limit, concurrent new threads get arenas of their own; with it, they
    share the one or two a process has when a command starts (pyarrow's import may add one)."""
    assert _arenas("default") > 4
    assert _arenas("limit") <= 2


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc arenas")
def test_a_users_arena_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


def test_a_files_read_context_goes_with_its_last_reference(tmp_path: Path) -> None:
    """Reading a file through its context leaves no reference cycle: the context (and with it
    the file's DuckDB connection and open stream) is freed at once, not at the next full
    garbage collection, files later."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 1000)
    ctx = ReadContext(
        source=SourceFile(path=path, format="jsonl", compression=None),
        contract=load_contract(),
        batch_bytes=1024,
        max_line_bytes=4096,
        work=tmp_path,
        con=None,
    )
    stream = ctx.open_bytes()
    while stream.read(1024):
        pass
    stream.close()
    gone = weakref.ref(ctx)
    gc.disable()
    try:
        del ctx, stream
        assert gone() is None
    finally:
        gc.enable()
