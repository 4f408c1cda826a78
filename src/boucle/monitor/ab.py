"""A/B analysis of two serving routes from the prediction log and its feedback.

``boucle serve`` routes each request to one alias (``serve.routes``); feedback labels some of
them. For two aliases this module reports the chosen metric on each arm, the difference
(B - A) with a bootstrap confidence interval, a two-proportion z-test for rate metrics
(accuracy, precision, recall), and whether the sample is large enough: the labelled records
each arm needs to detect the minimum difference that matters with the requested power. A
promotion can wait until ``enough_data`` is true and the interval excludes zero.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError, DataError

if TYPE_CHECKING:
    from boucle.monitor.feedback_join import ScoredRows
    from boucle.monitor.performance import Task

__all__ = ["ABReport", "ArmResult", "ab_report", "required_per_arm"]

_RATE_METRICS = ("accuracy", "precision", "recall")


@dataclass(frozen=True)
class ArmResult:
    """One route: its alias, how many records it scored and how many came back labelled."""

    alias: str
    scored: int
    labelled: int
    value: float | None


@dataclass(frozen=True)
class ABReport:
    """The comparison of arm ``b`` against arm ``a`` (the control, usually the champion)."""

    metric: str
    a: ArmResult
    b: ArmResult
    difference: float | None
    low: float | None
    high: float | None
    confidence: float
    p_value: float | None
    min_difference: float
    power: float
    required_per_arm: int | None
    enough_data: bool
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)


def required_per_arm(p_a: float, p_b: float, *, delta: float, alpha: float, power: float) -> int:
    """Labelled records per arm for a two-sided two-proportion test to detect ``delta``.

    Normal approximation: n = (z_{1-alpha/2} + z_{power})² · (p_a(1-p_a) + p_b(1-p_b)) / δ².
    """
    from scipy.stats import norm

    variance = p_a * (1 - p_a) + p_b * (1 - p_b)
    variance = max(variance, 1e-6)
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    return math.ceil(float(z * z) * variance / (delta * delta))


def ab_report(
    scored: ScoredRows,
    *,
    task: Task,
    a: str = "champion",
    b: str = "challenger",
    metric: str = "accuracy",
    positive_class: str | None = None,
    min_difference: float = 0.01,
    confidence: float = 0.95,
    power: float = 0.8,
    resamples: int = 1000,
    seed: int = 0,
) -> ABReport:
    """Compare the labelled records routed to alias ``b`` with those routed to alias ``a``."""
    import numpy as np

    from boucle.monitor.performance import performance_report

    if task == "regression" and metric not in ("rmse", "mae"):
        raise ConfigError(
            f"A/B metric '{metric}' is not a regression metric.", hint="Use rmse or mae."
        )
    if task != "regression" and metric not in ("accuracy", "precision", "recall", "f1"):
        raise ConfigError(
            f"A/B metric '{metric}' is not supported for classification.",
            hint="Use accuracy, precision, recall or f1.",
        )
    if min_difference <= 0:
        raise ConfigError(
            f"min_difference {min_difference} must be positive.",
            hint="Set the smallest difference worth acting on, e.g. 0.01.",
        )
    rows = scored.rows
    seen = sorted(str(alias) for alias in rows["alias"].dropna().unique()) if len(rows) else []
    for alias in (a, b):
        if alias not in seen:
            raise DataError(
                f"no prediction in the log was routed to '{alias}' (routes seen: "
                f"{', '.join(seen) or 'none'}).",
                hint="Check serve.routes and the aliases given to `boucle ab report`.",
            )

    def arm(alias: str) -> tuple[ArmResult, Any, Any]:
        part = rows[rows["alias"] == alias]
        sub = type(scored)(part, scored.classes, 0, 0, 0)
        report = performance_report(
            sub, task=task, positive_class=positive_class, window="ALL", resamples=2
        )
        measured = report.overall.measured[metric]
        per_record = _per_record(sub, task, metric, positive_class)
        return ArmResult(alias, len(part), measured.n, measured.value), per_record, measured

    arm_a, records_a, _ = arm(a)
    arm_b, records_b, _ = arm(b)
    difference = low = high = p_value = None
    if arm_a.value is not None and arm_b.value is not None:
        difference = arm_b.value - arm_a.value
        rng = np.random.default_rng(seed)
        samples = []
        for _ in range(resamples):
            value_a = _statistic(records_a, rng, metric)
            value_b = _statistic(records_b, rng, metric)
            if value_a is not None and value_b is not None:
                samples.append(value_b - value_a)
        if len(samples) >= resamples // 2:
            tail = (1 - confidence) / 2
            low, high = float(np.quantile(samples, tail)), float(np.quantile(samples, 1 - tail))
        if metric in _RATE_METRICS:
            p_value = _two_proportion_p(records_a, records_b)
    required = None
    if metric in _RATE_METRICS and arm_a.value is not None and arm_b.value is not None:
        required = required_per_arm(
            arm_a.value, arm_b.value, delta=min_difference, alpha=1 - confidence, power=power
        )
    enough = required is not None and min(arm_a.labelled, arm_b.labelled) >= required
    verdict = _verdict(metric, low, high, enough, required, arm_a, arm_b)
    return ABReport(
        metric=metric,
        a=arm_a,
        b=arm_b,
        difference=difference,
        low=low,
        high=high,
        confidence=confidence,
        p_value=p_value,
        min_difference=min_difference,
        power=power,
        required_per_arm=required,
        enough_data=enough,
        verdict=verdict,
    )


def _per_record(scored: ScoredRows, task: Task, metric: str, positive_class: str | None) -> Any:
    """What the bootstrap resamples: per labelled record, (hit) or (predicted, actual) pairs."""
    import numpy as np

    from boucle.monitor.performance import outcome_labels, positive_index

    rows = scored.rows
    truth = outcome_labels(rows, scored.classes, task).truth
    keep = truth.notna().to_numpy()
    if task == "regression":
        predicted = np.asarray(rows["predicted"], dtype="float64")[keep]
        return np.stack([predicted, truth.to_numpy()[keep]], axis=1)
    probabilities = [list(p.values()) for p in rows["probabilities"]] if len(rows) else []
    matrix = np.asarray(probabilities, dtype="float64").reshape(len(rows), -1)
    predicted_codes = matrix.argmax(axis=1)[keep] if len(rows) else np.empty(0)
    actual = truth.to_numpy()[keep].astype(np.int64)
    if metric == "accuracy" or task == "multiclass":
        return (predicted_codes == actual).astype("float64")[:, None]
    positive = positive_index(scored.classes, positive_class, task)
    return np.stack([predicted_codes == positive, actual == positive], axis=1).astype("float64")


def _statistic(records: Any, rng: Any, metric: str) -> float | None:
    import numpy as np

    if len(records) == 0:
        return None
    sample = records[rng.integers(0, len(records), size=len(records))]
    if metric == "accuracy" or sample.shape[1] == 1:
        return float(sample[:, 0].mean())
    if metric in ("rmse", "mae"):
        error = sample[:, 0] - sample[:, 1]
        return (
            float(np.sqrt(np.mean(error**2))) if metric == "rmse" else float(np.abs(error).mean())
        )
    predicted, actual = sample[:, 0] > 0.5, sample[:, 1] > 0.5
    tp = float((predicted & actual).sum())
    if metric == "precision":
        return tp / float(predicted.sum()) if predicted.any() else None
    if metric == "recall":
        return tp / float(actual.sum()) if actual.any() else None
    denominator = float(predicted.sum() + actual.sum())
    return 2 * tp / denominator if denominator else None


def _two_proportion_p(records_a: Any, records_b: Any) -> float | None:
    """Two-sided z-test p-value for the accuracy (hit rate) of two independent arms."""
    from scipy.stats import norm

    if records_a.shape[1] != 1 or records_b.shape[1] != 1:
        return None  # precision/recall: the bootstrap interval is the test
    n_a, n_b = len(records_a), len(records_b)
    if n_a == 0 or n_b == 0:
        return None
    hits_a, hits_b = float(records_a.sum()), float(records_b.sum())
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if spread == 0:
        return 1.0
    z = (hits_b / n_b - hits_a / n_a) / spread
    return float(2 * norm.sf(abs(z)))


def _verdict(
    metric: str,
    low: float | None,
    high: float | None,
    enough: bool,
    required: int | None,
    a: ArmResult,
    b: ArmResult,
) -> str:
    lower_is_better = metric in ("rmse", "mae")
    if low is None or high is None:
        return f"not enough labelled records to compare ({a.labelled} vs {b.labelled})"
    if low > 0 or high < 0:
        better = (high < 0) if lower_is_better else (low > 0)
        who = b.alias if better else a.alias
        return f"{who} is better on {metric} (interval excludes 0)"
    if required is not None and not enough:
        missing = required - min(a.labelled, b.labelled)
        return f"no significant difference yet: {missing} more labelled records per arm needed"
    return "no significant difference"
