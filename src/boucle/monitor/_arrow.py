"""Arrow columns to numpy and counts, straight from their buffers.

Arrow's own conversions import pandas (``to_numpy`` with nulls, ``pa.scalar``) or
``pyarrow.compute`` (``cast``, ``value_counts``): 0.7 s and 50 MiB per monitoring process,
more than the monitoring itself. Primitive arrays are plain memory (a values buffer and an
LSB-first validity bitmap), and so are dictionary indices, so the common cases are read here
directly; anything else falls back to Arrow's conversions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["arrow_category_counts", "arrow_floats", "category_label"]


def category_label(value: Any) -> str:
    """How a category is named: ``str(value)``, with integral floats as integers.

    An integer-coded column turns float when a window has missing values (3 -> 3.0); it must
    still name the same category.
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _chunks(column: Any) -> list[Any]:
    import pyarrow as pa

    return list(column.chunks) if isinstance(column, pa.ChunkedArray) else [column]


def _primitive(array: Any) -> tuple[NDArray[Any], NDArray[np.bool_] | None] | None:
    """``(values, valid mask or None)`` of an integer or float array; ``None`` otherwise."""
    import pyarrow as pa

    kind = array.type
    if pa.types.is_floating(kind):
        letter = "f"
    elif pa.types.is_integer(kind):
        letter = "i" if pa.types.is_signed_integer(kind) else "u"
    else:
        return None
    size, offset = len(array), array.offset
    validity, data = array.buffers()[:2]
    if data is None or size == 0:
        return np.zeros(size), None
    dtype = np.dtype(f"{letter}{kind.bit_width // 8}")
    values = np.frombuffer(data, dtype=dtype, count=offset + size)[offset:]
    if not array.null_count:
        return values, None
    bits = np.frombuffer(validity, dtype=np.uint8)
    valid = np.unpackbits(bits, count=offset + size, bitorder="little")[offset:].astype(bool)
    return values, valid


def arrow_floats(column: Any) -> NDArray[np.float64]:
    """An Arrow array or chunked array as float64, NaN for nulls."""
    import pyarrow as pa

    parts = []
    for array in _chunks(column):
        read = _primitive(array)
        if read is None:  # decimals and the like
            read = _primitive(array.cast(pa.float64()))
            assert read is not None
        values, valid = read
        floats = values.astype(np.float64)
        if valid is not None:
            floats[~valid] = np.nan
        parts.append(floats)
    return np.concatenate(parts) if parts else np.zeros(0)


def arrow_category_counts(column: Any) -> tuple[dict[str, int], int]:
    """``({category_label(value): count}, nulls)`` of an Arrow array or chunked array."""
    import pyarrow as pa

    found: dict[str, int] = {}
    missing = 0
    for array in _chunks(column):
        missing += array.null_count
        indices = _primitive(array.indices) if pa.types.is_dictionary(array.type) else None
        if indices is not None:  # what Parquet string columns read as with read_dictionary
            codes, valid = indices
            codes = codes if valid is None else codes[valid]
            labels = array.dictionary.to_pylist()
            counts = np.bincount(codes.astype(np.int64), minlength=len(labels))
            pairs = zip(labels, counts.tolist(), strict=True)
        elif pa.types.is_boolean(array.type):
            size, offset = len(array), array.offset
            validity, data = array.buffers()[:2]
            bits = np.frombuffer(data, dtype=np.uint8)
            values = np.unpackbits(bits, count=offset + size, bitorder="little")[offset:]
            if array.null_count:
                mask = np.frombuffer(validity, dtype=np.uint8)
                keep = np.unpackbits(mask, count=offset + size, bitorder="little")[offset:]
                values = values[keep.astype(bool)]
            ones = int(values.sum())
            pairs = zip([True, False], [ones, values.size - ones], strict=True)
        else:
            if pa.types.is_dictionary(array.type):
                array = array.cast(array.type.value_type)
            counted = array.value_counts()
            pairs = zip(
                counted.field("values").to_pylist(),
                counted.field("counts").to_pylist(),
                strict=True,
            )
        for value, count in pairs:
            if value is not None and count > 0:
                key = category_label(value)
                found[key] = found.get(key, 0) + int(count)
    return found, int(missing)
