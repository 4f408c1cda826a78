"""Statistics of one numeric column in a single vectorised pass.

Integer columns whose range is not much wider than their length (ages, counts, amounts in
cents, codes) take a counting path: one ``np.bincount`` gives the exact distinct count,
moments, quantiles and histogram without sorting or hashing the values, several times faster
than the general path. Other columns are converted to float64 once; quantiles come from a
single ``np.partition`` (linear time) instead of a sort, and the histogram from
``np.histogram`` with a fixed range (its fast equal-width path).

Each function also returns integer codes per row (``-1`` for missing) and their cardinality:
:mod:`boucle.data.profile.table` folds them into one key per row to count duplicate rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from boucle.data.profile.model import Histogram, NumericSummary

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BINS", "QUANTILES", "NumericResult", "numeric_stats"]

BINS = 30
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_QUANTILE_NAMES = tuple(f"{round(q * 100)}%" for q in QUANTILES)


@dataclass(frozen=True)
class NumericResult:
    """A numeric column's statistics plus its per-row codes for duplicate detection."""

    count: int
    missing: int
    distinct: int
    summary: NumericSummary
    histogram: Histogram | None
    codes: np.ndarray
    cardinality: int


def _skewness(m2: float, m3: float, count: int) -> float | None:
    """Adjusted Fisher-Pearson skewness from central moments (what pandas' ``skew`` returns)."""
    if count < 3 or m2 <= 0:
        return None if count < 3 else 0.0
    return float(math.sqrt(count * (count - 1)) / (count - 2) * m3 / m2**1.5)


def _positions(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted-order indices below and above each quantile, and the interpolation weight."""
    position = np.asarray(QUANTILES) * (count - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, count - 1)
    return below, above, position - below


def _integer_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The non-missing values as int64 and the missing mask, or None if not an int column."""
    import pandas as pd

    dtype = series.dtype
    if not pd.api.types.is_integer_dtype(dtype) or str(dtype).lower() in (
        "uint64",
        "uint64[pyarrow]",
    ):
        return None  # uint64 may not fit in int64: the float path handles it
    if isinstance(dtype, np.dtype):
        return series.to_numpy().astype(np.int64, copy=False), None
    mask = series.isna().to_numpy(dtype=bool)
    values = series.to_numpy(dtype=np.int64, na_value=0)
    return (values[~mask], mask) if mask.any() else (values, None)


def _empty(rows: int, missing: int, infinite: int = 0) -> NumericResult:
    """The result for a column with no finite value."""
    summary = NumericSummary(
        None, None, None, None, dict.fromkeys(_QUANTILE_NAMES), None, 0, 0, infinite
    )
    codes = np.full(rows, -1, dtype=np.int64)
    return NumericResult(0, missing, 0, summary, None, codes, 0)


def _counting_path(values: np.ndarray, mask: np.ndarray | None, rows: int) -> NumericResult:
    """Exact statistics of integers from their counts (range at most ~2x the row count)."""
    low = int(values.min())
    offsets = values - low
    counts = np.bincount(offsets)
    present = np.flatnonzero(counts)
    freq = counts[present]
    count = len(values)
    shifted = present.astype(np.float64)
    mean_shift = float(np.einsum("i,i->", shifted, freq)) / count
    deviation = shifted - mean_shift
    m2 = float(np.einsum("i,i,i->", deviation, deviation, freq)) / count
    m3 = float(np.einsum("i,i,i,i->", deviation, deviation, deviation, freq)) / count
    cumulative = np.cumsum(freq)
    below, above, weight = _positions(count)
    at_below = present[np.searchsorted(cumulative, below, side="right")] + low
    at_above = present[np.searchsorted(cumulative, above, side="right")] + low
    quantiles = at_below + (at_above - at_below) * weight
    high = low + len(counts) - 1
    if len(counts) <= BINS:  # one bin per integer value
        edges = np.arange(low, high + 2, dtype=np.float64) - 0.5
        histogram = Histogram(tuple(edges.tolist()), tuple(counts.tolist()))
    else:
        bin_counts, edges = np.histogram(present + low, bins=BINS, range=(low, high), weights=freq)
        histogram = Histogram(tuple(edges.tolist()), tuple(int(c) for c in bin_counts))
    summary = NumericSummary(
        mean=low + mean_shift,
        std=math.sqrt(m2 * count / (count - 1)) if count > 1 else None,
        min=float(low),
        max=float(high),
        quantiles=dict(zip(_QUANTILE_NAMES, quantiles.tolist(), strict=True)),
        skewness=_skewness(m2, m3, count),
        zeros=int(counts[-low]) if low <= 0 <= high else 0,
        negatives=int(counts[:-low].sum()) if low < 0 else 0,
        infinite=0,
    )
    if mask is None:
        codes = offsets
    else:
        codes = np.full(rows, -1, dtype=np.int64)
        codes[~mask] = offsets
    return NumericResult(count, rows - count, len(present), summary, histogram, codes, len(counts))


def _float_path(values: np.ndarray, rows: int) -> NumericResult:
    """Statistics of float values (NaN = missing, ±inf counted and left out)."""
    import pandas as pd

    missing = int(np.isnan(values).sum())
    finite = values[np.isfinite(values)]
    infinite = rows - missing - len(finite)
    if len(finite) == 0:
        return _empty(rows, missing, infinite)
    codes, uniques = pd.factorize(values)  # NaN gets -1
    count = len(finite)
    mean = float(finite.mean())
    deviation = finite - mean
    squared = deviation * deviation
    m2 = float(squared.sum()) / count
    m3 = float(np.einsum("i,i->", squared, deviation)) / count
    low, high = float(finite.min()), float(finite.max())
    below, above, weight = _positions(count)
    finite.partition(np.unique(np.concatenate([below, above])))  # in place: finite is a copy
    quantiles = finite[below] + (finite[above] - finite[below]) * weight
    try:
        bin_counts, edges = np.histogram(finite, bins=BINS, range=(low, high))
        histogram: Histogram | None = Histogram(tuple(edges.tolist()), tuple(bin_counts.tolist()))
    except ValueError:  # a range too wide for float64 bin edges
        histogram = None
    summary = NumericSummary(
        mean=mean,
        std=math.sqrt(m2 * count / (count - 1)) if count > 1 else None,
        min=low,
        max=high,
        quantiles=dict(zip(_QUANTILE_NAMES, quantiles.tolist(), strict=True)),
        skewness=_skewness(m2, m3, count),
        zeros=int(np.count_nonzero(finite == 0)),
        negatives=int(np.count_nonzero(finite < 0)),
        infinite=infinite,
    )
    distinct = len(uniques)
    return NumericResult(count, missing, distinct, summary, histogram, codes, distinct)


def numeric_stats(series: pd.Series) -> NumericResult:
    """Compute the statistics of a numeric (non-boolean) column in one pass."""
    rows = len(series)
    integers = _integer_values(series)
    if integers is not None:
        values, mask = integers
        if len(values) == 0:
            return _empty(rows, rows)
        span = int(values.max()) - int(values.min())
        if span <= max(2 * rows, 1 << 16):
            return _counting_path(values, mask, rows)
    floats = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return _float_path(floats, rows)
