"""Telling people: ``alerts.rules`` on the iteration's values, and the decision to
``retrain.notify`` (both recorded as ``alert_fired`` events)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.loop.result import LoopIteration
    from boucle.monitor.alerts import AlertSink

__all__ = ["NOTIFY_RULE", "fire_alerts", "notify"]

#: Rule name of the notifications (not a valid rule name: it cannot clash with a rule).
NOTIFY_RULE = "(loop)"


def fire_alerts(
    config: BoucleConfig, iteration: LoopIteration, extra_sinks: Mapping[str, AlertSink] | None
) -> LoopIteration:
    """Fire ``alerts.rules`` on the iteration's values (cooldowns apply)."""
    from boucle.monitor.alerts import fire_configured_alerts
    from boucle.runner.session import open_ledger

    with open_ledger(config) as ledger:
        outcomes = fire_configured_alerts(
            config,
            iteration.values,
            ledger=ledger,
            run_id=iteration.iteration_id,
            lineage_id=iteration.champion_lineage,
            context={"model": iteration.model, "version": iteration.champion_version,
                     "source": "boucle loop"},
            extra_sinks=extra_sinks,
        )  # fmt: skip
    return replace(iteration, alerts=tuple(o.to_dict() for o in outcomes))


def notify(
    config: BoucleConfig, iteration: LoopIteration, extra_sinks: Mapping[str, AlertSink] | None
) -> LoopIteration:
    """Tell the ``retrain.notify`` sinks what the retrain came to (an ``alert_fired`` event)."""
    from boucle.monitor.alerts import Alert, RetryPolicy, configured_sinks, deliver
    from boucle.runner.session import open_ledger

    if not config.retrain.notify:
        return iteration
    severity = {"promoted": "info", "no_change": "info", "kept_champion": "info"}.get(
        iteration.decision, "warning"
    )
    alert = Alert(
        rule=NOTIFY_RULE,
        severity=severity,
        when=f"boucle loop: {iteration.decision}",
        value=None,
        threshold=None,
        operator="",
        project=config.project,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=iteration.iteration_id,
        context={
            "decision": iteration.decision,
            "fired_rules": iteration.fired_rules,
            "champion_version": iteration.champion_version,
            "challenger_version": iteration.challenger_version,
            "gate_passed": iteration.gate_passed,
            "promoted": iteration.promoted,
            "reasons": list(iteration.reasons),
        },
    )
    with open_ledger(config) as ledger:
        outcome = deliver(
            alert,
            config.retrain.notify,
            sinks=configured_sinks(config, extra_sinks),
            ledger=ledger,
            policy=RetryPolicy.from_config(config.alerts),
            run_id=iteration.iteration_id,
            lineage_id=iteration.champion_lineage,
        )
    return replace(iteration, notified=dict(outcome.sinks))
