"""The domain classifier finds a change of the joint distribution that no marginal shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from boucle.errors import DataError
from boucle.monitor import ReferenceProfile, compute_drift
from boucle.monitor.multivariate import RowSampler

if TYPE_CHECKING:
    from conftest import MixedFactory


def _correlated(n: int, rho: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=n)
    return pd.DataFrame(
        {"x": x, "y": y, "noise": rng.normal(size=n), "group": rng.choice(["a", "b"], n)}
    )


def test_flipped_correlation_is_found_only_by_the_multivariate_check() -> None:
    profile = ReferenceProfile.from_frame(_correlated(20_000, 0.8, 1), sample_rows=2_000)
    report = compute_drift(profile, _correlated(20_000, -0.8, 2), multivariate=True)
    assert report.drifted_features == []  # every marginal is unchanged
    domain = report.multivariate
    assert domain is not None and domain.drifted and report.dataset_drift
    assert domain.auc > 0.8 and domain.auc > domain.threshold > 0.5
    assert set(domain.top_features[:2]) == {"x", "y"}
    assert domain.n_reference == domain.n_current == 2_000
    assert report.to_dict()["multivariate"]["drifted"] is True


def test_same_distribution_does_not_fire_the_domain_classifier(mixed: MixedFactory) -> None:
    profile = ReferenceProfile.from_frame(mixed(20_000, 1), sample_rows=2_000)
    report = compute_drift(profile, mixed(20_000, 2), multivariate=True, permutations=5)
    domain = report.multivariate
    assert domain is not None and not domain.drifted and not report.dataset_drift
    assert abs(domain.auc - 0.5) < 0.05 and domain.p_value > 0.01


def test_row_sample_does_not_depend_on_chunking(mixed: MixedFactory) -> None:
    frame = mixed(10_000, 3)
    features = ReferenceProfile.from_frame(frame, sample_rows=0).features
    whole, chunked = RowSampler(features, 500, seed=7), RowSampler(features, 500, seed=7)
    whole.update(frame)
    for start in range(0, len(frame), 1_234):
        chunked.update(frame.iloc[start : start + 1_234])
    assert whole.rows().keys() == chunked.rows().keys()
    for name, column in whole.rows().items():
        assert column == chunked.rows()[name], name
    assert len(whole.rows()["normal"]) == 500


def test_multivariate_needs_a_profile_with_a_row_sample(mixed: MixedFactory) -> None:
    profile = ReferenceProfile.from_frame(mixed(1_000, 1), sample_rows=0)
    with pytest.raises(DataError, match="keeps no row sample") as caught:
        compute_drift(profile, mixed(1_000, 2), multivariate=True)
    assert caught.value.hint is not None and "sample_rows" in caught.value.hint
