"""Paired statistics of two models scored on the same rows: bootstrap CI and McNemar.

The bootstrap resamples rows with replacement and scores both models on the *same* resample,
so the interval is that of the difference, not of each metric. Decomposable metrics
(accuracy, log loss, RMSE, MAE), binary F1 and binary ROC-AUC are computed for all resamples
at once with numpy (ROC-AUC in its Mann-Whitney form, from each resample's row counts over
the rows sorted once): sklearn scoring one resample at a time is ~100x slower. Other metrics
fall back to :func:`score_predictions` per resample.

A fair challenger decides its classes itself (its ``predict``, not its most probable class):
:func:`predict` then returns its probabilities carrying its decisions
(:mod:`boucle.registry.gates_decisions`), and the decision metrics here (accuracy, F1,
McNemar's correctness) count those decisions, the others its probabilities, as its evidence did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from boucle.errors import DataError
from boucle.registry.gates_decisions import (
    SCORE_METRICS,
    DecidedProbabilities,
    decided_classes,
    one_hot,
)

if TYPE_CHECKING:
    from boucle.train.targets import TargetKind

__all__ = [
    "McNemarResult",
    "PairedBootstrap",
    "direction",
    "mcnemar",
    "metric_on_rows",
    "paired_bootstrap",
    "predict",
]

FloatArray = npt.NDArray[np.float64]
_LOWER_IS_BETTER = frozenset({"log_loss", "brier", "rmse", "mae"})
_MAX_CELLS = 2_000_000  # resamples x rows scored at once (memory bound of a chunk)


def direction(metric: str) -> float:
    """+1 when a higher ``metric`` is better, -1 when lower is better."""
    return -1.0 if metric in _LOWER_IS_BETTER else 1.0


def predict(pipeline: Any, X: Any, kind: TargetKind, n_classes: int) -> FloatArray:
    """Class probabilities (classification) or predicted values (regression) of ``X``.

    For a fair challenger, a :class:`~boucle.registry.gates_decisions.DecidedProbabilities`:
    its ``predict_proba`` with the classes its ``predict`` decides (the per-row draw its
    fairness evidence counted).
    """
    from boucle.evaluate.fairness_mitigation import GroupThresholdClassifier
    from boucle.train.scoring import class_probabilities

    try:
        if kind == "regression":
            return np.asarray(pipeline.predict(X), dtype=np.float64)
        probabilities = class_probabilities(pipeline, X, n_classes)
        if isinstance(pipeline, GroupThresholdClassifier):
            # Its classes_ are the target's codes, so its labels are the decided codes.
            return DecidedProbabilities(probabilities, pipeline.predict(X))
        return probabilities
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(
            f"the model cannot score the compared rows: {type(exc).__name__}: {exc}",
            hint="Both models must take the same feature columns; compare versions trained "
            "on the same data.",
        ) from exc


def metric_on_rows(
    metric: str, kind: TargetKind, y: npt.NDArray[Any], prediction: FloatArray, rows: Any
) -> FloatArray:
    """``metric`` on each row of the index matrix ``rows`` (resamples x n); NaN if undefined.

    Decision metrics count the decided classes
    (:func:`~boucle.registry.gates_decisions.decided_classes`); the ``SCORE_METRICS`` score
    the probabilities.
    """
    index = np.atleast_2d(np.asarray(rows, dtype=np.int64))
    truth = np.asarray(y)
    if kind == "regression":
        return _metric_rows(metric, kind, truth, np.asarray(prediction), index)
    decided = decided_classes(prediction)
    scores = np.asarray(prediction)
    if metric == "accuracy":
        correct = (decided == truth).astype(np.float64)
        return np.asarray(correct[index].mean(axis=1), dtype=np.float64)
    if metric == "log_loss":
        eps = np.finfo(np.float64).eps
        taken = scores[np.arange(len(truth)), truth.astype(np.int64)]
        loss = -np.log(np.clip(taken, eps, 1.0))
        return np.asarray(loss[index].mean(axis=1), dtype=np.float64)
    if kind == "binary" and metric == "roc_auc":
        return _auc_rows(truth.astype(np.int64), scores[:, 1], index)
    if kind == "binary" and metric == "f1":
        return _f1_rows(truth.astype(np.int64), decided, index)
    if metric not in SCORE_METRICS and getattr(prediction, "decisions", None) is not None:
        scores = one_hot(decided, scores.shape[1])  # the generic scorers take the argmax
    return _generic_rows(metric, kind, truth, scores, index)


def _metric_rows(
    metric: str, kind: TargetKind, truth: npt.NDArray[Any], values: FloatArray, index: Any
) -> FloatArray:
    """A regression metric on each row of ``index``."""
    if metric in ("rmse", "mae"):
        error = values - truth.astype(np.float64)
        if metric == "mae":
            return np.asarray(np.abs(error)[index].mean(axis=1), dtype=np.float64)
        return np.asarray(np.sqrt((error**2)[index].mean(axis=1)), dtype=np.float64)
    return _generic_rows(metric, kind, truth, values, index)


def _auc_rows(y: npt.NDArray[np.int64], score: FloatArray, index: Any) -> FloatArray:
    """ROC-AUC of each resample from row counts: the rows are sorted by score once, and a
    resample is a vector of counts over them, so no per-resample sort is needed."""
    n = len(y)
    samples = len(index)
    flat = (np.arange(samples)[:, None] * n + index).ravel()
    counts = np.bincount(flat, minlength=samples * n).reshape(samples, n).astype(np.float64)
    order = np.argsort(score, kind="stable")
    ranked, labels = score[order], y[order].astype(np.float64)
    counts = counts[:, order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])  # groups of tied scores
    positives = np.add.reduceat(counts * labels, starts, axis=1)
    negatives = np.add.reduceat(counts * (1.0 - labels), starts, axis=1)
    below = np.cumsum(negatives, axis=1) - negatives  # negatives scored strictly lower
    pairs = (positives * (below + 0.5 * negatives)).sum(axis=1)  # ties count one half
    total = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = np.where(total > 0, pairs / total, np.nan)
    return np.asarray(auc, dtype=np.float64)


def _f1_rows(y: npt.NDArray[np.int64], predicted: Any, index: Any) -> FloatArray:
    truth, guess = y[index] == 1, predicted[index] == 1
    tp = (truth & guess).sum(axis=1)
    wrong = (truth != guess).sum(axis=1)  # false positives + false negatives
    denominator = 2 * tp + wrong
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)  # sklearn's zero_division=0
    return np.asarray(f1, dtype=np.float64)


def _generic_rows(
    metric: str, kind: TargetKind, y: npt.NDArray[Any], prediction: FloatArray, index: Any
) -> FloatArray:
    import warnings

    from boucle.train.scoring import score_predictions

    scores = np.empty(len(index), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined metrics become NaN below
        for i, rows in enumerate(index):
            try:
                scores[i] = score_predictions(metric, y[rows], prediction[rows], kind)
            except ValueError:
                scores[i] = np.nan
    return scores


@dataclass(frozen=True)
class PairedBootstrap:
    """Both metrics on all rows, their difference and its bootstrap interval.

    ``difference`` is oriented so that positive means the challenger is better (for a
    lower-is-better metric it is champion minus challenger). ``used`` counts the resamples
    where the metric was defined for both models.
    """

    metric: str
    challenger: float
    champion: float
    difference: float
    ci_low: float
    ci_high: float
    confidence: float
    samples: int
    used: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def paired_bootstrap(
    metric: str,
    kind: TargetKind,
    y: npt.NDArray[Any],
    challenger: FloatArray,
    champion: FloatArray,
    *,
    samples: int,
    confidence: float,
    seed: int,
) -> PairedBootstrap:
    """Percentile bootstrap interval (two-sided, ``confidence``) of the paired difference."""
    n = len(y)
    if n < 2:
        raise DataError(
            f"the paired bootstrap needs at least 2 rows, got {n}.",
            hint="Compare the models on more held-out rows.",
        )
    sign = direction(metric)
    everything = np.arange(n)[None, :]
    first = float(metric_on_rows(metric, kind, y, challenger, everything)[0])
    second = float(metric_on_rows(metric, kind, y, champion, everything)[0])
    rng = np.random.default_rng(seed)
    chunk = max(1, _MAX_CELLS // n)
    differences = []
    for start in range(0, samples, chunk):
        rows = rng.integers(0, n, size=(min(chunk, samples - start), n))
        a = metric_on_rows(metric, kind, y, challenger, rows)
        b = metric_on_rows(metric, kind, y, champion, rows)
        differences.append(sign * (a - b))
    diffs = np.concatenate(differences)
    diffs = diffs[np.isfinite(diffs)]
    if len(diffs) == 0 or not (np.isfinite(first) and np.isfinite(second)):
        raise DataError(
            f"{metric} is undefined on the compared rows (e.g. a single class).",
            hint="Compare on more rows, or choose another gates.metric.",
        )
    alpha = 1.0 - confidence
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    return PairedBootstrap(
        metric=metric,
        challenger=first,
        champion=second,
        difference=sign * (first - second),
        ci_low=float(low),
        ci_high=float(high),
        confidence=confidence,
        samples=samples,
        used=len(diffs),
    )


@dataclass(frozen=True)
class McNemarResult:
    """Discordant pairs and the exact one-sided McNemar test (challenger more often right).

    ``challenger_only`` counts rows only the challenger got right (b), ``champion_only``
    those only the champion got right (c); ``difference`` = (b - c) / rows is the accuracy
    difference and ``p_value`` = P(X >= b) for X ~ Binomial(b + c, 1/2).
    """

    challenger_only: int
    champion_only: int
    rows: int
    difference: float
    p_value: float
    challenger_accuracy: float
    champion_accuracy: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def mcnemar(y: npt.NDArray[Any], challenger: FloatArray, champion: FloatArray) -> McNemarResult:
    """McNemar's exact test on per-row correctness of two classifiers on the same rows.

    A row is right when its decided class
    (:func:`~boucle.registry.gates_decisions.decided_classes`) is the true one.
    """
    from scipy.stats import binomtest

    truth = np.asarray(y)
    right_a = decided_classes(challenger) == truth
    right_b = decided_classes(champion) == truth
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(right_b & ~right_a))
    p_value = float(binomtest(b, b + c, 0.5, alternative="greater").pvalue) if b + c else 1.0
    rows = len(truth)
    return McNemarResult(
        challenger_only=b,
        champion_only=c,
        rows=rows,
        difference=(b - c) / rows if rows else 0.0,
        p_value=p_value,
        challenger_accuracy=float(right_a.mean()) if rows else 0.0,
        champion_accuracy=float(right_b.mean()) if rows else 0.0,
    )
