"""Give freed memory back to the operating system, so the resident size tells the truth.

Loading models allocates and frees far more than it keeps (the ONNX bytes, graph
optimisation, JSON of the registry), and glibc keeps freed heap pages mapped; Arrow's memory
pool does the same after each prediction-log write. Both are returned here, once after a
(re)load and after each log flush (``malloc_trim`` takes a millisecond or two): the server's
RSS then stays near what it uses.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable

__all__ = ["release_arrow_memory", "release_heap"]


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once; ``None`` elsewhere (musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the process's own libc
    except (OSError, AttributeError):
        return None
    return trim


def release_heap() -> None:
    """Return the free pages of the C heap to the OS (a no-op without glibc)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def release_arrow_memory() -> None:
    """Return the memory Arrow's pool holds but no longer uses (pyarrow already imported)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
