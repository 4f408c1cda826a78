"""Target leakage: one feature that, alone, predicts the target almost perfectly.

Such a feature is usually a copy, a recoding or a consequence of the label (a "paid" flag next
to "default", a claim amount next to "fraud"): the model scores wonderfully offline and fails in
production, where the feature is not known yet. Each feature is scored alone, out of fold, on a
seeded sample of at most ``sample_rows`` labelled rows:

1. the feature becomes groups: its values, or ``_BINS`` quantile bins for a numeric or date
   feature with more values (nulls are a group of their own);
2. each group's target mean (class shares, or mean value) is learned on the other folds,
   shrunk towards the overall mean, and is the prediction for the rows of the held-out fold;
3. the out-of-fold predictions are scored: ROC-AUC (one-vs-rest, macro, for several classes),
   or R² (the larger of the groups' and of a straight line's, so a rescaled copy scores 1).

This is a one-level histogram model, what a shallow tree on one feature approximates, in a
few vectorised numpy passes: no scikit-learn, whose import alone costs seconds, and whose
TargetEncoder changes its cross-validation API across the versions we support. An identifier
scores as chance: its values in the held-out fold were never seen in the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.data.validate.report import CheckResult

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from boucle.config.checks import LeakageCheckConfig, TaskName

__all__ = ["check_leakage", "feature_scores"]

_TOP = 5
_BINS = 64
_SHRINK = 1.0


def feature_scores(
    frame: pd.DataFrame, *, target: str, task: TaskName, config: LeakageCheckConfig
) -> tuple[dict[str, float], int]:
    """Score each feature of ``frame`` alone against ``target``, out of fold, on a sample.

    Returns ``({feature: score}, rows scored)``: ROC-AUC for classification, R² for
    regression. Features that cannot be scored (all null) are left out.
    """
    import numpy as np
    import pandas as pd

    labelled = frame[frame[target].notna()]
    rng = np.random.default_rng(config.seed)
    if len(labelled) > config.sample_rows:
        picks = np.sort(rng.choice(len(labelled), size=config.sample_rows, replace=False))
        labelled = labelled.take(picks)
    if task == "classification":
        classes = pd.factorize(labelled[target].astype(str))[0]
        if len(np.unique(classes)) < 2:
            return {}, len(classes)
        targets = np.eye(classes.max() + 1)[classes]  # one column per class
    else:
        values = labelled[target].to_numpy(dtype=np.float64)
        if len(values) < 2 * config.folds or np.std(values) == 0:
            return {}, len(values)
        targets = values[:, None]
    fold = rng.permutation(len(targets)) % config.folds
    scores: dict[str, float] = {}
    for column in labelled.columns:
        feature = labelled[column]
        if column == target or feature.isna().all():
            continue
        groups, numbers = _groups(feature)
        predicted = _out_of_fold_means(groups, targets, fold, config.folds)
        score = _score(predicted, targets, numbers, task)
        if score is not None and np.isfinite(score):
            scores[str(column)] = round(float(score), 6)
    return scores, len(targets)


def check_leakage(
    frame: pd.DataFrame, *, target: str, task: TaskName, config: LeakageCheckConfig
) -> list[CheckResult]:
    """Fail each feature whose score alone is above ``max_auc`` / ``max_r2`` (see the module)."""
    scores, rows = feature_scores(frame, target=target, task=task, config=config)
    metric, limit = (
        ("roc_auc", config.max_auc) if task == "classification" else ("r2", config.max_r2)
    )
    shown = "ROC-AUC" if metric == "roc_auc" else "R²"
    top = dict(sorted(scores.items(), key=lambda item: -item[1])[:_TOP])
    failed = [
        CheckResult(
            "leakage",
            column,
            config.severity,
            False,
            f"'{column}' alone predicts the target with {shown} {score:.3f} (out of fold, "
            f"{rows} rows), above {limit}: is it a copy or a consequence of '{target}'?",
            {"metric": metric, "score": score, "max": limit, "rows": rows},
        )
        for column, score in scores.items()
        if score > limit
    ]
    if failed:
        return failed
    details: dict[str, Any] = {"metric": metric, "max": limit, "rows": rows, "top": top}
    if not scores:
        message = f"not scored: {rows} usable labelled rows, or fewer than two classes"
        return [CheckResult("leakage", None, config.severity, True, message, details)]
    best, score = next(iter(top.items()))
    message = f"no feature alone reaches {shown} {limit} (best: '{best}' {score:.3f})"
    return [CheckResult("leakage", None, config.severity, True, message, details)]


def _groups(values: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Group codes 0..k-1 of each row, and the values as floats if the feature is numeric."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    kind = values.dtype
    numbers = None
    if types.is_datetime64_any_dtype(kind):
        stamps = pd.to_datetime(values)
        numbers = (stamps - pd.Timestamp(0, tz=stamps.dt.tz)).dt.total_seconds().to_numpy()
    elif types.is_numeric_dtype(kind) and not types.is_complex_dtype(kind):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if numbers is not None and values.nunique() > _BINS:
        edges = np.unique(np.nanquantile(numbers, np.linspace(0, 1, _BINS + 1)[1:-1]))
        keys = np.where(np.isnan(numbers), -1, np.searchsorted(edges, numbers, side="right"))
        return pd.factorize(keys)[0], numbers
    codes = pd.factorize(values, use_na_sentinel=False)[0]
    return codes, numbers


def _out_of_fold_means(
    groups: np.ndarray, targets: np.ndarray, fold: np.ndarray, folds: int
) -> np.ndarray:
    """Each row's prediction: its group's target mean over the other folds (shrunk to prior)."""
    import numpy as np

    size = int(groups.max()) + 1
    predicted = np.empty_like(targets, dtype=np.float64)
    for held_out in range(folds):
        test = fold == held_out
        train = ~test
        counts = np.bincount(groups[train], minlength=size).astype(np.float64)
        sums = np.stack(
            [np.bincount(groups[train], targets[train, j], size) for j in range(targets.shape[1])],
            axis=1,
        )
        prior = targets[train].mean(axis=0)
        # One pseudo-row of the prior: unseen groups get the prior, tiny groups move towards it.
        means = (sums + _SHRINK * prior) / (counts[:, None] + _SHRINK)
        predicted[test] = means[groups[test]]
    return predicted


def _score(
    predicted: np.ndarray, targets: np.ndarray, numbers: np.ndarray | None, task: TaskName
) -> float | None:
    import numpy as np

    if task == "regression":
        y = targets[:, 0]
        score = 1.0 - float(np.mean((y - predicted[:, 0]) ** 2) / np.var(y))
        if numbers is not None:
            present = np.isfinite(numbers)
            if present.sum() > 2 and np.std(numbers[present]) > 0:
                # A straight line only predicts the rows that have a value: weigh by their share.
                r = np.corrcoef(numbers[present], y[present])[0, 1]
                score = max(score, float(r**2 * present.mean()))
        return score
    if targets.shape[1] == 2:
        return _auc(targets[:, 1], predicted[:, 1])
    # Several classes: one-vs-rest, macro average (sklearn's roc_auc_score multi_class="ovr").
    return float(np.mean([_auc(targets[:, k], predicted[:, k]) for k in range(targets.shape[1])]))


def _auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC as the Mann-Whitney statistic on tie-averaged ranks.

    Written here rather than imported from sklearn.metrics because importing scikit-learn
    costs seconds, more than all the checks together, in a fresh ``boucle validate`` process.
    """
    import pandas as pd

    ranks = pd.Series(scores).rank(method="average").to_numpy()
    hits = positive.astype(bool)
    n_pos = int(hits.sum())
    n_neg = len(hits) - n_pos
    if n_pos == 0 or n_neg == 0:
        return 0.5
    return float((ranks[hits].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
