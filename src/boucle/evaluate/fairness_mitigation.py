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
The hash reads each value in one canonical form, whatever carries it: numbers as float32 (an
``int64`` 3, a ``float64`` 3.0 and the float32 a served request becomes hash alike), booleans
and other values as text, missing values as ``""``; and group values are matched the same way
(``1`` and ``1.0`` are one group). So a row scored by ``boucle serve`` (float32 request
values), by ``boucle predict`` (the file's own dtypes) and by the ``mitigate`` step that
measured the fairness gets the same draw. A group not seen in training keeps the base model's
prediction (probability ≥ 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError

__all__ = [
    "ONNX_BLOCKED_BY",
    "GroupThresholdClassifier",
    "MitigationResult",
    "fit_threshold_optimizer",
    "learned_thresholds",
]

Constraint = Literal["demographic_parity", "equalized_odds"]
#: What has no ONNX form in a :class:`GroupThresholdClassifier` (no converter knows the
#: per-group rules and the per-row draw): the fair challenger is scored on the Python path.
ONNX_BLOCKED_BY = "per-group decision thresholds (fairness mitigation)"


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
        groups = _group_keys(X[self.sensitive])
        for group, rule in self.thresholds.items():
            rows = groups == _group_key(group)
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
        """Class labels: positive when the row's own hash draw falls below its group's rate.

        The draw hashes the model's feature columns in canonical form (see the module
        docstring), so it does not depend on the dtypes or the extra columns of ``X``.
        """
        rate = self.positive_rate(X)
        uniform = _row_draws(X, getattr(self.pipeline, "feature_names_in_", None))
        codes = (uniform < rate).astype(np.int64)
        return np.asarray(self.classes_)[codes]


def _apply(operation: dict[str, Any], score: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    threshold = float(operation["threshold"])
    hit = score > threshold if operation["operator"] == ">" else score < threshold
    return hit.astype(np.float64)


def _row_draws(X: pd.DataFrame, features: Any) -> npt.NDArray[np.float64]:
    """A uniform draw in [0, 1) per row: the top 53 bits of the hash of its canonical values."""
    names = [str(c) for c in features] if features is not None else sorted(map(str, X.columns))
    columns = [c for c in names if c in X.columns]
    canonical = pd.DataFrame(
        {name: _canonical(X[name]) for name in columns}, index=pd.RangeIndex(len(X))
    )
    draws = pd.util.hash_pandas_object(canonical, index=False).to_numpy(dtype=np.uint64)
    return (draws >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _canonical(values: pd.Series) -> pd.Series:
    """One form per value, whatever dtype carries it: float32 numbers, else text (``""``: missing).

    A request's numbers reach the model as float32 and its categories as text, a file's as
    int64, float64 or strings: the draw must not see the difference.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return _text(values)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return _float32(values)
    objects = values.astype(object)
    present = objects.notna().to_numpy()
    kinds = objects[present].map(type)
    if len(kinds) and kinds.map(lambda t: issubclass(t, bool | np.bool_)).all():
        return _text(objects)
    numbers = pd.to_numeric(objects, errors="coerce")
    if (numbers.notna().to_numpy() == present).all():
        return _float32(numbers)
    return _text(objects)


def _float32(values: pd.Series) -> pd.Series:
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan).astype(np.float32)
    numbers = numbers + np.float32(0.0)  # -0.0 is 0.0
    numbers[np.isnan(numbers)] = np.float32(np.nan)  # one NaN bit pattern
    return pd.Series(numbers, index=values.index)


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).map(lambda v: "" if pd.isna(v) else str(v))


def _group_key(value: Any) -> str:
    """A group value as text, numbers in float32 form (``1``, ``1.0`` and ``"1"`` are one group)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    try:
        return str(np.float32(float(value)))
    except (TypeError, ValueError):
        return str(value)


def _group_keys(values: pd.Series) -> npt.NDArray[np.object_]:
    """:func:`_group_key` of every value."""
    return np.array([_group_key(value) for value in values.astype(object)], dtype=object)


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
