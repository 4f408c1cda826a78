"""The files to score: a path, a folder or a glob, checked up front, then read in chunks.

:func:`find_inputs` expands the argument of ``boucle predict --input`` into files (sorted, so
the output order is reproducible) and reads each one's columns — a Parquet footer or a CSV
header, never the data — so that a missing feature column or an unreadable file fails before
any work is done. :func:`read_chunks` then streams a file (or a range of its Parquet row
groups) as pandas DataFrames of at most ``chunk_rows`` rows: memory follows the chunk size,
not the file size. CSV files are read like ``data.source`` (the ``data.read`` options).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["InputFile", "Partition", "find_inputs", "partitions", "read_chunks"]

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class InputFile:
    """One file to score: its path, ``"csv"`` or ``"parquet"``, columns, rows (Parquet only)."""

    path: Path
    reader: str
    columns: tuple[str, ...]
    rows: int | None
    row_groups: tuple[int, ...] = ()  # rows per row group (Parquet)


@dataclass(frozen=True)
class Partition:
    """A unit of distributed work: a whole file, or a run of row groups of a Parquet file."""

    file: InputFile
    row_groups: tuple[int, ...] | None  # None: the whole file
    rows: int | None


def find_inputs(source: str, read_options: Mapping[str, Any]) -> list[InputFile]:
    """The files ``source`` names (a file, a folder, or a glob), with their columns.

    Raises :class:`DataError` when nothing matches, or naming a file that cannot be read.
    """
    from boucle.data import table_format

    pattern = os.path.expanduser(source)
    if _GLOB_CHARS & set(pattern):
        matches = sorted(glob.glob(pattern, recursive=True))
        if not matches:
            raise DataError(
                f"no file matches the batch input pattern '{source}'.",
                hint="Check the pattern (quote it so the shell does not expand it) and the "
                "current folder; e.g. --input 'data/part-*.parquet'.",
            )
    elif os.path.isdir(pattern):
        matches = sorted(str(p) for p in Path(pattern).rglob("*") if _is_data_file(p))
        if not matches:
            raise DataError(
                f"the batch input folder '{source}' holds no CSV or Parquet file.",
                hint="Point --input at the files, e.g. --input 'folder/*.parquet'.",
            )
    elif os.path.exists(pattern):
        matches = [pattern]
    else:
        raise DataError(
            f"batch input '{source}' does not exist.",
            hint="Pass an existing CSV or Parquet file, a folder of them, or a glob.",
        )
    files = [Path(match) for match in matches if not os.path.isdir(match)]
    for path in files:
        table_format(str(path))  # DataError naming the supported extensions
    return [_describe(path, read_options) for path in files]


def _is_data_file(path: Path) -> bool:
    from boucle.data import SUPPORTED_EXTENSIONS

    name = path.name.lower()
    hidden = name.startswith((".", "_"))  # temporary files, _SUCCESS, _metadata
    return path.is_file() and not hidden and name.endswith(SUPPORTED_EXTENSIONS)


def _describe(path: Path, read_options: Mapping[str, Any]) -> InputFile:
    from boucle.data import table_format

    reader = table_format(str(path))[0]
    try:
        if reader == "parquet":
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
            groups = tuple(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
            names = tuple(str(name) for name in meta.schema.to_arrow_schema().names)
            return InputFile(path, reader, names, meta.num_rows, groups)
        import pandas as pd

        header = pd.read_csv(path, nrows=0, **_csv_options(read_options))
        return InputFile(path, reader, tuple(str(c) for c in header.columns), None)
    except Exception as exc:  # pyarrow, pandas and the OS raise many kinds here
        raise unreadable(path, exc) from exc


def unreadable(path: Path, exc: BaseException) -> DataError:
    """The error of a batch input that cannot be read."""
    what = "Parquet" if table_format_of(path) == "parquet" else "CSV"
    return DataError(
        f"cannot read batch input '{path}' as {what}: {type(exc).__name__}: {exc}",
        hint="Check the file (permissions, format, not truncated); CSV files are read with "
        "the data.read options of boucle.yaml.",
    )


def table_format_of(path: Path) -> str:
    """``"csv"`` or ``"parquet"`` for a path already accepted by :func:`find_inputs`."""
    from boucle.data import table_format

    return table_format(str(path))[0]


def partitions(files: Sequence[InputFile], chunk_rows: int) -> list[Partition]:
    """Split ``files`` into units of work: runs of Parquet row groups of about ``chunk_rows``.

    A CSV file cannot be split without reading it, so it is one partition; inputs made of
    many files (``part-*.csv``) spread over the workers anyway.
    """
    parts: list[Partition] = []
    for file in files:
        if file.reader != "parquet" or not file.row_groups:
            parts.append(Partition(file, None, file.rows))
            continue
        start, rows = 0, 0
        for index, count in enumerate(file.row_groups):
            rows += count
            if rows >= chunk_rows or index == len(file.row_groups) - 1:
                parts.append(Partition(file, tuple(range(start, index + 1)), rows))
                start, rows = index + 1, 0
    return parts


def read_chunks(
    file: InputFile,
    columns: Sequence[str],
    chunk_rows: int,
    read_options: Mapping[str, Any],
    row_groups: Sequence[int] | None = None,
) -> Iterator[pd.DataFrame]:
    """Stream ``columns`` of ``file`` (optionally only ``row_groups``) in chunks of rows."""
    import pandas as pd

    try:
        if file.reader == "parquet":
            import pyarrow.parquet as pq

            reader = pq.ParquetFile(file.path)
            batches = reader.iter_batches(
                batch_size=chunk_rows, row_groups=row_groups, columns=list(columns)
            )
            for batch in batches:
                yield batch.to_pandas()
            return
        options = {**_csv_options(read_options), "usecols": list(columns)}
        with pd.read_csv(file.path, chunksize=chunk_rows, **options) as chunks:
            yield from chunks
    except DataError:
        raise
    except Exception as exc:  # a file that changed or broke after it was checked
        raise unreadable(file.path, exc) from exc


def _csv_options(read_options: Mapping[str, Any]) -> dict[str, Any]:
    """``data.read`` without the options that would cut or reshape the rows to score."""
    return {k: v for k, v in read_options.items() if k not in {"nrows", "usecols", "chunksize"}}
