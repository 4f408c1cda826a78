"""Give freed memory back to the operating system, so the resident size tells the truth.

Loading models allocates and frees far more than it keeps (the ONNX bytes, graph
optimisation, JSON of the registry), and glibc keeps freed heap pages mapped; Arrow's memory
pool does the same after each prediction-log write. Both are returned here, once after a
(re)load and after each log flush (``malloc_trim`` takes a millisecond or two): the server's
RSS then stays near what it uses.

Arrow's default pool (mimalloc) keeps the segments a Parquet write used even after
``release_unused`` (about 5 MiB after a load test), so a server imports pyarrow with the C
allocator as its default pool (:func:`import_arrow`): what a write frees is then returned
by ``malloc_trim`` like the rest.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from collections.abc import Callable

__all__ = ["import_arrow", "release_arrow_memory", "release_heap"]

_ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"


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


def import_arrow() -> None:
    """Import pyarrow (and its Parquet writer) with the C allocator as Arrow's default pool.

    Arrow reads ``ARROW_DEFAULT_MEMORY_POOL`` once, when pyarrow is imported, and its Parquet
    writer allocates from that default whatever pool it is given, so the variable is set
    around the import only (a value set by the user wins). A process that imported pyarrow
    already keeps the pool it has.
    """
    if "pyarrow" not in sys.modules and _ARROW_POOL not in os.environ:
        os.environ[_ARROW_POOL] = "system"
        try:
            import pyarrow.parquet
        finally:
            del os.environ[_ARROW_POOL]
    import pyarrow.parquet  # noqa: F401


def release_arrow_memory() -> None:
    """Return the memory Arrow's pool holds but no longer uses (pyarrow already imported)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
