"""Model performance in production: labelled metrics with confidence intervals, and estimates.

Two numbers per time window, side by side:

* **measured**: the evaluation metrics on the records whose outcome came back through
  ``/feedback``, with a percentile-bootstrap confidence interval (labels are usually few: the
  interval says how much the number can be trusted), overall, per window and per slice;
* **estimated** (classification): confidence-based performance estimation, for every scored
  record, labelled or not. If the model's probabilities are calibrated, the expected accuracy
  is the mean of the top probability, the expected precision the mean positive probability of
  the records predicted positive, the expected recall their share of all positive probability.
  The estimate is honest only while calibration holds: a drift in P(y|x) breaks it, which is
  why the measured numbers stay beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from boucle.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from boucle.monitor.feedback_join import ScoredRows

__all__ = ["MetricEstimate", "PerformanceReport", "WindowPerformance", "performance_report"]

Task = Literal["binary", "multiclass", "regression"]
_CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc")
_MULTICLASS = ("accuracy", "f1")
_REGRESSION = ("rmse", "mae")


@dataclass(frozen=True)
class MetricEstimate:
    """A metric on ``n`` labelled records with its bootstrap interval (None when undefined)."""

    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class WindowPerformance:
    """One time window: counts, measured metrics, estimated metrics (classification)."""

    start: str
    scored: int
    labelled: int
    measured: dict[str, MetricEstimate]
    estimated: dict[str, float | None]


@dataclass(frozen=True)
class PerformanceReport:
    """Performance over the whole log, per window, per slice, with the feedback accounting."""

    task: str
    window: str
    confidence: float
    overall: WindowPerformance
    windows: list[WindowPerformance]
    slices: dict[str, dict[str, dict[str, MetricEstimate]]] = field(default_factory=dict)
    feedback: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for monitor.json and the ledger)."""
        return asdict(self)

    def values(self) -> dict[str, float]:
        """Flat ``performance.<metric>`` values of the whole log (what alert rules read)."""
        flat: dict[str, float] = {}
        for name, metric in self.overall.measured.items():
            if metric.value is not None:
                flat[f"performance.{name}"] = metric.value
        for name, value in self.overall.estimated.items():
            if value is not None:
                flat[f"performance.estimated_{name}"] = value
        flat["performance.labelled"] = float(self.overall.labelled)
        return flat


def performance_report(
    scored: ScoredRows,
    *,
    task: Task,
    positive_class: str | None = None,
    sensitive: tuple[str, ...] = (),
    window: str = "1D",
    confidence: float = 0.95,
    resamples: int = 300,
    seed: int = 0,
) -> PerformanceReport:
    """Measure and estimate performance from :func:`~boucle.monitor.feedback_join.join_feedback`.

    ``window`` is a pandas frequency (``1D``, ``6h``, ``7D``) or ``ALL``; ``positive_class``
    the label counted as positive for binary metrics (default: the model's second class).
    """
    import pandas as pd

    if not 0.5 <= confidence < 1:
        raise ConfigError(
            f"confidence {confidence} is outside [0.5, 1).",
            hint="Use e.g. 0.95 for a 95 % interval.",
        )
    try:
        if window.upper() != "ALL":  # ALL: the whole log as one window, no per-window rows
            pd.tseries.frequencies.to_offset(window)
    except ValueError:
        raise ConfigError(
            f"monitoring window '{window}' is not a time frequency.",
            hint="Use a pandas frequency such as 1D, 6h or 7D.",
        ) from None
    frame = scored.rows
    classes = scored.classes
    positive = positive_index(classes, positive_class, task)
    labels = outcome_labels(frame, classes, task)
    notes: list[str] = []
    if task != "regression" and labels.unknown:
        notes.append(
            f"{labels.unknown} feedback outcome(s) are not labels of the model "
            f"({', '.join(classes)}); they were left out. Send the class label as outcome."
        )
    compute = _Computer(task, len(classes), positive, confidence, resamples, seed)
    overall = compute.window("all", frame, labels)
    windows: list[WindowPerformance] = []
    if not frame.empty:
        starts = frame["time"].dt.floor(window) if window.upper() != "ALL" else None
        if starts is not None:
            for start, part in frame.groupby(starts, sort=True):
                windows.append(compute.window(str(start.isoformat()), part, labels))
    slices: dict[str, dict[str, dict[str, MetricEstimate]]] = {}
    for column in sensitive:
        key = f"feature:{column}"
        if key not in frame.columns:
            notes.append(f"slice column '{column}' is not in the logged requests.")
            continue
        slices[column] = {}
        for value, part in frame.groupby(frame[key].astype("string").fillna("missing")):
            slices[column][str(value)] = compute.measured(part, labels)
    return PerformanceReport(
        task=task,
        window=window,
        confidence=confidence,
        overall=overall,
        windows=windows,
        slices=slices,
        feedback={
            "received": scored.feedback_total,
            "unmatched_request_id": scored.feedback_unmatched,
            "ambiguous_multi_record": scored.feedback_ambiguous,
            "unknown_label": labels.unknown,
        },
        notes=notes,
    )


