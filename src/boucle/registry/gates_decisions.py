"""What a model decides, beside its probabilities, for the gates' metrics.

A classifier's decision is normally its most probable class. A fair challenger
(:class:`~boucle.evaluate.fairness_mitigation.GroupThresholdClassifier`) decides otherwise:
its ``predict`` draws each row's class at its group's rate (the per-row draw), and its
``predict_proba`` is that rate, so the most probable class is not what it decides. The gates
score it as its own evidence did (:func:`boucle.runner.mitigation_evidence.
evaluate_decisions`): accuracy, precision, recall, F1, positive rate and McNemar's
correctness count its decisions; ROC AUC, PR AUC, log loss and Brier score its probabilities
(:data:`SCORE_METRICS`). :func:`boucle.registry.gates_stats.predict` returns its
probabilities as a :class:`DecidedProbabilities`, which carries the decisions through
:meth:`GateContext.predictions <boucle.registry.gates.GateContext.predictions>` to the metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from boucle.errors import DataError

if TYPE_CHECKING:
    from boucle.train.targets import TargetKind

__all__ = [
    "SCORE_METRICS",
    "DecidedProbabilities",
    "decided_classes",
    "one_hot",
    "prediction_metrics",
]

#: Classification metrics of the probabilities; the others count the decided classes.
SCORE_METRICS = frozenset({"roc_auc", "pr_auc", "log_loss", "brier"})


class DecidedProbabilities(np.ndarray[Any, np.dtype[np.float64]]):
    """Class probabilities of a model that decides its classes itself (not by argmax).

    A float64 ``(rows, classes)`` array like any other prediction of the gates, plus
    ``decisions``: the class code the model's ``predict`` gave each row. An array derived
    from it (a slice, a sum) carries no decisions: call :func:`decided_classes` on the whole.
    """

    decisions: npt.NDArray[np.int64] | None

    def __new__(
        cls, probabilities: npt.ArrayLike, decisions: npt.ArrayLike
    ) -> DecidedProbabilities:
        """Wrap ``probabilities`` (rows x classes) with one decided class code per row."""
        array = np.asarray(probabilities, dtype=np.float64).view(cls)
        codes = np.asarray(decisions, dtype=np.int64)
        if codes.shape != array.shape[:1]:
            raise DataError(
                f"{codes.size} decisions for {array.shape[0]} rows of probabilities.",
                hint="Give one decided class code per scored row.",
            )
        array.decisions = codes
        return array

    def __array_finalize__(self, obj: Any) -> None:
        self.decisions = None  # a derived array's rows are not the decided rows


def decided_classes(prediction: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """The class code of each row: the model's own decisions if it makes them, else argmax."""
    decisions = getattr(prediction, "decisions", None)
    if decisions is not None:
        return np.asarray(decisions, dtype=np.int64)
    return np.asarray(np.asarray(prediction).argmax(axis=1), dtype=np.int64)


def one_hot(codes: npt.NDArray[np.int64], n_classes: int) -> npt.NDArray[np.float64]:
    """Rows of probability 1 on the decided class: what an argmax-based scorer reads back."""
    return np.asarray(np.arange(n_classes)[None, :] == codes[:, None], dtype=np.float64)


def prediction_metrics(
    y: npt.NDArray[Any], prediction: npt.NDArray[np.float64], kind: TargetKind
) -> dict[str, float | None]:
    """Headline metrics of ``prediction`` (:func:`~boucle.evaluate.metrics.headline_metrics`).

    For a :class:`DecidedProbabilities` the decision metrics count its decisions and the
    :data:`SCORE_METRICS` score its probabilities, as the fair challenger's evidence does.
    """
    from boucle.evaluate.metrics import headline_metrics

    scores = np.asarray(prediction)
    found = headline_metrics(y, scores, kind)
    decisions = getattr(prediction, "decisions", None)
    if kind == "regression" or decisions is None:
        return found
    decided = headline_metrics(y, one_hot(decisions, scores.shape[1]), kind)
    return {name: found[name] if name in SCORE_METRICS else decided[name] for name in found}
