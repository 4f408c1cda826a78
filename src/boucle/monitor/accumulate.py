"""Streaming counters: reduce chunks of a table to histograms, counts and moments.

A chunk is a pandas DataFrame or an Arrow ``Table``/``RecordBatch`` (what
``pyarrow.parquet.ParquetFile.iter_batches`` yields), so a Parquet prediction log can be
monitored without materialising it, or even importing pandas. Counters only add: memory is
O(bins + categories) whatever the number of rows, and the result does not depend on how the
rows were chunked.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from boucle.errors import DataError
from boucle.monitor._arrow import arrow_category_counts, arrow_floats, category_label

__all__ = [
    "CategoryCounter",
    "NumericCounter",
    "category_counts",
    "category_values",
    "column_kind",
    "column_names",
    "is_table",
    "numeric_values",
    "row_count",
    "take_rows",
]

Kind = Literal["numeric", "categorical"]
_UNSEEN_EXAMPLES = 1_000  # distinct unseen categories remembered for the report, at most
_EXACT_INTEGERS = 2.0**53  # float64 holds every integer up to this magnitude


def _is_arrow(chunk: Any) -> bool:
    arrow = sys.modules.get("pyarrow")
    return arrow is not None and isinstance(chunk, arrow.Table | arrow.RecordBatch)


def is_table(value: Any) -> bool:
    """Whether ``value`` is one table (pandas DataFrame, Arrow Table or RecordBatch)."""
    pandas = sys.modules.get("pandas")
    return _is_arrow(value) or (pandas is not None and isinstance(value, pandas.DataFrame))


def column_names(chunk: Any) -> list[str]:
    """Column names of a pandas or Arrow chunk, as strings."""
    names = chunk.schema.names if _is_arrow(chunk) else chunk.columns
    return [str(name) for name in names]


def row_count(chunk: Any) -> int:
    """Number of rows of a pandas or Arrow chunk."""
    return int(chunk.num_rows) if _is_arrow(chunk) else len(chunk)


def column_kind(chunk: Any, name: str) -> Kind | str:
    """``"numeric"``, ``"categorical"``, or the dtype name of an unsupported column."""
    if _is_arrow(chunk):
        import pyarrow as pa

        data_type = chunk.schema.field(name).type
        if pa.types.is_integer(data_type) or pa.types.is_floating(data_type):
            return "numeric"
        if pa.types.is_temporal(data_type) or pa.types.is_nested(data_type):
            return str(data_type)
        return "categorical"
    import pandas as pd

    series = chunk[name]
    if pd.api.types.is_bool_dtype(series.dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "complex" if pd.api.types.is_complex_dtype(series.dtype) else "numeric"
    if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_timedelta64_dtype(
        series.dtype
    ):
        return str(series.dtype)
    return "categorical"


def numeric_values(chunk: Any, name: str) -> NDArray[np.float64]:
    """A column as float64, with missing and non-finite values as NaN."""
    try:
        if _is_arrow(chunk):
            values = arrow_floats(chunk.column(name))
        else:
            values = chunk[name].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"column '{name}' is numeric in the reference profile but holds non-numbers here "
            f"({exc}).",
            hint="Send the same column types the reference was profiled with.",
        ) from exc
    if not np.isfinite(values).all():
        values = np.where(np.isfinite(values), values, np.nan)
    return values


def category_counts(chunk: Any, name: str) -> tuple[dict[str, int], int]:
    """``({category: count}, missing)`` of one column, categories named by ``category_label``."""
    if _is_arrow(chunk):
        return arrow_category_counts(chunk.column(name))
    series = chunk[name]
    counted = series.value_counts(dropna=True, sort=False)
    found = {category_label(v): int(n) for v, n in counted.items() if n > 0}
    return found, int(series.isna().sum())


def category_values(chunk: Any, name: str) -> list[str | None]:
    """A column's values as category labels, ``None`` where missing (for row samples)."""
    if _is_arrow(chunk):
        values = chunk.column(name).to_pylist()
        return [None if v is None else category_label(v) for v in values]
    series = chunk[name]
    missing = series.isna().to_numpy()
    pairs = zip(series.tolist(), missing, strict=True)
    return [None if gone else category_label(v) for v, gone in pairs]


def take_rows(chunk: Any, positions: NDArray[np.int64]) -> Any:
    """The rows of a pandas or Arrow chunk at ``positions``."""
    return chunk.take(positions) if _is_arrow(chunk) else chunk.iloc[positions]


def _integer_table(cuts: NDArray[np.float64], span: int) -> tuple[int, NDArray[np.intp]] | None:
    """``(low, table)`` with ``table[k]`` the bin of the integer ``low + k``, or ``None``.

    Only when every cut but the last (``nextafter`` of the reference maximum) is an integer,
    the cuts are sorted, and ``cuts[-2] - cuts[0] <= span``. Within 2**53 every integer is a
    float64, so a present value ``x`` equal to its int64 cast is exactly ``low + k``.
    """
    if cuts.dtype != np.float64 or cuts.ndim != 1 or cuts.size < 2:
        return None
    inner = cuts[:-1]
    if not (np.abs(inner) <= _EXACT_INTEGERS).all() or not (np.trunc(inner) == inner).all():
        return None  # also rules out NaN and infinities
    if not (cuts[1:] >= cuts[:-1]).all():
        return None  # unsorted cuts: searchsorted's answer is not a per-value function
    low, high = int(inner[0]), int(inner[-1])
    if high - low > span:
        return None
    keys = np.arange(low, high + 1, dtype=np.int64).astype(np.float64)
    return low, np.searchsorted(cuts, keys, side="right").astype(np.intp)


