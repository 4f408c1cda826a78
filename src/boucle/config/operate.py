"""``alerts:`` and ``gates:`` of boucle.yaml: the operating loop.

The sections live in modules named for them: :mod:`boucle.config.alerts` (rules),
:mod:`boucle.config.alert_sinks` (where alerts go), :mod:`boucle.config.gates` (promotion
gates) and :mod:`boucle.config.durations`. This module re-exports their public names, the
import path the rest of boucle and plug-in authors have used.
"""

from __future__ import annotations

from boucle.config.alert_sinks import (
    LogSinkConfig,
    PluginSinkConfig,
    SinkConfig,
    SmtpSinkConfig,
    WebhookSinkConfig,
    check_webhook_url,
)
from boucle.config.alerts import AlertRuleConfig, AlertsConfig, AlertSeverity
from boucle.config.durations import parse_duration
from boucle.config.gates import COMPARED_METRICS, GATE_METRICS, GatesConfig

__all__ = [
    "COMPARED_METRICS",
    "GATE_METRICS",
    "AlertRuleConfig",
    "AlertSeverity",
    "AlertsConfig",
    "GatesConfig",
    "LogSinkConfig",
    "PluginSinkConfig",
    "SinkConfig",
    "SmtpSinkConfig",
    "WebhookSinkConfig",
    "check_webhook_url",
    "parse_duration",
]
