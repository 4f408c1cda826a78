"""Two-sample drift statistics on binned counts, vectorised over rows of null draws.

Every function takes reference counts and current counts of the same bins, either as 1-D
arrays (one comparison) or 2-D arrays of shape ``(draws, bins)`` (many comparisons at once, as
the calibration needs), and returns one value per comparison. Counts, not raw values: a
window is reduced to its histogram once, so the statistics cost O(bins), never O(rows).

Also here: the regularised upper incomplete gamma function that turns a statistic into a
tail probability, and the Benjamini-Hochberg step-up procedure.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PSI_FLOOR",
    "benjamini_hochberg",
    "chi_square",
    "gamma_sf",
    "jensen_shannon",
    "ks_statistic",
    "psi",
    "wasserstein",
]

Counts = NDArray[np.float64] | NDArray[np.int64]
Values = NDArray[np.float64]

#: Share given to an empty bin in the PSI, the usual convention (a zero share has no log).
PSI_FLOOR = 1e-4


def _shares(counts: Counts) -> Values:
    """Counts divided by their row totals; an all-zero row stays zero."""
    array = np.asarray(counts, dtype=np.float64)
    return np.asarray(array / np.maximum(array.sum(axis=-1, keepdims=True), 1.0))


def ks_statistic(reference: Counts, current: Counts) -> Values:
    """Kolmogorov-Smirnov distance: the largest gap between the two binned CDFs.

    Bins are the reference's quantile intervals (or its distinct values), so this is the
    exact KS statistic of the data coarsened to those bins.
    """
    gap = np.cumsum(_shares(reference) - _shares(current), axis=-1)
    return np.asarray(np.abs(gap).max(axis=-1), dtype=np.float64)


def wasserstein(reference: Counts, current: Counts, atoms: Values, scale: float) -> Values:
    """First Wasserstein distance between the binned distributions, in units of ``scale``.

    Each bin is represented by ``atoms`` (the reference mean of its values), so
    ``W1 = sum |F_ref - F_cur| * (atom[i+1] - atom[i])``: exact for discrete features,
    within a bin's width otherwise.
    """
    gap = np.abs(np.cumsum(_shares(reference) - _shares(current), axis=-1))[..., :-1]
    distance = gap @ np.diff(np.asarray(atoms, dtype=np.float64))
    return np.asarray(distance / (scale if scale > 0 else 1.0), dtype=np.float64)


def psi(reference: Counts, current: Counts, groups: NDArray[np.int64] | None = None) -> Values:
    """Population stability index ``sum (cur - ref) * ln(cur / ref)`` over (grouped) bins.

    ``groups`` holds the first bin of each group (as for ``np.add.reduceat``): fine bins are
    summed into about ten reference-quantile groups, the scale PSI rules of thumb assume.
    Shares are floored at :data:`PSI_FLOOR`.
    """
    ref, cur = _shares(reference), _shares(current)
    if groups is not None:
        ref = np.add.reduceat(ref, groups, axis=-1)
        cur = np.add.reduceat(cur, groups, axis=-1)
    ref, cur = np.maximum(ref, PSI_FLOOR), np.maximum(cur, PSI_FLOOR)
    return np.asarray(((cur - ref) * np.log(cur / ref)).sum(axis=-1), dtype=np.float64)


def chi_square(reference: Counts, current: Counts) -> Values:
    """Pearson's chi-square statistic of homogeneity of the two samples over the bins."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    n_ref = ref.sum(axis=-1, keepdims=True)
    n_cur = cur.sum(axis=-1, keepdims=True)
    pooled = (ref + cur) / np.maximum(n_ref + n_cur, 1.0)
    statistic = np.zeros(ref.shape[:-1], dtype=np.float64)
    for observed, total in ((ref, n_ref), (cur, n_cur)):
        expected = total * pooled
        terms = np.divide(
            (observed - expected) ** 2, expected, out=np.zeros_like(ref), where=expected > 0
        )
        statistic += terms.sum(axis=-1)
    return statistic


def jensen_shannon(reference: Counts, current: Counts) -> Values:
    """Jensen-Shannon distance (base 2, in [0, 1]): the square root of the JS divergence."""
    ref, cur = _shares(reference), _shares(current)
    middle = (ref + cur) / 2.0
    divergence = np.zeros(ref.shape[:-1], dtype=np.float64)
    for side in (ref, cur):
        ratio = np.divide(side, middle, out=np.ones_like(side), where=side > 0)
        divergence += 0.5 * (side * np.log2(ratio)).sum(axis=-1)
    return np.asarray(np.sqrt(np.clip(divergence, 0.0, 1.0)), dtype=np.float64)


def gamma_sf(shape: float, x: float) -> float:
    """Regularised upper incomplete gamma ``Q(shape, x)``: the survival function of Gamma(shape).

    Written here (series below ``shape + 1``, Lentz's continued fraction above) rather than
    imported from scipy: ``scipy.special`` adds half a second and 50 MiB to every monitoring
    run, for one scalar function.
    """
    if x <= 0.0:
        return 1.0
    if shape <= 0.0:
        return 0.0
    log_prefix = -x + shape * math.log(x) - math.lgamma(shape)
    if x < shape + 1.0:
        term = total = 1.0 / shape
        denominator = shape
        for _ in range(10_000):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1.0 - shape
    c, d = 1.0 / tiny, 1.0 / b
    fraction = d
    for i in range(1, 10_000):
        an = -i * (i - shape)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * fraction)


def benjamini_hochberg(p_values: Values, alpha: float) -> tuple[NDArray[np.bool_], Values, float]:
    """Benjamini-Hochberg step-up at false discovery rate ``alpha``.

    Returns ``(rejected, q_values, cutoff)``: which hypotheses are rejected, the BH-adjusted
    p-values, and the p-value cutoff applied (``alpha * k / m`` with ``k`` rejections, or
    ``alpha / m`` when none is rejected).
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return np.zeros(0, dtype=bool), np.zeros(0), alpha
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q_values = np.empty(m)
    q_values[order] = np.minimum(q_sorted, 1.0)
    passing = np.nonzero(p[order] <= alpha * np.arange(1, m + 1) / m)[0]
    k = int(passing[-1]) + 1 if passing.size else 0
    rejected = np.zeros(m, dtype=bool)
    rejected[order[:k]] = True
    return rejected, q_values, alpha * max(k, 1) / m
