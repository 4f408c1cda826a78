"""Monitoring coverage: which configured rules watch the model in service, and who hears of it.

:func:`monitoring_coverage` reads the ``alerts:`` and ``retrain:`` sections of boucle.yaml and
sorts their rules into drift and performance watchers, and their sinks into those that reach a
person. When the coverage is complete, the configured monitoring stands as the post-market
monitoring plan (Art. 72) of the ``monitoring_plan`` checklist item. Also importable from
:mod:`boucle.governance.policies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boucle.config import BoucleConfig

__all__ = ["MonitoringCoverage", "monitoring_coverage"]


@dataclass(frozen=True)
class MonitoringCoverage:
    """What boucle.yaml makes boucle watch once in service, and who hears of it (Art. 72).

    Each list names the rules or sinks that provide it (``alert drift-high``, ``retrain
    performance-drop``, ``oncall (webhook)``). ``complete`` when the input drift and the
    model's performance are both watched and at least one alert reaches a person (a sink
    other than the process log): then the configured monitoring, written out as Annex IV
    item 9, stands as the post-market monitoring plan of the ``monitoring_plan`` item.
    """

    drift: list[str]
    performance: list[str]
    notified: list[str]

    @property
    def complete(self) -> bool:
        """True when drift and performance are watched and a person is alerted."""
        return bool(self.drift and self.performance and self.notified)

    @property
    def missing(self) -> list[str]:
        """What the configuration lacks to stand as a plan, one phrase each."""
        return [
            text
            for present, text in (
                (self.drift, "a rule on drift.* (alerts.rules or retrain.rules)"),
                (
                    self.performance,
                    "a rule on performance.* or performance_drop.* (alerts.rules or retrain.rules)",
                ),
                (
                    self.notified,
                    "a webhook, smtp or plug-in sink told of them (alerts.rules sinks or "
                    "retrain.notify)",
                ),
            )
            if not present
        ]

    def summary(self) -> str:
        """One line: which rules watch what, who is alerted."""
        parts = {"drift": self.drift, "performance": self.performance, "alerted": self.notified}
        return "; ".join(f"{name}: {', '.join(items) or 'none'}" for name, items in parts.items())


def monitoring_coverage(config: BoucleConfig) -> MonitoringCoverage:
    """Which rules of ``alerts:`` and ``retrain:`` watch drift and performance, who is alerted.

    ``retrain:`` counts only when boucle.yaml writes it: its shipped default rules act only
    when someone runs ``boucle loop``, which a declared section states and a default does not.
    """
    from boucle.monitor.alerts.rules import parse_condition

    drift: list[str] = []
    performance: list[str] = []
    notified: list[str] = []
    watched = [(f"alert {r.name}", r.when, r.sinks) for r in config.alerts.rules]
    if "retrain" in config.model_fields_set:
        notify = config.retrain.notify
        watched += [(f"retrain {r.name}", r.when, notify) for r in config.retrain.rules]
    for label, when, sinks in watched:
        root = parse_condition(when, rule=label).path[0]
        if root == "drift":
            drift.append(label)
        elif root in ("performance", "performance_drop"):
            performance.append(label)
        else:
            continue  # operations, labels, schedule: not the model's behaviour
        for sink in sinks:
            described = _person_sink(config, sink)
            if described is not None and described not in notified:
                notified.append(described)
    return MonitoringCoverage(drift, performance, notified)


def _person_sink(config: BoucleConfig, name: str) -> str | None:
    """``name (kind)`` for a sink that reaches a person; None for the process log."""
    from boucle.config.operate import SmtpSinkConfig

    sink = config.alerts.sinks.get(name)
    if sink is None or sink.type == "log":
        return None  # the undefined sink 'log' is the process log
    if isinstance(sink, SmtpSinkConfig):
        return f"{name} (smtp to {', '.join(sink.to)})"
    return f"{name} ({sink.type})"