class NumericCounter:
    """Histogram on fixed cut points, plus count, mean, variance, min, max and missing count.

    Bin ``i`` holds values in ``[cuts[i-1], cuts[i])``; bin 0 is below the first cut and the
    last bin above the last one, so values outside the reference range are kept apart.

    Integer-valued features (counts, ages, amounts) have integer cuts over a small range:
    their values are binned by table lookup instead of binary search, up to ten times faster
    and bin for bin the same. Cuts spanning more than ``table_span`` integers, and values
    that are not integers inside the cuts' range, take ``np.searchsorted``; a negative
    ``table_span`` turns the table off.
    """

    table_span: ClassVar[int] = 65_536  # a table of at most 512 KiB per feature

    def __init__(self, cuts: NDArray[np.float64]) -> None:
        self.cuts = cuts
        self.counts = np.zeros(cuts.size + 1, dtype=np.int64)
        self.total = self.missing = self.n = 0
        self.mean = self.m2 = 0.0
        self.low, self.high = np.inf, -np.inf
        self._table = _integer_table(cuts, self.table_span) if self.table_span >= 0 else None

    def bin_index(self, values: NDArray[np.float64]) -> NDArray[np.intp]:
        """The bin of each value: ``np.searchsorted(cuts, values, side="right")``, faster."""
        if self._table is None or values.dtype != np.float64:
            return np.searchsorted(self.cuts, values, side="right")
        low, table = self._table
        # Clipping first keeps the int64 cast in range (1e300, inf); a value is looked up
        # only if the cast gave it back unchanged: an integer inside [cuts[0], cuts[-2]].
        with np.errstate(invalid="ignore"):  # NaN casts to garbage, and is not looked up
            ints = np.clip(values, self.cuts[0], self.cuts[-2]).astype(np.int64)
        exact = ints == values
        if exact.all():
            return table[ints - low]
        bins = np.empty(values.size, dtype=np.intp)
        bins[exact] = table[ints[exact] - low]
        other = ~exact
        bins[other] = np.searchsorted(self.cuts, values[other], side="right")
        return bins

    def update(self, values: NDArray[np.float64]) -> None:
        """Add one chunk of values (NaN counts as missing)."""
        present = values[~np.isnan(values)]
        self.total += values.size
        self.missing += values.size - present.size
        if present.size == 0:
            return
        self.counts += np.bincount(self.bin_index(present), minlength=self.counts.size)
        # Chan et al.'s pairwise merge keeps the variance exact and stable across chunks.
        # In numpy floats: a huge finite value (1e200) overflows the squares to inf, as the
        # variance it stands for, instead of raising Python's OverflowError.
        with np.errstate(over="ignore", invalid="ignore"):
            size, mean = present.size, present.mean()
            m2 = ((present - mean) ** 2).sum()
            total = self.n + size
            delta = mean - np.float64(self.mean)
            self.mean = float(self.mean + delta * size / total)
            self.m2 = float(self.m2 + m2 + delta**2 * self.n * size / total)
        self.n = total
        self.low = min(self.low, float(present.min()))
        self.high = max(self.high, float(present.max()))

    @property
    def std(self) -> float:
        """Population standard deviation of the values seen (0 when fewer than two)."""
        return float(np.sqrt(self.m2 / self.n)) if self.n > 1 else 0.0


class CategoryCounter:
    """Counts per reference category, in cells ``[top-K ..., other, unseen]``.

    ``seen`` is every category of the reference; a category outside it is *unseen* (new).
    When the reference had too many categories to list (``seen is None``), nothing can be
    called new and everything outside the top K goes to ``other``.
    """

    def __init__(self, top: list[str], seen: frozenset[str] | None) -> None:
        self.index = {category: i for i, category in enumerate(top)}
        self.seen = seen
        self.counts = np.zeros(len(top) + 2, dtype=np.int64)
        self.total = self.missing = 0
        self.unseen_examples: dict[str, int] = {}

    def update(self, found: dict[str, int], missing: int) -> None:
        """Add one chunk's ``{category: count}`` and missing count."""
        other, unseen = len(self.index), len(self.index) + 1
        for category, count in found.items():
            cell = self.index.get(category)
            if cell is None:
                cell = other if self.seen is None or category in self.seen else unseen
                if cell == unseen and (
                    category in self.unseen_examples or len(self.unseen_examples) < _UNSEEN_EXAMPLES
                ):
                    self.unseen_examples[category] = self.unseen_examples.get(category, 0) + count
            self.counts[cell] += count
        self.missing += missing
        self.total += sum(found.values()) + missing

    @property
    def n(self) -> int:
        """Number of non-missing values seen."""
        return int(self.counts.sum())
