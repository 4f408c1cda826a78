"""Group fairness of a classifier on the held-out rows, with fairlearn, and the fairness gate.

For each sensitive column (numeric ones cut into the quantile bins of
:mod:`boucle.evaluate.slices`) and, optionally, each pair of them, a fairlearn
:class:`~fairlearn.metrics.MetricFrame` gives per group the selection rate, true and false
positive rates and precision, each with its count and a Wilson confidence interval. Across the
groups with at least ``min_group_size`` rows (smaller ones are reported but ignored by the
gate, as their rates are noise) we compute:

- the demographic parity difference (largest minus smallest selection rate) and ratio
  (smallest over largest: the "four-fifths" rule asks for >= 0.8);
- the equalized-odds difference: the larger of the TPR gap and the FPR gap.

A binary target is judged on its positive class; a multiclass target one class at a time
(one-vs-rest), each class prefixing its attribute names.

A gate that measured nothing did not pass: with no sensitive column, or no column with two
groups of at least ``min_group_size`` rows, the report is ``measured=False`` and
``passed=False`` (its :attr:`~FairnessReport.unmeasured_reason` says why), so a promotion
policy that requires the fairness gate refuses it instead of trusting an empty verdict.

The report's types live in :mod:`boucle.evaluate.fairness_results` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.evaluate.fairness_results import AttributeFairness, FairnessReport, GateCheck
from boucle.evaluate.slices import slice_groups

__all__ = ["AttributeFairness", "FairnessReport", "GateCheck", "fairness_report", "wilson"]

_RATES = ("selection_rate", "tpr", "fpr", "precision")


def fairness_report(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    sensitive: pd.DataFrame,
    *,
    classes: Sequence[str],
    positive_class: str | None = None,
    intersections: bool = True,
    min_group_size: int = 30,
    min_dp_ratio: float | None = 0.8,
    max_dp_difference: float | None = None,
    max_eo_difference: float | None = 0.1,
    confidence: float = 0.95,
) -> FairnessReport:
    """Measure group fairness of predicted class codes ``y_pred`` against ``y_true``.

    ``sensitive`` holds the sensitive columns, row-aligned with the predictions. ``classes``
    are the labels by class code; with two classes code 1 is the positive class.
    """
    truth, predicted = np.asarray(y_true), np.asarray(y_pred)
    frame = sensitive.reset_index(drop=True)
    attributes = _attribute_labels(frame, list(frame.columns), intersections)
    binary = len(classes) == 2
    targets = [1] if binary else list(range(len(classes)))
    results = []
    for code in targets:
        prefix = "" if binary else f"class '{classes[code]}': "
        for name, (columns, labels, order) in attributes.items():
            results.append(
                _attribute(
                    prefix + name,
                    columns,
                    labels,
                    order,
                    (truth == code).astype(np.int64),
                    (predicted == code).astype(np.int64),
                    min_group_size=min_group_size,
                    thresholds=(min_dp_ratio, max_dp_difference, max_eo_difference),
                    confidence=confidence,
                )
            )
    notes = [] if attributes else ["no sensitive column: nothing to check (data.sensitive)"]
    return FairnessReport(
        positive_class=positive_class or (classes[1] if binary else "each class"),
        min_group_size=min_group_size,
        confidence=confidence,
        attributes=results,
        notes=notes,
    )


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (``None`` when there are no trials)."""
    from scipy.stats import norm

    if trials == 0:
        return None
    z = float(norm.ppf(0.5 + confidence / 2))
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    spread = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - spread / denominator), min(1.0, centre + spread / denominator)


def _attribute_labels(
    frame: pd.DataFrame, columns: list[str], intersections: bool
) -> dict[str, tuple[list[str], pd.Series, list[str]]]:
    """Per column (and pair of columns): the columns, each row's group and the group order."""
    single: dict[str, tuple[pd.Series, list[str]]] = {}
    for column in columns:
        labels = pd.Series(np.full(len(frame), "", dtype=object))
        order = []
        for group in slice_groups(frame, [column]):
            labels[group.mask] = group.value
            order.append(group.value)
        single[column] = (labels, order)
    result = {column: ([column], labels, order) for column, (labels, order) in single.items()}
    if intersections:
        for first, second in combinations(columns, 2):
            (left, left_order), (right, right_order) = single[first], single[second]
            joined = left.astype(str) + " & " + right.astype(str)
            order = [f"{a} & {b}" for a in left_order for b in right_order]
            result[f"{first} & {second}"] = ([first, second], joined, order)
    return result


