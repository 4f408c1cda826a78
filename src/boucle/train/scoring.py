"""The metrics a hyper-parameter search can optimise, and how each one is computed.

Each metric is a scalar with a direction. Classification metrics take the class
probabilities (columns ``0..k-1``, see :func:`class_probabilities`); multiclass ROC-AUC is
one-vs-rest, macro-averaged, and F1 / PR-AUC are macro-averaged too.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from boucle.errors import TrainingError
from boucle.train.targets import TargetKind

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "Direction",
    "MetricSpec",
    "class_probabilities",
    "get_metric",
    "score_predictions",
]

Direction = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class MetricSpec:
    """A search metric: its name, optimisation direction and the tasks it applies to."""

    name: str
    direction: Direction
    classification: bool


_SPECS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("roc_auc", "maximize", True),
        MetricSpec("pr_auc", "maximize", True),
        MetricSpec("f1", "maximize", True),
        MetricSpec("accuracy", "maximize", True),
        MetricSpec("log_loss", "minimize", True),
        MetricSpec("rmse", "minimize", False),
        MetricSpec("mae", "minimize", False),
        MetricSpec("r2", "maximize", False),
    )
}

#: Metric names valid for classification and for regression, sorted.
CLASSIFICATION_METRICS = tuple(sorted(n for n, s in _SPECS.items() if s.classification))
REGRESSION_METRICS = tuple(sorted(n for n, s in _SPECS.items() if not s.classification))


def get_metric(metric: str, task_kind: TargetKind) -> MetricSpec:
    """Return the :class:`MetricSpec` of ``metric``, checking it suits ``task_kind``."""
    valid = REGRESSION_METRICS if task_kind == "regression" else CLASSIFICATION_METRICS
    task = "regression" if task_kind == "regression" else "classification"
    spec = _SPECS.get(metric)
    if spec is None or spec.name not in valid:
        close = " or ".join(f"'{name}'" for name in difflib.get_close_matches(metric, valid, n=2))
        hint = f"Did you mean {close}? " if close else ""
        what = "Unknown metric" if spec is None else f"Metric '{metric}' does not apply to"
        subject = f"'{metric}' for {task}" if spec is None else task
        raise TrainingError(
            f"{what} {subject}. Valid {task} metrics: {', '.join(valid)}.",
            hint=f"{hint}Set train.metric to one of them.",
        )
    return spec


def class_probabilities(estimator: Any, X: Any, n_classes: int) -> npt.NDArray[np.float64]:
    """``predict_proba`` as float64 rows summing to 1, one column per class ``0..n_classes-1``.

    A class absent from the training rows has no column in ``predict_proba``; it gets a
    column of zeros here so that column ``c`` is always the probability of class ``c``.
    """
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    # XGBoost returns float32 rows that miss 1 by ~1e-7, which sklearn's log_loss warns about.
    proba /= proba.sum(axis=1, keepdims=True)
    fitted = np.asarray(estimator.classes_).astype(np.int64)
    if proba.shape[1] == n_classes and np.array_equal(fitted, np.arange(n_classes)):
        return proba
    full = np.zeros((proba.shape[0], n_classes), dtype=np.float64)
    full[:, fitted] = proba
    return full


def score_predictions(
    metric: str,
    y_true: npt.NDArray[Any],
    prediction: npt.NDArray[np.float64],
    task_kind: TargetKind,
) -> float:
    """Score ``prediction`` against ``y_true`` with ``metric``.

    ``prediction`` is the class-probability matrix for classification (from
    :func:`class_probabilities`) and the predicted values for regression.
    """
    from sklearn import metrics as skm

    spec = get_metric(metric, task_kind)
    if task_kind == "regression":
        if spec.name == "rmse":
            return float(skm.root_mean_squared_error(y_true, prediction))
        if spec.name == "mae":
            return float(skm.mean_absolute_error(y_true, prediction))
        return float(skm.r2_score(y_true, prediction))
    n_classes = prediction.shape[1]
    labels = np.arange(n_classes)
    predicted = prediction.argmax(axis=1)
    binary = task_kind == "binary"
    if spec.name == "accuracy":
        return float(skm.accuracy_score(y_true, predicted))
    if spec.name == "log_loss":
        return float(skm.log_loss(y_true, prediction, labels=labels))
    if spec.name == "f1":
        average = "binary" if binary else "macro"
        return float(skm.f1_score(y_true, predicted, average=average, zero_division=0.0))
    if spec.name == "roc_auc":
        if binary:
            return float(skm.roc_auc_score(y_true, prediction[:, 1]))
        return float(
            skm.roc_auc_score(y_true, prediction, multi_class="ovr", average="macro", labels=labels)
        )
    if binary:
        return float(skm.average_precision_score(y_true, prediction[:, 1]))
    onehot = (np.asarray(y_true)[:, None] == labels[None, :]).astype(np.int64)
    return float(skm.average_precision_score(onehot, prediction, average="macro"))
