"""Fairness mitigation: fairlearn's ThresholdOptimizer, kept as per-group thresholds (JSON).

:func:`fit_threshold_optimizer` fits ``ThresholdOptimizer(prefit=True)`` on the trained
pipeline's positive-class probability and reads back what it learned: for every group of the
sensitive column, two thresholds and the probabilities of using each (fairlearn interpolates
between two points of the group's ROC hull), plus, for equalized odds, a constant prediction
mixed in. :class:`GroupThresholdClassifier` applies those numbers to the pipeline's scores.
It holds only the pipeline and plain JSON data, so it is stored with skops like any boucle
model and never through pickle; fairlearn is not needed to load or use it.

Interpolated thresholds make a randomized classifier. Instead of a random generator, the draw
of each row is the 64-bit hash of its feature values, so the same row always gets the same
prediction (in batch, in serving, on a re-run) while the groups still get the learned rates.
A group not seen in training keeps the base model's prediction (probability ≥ 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError

__all__ = [
    "GroupThresholdClassifier",
    "MitigationResult",
    "fit_threshold_optimizer",
    "learned_thresholds",
]

Constraint = Literal["demographic_parity", "equalized_odds"]


class GroupThresholdClassifier:
    """A fitted binary pipeline whose decision uses one learned threshold rule per group.

    ``thresholds`` maps a group value (as a string) to
    ``{"p_ignore", "prediction_constant", "p0", "operation0", "p1", "operation1"}`` where an
    operation is ``{"operator": ">" | "<", "threshold": float}`` applied to the positive-class
    probability (see the module docstring). ``classes_`` are those of the pipeline.
    """

    def __init__(self, pipeline: Any, sensitive: str, thresholds: dict[str, dict[str, Any]]):
        self.pipeline = pipeline
        self.sensitive = sensitive
        self.thresholds = thresholds
        self.classes_ = pipeline.classes_

    def positive_rate(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Probability of predicting the positive class (code 1) for each row of ``X``."""
        if self.sensitive not in X.columns:
            raise DataError(
                f"Column '{self.sensitive}' (the mitigation's sensitive column) is missing "
                "from the rows to score.",
                hint="Send every feature column the model was trained on.",
            )
        scores = np.asarray(self.pipeline.predict_proba(X), dtype=np.float64)[:, 1]
        rate = (scores >= 0.5).astype(np.float64)  # unseen groups: the base decision
        groups = X[self.sensitive].astype("string").fillna("").to_numpy(dtype=object)
        for group, rule in self.thresholds.items():
            rows = groups == group
            if not rows.any():
                continue
            score = scores[rows]
            mixed = rule["p0"] * _apply(rule["operation0"], score) + rule["p1"] * _apply(
                rule["operation1"], score
            )
            ignore = float(rule.get("p_ignore", 0.0))
            constant = float(rule.get("prediction_constant", 0.0))
            rate[rows] = ignore * constant + (1.0 - ignore) * mixed
        return rate

    def predict_proba(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """``[P(negative), P(positive)]`` per row: the mixture rate of the row's group."""
        rate = self.positive_rate(X)
        return np.column_stack([1.0 - rate, rate])

    def predict(self, X: pd.DataFrame) -> npt.NDArray[Any]:
        """Class labels: positive when the row's own hash draw falls below its group's rate."""
        rate = self.positive_rate(X)
        draws = pd.util.hash_pandas_object(X, index=False).to_numpy(dtype=np.uint64)
        uniform = (draws >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        codes = (uniform < rate).astype(np.int64)
        return np.asarray(self.classes_)[codes]


def _apply(operation: dict[str, Any], score: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    threshold = float(operation["threshold"])
    hit = score > threshold if operation["operator"] == ">" else score < threshold
    return hit.astype(np.float64)


@dataclass(frozen=True)
class MitigationResult:
    """The mitigated classifier and the thresholds it learned (JSON-ready)."""

    model: GroupThresholdClassifier
    constraint: Constraint
    sensitive: str
    thresholds: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (what is stored next to the model as ``thresholds.json``)."""
        return {
            "method": "threshold_optimizer",
            "constraint": self.constraint,
            "sensitive": self.sensitive,
            "thresholds": self.thresholds,
        }


def fit_threshold_optimizer(
    pipeline: Any,
    X: pd.DataFrame,
    y: npt.ArrayLike,
    *,
    sensitive: str,
    constraint: Constraint,
) -> MitigationResult:
    """Fit ThresholdOptimizer on the prefit ``pipeline`` (binary codes 0/1) and keep its rules.

    ``X``/``y`` are the training rows; ``sensitive`` must be a column of ``X``. Raises
    :class:`~boucle.errors.DataError` when the column is missing or has a single group.
    """
    from fairlearn.postprocessing import ThresholdOptimizer

    if sensitive not in X.columns:
        raise DataError(
            f"The mitigation's sensitive column '{sensitive}' is not a feature of the model "
            f"(features: {', '.join(map(str, X.columns))}).",
            hint="Set fairness.mitigation_sensitive to a feature column, or list one first in "
            "data.sensitive.",
        )
    groups = X[sensitive].astype("string").fillna("")
    if groups.nunique() < 2:
        raise DataError(
            f"The mitigation's sensitive column '{sensitive}' has a single group in the "
            "training rows: there is nothing to equalize.",
            hint="Choose another column in fairness.mitigation_sensitive.",
        )
    optimizer = ThresholdOptimizer(
        estimator=pipeline,
        constraints=constraint,
        objective="accuracy_score",
        prefit=True,
        predict_method="predict_proba",
    )
    try:
        optimizer.fit(X, np.asarray(y), sensitive_features=groups.to_numpy(dtype=object))
    except ValueError as exc:
        raise DataError(
            f"ThresholdOptimizer ({constraint}) could not be fitted on '{sensitive}': {exc}",
            hint="Check that every group holds both classes, or use another constraint.",
        ) from exc
    thresholds = learned_thresholds(optimizer)
    return MitigationResult(
        model=GroupThresholdClassifier(pipeline, sensitive, thresholds),
        constraint=constraint,
        sensitive=sensitive,
        thresholds=thresholds,
    )


def learned_thresholds(optimizer: Any) -> dict[str, dict[str, Any]]:
    """The per-group rules of a fitted ThresholdOptimizer as plain JSON data."""
    rules: dict[str, dict[str, Any]] = {}
    for group, rule in optimizer.interpolated_thresholder_.interpolation_dict.items():
        item: dict[str, Any] = {"p0": float(rule["p0"]), "p1": float(rule["p1"])}
        for key in ("operation0", "operation1"):
            operation = rule[key]
            item[key] = {
                "operator": str(operation.operator),
                "threshold": float(operation.threshold),
            }
        item["p_ignore"] = float(rule.get("p_ignore", 0.0))
        item["prediction_constant"] = float(rule.get("prediction_constant", 0.0))
        rules[str(group)] = item
    return rules
