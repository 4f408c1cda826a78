"""No false alarm on same-distribution data, and p-values that are neither vacuous nor loose.

Each run draws the reference and the current window independently from one distribution (or
splits the real Adult data at random), so any flagged feature is a false alarm. With BH at
alpha = 1 % the chance that a run raises any alarm is at most 1 %; over 20 runs, two or more
alarming runs would have probability < 2 % for a correctly calibrated test, so we allow one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from boucle.monitor import ReferenceProfile, compute_drift

if TYPE_CHECKING:
    from conftest import MixedFactory

RUNS = 20
ALLOWED_ALARMING_RUNS = 1


def _p_values_by_statistic(reports: list) -> dict[str, np.ndarray]:  # type: ignore[type-arg]
    found: dict[str, list[float]] = {}
    for report in reports:
        for row in report.features:
            for name, value in row.p_values.items():
                found.setdefault(f"{row.kind}:{name}", []).append(value)
    return {name: np.array(values) for name, values in found.items()}


@pytest.fixture(scope="module")
def synthetic_null_reports(mixed: MixedFactory) -> list:  # type: ignore[type-arg]
    reports = []
    for seed in range(RUNS):
        profile = ReferenceProfile.from_frame(mixed(50_000, 2 * seed), sample_rows=0)
        reports.append(compute_drift(profile, mixed(50_000, 2 * seed + 1)))
    return reports


@pytest.fixture(scope="module")
def adult_null_reports(adult_frame: pd.DataFrame) -> list:  # type: ignore[type-arg]
    reports, half = [], len(adult_frame) // 2
    for seed in range(RUNS):
        order = np.random.default_rng(seed).permutation(len(adult_frame))
        reference, current = adult_frame.iloc[order[:half]], adult_frame.iloc[order[half:]]
        profile = ReferenceProfile.from_frame(reference, sample_rows=0)
        reports.append(compute_drift(profile, current))
    return reports


@pytest.mark.parametrize("fixture", ["synthetic_null_reports", "adult_null_reports"])
def test_same_distribution_raises_no_alarm(fixture: str, request: pytest.FixtureRequest) -> None:
    reports = request.getfixturevalue(fixture)
    alarming = [report.drifted_features for report in reports if report.dataset_drift]
    assert len(alarming) <= ALLOWED_ALARMING_RUNS, alarming
    assert all(report.alpha == 0.01 and report.fdr == "bh" for report in reports)


@pytest.mark.parametrize("fixture", ["synthetic_null_reports", "adult_null_reports"])
def test_histogram_p_values_are_uniform_under_the_null(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    # About 10 % of null p-values fall below 0.1: fewer means a test with no power left,
    # more means false alarms. Bounds are ~3.5 standard errors wide for 120+ p-values.
    by_statistic = _p_values_by_statistic(request.getfixturevalue(fixture))
    for name in ("numeric:ks", "numeric:wasserstein", "numeric:psi", "categorical:chi2"):
        values = by_statistic[name]
        assert values.size >= 60
        share = float((values < 0.1).mean())
        assert (
            0.1 - 3.5 * np.sqrt(0.09 / values.size)
            < share
            < 0.1 + 3.5 * np.sqrt(0.09 / values.size)
        ), (name, share)
        assert 0.4 < values.mean() < 0.62, (name, values.mean())


def test_rare_new_categories_of_a_long_tail_are_expected(synthetic_null_reports: list) -> None:  # type: ignore[type-arg]
    # 'city' has a Zipf tail: every window shows categories the reference never saw. The
    # Good-Turing null expects them, so their share alone is no alarm.
    cities = [report.feature("city") for report in synthetic_null_reports]
    assert all((row.statistics["unseen_share"] or 0) > 0.005 for row in cities)
    assert all(not row.drifted for row in cities)


def test_calibration_is_cached_per_window_size_and_reused_nearby(mixed: MixedFactory) -> None:
    profile = ReferenceProfile.from_frame(mixed(30_000, 1), sample_rows=0)
    current = mixed(30_000, 2)
    cold = compute_drift(profile, current)
    warm = compute_drift(profile, current)
    assert cold.runtime["calibration_cache_misses"] == len(profile.features)
    assert warm.runtime["calibration_cache_hits"] == len(profile.features)
    assert [r.p_values for r in cold.features] == [r.p_values for r in warm.features]
    # A window 4 % larger reuses the cached draws, rescaled; a fresh calibration agrees.
    bigger = mixed(31_200, 3)
    reused = compute_drift(profile, bigger)
    fresh = compute_drift(ReferenceProfile.from_frame(mixed(30_000, 1), sample_rows=0), bigger)
    assert reused.runtime["calibration_cache_hits"] == len(profile.features)
    for a, b in zip(reused.features, fresh.features, strict=True):
        for name in a.p_values:
            assert a.p_values[name] == pytest.approx(b.p_values[name], abs=0.08), (a.feature, name)


def test_calibrating_ahead_makes_the_first_window_a_cache_hit(mixed: MixedFactory) -> None:
    profile = ReferenceProfile.from_frame(mixed(30_000, 1), sample_rows=0)
    profile.calibrate(25_000)
    restored = ReferenceProfile.from_bytes(profile.to_bytes())
    report = compute_drift(restored, mixed(25_000, 2))
    assert report.runtime["calibration_cache_hits"] == len(profile.features)
    assert report.drifted_features == []
