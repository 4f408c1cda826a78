"""Evaluate rules, honour cooldowns, send to sinks with retries, record every alert.

The cooldown state is the ledger itself: a rule's last ``alert_fired`` event that reached at
least one sink (or had none) starts its cooldown, so there is no second store to keep in
step with the audit trail, and the state survives restarts and is shared by every process
writing to the same ledger.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from boucle.monitor.alerts.model import Alert, AlertSink, AlertSinkError
from boucle.monitor.alerts.rules import Condition, parse_condition

if TYPE_CHECKING:
    from boucle.config.alerts import AlertRuleConfig, AlertsConfig
    from boucle.ledger import Ledger

__all__ = [
    "AlertOutcome",
    "AlertRule",
    "RetryPolicy",
    "deliver",
    "evaluate_rules",
    "fire_alerts",
    "last_delivered",
    "send_with_retry",
]

OutcomeStatus = Literal["fired", "triggered", "quiet", "cooldown", "no_value"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing sink is tried, and how long to wait in between (doubling)."""

    attempts: int = 3
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0

    @classmethod
    def from_config(cls, config: AlertsConfig) -> RetryPolicy:
        """The policy of ``alerts.attempts``, ``backoff_s`` and ``backoff_max_s``."""
        return cls(config.attempts, config.backoff_s, config.backoff_max_s)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.backoff_s * 2 ** (attempt - 1), self.backoff_max_s))


@dataclass(frozen=True)
class AlertRule:
    """A rule ready to evaluate: its parsed condition, severity, cooldown and sinks."""

    name: str
    condition: Condition
    severity: str = "warning"
    cooldown_s: float = 3600.0
    sinks: tuple[str, ...] = ("log",)

    @classmethod
    def from_config(cls, rule: AlertRuleConfig) -> AlertRule:
        """Build from one entry of ``alerts.rules``."""
        return cls(
            name=rule.name,
            condition=parse_condition(rule.when, rule=rule.name),
            severity=rule.severity,
            cooldown_s=rule.cooldown,
            sinks=tuple(rule.sinks),
        )


@dataclass(frozen=True)
class AlertOutcome:
    """What happened to one rule: fired (with each sink's result), quiet, cooling down, not
    evaluable (``no_value``, with the reason), or ``triggered`` (a dry run: not sent)."""

    rule: str
    severity: str
    status: OutcomeStatus
    when: str
    value: float | None
    threshold: float | None
    sinks: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    event_index: int | None = None

    @property
    def delivered(self) -> bool:
        """True when it fired and at least one sink took it (or it has no sinks)."""
        return self.status == "fired" and (
            not self.sinks or any(s == "sent" for s in self.sinks.values())
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "status": self.status,
            "when": self.when,
            "value": self.value,
            "threshold": self.threshold,
            "sinks": dict(self.sinks),
            "reason": self.reason,
            "event_index": self.event_index,
        }


def send_with_retry(
    sink: AlertSink,
    alert: Alert,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, int]:
    """Send ``alert`` to ``sink``, retrying transient failures; never raises.

    Returns ``("sent", attempts)`` or ``("failed: reason", attempts)``. An exception that is
    not an :class:`AlertSinkError` (a plug-in's bug, a library error) counts as transient.
    """
    reason = "not attempted"
    for attempt in range(1, policy.attempts + 1):
        try:
            sink.send(alert)
            return "sent", attempt
        except AlertSinkError as exc:
            reason = exc.message
            if not exc.transient:
                return f"failed: {reason}", attempt
        except Exception as exc:  # a sink must never crash monitoring: record and go on
            reason = f"{type(exc).__name__}: {exc}"
        if attempt < policy.attempts:
            sleep(policy.delay(attempt))
    return f"failed: {reason} (after {policy.attempts} attempts)", policy.attempts


def last_delivered(ledger: Ledger) -> dict[str, datetime]:
    """When each rule last fired and reached a sink, from the ledger's ``alert_fired`` events."""
    latest: dict[str, datetime] = {}
    for event in ledger.events(kind="alert_fired"):
        rule = event.payload.get("rule")
        sinks = event.payload.get("sinks") or {}
        if not isinstance(rule, str) or (sinks and "sent" not in sinks.values()):
            continue
        latest[rule] = max(latest.get(rule, _EPOCH), _parse_time(event.time))
    return latest


