"""Arrow arrays of prediction-log columns, built from their buffers.

``pyarrow.array()`` imports pandas on its first call (to ask whether its argument is a pandas
object), and pandas costs a server about 50 MiB of resident memory for nothing. These helpers
build the same arrays with ``Array.from_buffers`` over numpy buffers, which never touches
pandas: a validity bitmap, int32 offsets and the UTF-8 bytes for strings, the values for
numbers. That is the only reason they exist; use ``pyarrow.array`` anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["float64_array", "int_array", "string_array", "timestamp_array"]

_INT32_MAX = 2**31 - 1


def _validity(present: npt.NDArray[np.bool_]) -> tuple[Any, int]:
    """The validity bitmap buffer (``None`` when nothing is missing) and the null count."""
    import pyarrow as pa

    nulls = int(present.size - np.count_nonzero(present))
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(present, bitorder="little")), nulls


def string_array(values: Sequence[str | bytes | None]) -> Any:
    """A ``string`` array of ``values``; bytes that are not UTF-8 get U+FFFD replacements."""
    import pyarrow as pa

    encoded = [
        b"" if v is None else v if isinstance(v, bytes) else v.encode("utf-8", "replace")
        for v in values
    ]
    present = np.fromiter((v is not None for v in values), dtype=np.bool_, count=len(values))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(v) for v in encoded], out=offsets[1:])
    if offsets[-1] > _INT32_MAX:
        raise ValueError(f"{offsets[-1]} bytes of text do not fit one Arrow string array")
    validity, nulls = _validity(present)
    data = pa.py_buffer(b"".join(encoded))
    buffers = [validity, pa.py_buffer(offsets.astype(np.int32)), data]
    array = pa.Array.from_buffers(pa.string(), len(encoded), buffers, null_count=nulls)
    try:
        array.validate(full=True)  # checks the UTF-8 of every value
    except pa.ArrowInvalid:
        return string_array(
            [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]
        )
    return array


def float64_array(values: Sequence[float | None]) -> Any:
    """A ``double`` array of ``values`` (``None`` → null)."""
    import pyarrow as pa

    present = np.fromiter((v is not None for v in values), dtype=np.bool_, count=len(values))
    numbers = np.fromiter(
        (0.0 if v is None else v for v in values), dtype=np.float64, count=len(values)
    )
    validity, nulls = _validity(present)
    buffers = [validity, pa.py_buffer(numbers)]
    return pa.Array.from_buffers(pa.float64(), len(values), buffers, null_count=nulls)


def int_array(values: Sequence[int], dtype: Any) -> Any:
    """An integer array of ``values`` (none missing) of the numpy ``dtype`` (int16, int32)."""
    import pyarrow as pa

    numbers = np.asarray(values, dtype=dtype)
    arrow_type = pa.from_numpy_dtype(numbers.dtype)
    return pa.Array.from_buffers(arrow_type, len(numbers), [None, pa.py_buffer(numbers)])


def timestamp_array(seconds: Sequence[float]) -> Any:
    """A ``timestamp[us, tz=UTC]`` array of epoch ``seconds`` (none missing)."""
    import pyarrow as pa

    micros = np.fromiter((round(t * 1e6) for t in seconds), dtype=np.int64, count=len(seconds))
    arrow_type = pa.timestamp("us", tz="UTC")
    return pa.Array.from_buffers(arrow_type, len(micros), [None, pa.py_buffer(micros)])
