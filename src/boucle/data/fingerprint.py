"""Content fingerprint of a table: blake3 over a canonical, version-independent serialisation.

Why not hash the Parquet file? Its bytes embed the writer version (``created_by``) and
pandas metadata, so the same data would change id on every library upgrade. Why not hash
the Arrow IPC stream? Arrow leaves the bytes under null slots (and the unused bits of a
bitmap's last byte) undefined, so equal data may serialise differently. No library offers a
canonical hash of Arrow data, hence this small serialiser of our own:

* header: canonical JSON of ``[[name, arrow type], ...]`` and the row count;
* per column, after decoding dictionaries (categoricals) and widening ``string``/``binary``
  to their ``large_`` form (representations, not data): the null mask packed to bits, then
  only the valid values: fixed-width values as their little-endian bytes, booleans as
  packed bits, strings/binaries as zero-based int64 offsets plus the used data bytes.
  Nested types fall back to Arrow IPC of their valid values.

Every piece is length-prefixed. The digest covers names, order, types and every value, and
does not depend on chunking, offsets, metadata or library versions.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from boucle.hashing import canonical_json

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["FINGERPRINT_VERSION", "canonical_type", "table_fingerprint"]

FINGERPRINT_VERSION = b"boucle.table-fingerprint.v1\n"


def canonical_type(data_type: pa.DataType) -> pa.DataType:
    """Return the type a column is fingerprinted as (dictionaries decoded, strings widened).

    List and struct children are canonicalised too, and list children get the default name.
    """
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(data_type):
        return canonical_type(data_type.value_type)
    if types.is_string(data_type) or types.is_string_view(data_type):
        return pa.large_string()
    if types.is_binary(data_type) or types.is_binary_view(data_type):
        return pa.large_binary()
    # Nested: children renamed to Arrow's defaults (Parquet calls a list's child "element").
    if types.is_list(data_type):
        return pa.list_(canonical_type(data_type.value_type))
    if types.is_large_list(data_type):
        return pa.large_list(canonical_type(data_type.value_type))
    if types.is_struct(data_type):
        return pa.struct([pa.field(f.name, canonical_type(f.type)) for f in data_type])
    return data_type


def _packed_bits(array: pa.Array) -> bytes:
    """Pack a boolean array (no nulls) to bits, zero-padded: deterministic by construction."""
    import numpy as np

    return bytes(np.packbits(array.to_numpy(zero_copy_only=False).astype(bool)).tobytes())


def _value_pieces(values: pa.Array) -> Iterator[Any]:
    """Yield the canonical bytes of an array without nulls."""
    import numpy as np
    import pyarrow as pa

    data_type, count = values.type, len(values)
    if pa.types.is_null(data_type) or count == 0:
        return
    if pa.types.is_boolean(data_type):
        yield _packed_bits(values)
    elif pa.types.is_large_string(data_type) or pa.types.is_large_binary(data_type):
        _, offsets_buffer, data_buffer = values.buffers()
        offsets = np.frombuffer(
            offsets_buffer, dtype="<i8", count=count + 1, offset=values.offset * 8
        )
        yield (offsets - offsets[0]).tobytes()
        yield b"" if data_buffer is None else memoryview(data_buffer)[offsets[0] : offsets[-1]]
    elif _is_fixed_width(data_type):
        width = data_type.bit_width // 8
        start = values.offset * width
        yield memoryview(values.buffers()[1])[start : start + count * width]
    else:  # nested types: Arrow IPC of the valid values (their children assumed well-formed)
        sink = pa.BufferOutputStream()
        batch = pa.record_batch([values], names=["v"])
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        yield sink.getvalue()


def _is_fixed_width(data_type: pa.DataType) -> bool:
    try:
        bits = int(data_type.bit_width)
    except ValueError:
        return False
    return bits % 8 == 0 and data_type.num_fields == 0


def _column_pieces(column: pa.ChunkedArray, data_type: pa.DataType) -> Iterator[Any]:
    array = column.cast(data_type).combine_chunks()
    yield struct.pack("<qq", len(array), array.null_count)
    if array.null_count:
        yield _packed_bits(array.is_null())
        array = array.drop_null()
    yield from _value_pieces(array)


def table_fingerprint(table: pa.Table) -> str:
    """Return the blake3 hex digest of ``table``'s canonical serialisation.

    Equal data gives an equal digest whatever the chunking, string representation,
    categorical encoding, metadata or library version; any changed value, null, column
    name, column order or type changes it.
    """
    from blake3 import blake3  # incremental hasher: boucle.hashing has one-shot helpers only

    types = [canonical_type(field.type) for field in table.schema]
    header: dict[str, Any] = {
        "columns": [[f.name, str(t)] for f, t in zip(table.schema, types, strict=True)],
        "rows": table.num_rows,
    }
    hasher = blake3()
    hasher.update(FINGERPRINT_VERSION)
    # One column at a time: only one combined column is held in memory.
    for piece in itertools.chain([canonical_json(header)], _all_pieces(table, types)):
        hasher.update(struct.pack("<q", memoryview(piece).nbytes))
        hasher.update(piece)
    return str(hasher.hexdigest())


def _all_pieces(table: pa.Table, types: list[pa.DataType]) -> Iterator[Any]:
    for column, data_type in zip(table.columns, types, strict=True):
        yield from _column_pieces(column, data_type)
