"""What a batch will do, settled before any row is read: files, columns, id column, chunks.

:func:`make_plan` checks every input file against the model's input schema (naming the file
and the missing columns) and picks the id column: the one given, else the first column named
``id`` or ``*_id`` present in every file, else none (rows are then numbered in a
``row_number`` column, in input order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from boucle.batch.scoring import ROW_NUMBER, BatchModel
from boucle.batch.sources import InputFile
from boucle.errors import DataError

__all__ = ["BatchPlan", "make_plan"]


@dataclass(frozen=True)
class BatchPlan:
    """The files to score, the columns to read, the id column and the reading options."""

    files: tuple[InputFile, ...]
    id_column: str | None  # None: rows are numbered (ROW_NUMBER)
    chunk_rows: int
    read_options: Mapping[str, Any] = field(default_factory=dict)
    feature_columns: tuple[str, ...] = ()

    @property
    def read_columns(self) -> list[str]:
        """The columns read from each file: the features, then the id column."""
        id_column = self.id_column
        extra = [id_column] if id_column and id_column not in self.feature_columns else []
        return [*self.feature_columns, *extra]

    @property
    def total_rows(self) -> int | None:
        """The number of input rows when every file's footer tells it (Parquet), else None."""
        counts = [file.rows for file in self.files]
        return None if any(count is None for count in counts) else sum(c or 0 for c in counts)

    @property
    def id_name(self) -> str:
        """The name of the id column in the output."""
        return self.id_column or ROW_NUMBER


def make_plan(
    files: Sequence[InputFile],
    model: BatchModel,
    *,
    id_column: str | None,
    chunk_rows: int,
    read_options: Mapping[str, Any],
) -> BatchPlan:
    """Check ``files`` against ``model`` and pick the id column; see the module docstring."""
    if chunk_rows <= 0:
        raise DataError(
            f"chunk_rows must be a positive number of rows, not {chunk_rows}.",
            hint="Pass --chunk-rows 100000 (or any positive number).",
        )
    for file in files:
        missing = [column for column in model.columns if column not in file.columns]
        if missing:
            raise DataError(
                f"batch input '{file.path}' lacks {len(missing)} input column(s) of "
                f"'{model.name}' v{model.version}: {', '.join(map(repr, missing))} "
                f"(it has: {_shown(file.columns)}).",
                hint="Score files holding every feature column the version was trained on; "
                "extra columns are ignored. CSV files are read with data.read (header, names).",
            )
    options = dict(read_options)
    chosen = _id_column(files, id_column)
    if chosen is not None and any(file.reader == "csv" for file in files):
        # Read as text: pandas would infer int in one chunk and float in the next.
        options["dtype"] = {**dict(options.get("dtype") or {}), chosen: "string"}
    return BatchPlan(tuple(files), chosen, chunk_rows, options, tuple(model.columns))


def _id_column(files: Sequence[InputFile], given: str | None) -> str | None:
    if given is not None:
        for file in files:
            if given not in file.columns:
                raise DataError(
                    f"--id-column '{given}' is not a column of '{file.path}' "
                    f"(columns: {_shown(file.columns)}).",
                    hint="Name a column present in every input file, or leave --id-column out "
                    "to number the rows.",
                )
        return given
    for column in files[0].columns:
        name = column.lower()
        if (name == "id" or name.endswith("_id")) and all(column in f.columns for f in files):
            return column
    return None


def _shown(columns: Sequence[str]) -> str:
    listed = ", ".join(columns[:30])
    return listed + (f", ... ({len(columns)} in all)" if len(columns) > 30 else "")