def _rates(y_true: npt.NDArray[np.int64], y_pred: npt.NDArray[np.int64]) -> dict[str, Any]:
    positives, predicted = y_true == 1, y_pred == 1
    return {
        "count": len(y_true),
        "selection_rate": (int(predicted.sum()), len(y_true)),
        "tpr": (int((predicted & positives).sum()), int(positives.sum())),
        "fpr": (int((predicted & ~positives).sum()), int((~positives).sum())),
        "precision": (int((predicted & positives).sum()), int(predicted.sum())),
    }


def _metric(name: str) -> Any:
    def compute(y_true: Any, y_pred: Any) -> float:
        hits, total = _rates(np.asarray(y_true), np.asarray(y_pred))[name]
        return hits / total if total else float("nan")

    compute.__name__ = name
    return compute


def _frame(y_true: Any, y_pred: Any, labels: pd.Series) -> Any:
    from fairlearn.metrics import MetricFrame

    return MetricFrame(
        metrics={name: _metric(name) for name in _RATES},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=labels.rename("group"),
    )


def _attribute(
    name: str,
    columns: list[str],
    labels: pd.Series,
    order: list[str],
    y_true: npt.NDArray[np.int64],
    y_pred: npt.NDArray[np.int64],
    *,
    min_group_size: int,
    thresholds: tuple[float | None, float | None, float | None],
    confidence: float,
) -> AttributeFairness:
    present = set(labels.unique())
    groups = []
    for group in (label for label in order if label in present):
        mask = (labels == group).to_numpy()
        rates = _rates(y_true[mask], y_pred[mask])
        row: dict[str, Any] = {"group": str(group), "count": rates["count"]}
        row["ignored"] = rates["count"] < min_group_size
        for rate in _RATES:
            hits, total = rates[rate]
            interval = wilson(hits, total, confidence)
            row[rate] = hits / total if total else None
            row[f"{rate}_n"] = total
            row[f"{rate}_ci"] = list(interval) if interval else None
        groups.append(row)
    eligible = [g["group"] for g in groups if not g["ignored"]]
    ignored = [g["group"] for g in groups if g["ignored"]]
    dp_difference = dp_ratio = eo_difference = None
    if len(eligible) >= 2:
        keep = labels.isin(eligible).to_numpy()
        frame = _frame(y_true[keep], y_pred[keep], labels[keep].reset_index(drop=True))
        differences, ratios = frame.difference(), frame.ratio()
        dp_difference = _number(differences["selection_rate"])
        dp_ratio = _number(ratios["selection_rate"])
        gaps = [_number(differences[m]) for m in ("tpr", "fpr")]
        eo_difference = max((g for g in gaps if g is not None), default=None)
    measured = (dp_ratio, dp_difference, eo_difference)
    checks = _checks(measured, thresholds, groups, eligible, min_group_size)
    return AttributeFairness(
        name, columns, groups, dp_difference, dp_ratio, eo_difference, ignored, checks
    )


def _checks(
    measured: tuple[float | None, float | None, float | None],
    thresholds: tuple[float | None, float | None, float | None],
    groups: list[dict[str, Any]],
    eligible: list[str],
    min_size: int,
) -> list[GateCheck]:
    dp_ratio, dp_difference, eo_difference = measured
    min_ratio, max_difference, max_eo = thresholds
    rates = {g["group"]: g["selection_rate"] for g in groups if g["group"] in eligible}
    spread = ""
    if len(rates) >= 2 and all(v is not None for v in rates.values()):
        low, high = min(rates, key=rates.__getitem__), max(rates, key=rates.__getitem__)
        spread = f" (selection rate {low} {rates[low]:.3f} vs {high} {rates[high]:.3f})"
    too_few = f"fewer than two groups of at least {min_size} rows"
    specs = (
        ("dp_ratio", "demographic parity ratio", dp_ratio, min_ratio, True, spread),
        (
            "dp_difference",
            "demographic parity difference",
            dp_difference,
            max_difference,
            False,
            spread,
        ),
        ("eo_difference", "equalized-odds difference", eo_difference, max_eo, False, ""),
    )
    return [
        _check(name, label, value, threshold, lower_is_bad=bad_low, too_few=too_few, extra=extra)
        for name, label, value, threshold, bad_low, extra in specs
        if threshold is not None
    ]


def _check(
    name: str,
    label: str,
    value: float | None,
    threshold: float,
    *,
    lower_is_bad: bool,
    too_few: str,
    extra: str,
) -> GateCheck:
    if value is None:
        return GateCheck(name, None, threshold, None, f"{label} not measured: {too_few}")
    passed = value >= threshold if lower_is_bad else value <= threshold
    sign = (">=" if passed else "<") if lower_is_bad else ("<=" if passed else ">")
    return GateCheck(
        name, value, threshold, passed, f"{label} {value:.3f} {sign} {threshold}{extra}"
    )


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None
