"""Evaluate a fitted pipeline on the test rows: headline metrics, confusion, per-class, slices.

Classification headline metrics: ``accuracy``, ``precision``, ``recall``, ``f1``, ``roc_auc``,
``pr_auc`` (average precision), ``log_loss`` and ``brier``, plus ``positive_rate`` (share of
rows predicted positive) for a binary target. Binary precision/recall/F1/PR-AUC are those of
the positive class; multiclass ones are macro averages, multiclass ROC-AUC is one-vs-rest
macro and multiclass Brier is the mean over rows of the summed squared difference between
the probabilities and the one-hot truth. Predicted class = most probable class (threshold
0.5 for binary). Regression: ``rmse``, ``mae``, ``r2``.

A metric that is undefined on some rows (ROC-AUC of a slice holding one class, precision
with no predicted positive, R² of one row) is ``None``, never an exception.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError
from boucle.evaluate.slices import slice_groups
from boucle.train.scoring import class_probabilities
from boucle.train.targets import TargetEncoding, TargetKind

__all__ = [
    "ClassMetrics",
    "Confusion",
    "Evaluation",
    "SliceMetrics",
    "evaluate_model",
    "headline_metrics",
]

Metrics = dict[str, float | None]


class SliceMetrics(TypedDict):
    """Headline metrics of the test rows where ``column`` has ``value``."""

    column: str
    value: str
    count: int
    metrics: Metrics


class Confusion(TypedDict):
    """Confusion matrix: ``matrix[i][j]`` counts rows of class ``labels[i]`` predicted as
    ``labels[j]``."""

    labels: list[str]
    matrix: list[list[int]]


class ClassMetrics(TypedDict):
    """Precision, recall and F1 of one class against the rest, and its row count."""

    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Everything measured on the test rows; :meth:`to_dict` gives JSON-ready data."""

    kind: TargetKind
    n_rows: int
    metrics: Metrics
    slices: list[SliceMetrics]
    confusion: Confusion | None
    per_class: list[ClassMetrics] | None
    classes: list[str] | None
    positive_class: str | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict: floats kept in full, NaN and infinity as None."""
        result: dict[str, Any] = _json_ready(asdict(self))
        return result


def evaluate_model(
    pipeline: Any,
    X_test: pd.DataFrame,
    y_test: npt.NDArray[Any],
    *,
    encoding: TargetEncoding,
    sensitive: Sequence[str],
    groups: pd.DataFrame | None = None,
) -> Evaluation:
    """Measure ``pipeline`` on the test rows, overall and per value of each sensitive column.

    ``y_test`` holds encoded targets (:attr:`TargetEncoding.y` codes). Sensitive columns are
    read from ``groups`` (row-aligned with ``X_test``; for columns kept out of the features)
    and then from ``X_test``; a column found in neither is skipped with a note.
    """
    target = np.asarray(y_test)
    if len(target) != len(X_test):
        raise DataError(
            f"X_test has {len(X_test)} rows but y_test has {len(target)}.",
            hint="Pass the X_test and y_test of the same Split.",
        )
    if groups is not None and len(groups) != len(X_test):
        raise DataError(
            f"groups has {len(groups)} rows but X_test has {len(X_test)}.",
            hint="Select the groups rows with the Split's test_positions.",
        )
    prediction = _predict(pipeline, X_test, encoding)
    notes: list[str] = []
    frame, columns = _sensitive_frame(X_test, groups, sensitive, notes)
    slices: list[SliceMetrics] = []
    for group in slice_groups(frame, columns):
        slices.append(
            SliceMetrics(
                column=group.column,
                value=group.value,
                count=group.count,
                metrics=headline_metrics(target[group.mask], prediction[group.mask], encoding.kind),
            )
        )
    confusion = per_class = None
    if encoding.classes is not None:
        confusion, per_class = _class_details(target, prediction, encoding.classes)
    return Evaluation(
        kind=encoding.kind,
        n_rows=len(target),
        metrics=headline_metrics(target, prediction, encoding.kind),
        slices=slices,
        confusion=confusion,
        per_class=per_class,
        classes=encoding.classes,
        positive_class=encoding.positive_class,
        notes=notes,
    )


def headline_metrics(
    y_true: npt.NDArray[Any], prediction: npt.NDArray[np.float64], kind: TargetKind
) -> Metrics:
    """Headline metrics of one set of rows; ``prediction`` is probabilities or values.

    For classification ``prediction`` has one probability column per class code.
    """
    from sklearn import metrics as skm

    if kind == "regression":
        return {
            "rmse": _safe(lambda: skm.root_mean_squared_error(y_true, prediction)),
            "mae": _safe(lambda: skm.mean_absolute_error(y_true, prediction)),
            "r2": _safe(lambda: skm.r2_score(y_true, prediction)) if len(y_true) > 1 else None,
        }
    labels = np.arange(prediction.shape[1])
    predicted = prediction.argmax(axis=1)
    nan = float("nan")
    if kind == "binary":
        score = prediction[:, 1]
        return {
            "accuracy": _safe(lambda: skm.accuracy_score(y_true, predicted)),
            "precision": _safe(lambda: skm.precision_score(y_true, predicted, zero_division=nan)),
            "recall": _safe(lambda: skm.recall_score(y_true, predicted, zero_division=nan)),
            "f1": _safe(lambda: skm.f1_score(y_true, predicted, zero_division=nan)),
            "roc_auc": _safe(lambda: skm.roc_auc_score(y_true, score)),
            "pr_auc": _safe(lambda: skm.average_precision_score(y_true, score)),
            "log_loss": _safe(lambda: skm.log_loss(y_true, prediction, labels=labels)),
            "brier": _safe(lambda: skm.brier_score_loss(y_true, score, labels=labels)),
            "positive_rate": _safe(lambda: float(np.mean(predicted == 1))),
        }
    onehot = (np.asarray(y_true)[:, None] == labels[None, :]).astype(np.int64)
    macro: dict[str, Any] = {"labels": labels, "average": "macro", "zero_division": nan}
    return {
        "accuracy": _safe(lambda: skm.accuracy_score(y_true, predicted)),
        "precision": _safe(lambda: skm.precision_score(y_true, predicted, **macro)),
        "recall": _safe(lambda: skm.recall_score(y_true, predicted, **macro)),
        "f1": _safe(lambda: skm.f1_score(y_true, predicted, **macro)),
        "roc_auc": _safe(
            lambda: skm.roc_auc_score(
                y_true, prediction, multi_class="ovr", average="macro", labels=labels
            )
        ),
        "pr_auc": _safe(lambda: _macro_average_precision(onehot, prediction)),
        "log_loss": _safe(lambda: skm.log_loss(y_true, prediction, labels=labels)),
        # sklearn's multiclass Brier: mean over rows of sum over classes of (p - onehot)^2.
        "brier": _safe(lambda: skm.brier_score_loss(y_true, prediction, labels=labels)),
    }


def _macro_average_precision(
    onehot: npt.NDArray[np.int64], prediction: npt.NDArray[np.float64]
) -> float:
    from sklearn.metrics import average_precision_score

    present = onehot.sum(axis=0) > 0
    if not present.all():  # AP of a class with no positive row is undefined
        return float("nan")
    return float(average_precision_score(onehot, prediction, average="macro"))


def _predict(
    pipeline: Any, X_test: pd.DataFrame, encoding: TargetEncoding
) -> npt.NDArray[np.float64]:
    try:
        if encoding.kind == "regression":
            return np.asarray(pipeline.predict(X_test), dtype=np.float64)
        return class_probabilities(pipeline, X_test, encoding.n_classes)
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"The model cannot predict on the test rows: {type(exc).__name__}: {exc}",
            hint="The test features must have the columns and dtypes the model was fitted on.",
        ) from exc


def _sensitive_frame(
    X_test: pd.DataFrame, groups: pd.DataFrame | None, sensitive: Sequence[str], notes: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    columns: dict[str, pd.Series] = {}
    for name in dict.fromkeys(sensitive):
        if groups is not None and name in groups.columns:
            columns[name] = groups[name].reset_index(drop=True)
        elif name in X_test.columns:
            columns[name] = X_test[name].reset_index(drop=True)
        else:
            notes.append(f"sensitive column '{name}' is not in the test data; no slices for it")
    return pd.DataFrame(columns, index=pd.RangeIndex(len(X_test))), list(columns)


def _class_details(
    y_true: npt.NDArray[Any], prediction: npt.NDArray[np.float64], classes: list[str]
) -> tuple[Confusion, list[ClassMetrics]]:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = np.arange(len(classes))
    predicted = prediction.argmax(axis=1)
    matrix = confusion_matrix(y_true, predicted, labels=labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, predicted, labels=labels, zero_division=float("nan")
        )
    per_class = [
        ClassMetrics(
            label=label,
            precision=_finite(precision[i]),
            recall=_finite(recall[i]),
            f1=_finite(f1[i]),
            support=int(support[i]),
        )
        for i, label in enumerate(classes)
    ]
    return Confusion(labels=list(classes), matrix=matrix.astype(int).tolist()), per_class


def _safe(compute: Callable[[], Any]) -> float | None:
    """Run one metric; undefined (error, NaN or infinite) becomes None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UndefinedMetricWarning: we return None instead
            return _finite(compute())
    except ValueError:
        return None


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _finite(value)
    return value
