"""Short blocking file work (probing, moving and reading stored audio) off the event loop.

A small pool of its own rather than anyio's worker threads: an anyio hop costs the event loop
a capacity limiter, a cancel scope and two extra checkpoints (each a resumption of the whole
request's coroutine stack), and a burst of answers woke dozens of its threads to contend for
the GIL. A cancelled caller stops waiting at once; the work itself runs to its end, as with
anyio's threads under asyncio cancellation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# File work is mostly system calls on local disk; a few threads keep up with a burst.
FILE_WORKERS = 4

_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=FILE_WORKERS, thread_name_prefix="file-work")
    return _pool


async def run_file_work(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in the file-work pool."""
    return await asyncio.get_running_loop().run_in_executor(_executor(), func, *args)
