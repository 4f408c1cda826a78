"""Turn the raw target column into the numeric vector every estimator is trained on.

Classification targets become integer codes: ``0``/``1`` for a binary target (``1`` is the
positive class), ``0..k-1`` for a multiclass target in sorted label order. Regression targets
become ``float64``. Rows whose target is missing are dropped, and :attr:`TargetEncoding.keep`
says which, so the caller can drop the same rows from the features.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError

__all__ = ["MAX_CLASSES", "TargetEncoding", "TargetKind", "TaskType", "encode_target"]

TaskType = Literal["classification", "regression"]
TargetKind = Literal["binary", "multiclass", "regression"]

#: A classification target with more distinct values than this is almost always a
#: regression target (or an identifier) configured with the wrong task.
MAX_CLASSES = 100


@dataclass(frozen=True)
class TargetEncoding:
    """The encoded target and what is needed to map codes back to labels.

    ``y`` holds one value per kept row (``int64`` class codes or ``float64`` values);
    ``classes[code]`` is the label of a code (``None`` for regression); for a binary target
    ``classes == [negative, positive]``. ``keep`` is a boolean mask over the input rows
    (``False`` where the target was missing) and ``dropped_missing`` counts those rows.
    """

    y: npt.NDArray[Any]
    classes: list[str] | None
    positive_class: str | None
    kind: TargetKind
    dropped_missing: int
    keep: npt.NDArray[np.bool_]

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return 0 if self.classes is None else len(self.classes)

    def decode(self, codes: npt.ArrayLike) -> list[str]:
        """Map integer class codes back to their labels (classification only)."""
        if self.classes is None:
            raise DataError(
                "decode() was called on a regression target, which has no class labels.",
                hint="Use the predicted values directly.",
            )
        labels = self.classes
        return [labels[int(code)] for code in np.asarray(codes).ravel()]


def encode_target(
    y: pd.Series, task: TaskType, positive_class: str | None = None
) -> TargetEncoding:
    """Encode a target column for ``task``, dropping rows whose target is missing.

    Binary classification maps ``positive_class`` to 1 and the other class to 0; without a
    ``positive_class`` the minority class (ties: the sorted-last label) is positive. More than
    two classes give integer codes in sorted label order. Regression requires numeric values.
    Raises :class:`~boucle.errors.DataError` when the target cannot serve the task.
    """
    name = str(y.name) if y.name is not None else "target"
    keep = y.notna().to_numpy(dtype=bool)
    values = y[keep]
    dropped = int((~keep).sum())
    if values.empty:
        raise DataError(
            f"Target column '{name}' has no non-missing values ({len(y)} rows, all missing).",
            hint="Check data.target names the right column and that the data loaded correctly.",
        )
    if task == "regression":
        if positive_class is not None:
            raise DataError(
                f"positive_class '{positive_class}' was given for the regression target '{name}'.",
                hint="Remove positive_class, or set the task to classification.",
            )
        numeric = _regression_values(values, name)
        return TargetEncoding(numeric, None, None, "regression", dropped, keep)
    if task != "classification":
        raise DataError(
            f"Unknown task '{task}' for target '{name}'.",
            hint="Use 'classification' or 'regression'.",
        )
    labels = _labels(values)
    classes = _sorted_unique(labels)
    if len(classes) < 2:
        raise DataError(
            f"Target column '{name}' has a single class '{classes[0]}' "
            f"({len(labels)} non-missing rows); a classifier needs at least two.",
            hint="Check the data filter, or that data.target names the right column.",
        )
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"Target column '{name}' has {len(classes)} distinct values (examples: "
            f"{', '.join(repr(c) for c in classes[:5])}); more than {MAX_CLASSES} classes.",
            hint="If the target is a quantity, set the task to regression.",
        )
    if len(classes) == 2:
        return _encode_binary(labels, classes, positive_class, name, dropped, keep)
    if positive_class is not None:
        raise DataError(
            f"positive_class '{positive_class}' was given but target '{name}' has "
            f"{len(classes)} classes: {', '.join(classes)}.",
            hint="positive_class applies to binary targets only; remove it for multiclass.",
        )
    index = {label: code for code, label in enumerate(classes)}
    codes = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
    return TargetEncoding(codes, classes, None, "multiclass", dropped, keep)


def _encode_binary(
    labels: list[str],
    classes: list[str],
    positive_class: str | None,
    name: str,
    dropped: int,
    keep: npt.NDArray[np.bool_],
) -> TargetEncoding:
    if positive_class is None:
        counts = Counter(labels)
        # Minority class first; on a tie the sorted-last label wins (classes is sorted).
        positive = min(reversed(classes), key=lambda label: counts[label])
    elif str(positive_class) in classes:
        positive = str(positive_class)
    else:
        close = difflib.get_close_matches(str(positive_class), classes, n=1)
        suggestion = f"Did you mean '{close[0]}'?" if close else "Use one of the values seen."
        raise DataError(
            f"positive_class '{positive_class}' is not a value of target '{name}'. "
            f"Values seen: {', '.join(repr(c) for c in classes)}.",
            hint=suggestion,
        )
    negative = classes[0] if classes[1] == positive else classes[1]
    codes = np.fromiter((label == positive for label in labels), dtype=np.int64, count=len(labels))
    return TargetEncoding(codes, [negative, positive], positive, "binary", dropped, keep)


def _labels(values: pd.Series) -> list[str]:
    """Render class values as strings; integral floats (ints widened by NaN) lose the '.0'."""
    if pd.api.types.is_float_dtype(values.dtype):
        floats = values.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(floats)) and np.all(floats == np.round(floats)):
            return [str(int(v)) for v in floats]
    return [str(v) for v in values.tolist()]


def _sorted_unique(labels: list[str]) -> list[str]:
    """Unique labels, numerically sorted when they are all numbers, else lexically."""
    unique = set(labels)
    try:
        return sorted(unique, key=float)
    except ValueError:
        return sorted(unique)


def _regression_values(values: pd.Series, name: str) -> npt.NDArray[np.float64]:
    if pd.api.types.is_bool_dtype(values.dtype):
        raise DataError(
            f"Regression target '{name}' is boolean (values True/False).",
            hint="Set the task to classification.",
        )
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values[numeric.isna()]
    if not bad.empty:
        examples = ", ".join(repr(v) for v in pd.unique(bad.to_numpy())[:5])
        raise DataError(
            f"Regression target '{name}' has {len(bad)} non-numeric values, e.g. {examples}.",
            hint="Clean the column, or set the task to classification if it holds classes.",
        )
    result = numeric.to_numpy(dtype=np.float64)
    infinite = ~np.isfinite(result)
    if infinite.any():
        examples = ", ".join(repr(float(v)) for v in np.unique(result[infinite])[:3])
        raise DataError(
            f"Regression target '{name}' has {int(infinite.sum())} infinite values ({examples}).",
            hint="Replace or drop the infinite values before training.",
        )
    return result
