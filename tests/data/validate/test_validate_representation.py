"""Representation of sensitive groups on the real datasets, and the split tolerance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boucle.config.checks import RepresentationCheckConfig
from boucle.data.validate.representation import check_representation, sensitive_groups
from boucle.errors import DataError


def test_adult_race_other_fails_the_default_and_passes_half_a_percent(
    adult: pd.DataFrame,
) -> None:
    (result,) = check_representation(adult, sensitive=["race"], config=RepresentationCheckConfig())
    assert not result.passed and result.name == "representation" and result.column == "race"
    assert result.severity == "warn"
    other = result.details["groups"]["Other"]
    assert other == {"count": 271, "share": 0.008323}
    assert "Other" in result.details["failing_groups"]
    assert "'Other' 0.83% (271 rows)" in result.message

    loose = RepresentationCheckConfig(min_share=0.005)
    (result,) = check_representation(adult, sensitive=["race"], config=loose)
    assert result.passed, result.message
    assert result.details["failing_groups"] == []


def test_german_foreign_worker_passes_30_rows_and_fails_50(german: pd.DataFrame) -> None:
    (result,) = check_representation(
        german, sensitive=["foreign_worker"], config=RepresentationCheckConfig(min_count=30)
    )
    assert result.passed
    assert result.details["groups"]["no"] == {"count": 37, "share": 0.037}
    strict = RepresentationCheckConfig(min_count=50, severity="error")
    (result,) = check_representation(german, sensitive=["foreign_worker"], config=strict)
    assert not result.passed and result.severity == "error"
    assert result.details["failing_groups"] == ["no"]
    assert "'no' 3.70% (37 rows)" in result.message and ">= 50 rows" in result.message


def test_numeric_sensitive_columns_are_cut_in_quantile_bins(german: pd.DataFrame) -> None:
    config = RepresentationCheckConfig()
    groups = sensitive_groups(german["age_in_years"], config)
    assert groups.nunique() == 5 and groups.isna().sum() == 0
    assert all(label.startswith("(") and label.endswith("]") for label in groups.cat.categories)
    few = sensitive_groups(german["installment_rate_in_percentage_of_disposable_income"], config)
    assert sorted(few.cat.categories) == ["1", "2", "3", "4"]  # 4 values: kept as they are
    with_nulls = german["age_in_years"].astype("float64").where(german.index % 10 != 0)
    (result,) = check_representation(
        pd.DataFrame({"age": with_nulls}), sensitive=["age"], config=config
    )
    assert result.details["groups"]["(missing)"]["count"] == 100


def test_split_tolerance_catches_a_biased_training_split(adult: pd.DataFrame) -> None:
    config = RepresentationCheckConfig(min_share=0.005)
    rng = np.random.default_rng(0)
    fair = adult.sample(frac=0.8, random_state=0).index
    results = check_representation(adult, sensitive=["sex"], config=config, train_index=fair)
    assert [r.name for r in results] == ["representation", "representation_split"]
    assert results[1].passed, results[1].message

    # Keep only a tenth of the women in training: their share drops from 33% to ~5%.
    women = adult["sex"] == "Female"
    keep = ~women.to_numpy() | (rng.random(len(adult)) < 0.1)
    biased = adult.index[keep]
    _, split = check_representation(adult, sensitive=["sex"], config=config, train_index=biased)
    assert not split.passed
    female = split.details["groups"]["Female"]
    assert female["share"] == pytest.approx(0.3308, abs=1e-3)
    assert female["train_share"] < 0.06 and female["gap"] < -0.25
    assert set(split.details["failing_groups"]) == {"Female", "Male"}
    assert "'Female' is" in split.message and "of training rows vs 33.08% overall" in split.message

    # A group absent from training fails even when its share is within the tolerance.
    no_other = adult.index[adult["race"] != "Other"]
    _, split = check_representation(adult, sensitive=["race"], config=config, train_index=no_other)
    assert split.details["failing_groups"] == ["Other"]
    assert "'Other' is absent from the training rows (0.83% overall)" in split.message


def test_train_index_must_name_rows_of_the_table(german: pd.DataFrame) -> None:
    config = RepresentationCheckConfig()
    with pytest.raises(DataError, match="2 labels that are not rows") as error:
        check_representation(
            german, sensitive=["foreign_worker"], config=config, train_index=[0, 1, 5000, 6000]
        )
    assert "train_frame.index" in str(error.value)
    with pytest.raises(DataError, match="selects no row"):
        check_representation(german, sensitive=["foreign_worker"], config=config, train_index=[])
