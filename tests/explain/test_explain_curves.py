"""ICE and PDP curves through scikit-learn's partial_dependence, on raw table rows."""

from __future__ import annotations

import numpy as np
import pytest
from explain_models import Model

from boucle.explain import feature_curve


def test_pdp_of_the_driver_rises_and_is_the_mean_of_the_ice_lines(linear_model: Model) -> None:
    rows = linear_model.x_test
    curve = feature_curve(linear_model.pipeline, rows, "signal", kind="binary", grid_points=10)
    assert not curve.categorical and len(curve.grid) == 10
    assert np.all(np.diff(curve.average) > 0)  # the logistic model is monotone in signal
    assert curve.individual.shape == (len(rows), 10)
    np.testing.assert_allclose(curve.individual.mean(axis=0), curve.average)
    # One ICE value is the model's probability for that row with the column set to the grid.
    changed = rows.iloc[[0]].assign(signal=curve.grid[3])
    expected = linear_model.pipeline.predict_proba(changed)[0, 1]
    assert curve.individual[0, 3] == pytest.approx(expected)


def test_integer_and_categorical_columns_with_missing_values(lightgbm_model: Model) -> None:
    rows = lightgbm_model.x_test.copy()
    assert str(rows["age_in_years"].dtype).startswith("int")
    ages = feature_curve(lightgbm_model.pipeline, rows, "age_in_years", kind="binary")
    assert all(isinstance(v, float) for v in ages.grid)
    rows.loc[rows.index[:5], "purpose"] = None  # scikit-learn's own grid refuses this
    purpose = feature_curve(lightgbm_model.pipeline, rows, "purpose", kind="binary", grid_points=4)
    assert purpose.categorical
    assert purpose.grid == rows["purpose"].value_counts().index[:4].tolist()
    data = purpose.to_dict(max_lines=7)
    assert len(data["individual"]) == 7 and data["rows"] == len(rows)
