"""Retrain rules: the values the loop looks at, and which ``retrain.rules`` fire on them.

The values are one nested document, read by the rules' dotted paths::

    {"drift": {"share_drifted": 0.43, "dataset_drift": true, "n_drifted": 6,
               "features": {"age": {"drifted": true, ...}}, "multivariate": {...}},
     "performance": {"roc_auc": 0.79, "f1": 0.62, "labelled": 2100.0, ...},
     "performance_drop": {"roc_auc": 0.11, "accuracy": 0.13, ...},
     "ops": {"requests": 4000.0, "p99_ms": 1.4, ...},
     "labels": {"new": 2100, "total": 2100},
     "schedule": {"hours_since_retrain": 170.5}}

``performance_drop.<metric>`` is the champion's held-out score (its ``evaluate`` step) minus
the score measured on the labelled traffic, oriented so that a positive number is worse for
every metric (for a loss, measured minus held-out). The rule grammar is that of the alert
rules (:mod:`boucle.monitor.alerts.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from boucle.config.loop import RetrainRuleConfig
    from boucle.monitoring import LogMonitoring

__all__ = ["RuleOutcome", "evaluate_retrain_rules", "loop_values", "performance_drop"]

RuleStatus = Literal["fired", "quiet", "no_value"]
#: Metrics where lower is better: their drop is measured minus held-out.
_LOWER_IS_BETTER = frozenset({"log_loss", "brier", "rmse", "mae"})


@dataclass(frozen=True)
class RuleOutcome:
    """One rule on one set of values: fired, quiet, or not evaluable (``reason`` says why)."""

    name: str
    when: str
    status: RuleStatus
    value: float | None
    threshold: float
    reason: str | None = None

    @property
    def fired(self) -> bool:
        """True when the condition held."""
        return self.status == "fired"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "name": self.name,
            "when": self.when,
            "status": self.status,
            "value": self.value,
            "threshold": self.threshold,
            "reason": self.reason,
        }


def performance_drop(
    measured: Mapping[str, float | None], baseline: Mapping[str, Any]
) -> dict[str, float]:
    """``baseline - measured`` per metric both know (``measured - baseline`` for losses).

    ``baseline`` is the champion's held-out metrics; metrics without a number on either side
    are left out.
    """
    drops: dict[str, float] = {}
    for name, value in measured.items():
        reference = baseline.get(name)
        if value is None or isinstance(reference, bool) or not isinstance(reference, int | float):
            continue
        difference = float(reference) - float(value)
        drops[name] = -difference if name in _LOWER_IS_BETTER else difference
    return drops


def loop_values(
    monitoring: LogMonitoring | None,
    *,
    baseline: Mapping[str, Any],
    labels: Mapping[str, int],
    hours_since_retrain: float | None,
) -> dict[str, Any]:
    """The values document the retrain rules read (see the module docstring).

    ``monitoring`` is the champion's window of the serving log (None when it holds no
    record); ``baseline`` the champion's held-out metrics; ``labels`` the counts of labelled
    records (``new``, ``total``); ``hours_since_retrain`` the time since the last retrain
    (or since the champion took office).
    """
    from boucle.monitor.alerts import drift_values

    values: dict[str, Any] = {"labels": dict(labels)}
    if hours_since_retrain is not None:
        values["schedule"] = {"hours_since_retrain": hours_since_retrain}
    if monitoring is None:
        return values
    if monitoring.drift is not None:
        values["drift"] = drift_values(monitoring.drift.to_dict())
    values["performance"] = _unprefixed(monitoring.performance.values(), "performance.")
    values["ops"] = _unprefixed(monitoring.ops.values(), "ops.")
    measured = {name: m.value for name, m in monitoring.performance.overall.measured.items()}
    values["performance_drop"] = performance_drop(measured, baseline)
    return values


def _unprefixed(flat: Mapping[str, float], prefix: str) -> dict[str, float]:
    """``{"performance.f1": x}`` → ``{"f1": x}`` (the reports' flat values, nested)."""
    return {key.removeprefix(prefix): value for key, value in flat.items()}


def evaluate_retrain_rules(
    rules: Sequence[RetrainRuleConfig], values: Mapping[str, Any]
) -> list[RuleOutcome]:
    """Evaluate every rule on ``values``, in order; nothing is sent or recorded.

    A rule whose path has no value (no drift computed, no labels yet) is ``no_value`` and
    does not fire.
    """
    from boucle.monitor.alerts.rules import parse_condition

    outcomes = []
    for rule in rules:
        condition = parse_condition(rule.when, rule=rule.name)
        result = condition.evaluate(values)
        status: RuleStatus = (
            "no_value" if result.reason else "fired" if result.triggered else "quiet"
        )
        outcomes.append(
            RuleOutcome(
                name=rule.name,
                when=condition.text,
                status=status,
                value=result.value,
                threshold=condition.threshold,
                reason=result.reason,
            )
        )
    return outcomes