def positive_index(classes: tuple[str, ...], positive_class: str | None, task: Task) -> int:
    if task != "binary":
        return 1
    if len(classes) != 2:
        raise ConfigError(
            f"binary performance needs a model with 2 classes; the log shows {list(classes)}.",
            hint="Check task and the model version that wrote the prediction log.",
        )
    if positive_class is None:
        return 1
    if positive_class not in classes:
        raise ConfigError(
            f"positive class '{positive_class}' is not a class of the served model {classes}.",
            hint="Set data.positive_class to one of the model's labels.",
        )
    return classes.index(positive_class)


@dataclass(frozen=True)
class OutcomeLabels:
    """Per row of the scored frame: the true class code or value (NaN: no usable outcome)."""

    truth: pd.Series
    unknown: int


def outcome_labels(frame: pd.DataFrame, classes: tuple[str, ...], task: Task) -> OutcomeLabels:
    import numpy as np
    import pandas as pd

    outcome = frame["outcome"] if "outcome" in frame.columns else pd.Series(dtype=object)
    if task == "regression":
        truth = pd.to_numeric(outcome, errors="coerce").astype("float64")
        unknown = int((outcome.notna() & truth.isna()).sum())
        return OutcomeLabels(truth, unknown)
    codes = {label: code for code, label in enumerate(classes)}
    mapped = outcome.map(lambda v: np.nan if pd.isna(v) else codes.get(_label_text(v), -1))
    unknown = int((mapped == -1).sum())
    truth = mapped.where(mapped != -1).astype("float64")
    return OutcomeLabels(truth, unknown)


