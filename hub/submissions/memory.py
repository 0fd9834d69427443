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
