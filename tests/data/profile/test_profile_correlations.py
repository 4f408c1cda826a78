"""Correlations: Pearson and Spearman as pandas computes them, Cramér's V as scipy, eta by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import contingency

from boucle.data.profile import TableProfile, profile_table
from boucle.data.profile.correlations import correlation_ratio, cramers_v
from boucle.data.profile.table import MAX_CORRELATION_COLUMNS

NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def _codes(series: pd.Series) -> np.ndarray:
    return np.asarray(pd.factorize(series)[0], dtype=np.int64)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_numeric_matrices_match_pandas(
    adult: pd.DataFrame, adult_profile: TableProfile, method: str
) -> None:
    matrix = getattr(adult_profile.correlations, method)
    assert matrix.columns == tuple(NUMERIC)
    expected = adult[NUMERIC].corr(method=method)
    np.testing.assert_allclose(
        np.array(matrix.values, dtype=float), expected.to_numpy(), atol=1e-12
    )
    assert adult_profile.correlations.sample_rows == len(adult)  # below 100k: every row


def test_pearson_uses_pairwise_complete_rows(adult: pd.DataFrame) -> None:
    frame = adult[["age", "hours-per-week", "education-num"]].astype("float64")
    frame.loc[::3, "age"] = np.nan
    frame.loc[1::5, "hours-per-week"] = np.nan
    found = profile_table(frame, target=None, task=None).correlations.pearson
    expected = frame.corr()
    np.testing.assert_allclose(np.array(found.values, dtype=float), expected.to_numpy(), atol=1e-10)


def test_cramers_v_matches_scipy(adult: pd.DataFrame, adult_profile: TableProfile) -> None:
    for first, second in [
        ("sex", "relationship"),
        ("race", "native-country"),
        ("workclass", "income"),
    ]:
        both = adult[[first, second]].dropna()
        table = pd.crosstab(both[first], both[second]).to_numpy()
        expected = contingency.association(table, method="cramer")
        assert adult_profile.correlations.association.value(first, second) == pytest.approx(
            expected
        )
        assert cramers_v(_codes(adult[first]), _codes(adult[second])) == pytest.approx(expected)


def test_correlation_ratio_matches_its_definition(
    adult: pd.DataFrame, adult_profile: TableProfile
) -> None:
    for numeric, category in [("age", "marital-status"), ("hours-per-week", "occupation")]:
        both = adult[[numeric, category]].dropna()
        values = both[numeric].astype(float)
        means = values.groupby(both[category]).transform("mean")
        expected = np.sqrt(
            ((means - values.mean()) ** 2).sum() / ((values - values.mean()) ** 2).sum()
        )
        found = adult_profile.correlations.association.value(numeric, category)
        assert found == pytest.approx(expected, rel=1e-9)
        assert found == adult_profile.correlations.association.value(category, numeric)


def test_association_matrix_is_symmetric_with_a_unit_diagonal(adult_profile: TableProfile) -> None:
    association = adult_profile.correlations.association
    values = np.array(association.values, dtype=float)
    np.testing.assert_allclose(values, values.T)
    np.testing.assert_array_equal(np.diag(values), 1.0)
    assert ((values >= 0) & (values <= 1)).all()
    # |Spearman| between two numeric columns
    spearman = adult_profile.correlations.spearman.value("age", "hours-per-week")
    assert association.value("age", "hours-per-week") == pytest.approx(abs(spearman or 0))


def test_target_associations_rank_the_features(adult_profile: TableProfile) -> None:
    target = adult_profile.target
    assert target is not None
    strengths = [value for _, _, value in target.associations]
    assert strengths == sorted(strengths, reverse=True)
    assert len(target.associations) == 14
    methods = {column: method for column, method, _ in target.associations}
    assert methods["relationship"] == "cramers_v"
    assert methods["age"] == "correlation_ratio"


def test_a_sample_is_reproducible_and_close(
    adult: pd.DataFrame, adult_profile: TableProfile
) -> None:
    first = profile_table(adult, target=None, task=None, sample_rows_for_correlation=5000, seed=7)
    again = profile_table(adult, target=None, task=None, sample_rows_for_correlation=5000, seed=7)
    assert first.correlations == again.correlations
    assert first.correlations.sample_rows == 5000
    full = adult_profile.correlations.pearson.value("age", "education-num") or 0.0
    assert first.correlations.pearson.value("age", "education-num") == pytest.approx(full, abs=0.05)


def test_identifier_and_constant_columns_are_left_out() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": [f"row-{i}" for i in range(500)],
            "same": ["x"] * 500,
            "group": rng.choice(["a", "b", "c"], 500),
            "value": rng.normal(size=500),
            "flat": np.ones(500),
        }
    )
    correlations = profile_table(frame, target=None, task=None).correlations
    assert correlations.association.columns == ("group", "value")
    assert correlations.pearson.columns == ("value",)
    assert cramers_v(np.zeros(10, dtype=np.int64), np.arange(10) % 2) is None
    assert correlation_ratio(np.ones(10), np.arange(10) % 2) is None


def test_wide_tables_cap_the_correlation_columns_and_keep_the_target() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, MAX_CORRELATION_COLUMNS + 20)))
    frame.columns = [f"x{i}" for i in range(frame.shape[1])]
    frame["y"] = rng.normal(size=300)
    correlations = profile_table(frame, target="y", task="regression").correlations
    assert len(correlations.pearson.columns) == MAX_CORRELATION_COLUMNS
    assert correlations.pearson.columns[-1] == "y"
    assert correlations.association.columns == correlations.pearson.columns