def _label_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Computer:
    """Metric computation with fixed settings (task, classes, interval)."""

    def __init__(
        self,
        task: Task,
        n_classes: int,
        positive: int,
        confidence: float,
        resamples: int,
        seed: int,
    ) -> None:
        self.task = task
        self.n_classes = n_classes
        self.positive = positive
        self.confidence = confidence
        self.resamples = resamples
        self.seed = seed

    def window(self, start: str, part: pd.DataFrame, labels: OutcomeLabels) -> WindowPerformance:
        truth = labels.truth.loc[part.index] if not part.empty else labels.truth.iloc[:0]
        return WindowPerformance(
            start=start,
            scored=len(part),
            labelled=int(truth.notna().sum()),
            measured=self.measured(part, labels),
            estimated=self.estimated(part),
        )

    def measured(self, part: pd.DataFrame, labels: OutcomeLabels) -> dict[str, MetricEstimate]:
        import numpy as np

        truth = labels.truth.loc[part.index] if not part.empty else labels.truth.iloc[:0]
        keep = truth.notna().to_numpy()
        names = self._names()
        if not keep.any():
            return {name: MetricEstimate(None, None, None, 0) for name in names}
        y = truth.to_numpy()[keep]
        if self.task == "regression":
            score = np.asarray(part["predicted"], dtype="float64")[keep]
        else:
            score = self._probabilities(part)[keep]
        rng = np.random.default_rng(self.seed)
        draws = rng.integers(0, len(y), size=(self.resamples, len(y)))
        tail = (1 - self.confidence) / 2
        result: dict[str, MetricEstimate] = {}
        for name in names:
            value = self._metric(name, y, score)
            samples = [self._metric(name, y[rows], score[rows]) for rows in draws]
            finite = np.array([s for s in samples if s is not None and np.isfinite(s)])
            low, high = (
                (float(np.quantile(finite, tail)), float(np.quantile(finite, 1 - tail)))
                if len(finite) >= self.resamples // 2
                else (None, None)
            )
            result[name] = MetricEstimate(value, low, high, len(y))
        return result

    def estimated(self, part: pd.DataFrame) -> dict[str, float | None]:
        import numpy as np

        if self.task == "regression" or part.empty:
            return {}
        proba = self._probabilities(part)
        if self.task == "multiclass":
            return {"accuracy": float(proba.max(axis=1).mean())}
        p = proba[:, self.positive]
        predicted_positive = proba.argmax(axis=1) == self.positive
        precision = float(p[predicted_positive].mean()) if predicted_positive.any() else None
        total = float(p.sum())
        recall = float(p[predicted_positive].sum() / total) if total > 0 else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall > 0
            else None
        )
        accuracy = float(np.where(predicted_positive, p, 1 - p).mean())
        return {"accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1}

    def _names(self) -> tuple[str, ...]:
        if self.task == "regression":
            return _REGRESSION
        return _CLASSIFICATION if self.task == "binary" else _MULTICLASS

    def _probabilities(self, part: pd.DataFrame) -> npt.NDArray[np.float64]:
        import numpy as np

        rows = [list(p.values()) if isinstance(p, dict) else None for p in part["probabilities"]]
        if any(row is None for row in rows):
            raise ConfigError(
                "the prediction log holds records without probabilities for a classifier.",
                hint="Check `task` in boucle.yaml: a regressor's log has no probabilities.",
            )
        return np.asarray(rows, dtype="float64")

    def _metric(
        self, name: str, y: npt.NDArray[np.float64], score: npt.NDArray[np.float64]
    ) -> float | None:
        import numpy as np

        if self.task == "regression":
            error = score - y
            return (
                float(np.sqrt(np.mean(error**2))) if name == "rmse" else float(np.abs(error).mean())
            )
        predicted = score.argmax(axis=1)
        truth = y.astype(np.int64)
        if name == "accuracy":
            return float((predicted == truth).mean())
        if self.task == "multiclass":  # macro F1
            scores = [_f1(predicted == c, truth == c) for c in range(score.shape[1])]
            present = [s for s in scores if s is not None]
            return float(np.mean(present)) if present else None
        positive = self.positive
        if name == "roc_auc":
            return _auc(score[:, positive], truth == positive)
        tp = float(((predicted == positive) & (truth == positive)).sum())
        if name == "precision":
            denominator = float((predicted == positive).sum())
            return tp / denominator if denominator else None
        if name == "recall":
            denominator = float((truth == positive).sum())
            return tp / denominator if denominator else None
        return _f1(predicted == positive, truth == positive)


def _f1(predicted: npt.NDArray[np.bool_], actual: npt.NDArray[np.bool_]) -> float | None:
    tp = float((predicted & actual).sum())
    denominator = float(predicted.sum() + actual.sum())
    return 2 * tp / denominator if denominator else None


def _auc(score: npt.NDArray[np.float64], actual: npt.NDArray[np.bool_]) -> float | None:
    """ROC AUC by the rank-sum formula (ties count half); None with a single class."""
    from scipy.stats import rankdata

    positives = int(actual.sum())
    negatives = len(actual) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[actual].sum() - positives * (positives + 1) / 2) / (positives * negatives))
