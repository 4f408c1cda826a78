"""Real shifts at 100k rows are found, and exactly the shifted features are named."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from boucle.monitor import DriftReport, ReferenceProfile, compute_drift

if TYPE_CHECKING:
    from conftest import MixedFactory

ROWS = 100_000


@pytest.fixture(scope="module")
def profile(mixed: MixedFactory) -> ReferenceProfile:
    return ReferenceProfile.from_frame(mixed(ROWS, 1), sample_rows=0)


def _shift_mean(frame: pd.DataFrame) -> None:
    frame["normal"] += 0.1 * 10.0  # 0.1 sigma


def _widen(frame: pd.DataFrame) -> None:
    frame["lognormal"] = np.exp(3.0 + (np.log(frame["lognormal"]) - 3.0) * 1.05)  # sigma x1.05


def _move_category_share(frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(11)  # 3 points of 'basic' become 'plus'
    frame.loc[(frame["plan"] == "basic") & (rng.random(len(frame)) < 0.06), "plan"] = "plus"


def _new_category(frame: pd.DataFrame) -> None:
    frame.loc[np.random.default_rng(12).random(len(frame)) < 0.01, "plan"] = "enterprise"


def _more_missing(frame: pd.DataFrame) -> None:
    frame.loc[np.random.default_rng(13).random(len(frame)) < 0.02, "count"] = np.nan


def _score_drift(frame: pd.DataFrame) -> None:
    frame["score"] = np.clip(frame["score"] * 1.03, 0.0, 1.0)  # model outputs creep up 3 %


SCENARIOS: dict[str, tuple[Callable[[pd.DataFrame], None], str]] = {
    "mean shift 0.1 sigma": (_shift_mean, "normal"),
    "variance x1.1": (_widen, "lognormal"),
    "category share -3 points": (_move_category_share, "plan"),
    "new category at 1 %": (_new_category, "plan"),
    "missing rate 0 -> 2 %": (_more_missing, "count"),
    "prediction scores in [0, 1]": (_score_drift, "score"),
}


def _report(profile: ReferenceProfile, current: pd.DataFrame) -> DriftReport:
    report = compute_drift(profile, current)
    json.dumps(report.to_dict(), allow_nan=False)  # strict JSON, always
    return report


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_shift_is_found_and_only_there(
    scenario: str, profile: ReferenceProfile, mixed: MixedFactory
) -> None:
    change, feature = SCENARIOS[scenario]
    current = mixed(ROWS, 2)
    assert _report(profile, current).drifted_features == []  # the same window, unchanged
    change(current)
    report = _report(profile, current)
    assert report.drifted_features == [feature]
    assert report.dataset_drift and report.share_drifted == pytest.approx(1 / 8)
    row = report.feature(feature)
    assert row.p_value <= row.threshold and row.q_value <= 0.01


def test_effect_sizes_read_in_natural_units(profile: ReferenceProfile, mixed: MixedFactory) -> None:
    current = mixed(ROWS, 2)
    _shift_mean(current)
    _more_missing(current)
    _new_category(current)
    report = _report(profile, current)
    assert report.drifted_features == ["normal", "count", "plan"]  # in profile order
    normal = report.feature("normal")
    assert normal.effect_name == "wasserstein_sigma"
    assert normal.effect_size == pytest.approx(0.1, abs=0.02)
    assert normal.statistics["smd"] == pytest.approx(0.1, abs=0.02)
    assert report.feature("count").statistics["missing_rate_change"] == pytest.approx(
        0.02, abs=0.003
    )
    plan = report.feature("plan")
    assert plan.statistics["unseen_share"] == pytest.approx(0.01, abs=0.002)
    assert list(plan.details["unseen_examples"]) == ["enterprise"]
    assert plan.p_values["unseen"] < 1e-10


def test_a_shift_evidently_style_thresholds_miss_is_still_found(
    profile: ReferenceProfile, mixed: MixedFactory
) -> None:
    # 0.05 sigma: the normalised Wasserstein distance (0.05) is far below the usual fixed
    # threshold of 0.1, yet at 100k rows the shift is 11 standard errors away from zero.
    current = mixed(ROWS, 2)
    current["normal"] += 0.05 * 10.0
    report = _report(profile, current)
    assert report.drifted_features == ["normal"]
    assert (report.feature("normal").effect_size or 1.0) < 0.1


def test_adult_shifted_hours_and_recoded_workclass(adult_frame: pd.DataFrame) -> None:
    order = np.random.default_rng(0).permutation(len(adult_frame))
    half = len(adult_frame) // 2
    reference = adult_frame.iloc[order[:half]]
    current = adult_frame.iloc[order[half:]].copy()
    current["hours-per-week"] += 2  # about 0.16 sigma
    current.loc[current["workclass"] == "Self-emp-inc", "workclass"] = "Self-emp"
    report = compute_drift(ReferenceProfile.from_frame(reference, sample_rows=0), current)
    assert report.drifted_features == ["workclass", "hours-per-week"]
    assert report.feature("workclass").details["unseen_examples"] == {
        "Self-emp": int((current["workclass"] == "Self-emp").sum())
    }


def test_bad_arguments_are_refused(profile: ReferenceProfile, mixed: MixedFactory) -> None:
    from boucle.errors import DataError

    current = mixed(1_000, 2)
    with pytest.raises(DataError, match=r"alpha=1\.5"):
        compute_drift(profile, current, alpha=1.5)
    with pytest.raises(DataError, match="fdr='holm'"):
        compute_drift(profile, current, fdr="holm")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="'plan' of the reference profile is not in"):
        compute_drift(profile, current.drop(columns=["plan"]))
    with pytest.raises(DataError, match="no rows"):
        compute_drift(profile, current.iloc[:0])
    with pytest.raises(DataError, match="'normal' is numeric in the reference"):
        compute_drift(profile, current.assign(normal="high"))


def test_fdr_choices_apply_their_cutoffs(profile: ReferenceProfile, mixed: MixedFactory) -> None:
    current = mixed(ROWS, 2)
    _shift_mean(current)
    m = len(profile.features)
    bonferroni = compute_drift(profile, current, fdr="bonferroni")
    assert bonferroni.drifted_features == ["normal"]
    assert all(row.threshold == pytest.approx(0.01 / m) for row in bonferroni.features)
    raw = compute_drift(profile, current, fdr="none", alpha=0.5)
    assert all(row.drifted == (row.p_value <= 0.5) for row in raw.features)


def test_integer_coded_categories_survive_missing_values() -> None:
    # With missing values pandas stores integer codes as floats (3 reads 3.0), or as Int64.
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"code": rng.integers(1, 6, 20_000).astype(float)})
    reference.loc[:9, "code"] = np.nan
    profile = ReferenceProfile.from_frame(reference, categorical=["code"], sample_rows=0)
    current = pd.DataFrame({"code": pd.array(rng.integers(1, 6, 20_000), dtype="Int64")})
    current.loc[100:109, "code"] = pd.NA
    row = compute_drift(profile, current).feature("code")
    assert row.statistics["unseen_share"] == 0.0 and not row.drifted
