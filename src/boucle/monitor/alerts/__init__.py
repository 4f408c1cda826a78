"""Alerts: rules on monitored values, sinks they go to, retries, cooldowns, ledger events.

::

    rule = AlertRule("drift-high", parse_condition("drift.share_drifted > 0.3"))
    fire_alerts([rule], {"drift": {"share_drifted": 0.45}}, sinks={"log": LogSink()},
                ledger=ledger, project="adult")

Every fired alert is an ``alert_fired`` ledger event holding each sink's result; a sink
failure is retried with exponential backoff and recorded, never raised. A rule does not fire
again within its cooldown (the ledger's last delivered ``alert_fired`` of that rule).
Plug-in sinks implement :class:`AlertSink` (``name`` and ``send(alert)``) and can be checked
with :func:`check_alert_sink`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boucle._lazy import lazy_attributes

if TYPE_CHECKING:
    from boucle.monitor.alerts.configured import (
        TEST_RULE,
        configured_sinks,
        fire_configured_alerts,
        send_test_alert,
    )
    from boucle.monitor.alerts.conformance import check_alert_sink, sample_alert
    from boucle.monitor.alerts.dispatch import (
        AlertOutcome,
        AlertRule,
        RetryPolicy,
        deliver,
        evaluate_rules,
        fire_alerts,
        last_delivered,
        send_with_retry,
    )
    from boucle.monitor.alerts.model import Alert, AlertSink, AlertSinkError
    from boucle.monitor.alerts.rules import (
        Condition,
        ConditionResult,
        RuleSyntaxError,
        parse_condition,
    )
    from boucle.monitor.alerts.sinks import LogSink, SmtpSink, WebhookSink, build_sinks
    from boucle.monitor.alerts.values import drift_values, load_values, normalise_values

__all__ = [
    "TEST_RULE",
    "Alert",
    "AlertOutcome",
    "AlertRule",
    "AlertSink",
    "AlertSinkError",
    "Condition",
    "ConditionResult",
    "LogSink",
    "RetryPolicy",
    "RuleSyntaxError",
    "SmtpSink",
    "WebhookSink",
    "build_sinks",
    "check_alert_sink",
    "configured_sinks",
    "deliver",
    "drift_values",
    "evaluate_rules",
    "fire_alerts",
    "fire_configured_alerts",
    "last_delivered",
    "load_values",
    "normalise_values",
    "parse_condition",
    "sample_alert",
    "send_test_alert",
    "send_with_retry",
]

# Imported on first use: the package itself stays light (see boucle._lazy).
__getattr__ = lazy_attributes(
    __name__,
    {
        "Alert": "boucle.monitor.alerts.model",
        "AlertOutcome": "boucle.monitor.alerts.dispatch",
        "AlertRule": "boucle.monitor.alerts.dispatch",
        "AlertSink": "boucle.monitor.alerts.model",
        "AlertSinkError": "boucle.monitor.alerts.model",
        "Condition": "boucle.monitor.alerts.rules",
        "ConditionResult": "boucle.monitor.alerts.rules",
        "LogSink": "boucle.monitor.alerts.sinks",
        "RetryPolicy": "boucle.monitor.alerts.dispatch",
        "RuleSyntaxError": "boucle.monitor.alerts.rules",
        "SmtpSink": "boucle.monitor.alerts.sinks",
        "TEST_RULE": "boucle.monitor.alerts.configured",
        "WebhookSink": "boucle.monitor.alerts.sinks",
        "build_sinks": "boucle.monitor.alerts.sinks",
        "check_alert_sink": "boucle.monitor.alerts.conformance",
        "configured_sinks": "boucle.monitor.alerts.configured",
        "deliver": "boucle.monitor.alerts.dispatch",
        "drift_values": "boucle.monitor.alerts.values",
        "evaluate_rules": "boucle.monitor.alerts.dispatch",
        "fire_alerts": "boucle.monitor.alerts.dispatch",
        "fire_configured_alerts": "boucle.monitor.alerts.configured",
        "last_delivered": "boucle.monitor.alerts.dispatch",
        "load_values": "boucle.monitor.alerts.values",
        "normalise_values": "boucle.monitor.alerts.values",
        "parse_condition": "boucle.monitor.alerts.rules",
        "sample_alert": "boucle.monitor.alerts.conformance",
        "send_test_alert": "boucle.monitor.alerts.configured",
        "send_with_retry": "boucle.monitor.alerts.dispatch",
    },
)
