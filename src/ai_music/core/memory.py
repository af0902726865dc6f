"""Keeping the process's memory close to what it actually uses (glibc only; a no-op elsewhere).

glibc serves a large allocation with mmap and returns it on free — but after the first such
free it raises its threshold to that size, and later allocations of that size come from the
heap and stay there. Argon2 allocates its whole memory cost (19 MiB by default) per hash, in
worker threads: without a fixed threshold, each hashing thread keeps ~19 MiB for good. A
fixed 1 MiB threshold sends every large buffer (Argon2's, audio chunks) back to the system
when it is freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20


@functools.cache
def return_large_buffers_to_the_system() -> bool:
    """Fixes glibc's mmap threshold; True when it applied."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False
