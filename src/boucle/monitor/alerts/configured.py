"""Alerts as boucle.yaml configures them: the rules, the sinks, the retry policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError
from boucle.monitor.alerts.dispatch import (
    AlertOutcome,
    AlertRule,
    RetryPolicy,
    deliver,
    fire_alerts,
)
from boucle.monitor.alerts.model import Alert, AlertSink
from boucle.monitor.alerts.sinks import build_sinks

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger

__all__ = ["TEST_RULE", "configured_sinks", "fire_configured_alerts", "send_test_alert"]

#: Rule name of the alert ``boucle alerts test`` sends (not a valid rule name: no clash).
TEST_RULE = "(test)"


def configured_sinks(
    config: BoucleConfig,
    extra_sinks: Mapping[str, AlertSink] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> dict[str, AlertSink]:
    """The configured sinks by name, plus ``extra_sinks`` (plug-ins; they win on a clash).

    A sink whose ``type`` names a plug-in (``boucle.alerts`` entry point or module:attr) is
    made by the plug-in's factory; :class:`~boucle.plugins.PluginError` names a broken one.
    """
    from boucle.config.alert_sinks import PluginSinkConfig
    from boucle.plugins import make_alert_sink

    plugins = {
        name: make_alert_sink(sink.type, name, sink.options)
        for name, sink in config.alerts.sinks.items()
        if isinstance(sink, PluginSinkConfig)
    }
    return {**build_sinks(config.alerts, env=env), **plugins, **dict(extra_sinks or {})}


def fire_configured_alerts(
    config: BoucleConfig,
    values: Mapping[str, Any],
    *,
    ledger: Ledger,
    run_id: str | None = None,
    lineage_id: str | None = None,
    context: Mapping[str, Any] | None = None,
    namespaces: Iterable[str] | None = None,
    extra_sinks: Mapping[str, AlertSink] | None = None,
    now: datetime | None = None,
) -> list[AlertOutcome]:
    """Evaluate ``alerts.rules`` on ``values`` and fire them (see :func:`fire_alerts`)."""
    alerts = config.alerts
    return fire_alerts(
        [AlertRule.from_config(rule) for rule in alerts.rules],
        values,
        sinks=configured_sinks(config, extra_sinks),
        ledger=ledger,
        project=config.project,
        policy=RetryPolicy.from_config(alerts),
        run_id=run_id,
        lineage_id=lineage_id,
        context=context,
        namespaces=namespaces,
        now=now,
    )


def send_test_alert(
    config: BoucleConfig,
    sink: str,
    *,
    ledger: Ledger,
    extra_sinks: Mapping[str, AlertSink] | None = None,
) -> AlertOutcome:
    """Send an ``info`` test alert to one sink (with retries) and record it in the ledger.

    The test alert is an ``alert_fired`` event of rule ``(test)``; it starts no cooldown.
    """
    sinks = configured_sinks(config, extra_sinks)
    if sink not in sinks:
        raise ConfigError(
            f"no alert sink named '{sink}'. Defined sinks: {', '.join(sorted(sinks))}.",
            hint="Define it under alerts.sinks in boucle.yaml, or pick one of those.",
        )
    alert = Alert(
        rule=TEST_RULE,
        severity="info",
        when="boucle alerts test",
        value=None,
        threshold=None,
        operator="",
        project=config.project,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        context={"test": True},
    )
    return deliver(
        alert, [sink], sinks=sinks, ledger=ledger, policy=RetryPolicy.from_config(config.alerts)
    )
