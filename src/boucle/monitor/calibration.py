"""Calibrated p-values: each statistic's null distribution, drawn from the reference itself.

Raw asymptotic p-values at 100k rows flag every feature, and fixed thresholds (PSI > 0.1)
miss small real shifts. Instead, for each feature and window size we simulate the two-sample
null: a "reference" histogram of the reference's size and a "current" one of the window's
size, both multinomial draws from the reference's bin shares, and compute every statistic on
each pair. Drawing both sides puts the reference's own sampling noise into the null, which is
what keeps same-distribution windows from being flagged.

The p-value is ``max(share of draws >= observed, gamma tail)``: the gamma distribution is
moment-matched to the draws, which extrapolates beyond the last draw (a few hundred draws
cannot resolve p < 0.002, yet Benjamini-Hochberg over many features needs it). The nulls
here are chi-square-like (for which the gamma is exact) or have lighter, Gaussian-type tails
(KS, Wasserstein, rate differences), where the gamma tail errs on the safe side.

Histogram draws are cached in the profile per window size; a window within 10 % of a cached
size reuses it, rescaled by the statistics' asymptotic dependence on ``1/n_ref + 1/n_cur``.
Missing-rate and new-category nulls are binomial and cheap: drawn every time.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from boucle.monitor.profile import CategoricalProfile, FeatureProfile, NumericProfile
from boucle.monitor.statistics import (
    chi_square,
    gamma_sf,
    jensen_shannon,
    ks_statistic,
    psi,
    wasserstein,
)

__all__ = [
    "binomial_null",
    "calibrated_p",
    "histogram_null",
    "histogram_statistics",
    "missing_share",
    "rng_for",
    "unseen_excess_null",
    "unseen_share",
]

Values = NDArray[np.float64]

# How each statistic's null scale grows with (1/n_ref + 1/n_cur): KS, Wasserstein and the JS
# distance like its square root, PSI linearly; chi-square does not depend on it.
_SCALING = {"ks": 0.5, "wasserstein": 0.5, "js": 0.5, "psi": 1.0, "chi2": 0.0}
_REUSE_WITHIN = 0.10
_CACHED_SIZES = 8


def rng_for(seed: int, feature: str, n_current: int, salt: int = 0) -> np.random.Generator:
    """A generator fixed by (profile seed, feature, window size): results are reproducible."""
    return np.random.default_rng([seed, zlib.crc32(feature.encode()), n_current, salt])


def histogram_statistics(
    feature: FeatureProfile, reference: NDArray[Any], current: NDArray[Any]
) -> dict[str, Values]:
    """Every histogram statistic of a feature, for one pair of count vectors or many."""
    if isinstance(feature, NumericProfile):
        atoms = np.asarray(feature.atoms)
        groups = np.asarray(feature.groups, dtype=np.int64)
        return {
            "ks": ks_statistic(reference, current),
            "wasserstein": wasserstein(reference, current, atoms, feature.std),
            "psi": psi(reference, current, groups),
        }
    # New categories join "other" here: the reference has none by definition, so a separate
    # cell would differ between the two sides even under the null. They get their own test.
    reference, current = _merge_new(reference), _merge_new(current)
    return {
        "chi2": chi_square(reference, current),
        "js": jensen_shannon(reference, current),
        "psi": psi(reference, current),
    }


def _merge_new(counts: NDArray[Any]) -> NDArray[Any]:
    """Cells ``[top-K ..., other, unseen]`` to ``[top-K ..., other or unseen]``."""
    merged = counts[..., -2:].sum(axis=-1, keepdims=True)
    return np.concatenate([counts[..., :-2], merged], axis=-1)


def _null_shares(feature: FeatureProfile) -> Values:
    """Bin shares under the null: the reference's, plus the chance of leaving its range.

    A new value falls below (above) the reference range with probability 1/(n+1) in the
    continuous case; leaving those bins at zero would make one stray value look impossible.
    """
    counts = np.asarray(feature.counts, dtype=np.float64)
    if isinstance(feature, NumericProfile):
        counts[0] += 1.0
        counts[-1] += 1.0
    return np.asarray(counts / counts.sum(), dtype=np.float64)


def _rounded(values: Values) -> Values:
    """Sorted, at six significant digits: short in JSON, and the same fresh or cached."""
    magnitude = np.floor(np.log10(np.abs(values), where=values != 0, out=np.zeros_like(values)))
    scale = 10.0 ** (5 - magnitude)
    return np.sort(np.round(values * scale) / scale)


def histogram_null(
    cache: dict[str, list[dict[str, Any]]],
    name: str,
    feature: FeatureProfile,
    n_current: int,
    *,
    draws: int,
    seed: int,
) -> tuple[dict[str, Values], bool]:
    """Sorted null draws of every histogram statistic for a window of ``n_current`` values.

    Returns ``(draws_by_statistic, cache_hit)`` and stores new draws in ``cache``.
    """
    entries = cache.setdefault(name, [])
    if entries:
        nearest = min(entries, key=lambda entry: abs(int(entry["n_current"]) - n_current))
        n_cached = int(nearest["n_current"])
        if abs(n_cached - n_current) <= _REUSE_WITHIN * n_current:
            ratio = (1 / feature.n + 1 / n_current) / (1 / feature.n + 1 / n_cached)
            return {
                stat: np.asarray(values, dtype=np.float64) * ratio ** _SCALING[stat]
                for stat, values in nearest["statistics"].items()
            }, True
    rng = rng_for(seed, name, n_current)
    shares = _null_shares(feature)
    reference = rng.multinomial(feature.n, shares, size=draws)
    current = rng.multinomial(n_current, shares, size=draws)
    null = {
        stat: _rounded(values)
        for stat, values in histogram_statistics(feature, reference, current).items()
    }
    entries.append({"n_current": n_current, "statistics": {k: v.tolist() for k, v in null.items()}})
    del entries[:-_CACHED_SIZES]
    return null, False


def binomial_null(
    rng: np.random.Generator,
    share: float,
    n_reference: int,
    n_current: int,
    draws: int,
) -> Values:
    """Sorted null draws of ``|rate_cur - rate_ref|``, both sides binomial at ``share``."""
    current = rng.binomial(n_current, share, size=draws) / max(n_current, 1)
    reference = rng.binomial(n_reference, share, size=draws) / n_reference
    return np.sort(np.abs(current - reference))


def calibrated_p(observed: float, null: Values) -> float:
    """``max(share of null draws >= observed, moment-matched gamma tail at observed)``."""
    if not np.isfinite(observed):
        return 1.0
    exceeding = (null.size - int(np.searchsorted(null, observed, side="left"))) / null.size
    mean, variance = float(null.mean()), float(null.var(ddof=1))
    if mean <= 0.0 or variance <= 1e-12 * mean * mean:
        # A degenerate null (one possible value): anything above it is impossible under it.
        return 1.0 if observed <= float(null[-1]) * (1 + 1e-9) + 1e-12 else 0.0
    tail = gamma_sf(mean * mean / variance, observed * mean / variance)
    return max(exceeding, tail)


def missing_share(feature: FeatureProfile) -> float:
    """Missing share under the null (smoothed so that zero missing is not a certainty)."""
    return (feature.missing + 0.5) / (feature.total + 1.0)


def unseen_excess_null(
    rng: np.random.Generator, feature: CategoricalProfile, n_current: int, draws: int
) -> Values:
    """Sorted null draws of ``max(unseen share - expected, 0)`` for a window of ``n_current``.

    A value is new with probability ``q`` = (categories seen once) / n (Good-Turing), the
    window's count is binomial around it, and the estimate of ``q`` itself is noisy with
    variance about ``(f1 + 2 f2) / n**2`` (Esty, 1983): both enter the null.
    """
    expected = unseen_share(feature)
    current = rng.binomial(n_current, expected, size=draws) / max(n_current, 1)
    spread = np.sqrt(max(feature.singletons, 1) + 2 * feature.doubletons) / feature.n
    estimate = expected + rng.normal(0.0, spread, size=draws)
    return np.sort(np.maximum(current - estimate, 0.0))


def unseen_share(feature: CategoricalProfile) -> float:
    """Chance that a value is a category the reference never showed (Good-Turing)."""
    return max(feature.singletons, 1) / (feature.n + 1)
