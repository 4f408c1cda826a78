"""Built-in alert sinks (log, webhook, smtp) and building them from ``alerts.sinks``."""

from __future__ import annotations

from collections.abc import Mapping

from boucle.config.alert_sinks import LogSinkConfig, SmtpSinkConfig, WebhookSinkConfig
from boucle.config.alerts import AlertsConfig
from boucle.monitor.alerts.model import AlertSink
from boucle.monitor.alerts.sinks.log import LogSink
from boucle.monitor.alerts.sinks.smtp import SmtpSink
from boucle.monitor.alerts.sinks.webhook import WebhookSink

__all__ = ["LogSink", "SmtpSink", "WebhookSink", "build_sinks"]


def build_sinks(
    config: AlertsConfig, *, env: Mapping[str, str] | None = None
) -> dict[str, AlertSink]:
    """The sinks of ``alerts.sinks`` by name, plus a ``log`` sink unless one is defined.

    Nothing is contacted here: secrets are read and addresses checked when an alert is sent.
    """
    sinks: dict[str, AlertSink] = {"log": LogSink("log")}
    for name, sink in config.sinks.items():
        if isinstance(sink, LogSinkConfig):
            sinks[name] = LogSink(name, logger=sink.logger)
        elif isinstance(sink, WebhookSinkConfig):
            sinks[name] = WebhookSink(name, sink, env=env)
        elif isinstance(sink, SmtpSinkConfig):
            sinks[name] = SmtpSink(name, sink, env=env)
    return sinks