def evaluate_rules(rules: Sequence[AlertRule], values: Mapping[str, Any]) -> list[AlertOutcome]:
    """Evaluate ``rules`` on ``values`` without sending or recording anything (a dry run).

    A rule whose condition holds is ``triggered``; cooldowns are not consulted.
    """
    outcomes = []
    for rule in rules:
        result = rule.condition.evaluate(values)
        status: OutcomeStatus = (
            "no_value" if result.reason else "triggered" if result.triggered else "quiet"
        )
        outcomes.append(_outcome(rule, result.value, status, result.reason))
    return outcomes


def fire_alerts(
    rules: Sequence[AlertRule],
    values: Mapping[str, Any],
    *,
    sinks: Mapping[str, AlertSink],
    ledger: Ledger,
    project: str,
    policy: RetryPolicy | None = None,
    run_id: str | None = None,
    lineage_id: str | None = None,
    context: Mapping[str, Any] | None = None,
    namespaces: Iterable[str] | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[AlertOutcome]:
    """Evaluate ``rules`` on ``values``; fire those that trigger and are not cooling down.

    Each fired rule is sent to its sinks (retried with exponential backoff) and recorded as
    an ``alert_fired`` ledger event holding every sink's result. With ``namespaces`` only the
    rules whose path starts with one of them are evaluated (``monitor`` passes ``{"drift"}``).
    Sink failures are recorded, never raised.
    """
    policy = policy or RetryPolicy()
    moment = now or datetime.now(UTC)
    wanted = None if namespaces is None else set(namespaces)
    selected = [r for r in rules if wanted is None or r.condition.path[0] in wanted]
    cooling = last_delivered(ledger) if selected else {}
    outcomes = []
    for rule in selected:
        result = rule.condition.evaluate(values)
        if result.reason is not None:
            outcomes.append(_outcome(rule, result.value, "no_value", result.reason))
            continue
        if not result.triggered:
            outcomes.append(_outcome(rule, result.value, "quiet"))
            continue
        last = cooling.get(rule.name)
        if last is not None and moment - last < timedelta(seconds=rule.cooldown_s):
            until = (last + timedelta(seconds=rule.cooldown_s)).isoformat(timespec="seconds")
            reason = f"fired at {last.isoformat(timespec='seconds')}; cooling down until {until}"
            outcomes.append(_outcome(rule, result.value, "cooldown", reason))
            continue
        alert = Alert(
            rule=rule.name,
            severity=rule.severity,
            when=rule.condition.text,
            value=result.value,
            threshold=rule.condition.threshold,
            operator=rule.condition.operator,
            project=project,
            time=moment.isoformat(timespec="seconds"),
            run_id=run_id,
            context=dict(context or {}),
        )
        outcomes.append(
            deliver(
                alert,
                rule.sinks,
                sinks=sinks,
                ledger=ledger,
                policy=policy,
                run_id=run_id,
                lineage_id=lineage_id,
                sleep=sleep,
            )
        )
    return outcomes


def deliver(
    alert: Alert,
    sink_names: Sequence[str],
    *,
    sinks: Mapping[str, AlertSink],
    ledger: Ledger,
    policy: RetryPolicy,
    run_id: str | None = None,
    lineage_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> AlertOutcome:
    """Send ``alert`` to the named sinks and append its ``alert_fired`` event."""
    results: dict[str, str] = {}
    attempts: dict[str, int] = {}
    for name in sink_names:
        sink = sinks.get(name)
        if sink is None:
            results[name], attempts[name] = f"failed: no sink named '{name}'", 0
            continue
        results[name], attempts[name] = send_with_retry(sink, alert, policy, sleep=sleep)
    event = ledger.append(
        "alert_fired",
        {
            "rule": alert.rule,
            "severity": alert.severity,
            "value": alert.value,
            "threshold": alert.threshold,
            "sinks": results,
            "when": alert.when,
            "attempts": attempts,
        },
        run_id=run_id,
        lineage_id=lineage_id,
    )
    return AlertOutcome(
        rule=alert.rule,
        severity=alert.severity,
        status="fired",
        when=alert.when,
        value=alert.value,
        threshold=alert.threshold,
        sinks=results,
        event_index=event.index,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _outcome(
    rule: AlertRule, value: float | None, status: OutcomeStatus, reason: str | None = None
) -> AlertOutcome:
    return AlertOutcome(
        rule=rule.name,
        severity=rule.severity,
        status=status,
        when=rule.condition.text,
        value=value,
        threshold=rule.condition.threshold,
        reason=reason,
    )


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
