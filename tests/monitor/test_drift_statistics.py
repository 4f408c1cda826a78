"""The binned statistics agree with scipy's reference implementations on discrete data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import spatial, special, stats

from boucle.monitor.statistics import (
    benjamini_hochberg,
    chi_square,
    gamma_sf,
    jensen_shannon,
    ks_statistic,
    psi,
    wasserstein,
)


def _discrete_pair(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two integer samples, their supports' union as atoms, and their counts on it."""
    rng = np.random.default_rng(seed)
    a, b = rng.poisson(6.0, 3_000), rng.poisson(6.6, 2_000)
    atoms = np.union1d(a, b)
    counts_a = np.array([(a == v).sum() for v in atoms])
    counts_b = np.array([(b == v).sum() for v in atoms])
    return a, b, counts_a, counts_b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ks_and_wasserstein_are_exact_on_distinct_values(seed: int) -> None:
    a, b, counts_a, counts_b = _discrete_pair(seed)
    atoms = np.union1d(a, b).astype(float)
    assert ks_statistic(counts_a, counts_b) == pytest.approx(stats.ks_2samp(a, b).statistic)
    assert wasserstein(counts_a, counts_b, atoms, scale=2.0) == pytest.approx(
        stats.wasserstein_distance(a, b) / 2.0
    )


def test_chi_square_matches_the_contingency_test() -> None:
    _, _, counts_a, counts_b = _discrete_pair(3)
    expected = stats.chi2_contingency(np.vstack([counts_a, counts_b]), correction=False)
    assert chi_square(counts_a, counts_b) == pytest.approx(expected.statistic)


def test_jensen_shannon_matches_scipy_in_base_two() -> None:
    a, b = np.array([40, 30, 20, 10, 0]), np.array([10, 20, 30, 35, 5])
    assert jensen_shannon(a, b) == pytest.approx(
        spatial.distance.jensenshannon(a / a.sum(), b / b.sum(), base=2)
    )
    assert jensen_shannon(a, a) == pytest.approx(0.0, abs=1e-12)


def test_psi_by_hand_with_groups_and_floor() -> None:
    ref, cur = np.array([50, 50, 0, 100]), np.array([25, 25, 50, 100])
    # groups {0,1}, {2}, {3}: shares (0.5, 0, 0.5) vs (0.25, 0.25, 0.5); 0 floored at 1e-4.
    by_hand = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.25 - 1e-4) * np.log(0.25 / 1e-4)
    assert psi(ref, cur, np.array([0, 2, 3])) == pytest.approx(by_hand)


def test_rows_of_draws_give_the_same_values_as_single_pairs() -> None:
    rng = np.random.default_rng(4)
    ref, cur = rng.integers(0, 50, (6, 12)), rng.integers(0, 50, (6, 12))
    atoms = np.arange(12.0)
    for function in (ks_statistic, chi_square, jensen_shannon, psi):
        batch = function(ref, cur)
        assert batch.shape == (6,)
        assert batch == pytest.approx(
            [float(function(r, c)) for r, c in zip(ref, cur, strict=True)]
        )
    batch = wasserstein(ref, cur, atoms, 1.0)
    assert batch == pytest.approx(
        [float(wasserstein(r, c, atoms, 1.0)) for r, c in zip(ref, cur, strict=True)]
    )


@pytest.mark.parametrize("shape", [0.3, 1.0, 2.5, 11.0, 60.0, 400.0])
def test_gamma_tail_matches_scipy(shape: float) -> None:
    for x in np.r_[np.linspace(0.01, 4 * shape, 25), [5 * shape + 40]]:
        expected = special.gammaincc(shape, x)
        assert gamma_sf(shape, float(x)) == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert gamma_sf(shape, 0.0) == 1.0


def test_benjamini_hochberg_matches_scipy_and_the_step_up_rule() -> None:
    p = np.array([0.0001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    rejected, q, cutoff = benjamini_hochberg(p, alpha=0.05)
    assert q == pytest.approx(stats.false_discovery_control(p, method="bh"))
    assert rejected.tolist() == [True, True] + [False] * 8
    assert cutoff == pytest.approx(0.05 * 2 / 10)
    rejected, _, cutoff = benjamini_hochberg(np.array([0.5, 0.9]), alpha=0.01)
    assert not rejected.any() and cutoff == pytest.approx(0.005)
