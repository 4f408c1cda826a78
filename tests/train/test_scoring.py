"""Search metrics: names and directions, task checks, probability columns per class code."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from boucle.errors import TrainingError
from boucle.train.scoring import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    class_probabilities,
    get_metric,
    score_predictions,
)


def test_metric_names_and_directions() -> None:
    assert CLASSIFICATION_METRICS == ("accuracy", "f1", "log_loss", "pr_auc", "roc_auc")
    assert REGRESSION_METRICS == ("mae", "r2", "rmse")
    assert get_metric("log_loss", "binary").direction == "minimize"
    assert get_metric("roc_auc", "multiclass").direction == "maximize"
    assert get_metric("rmse", "regression").direction == "minimize"
    assert get_metric("r2", "regression").direction == "maximize"


def test_unknown_metric_lists_valid_ones_and_the_closest() -> None:
    with pytest.raises(TrainingError) as info:
        get_metric("auc", "binary")
    message = str(info.value)
    assert "Unknown metric 'auc' for classification" in message
    assert "accuracy, f1, log_loss, pr_auc, roc_auc" in message
    assert "Did you mean 'pr_auc' or 'roc_auc'?" in message


def test_metric_of_the_other_task_is_refused() -> None:
    with pytest.raises(TrainingError, match="Metric 'rmse' does not apply to classification"):
        get_metric("rmse", "multiclass")
    with pytest.raises(TrainingError, match="Valid regression metrics: mae, r2, rmse"):
        get_metric("f1", "regression")


def test_class_probabilities_pad_classes_missing_from_training() -> None:
    X = np.arange(12, dtype=float).reshape(-1, 1)
    y = np.array([0, 2] * 6)  # class 1 never seen in training
    estimator = LogisticRegression().fit(X, y)
    proba = class_probabilities(estimator, X, 3)
    assert proba.shape == (12, 3)
    assert (proba[:, 1] == 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_scores_match_known_values() -> None:
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert score_predictions("accuracy", y, proba, "binary") == 0.5
    assert score_predictions("roc_auc", y, proba, "binary") == 0.75
    values = np.array([1.0, 2.0, 3.0])
    assert score_predictions("mae", values, values + 1, "regression") == 1.0
    assert score_predictions("rmse", values, values - 2, "regression") == 2.0
