"""The fair challenger's per-row draw does not depend on how a row is carried.

``GroupThresholdClassifier.predict`` draws each row against its group's rate with a hash of
the row. The ``mitigate`` step measures fairness on the split's frames (int64, float64,
strings), ``boucle serve`` hands the model float32 request values and object columns, and
``boucle predict`` the file's own dtypes: the same row must get the same label in all three,
or the served decisions are not the ones the fairness evidence counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from boucle.evaluate.fairness_mitigation import (
    ONNX_BLOCKED_BY,
    GroupThresholdClassifier,
    fit_threshold_optimizer,
)


def _rows(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    frame = pd.DataFrame(
        {
            "group": group,
            "years": rng.integers(0, 30, n),  # int64, as a CSV or Parquet file carries it
            "skill": (rng.normal(size=n) + np.where(group == "a", 1.0, -1.0)).round(4),
        }
    )
    label = (frame["skill"] + rng.normal(scale=0.6, size=n) > 0).astype(int).to_numpy()
    return frame, label


@pytest.fixture(scope="module")
def fitted() -> GroupThresholdClassifier:
    x, y = _rows(1200, 3)
    pipeline = Pipeline(
        [
            (
                "preprocess",
                ColumnTransformer([("cat", OneHotEncoder(), ["group"])], remainder="passthrough"),
            ),
            ("model", LogisticRegression()),
        ]
    ).fit(x, y)
    return fit_threshold_optimizer(
        pipeline, x, y, sensitive="group", constraint="demographic_parity"
    ).model


def _as_served(frame: pd.DataFrame) -> pd.DataFrame:
    """What the Python path builds from a request: float32 numbers, object text, its order."""
    return pd.DataFrame(
        {
            "skill": frame["skill"].to_numpy(dtype=np.float32).astype(np.float64),
            "years": frame["years"].to_numpy(dtype=np.float32).astype(np.float64),
            "group": np.array(frame["group"].tolist(), dtype=object),
        }
    )


def test_the_same_rows_get_the_same_labels_however_they_are_carried(
    fitted: GroupThresholdClassifier,
) -> None:
    rows, _ = _rows(400, 11)
    expected = fitted.predict(rows)
    rates = fitted.positive_rate(rows)
    drawn = (rates > 0) & (rates < 1)
    assert drawn.sum() > 10  # rows whose label is the draw's, not the threshold's

    served = _as_served(rows)
    np.testing.assert_array_equal(fitted.predict(served), expected)
    np.testing.assert_allclose(fitted.predict_proba(served), fitted.predict_proba(rows))
    text = rows.astype({"years": str, "group": "string"})  # a file read without types
    np.testing.assert_array_equal(fitted.predict(text), expected)
    extra = rows.assign(request_id=np.arange(len(rows)))  # columns the model does not read
    np.testing.assert_array_equal(fitted.predict(extra), expected)


def test_numeric_group_values_match_their_learned_group() -> None:
    """A group learned from int codes is found when served as float32 (``1.0``, not ``1``)."""
    x, y = _rows(1200, 5)
    x["group"] = np.where(x["group"] == "a", 1, 2)  # int codes
    pipeline = Pipeline([("model", LogisticRegression())]).fit(x, y)
    model = fit_threshold_optimizer(
        pipeline, x, y, sensitive="group", constraint="demographic_parity"
    ).model
    assert set(model.thresholds) == {"1", "2"}
    rows, _ = _rows(300, 13)
    rows["group"] = np.where(rows["group"] == "a", 1, 2)
    served = rows.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(model.positive_rate(served), model.positive_rate(rows))
    np.testing.assert_array_equal(model.predict(served), model.predict(rows))
    # Not the base decision of an unseen group: the learned rule of the group applies.
    base = (pipeline.predict_proba(rows)[:, 1] >= 0.5).astype(float)
    assert not np.array_equal(model.positive_rate(served), base)


def test_the_serving_constant_names_the_same_block() -> None:
    from boucle.serve.native import FAIR_ONNX_BLOCKED_BY

    assert FAIR_ONNX_BLOCKED_BY == ONNX_BLOCKED_BY
