"""Handing an upload's freed memory back to the system after its large steps (glibc's heap, Arrow's pool).

Freed memory otherwise stays with the allocator that held it: Arrow's pool keeps the pages it
decoded a bundle into, and glibc keeps freed heap above its trim threshold. Python, SQLite and
Arrow would each grow again from the system for the next step, so an upload's resident peak was
the sum of its steps' leftovers rather than the largest step (``bench/upload_memory.py --stages``).
"""

import ctypes
import functools
from typing import Any

import pyarrow as pa


def arrow_on_the_system_heap() -> None:
    """Arrow allocates from glibc's heap instead of its own mimalloc pool (idempotent, process-wide:
    the hub uses Arrow only to read bundles). mimalloc kept what a bundle was decoded into, beside
    the heap Python and SQLite then grew for the rest of the upload; on the one heap, later steps
    reuse it and ``give_back`` can return it. Reading a 100,000-incident Parquet bomb in a fresh
    process peaked 189 MB over its start with mimalloc, 126 MB with the system allocator."""
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (another C library)."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:
        return None


def give_back() -> None:
    """Return freed pages to the system: Arrow's unused pool memory, then glibc's free heap."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
