"""The output Parquet file, written atomically: a hidden temporary file, fsync, rename.

A crash (or an error in the middle of the input) never leaves a half-written result under the
final name: the rows go to ``.<name>.tmp-<pid>`` beside it, which is fsynced and renamed onto
the final name only when every chunk was written, and removed otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from boucle.errors import DataError

__all__ = ["AtomicParquetWriter"]


class AtomicParquetWriter:
    """Write pyarrow tables one after the other into ``target``; commit on a clean exit.

    Every table must have the schema of the first one (a column whose type changes between
    chunks is cast to the first type, or refused naming the chunk's ``source``).
    """

    def __init__(self, target: Path, metadata: dict[bytes, bytes]) -> None:
        self.target = target
        self.metadata = metadata
        self.rows = 0
        self._temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        self._writer: Any = None
        self._schema: Any = None

    def __enter__(self) -> AtomicParquetWriter:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, table: Any, *, source: str) -> None:
        """Append ``table`` (rows scored from ``source``) to the output."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self._schema = table.schema.with_metadata(self.metadata)
            self._writer = pq.ParquetWriter(self._temporary, self._schema, compression="zstd")
        if not table.schema.equals(self._schema, check_metadata=False):
            try:
                table = table.cast(self._schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise DataError(
                    f"rows of {source} do not match the columns written before: "
                    f"{table.schema} vs {self._schema}: {exc}",
                    hint="Give every input file the same column types (or the id column "
                    "the same type everywhere).",
                ) from exc
        self._writer.write_table(table)
        self.rows += table.num_rows

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
            if kind is None:
                if self._writer is None:
                    raise DataError(
                        "the batch input holds no rows to score.",
                        hint="Check the input files: they have a header but no data.",
                    )
                with open(self._temporary, "rb") as handle:
                    os.fsync(handle.fileno())
                os.replace(self._temporary, self.target)
                _fsync_folder(self.target.parent)
        finally:
            self._temporary.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # make the rename itself durable
    finally:
        os.close(descriptor)
