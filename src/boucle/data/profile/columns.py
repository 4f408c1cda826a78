"""Profile one column: pick its kind, compute its statistics, flag what looks wrong.

Each column is read once. Categorical columns are factorised once (``pd.factorize``; pyarrow's
dictionary encoding for Arrow-backed strings) and every count comes from ``np.bincount`` of
the codes. The same codes serve the duplicate-row count and, taken at the sampled rows, the
association measures, so no column is hashed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from boucle.data.profile.model import ColumnKind, ColumnProfile, Histogram
from boucle.data.profile.numeric import BINS, numeric_stats

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ASSOCIATION_CATEGORIES", "ColumnResult", "column_kind", "profile_column"]

# Categories kept per column for Cramér's V and eta; the rest are pooled into one "other".
ASSOCIATION_CATEGORIES = 50


@dataclass(slots=True)
class ColumnResult:
    """A column's profile, its per-row codes (for duplicates) and its correlation sample.

    ``codes`` are integers in ``[0, cardinality)`` per row, ``-1`` for missing. ``sample`` is
    float64 values (numeric; NaN = missing) or category codes (categorical; ``-1`` = missing,
    capped at :data:`ASSOCIATION_CATEGORIES`), taken at the sampled rows, or ``None`` when the
    column takes no part in correlations.
    """

    profile: ColumnProfile
    codes: np.ndarray
    cardinality: int
    sample: np.ndarray | None


class _Categories(NamedTuple):
    codes: np.ndarray
    uniques: Any  # what pd.factorize returns: an Index or an array, one value per code
    counts: np.ndarray
    missing: int


def column_kind(series: pd.Series) -> ColumnKind:
    """``numeric`` (not boolean), ``datetime`` (naive or zoned) or ``categorical`` otherwise."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "categorical"


def _label(value: object) -> str:
    """How a category is shown: dates in ISO 8601, anything else as ``str`` does."""
    return value.isoformat() if isinstance(value, date | time) else str(value)


def _factorize(series: pd.Series) -> _Categories:
    import pandas as pd

    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): count their text instead
        codes, uniques = pd.factorize(series.map(str, na_action="ignore"), use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    counts = np.bincount(codes + 1, minlength=len(uniques) + 1)
    return _Categories(codes, uniques, counts[1:], int(counts[0]))


def _most_frequent(counts: np.ndarray, top: int) -> np.ndarray:
    """Indices of the ``top`` largest counts, largest first, ties in order of appearance."""
    candidates = np.arange(len(counts))
    if len(counts) > top:
        candidates = np.argpartition(-counts, top - 1)[:top]
    return candidates[np.lexsort((candidates, -counts[candidates]))]


def _warnings(profile: ColumnProfile, integer: bool) -> tuple[str, ...]:
    flags = []
    rows = profile.count + profile.missing
    if profile.count == 0:
        flags.append("all missing")
    elif profile.distinct == 1:
        flags.append("constant")
    if profile.count and profile.missing_share > 0.5:
        flags.append("many missing")
    if (
        profile.count > 1
        and profile.distinct == profile.count
        and (integer or profile.kind == "categorical")
    ):
        flags.append("unique")
    elif profile.kind == "categorical" and profile.distinct > max(50, 0.5 * profile.count):
        flags.append("high cardinality")
    summary = profile.summary
    if summary is not None and rows:
        if profile.count and summary.zeros > 0.5 * profile.count:
            flags.append("many zeros")
        if summary.skewness is not None and abs(summary.skewness) > 10:
            flags.append("skewed")
        if summary.infinite:
            flags.append("infinite values")
    return tuple(flags)


def _categorical(series: pd.Series, name: str, sample_index: np.ndarray, top: int) -> ColumnResult:
    found = _factorize(series)
    order = _most_frequent(found.counts, max(top, ASSOCIATION_CATEGORIES))
    shown = order[:top]
    count = int(found.counts.sum())
    profile = ColumnProfile(
        name=name,
        kind="categorical",
        dtype=str(series.dtype),
        count=count,
        missing=found.missing,
        distinct=len(found.counts),
        top_values=tuple((_label(found.uniques[i]), int(found.counts[i])) for i in shown),
        other_count=count - int(found.counts[shown].sum()),
    )
    profile = _with_warnings(profile, integer=False)
    sample = None
    if profile.distinct >= 2 and not {"unique", "high cardinality"} & set(profile.warnings):
        kept = order[:ASSOCIATION_CATEGORIES]
        lookup = np.full(len(found.counts), len(kept), dtype=np.int64)  # the rest: "other"
        lookup[kept] = np.arange(len(kept))
        taken = found.codes[sample_index]
        sample = np.where(taken >= 0, lookup[taken], -1)
    return ColumnResult(profile, found.codes, len(found.counts), sample)


def _datetime(series: pd.Series, name: str) -> ColumnResult:
    import pandas as pd

    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    stamps = series.to_numpy(dtype="datetime64[us]")
    mask = np.isnat(stamps)
    micros = stamps[~mask].view(np.int64)
    codes = np.full(len(stamps), -1, dtype=np.int64)
    present_codes, uniques = pd.factorize(micros)
    codes[~mask] = present_codes
    histogram, time_range = None, None
    if len(micros):
        low, high = micros.min(), micros.max()
        bin_counts, edges = np.histogram(micros / 1e6, bins=BINS, range=(low / 1e6, high / 1e6))
        histogram = Histogram(tuple(edges.tolist()), tuple(bin_counts.tolist()))
        as_text = np.datetime_as_string(np.array([low, high], dtype="datetime64[us]"), unit="s")
        time_range = (str(as_text[0]), str(as_text[1]))
    profile = ColumnProfile(
        name=name,
        kind="datetime",
        dtype=str(series.dtype),
        count=len(micros),
        missing=int(mask.sum()),
        distinct=len(uniques),
        histogram=histogram,
        time_range=time_range,
    )
    return ColumnResult(_with_warnings(profile, integer=False), codes, len(uniques), None)


def _with_warnings(profile: ColumnProfile, *, integer: bool) -> ColumnProfile:
    return replace(profile, warnings=_warnings(profile, integer))


def profile_column(
    series: pd.Series,
    name: str,
    *,
    sample_index: np.ndarray,
    top: int = 10,
    as_categorical: bool = False,
) -> ColumnResult:
    """Profile ``series``; ``sample_index`` (sorted row positions) picks the correlation sample.

    ``top`` is how many most frequent values a categorical column lists; ``as_categorical``
    forces the categorical path (a classification target stored as 0/1).
    """
    import pandas as pd

    kind = "categorical" if as_categorical else column_kind(series)
    if kind == "categorical":
        return _categorical(series, name, sample_index, top)
    if kind == "datetime":
        return _datetime(series, name)
    stats = numeric_stats(series)
    profile = ColumnProfile(
        name=name,
        kind="numeric",
        dtype=str(series.dtype),
        count=stats.count,
        missing=stats.missing,
        distinct=stats.distinct,
        summary=stats.summary,
        histogram=stats.histogram,
    )
    profile = _with_warnings(profile, integer=pd.api.types.is_integer_dtype(series.dtype))
    sample = None
    if profile.distinct >= 2:
        taken = series.iloc[sample_index].to_numpy(dtype=np.float64, na_value=np.nan)
        sample = np.where(np.isfinite(taken), taken, np.nan)  # a copy: pandas' may be read-only
    return ColumnResult(profile, stats.codes, stats.cardinality, sample)
