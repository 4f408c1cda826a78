"""Pairwise dependence between columns, measured on a random sample of rows.

Pearson's r is computed for all numeric pairs at once with matrix products over the
pairwise-complete rows (each pair uses the rows where both values are present), as pandas'
``DataFrame.corr`` does, but in BLAS instead of a Python-level loop over pairs. Spearman's rho
is Pearson's r of the ranks; each column is ranked once over its own non-missing sampled values
(identical to pandas when neither column of a pair has missing values; a close approximation
otherwise, since pandas re-ranks each pair's common rows). Cramér's V (uncorrected) and the
correlation ratio eta come from contingency tables and group sums built by ``np.bincount``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from boucle.data.profile.model import CorrelationMatrix, Correlations

__all__ = ["correlation_ratio", "cramers_v", "measure_correlations", "sample_positions"]

Matrix = tuple[tuple[float | None, ...], ...]


def sample_positions(rows: int, size: int, seed: int) -> np.ndarray:
    """Sorted row positions of a uniform sample of ``size`` rows (all rows if fewer)."""
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def _as_matrix(values: np.ndarray) -> Matrix:
    """A nested tuple with ``None`` for entries that are not finite."""
    return tuple(
        tuple(float(v) if math.isfinite(v) else None for v in row) for row in values.tolist()
    )


def _pairwise_pearson(data: np.ndarray) -> np.ndarray:
    """Pearson's r between the columns of ``data`` (NaN = missing), pairwise-complete rows."""
    valid = ~np.isnan(data)
    if valid.all():  # the common case: one centred product
        centred = data - data.mean(axis=0)
        cross = centred.T @ centred
        norms = np.sqrt(np.diag(cross))
        with np.errstate(divide="ignore", invalid="ignore"):
            result = cross / np.outer(norms, norms)
    else:
        weights = valid.astype(np.float64)
        counts = weights.T @ weights
        filled = np.where(valid, data - np.nanmean(data, axis=0), 0.0)  # centred for stability
        sums = filled.T @ weights  # [i, j]: sum of column i over rows where j is present
        squares = (filled * filled).T @ weights
        with np.errstate(divide="ignore", invalid="ignore"):
            cov = filled.T @ filled - sums * sums.T / counts
            var_i = squares - sums**2 / counts
            result = cov / np.sqrt(var_i * var_i.T)
            result[counts < 2] = np.nan
    result = np.asarray(np.clip(result, -1.0, 1.0), dtype=np.float64)
    np.fill_diagonal(result, np.where(np.isfinite(np.diag(result)), 1.0, np.nan))
    return result


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of the non-missing ``values``, ties sharing their average rank; NaN stays NaN.

    Our own rather than ``scipy.stats.rankdata``: importing scipy.stats takes longer (over a
    second) than profiling a table of 100,000 rows.
    """
    present = ~np.isnan(values)
    kept = values[present]
    order = np.argsort(kept, kind="stable")
    ordered = kept[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    ends = np.append(starts[1:], len(kept))
    ranks = np.empty(len(kept))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    result = np.full(len(values), np.nan)
    result[present] = ranks
    return result


def _ranks(data: np.ndarray) -> np.ndarray:
    """Average ranks of each column of ``data`` over its own non-missing values."""
    return np.column_stack([_average_ranks(data[:, i]) for i in range(data.shape[1])])


def cramers_v(first: np.ndarray, second: np.ndarray) -> float | None:
    """Cramér's V between two code arrays (``-1`` = missing), over rows where both are present.

    ``None`` when either column has fewer than two observed categories there.
    """
    present = (first >= 0) & (second >= 0)
    a, b = first[present], second[present]
    if len(a) < 2:
        return None
    width = int(b.max()) + 1
    table = np.bincount(a * width + b, minlength=(int(a.max()) + 1) * width).reshape(-1, width)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0].astype(np.float64)
    if min(table.shape) < 2:
        return None
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return min(1.0, math.sqrt(chi2 / total / (min(table.shape) - 1)))


def correlation_ratio(values: np.ndarray, codes: np.ndarray) -> float | None:
    """The correlation ratio eta of numeric ``values`` given category ``codes`` (-1 = missing).

    eta² is the share of the variance of ``values`` explained by the category means; ``None``
    when the values are constant or fewer than two rows have both.
    """
    present = ~np.isnan(values) & (codes >= 0)
    x, groups = values[present], codes[present]
    if len(x) < 2:
        return None
    centred = x - x.mean()
    total = float(np.einsum("i,i->", centred, centred))  # 1-D BLAS dot is slow threaded
    if total <= 0:
        return None
    sizes = np.bincount(groups)
    sums = np.bincount(groups, weights=centred)
    used = sizes > 0
    between = float((sums[used] ** 2 / sizes[used]).sum())
    return min(1.0, math.sqrt(between / total))


def _association(
    names: Sequence[str],
    samples: Sequence[np.ndarray],
    numeric: Sequence[bool],
    spearman: dict[tuple[str, str], float],
) -> Matrix:
    size = len(names)
    values = np.full((size, size), np.nan)
    for i in range(size):
        values[i, i] = 1.0
        for j in range(i + 1, size):
            if numeric[i] and numeric[j]:
                value = spearman.get((names[i], names[j]))
                value = None if value is None else abs(value)
            elif numeric[i] or numeric[j]:
                num, cat = (i, j) if numeric[i] else (j, i)
                value = correlation_ratio(samples[num], samples[cat])
            else:
                value = cramers_v(samples[i], samples[j])
            values[i, j] = values[j, i] = np.nan if value is None else value
    return _as_matrix(values)


def measure_correlations(
    names: Sequence[str],
    samples: Sequence[np.ndarray],
    numeric: Sequence[bool],
    *,
    sample_rows: int,
    seed: int,
) -> Correlations:
    """Pearson, Spearman (numeric columns) and the mixed association matrix.

    ``samples[i]`` holds column ``names[i]`` at the sampled rows: float64 with NaN for missing
    when ``numeric[i]``, else category codes with -1 for missing.
    """
    numeric_names = tuple(n for n, is_num in zip(names, numeric, strict=True) if is_num)
    if numeric_names:
        block = np.column_stack([s for s, is_num in zip(samples, numeric, strict=True) if is_num])
        pearson = _pairwise_pearson(block)
        spearman = _pairwise_pearson(_ranks(block))
    else:
        pearson = spearman = np.empty((0, 0))
    by_pair = {
        (a, b): float(spearman[i, j])
        for i, a in enumerate(numeric_names)
        for j, b in enumerate(numeric_names)
        if math.isfinite(spearman[i, j])
    }
    return Correlations(
        sample_rows=sample_rows,
        seed=seed,
        pearson=CorrelationMatrix("pearson", numeric_names, _as_matrix(pearson)),
        spearman=CorrelationMatrix("spearman", numeric_names, _as_matrix(spearman)),
        association=CorrelationMatrix(
            "association", tuple(names), _association(names, samples, numeric, by_pair)
        ),
    )
