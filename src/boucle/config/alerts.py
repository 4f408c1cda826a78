"""``alerts:`` of boucle.yaml: rules on monitored values, their severity, cooldown and sinks.

A rule's condition is parsed when the config loads, so a typo fails ``boucle`` before any
monitoring runs; the sinks a rule names must be defined under ``alerts.sinks`` (or be the
implicit ``log``). The sink kinds themselves are in :mod:`boucle.config.alert_sinks`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from boucle.config.alert_sinks import SinkConfig
from boucle.config.base import Section
from boucle.config.durations import parse_duration

__all__ = ["AlertRuleConfig", "AlertSeverity", "AlertsConfig"]

AlertSeverity = Literal["info", "warning", "critical"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class AlertRuleConfig(Section):
    """One rule: a condition on a monitored value, its severity, cooldown and sinks."""

    name: str = Field(pattern=_NAME, description="Unique rule name (letters, digits, . _ -).")
    when: str = Field(
        description="Condition: dotted path, comparison, number, e.g. 'drift.share_drifted > 0.3'."
    )
    severity: AlertSeverity = Field(default="warning", description="info, warning or critical.")
    cooldown: float = Field(
        default=3600.0,
        description="Do not fire this rule again within this period: seconds or '15m', '1h', '1d'.",
    )
    sinks: list[str] = Field(
        default_factory=lambda: ["log"], description="Names of the sinks to send to."
    )

    @field_validator("when")
    @classmethod
    def _check_when(cls, when: str, info: ValidationInfo) -> str:
        # Imported here: the rule grammar is only needed when a config declares rules.
        from boucle.monitor.alerts.rules import parse_condition

        name = info.data.get("name", "?")
        try:
            parse_condition(when, rule=name)
        except Exception as exc:  # RuleSyntaxError; pydantic needs a ValueError
            raise ValueError(getattr(exc, "message", str(exc))) from None
        return when

    @field_validator("cooldown", mode="before")
    @classmethod
    def _check_cooldown(cls, value: float | int | str) -> float:
        return parse_duration(value)


class AlertsConfig(Section):
    """``alerts:`` rules on monitored values and the sinks they go to."""

    rules: list[AlertRuleConfig] = Field(
        default_factory=list, description="Alert rules, evaluated in order."
    )
    sinks: dict[str, SinkConfig] = Field(
        default_factory=dict,
        description="Named sinks; a sink 'log' (type log) exists unless you define one.",
    )
    attempts: int = Field(
        default=3, ge=1, le=10, description="Sending attempts per sink before it is failed."
    )
    backoff_s: float = Field(
        default=0.5, ge=0.0, le=60.0, description="Delay before the first retry; doubles each time."
    )
    backoff_max_s: float = Field(
        default=30.0, ge=0.0, le=600.0, description="Longest delay between two attempts."
    )

    @model_validator(mode="after")
    def _check_references(self) -> AlertsConfig:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"alert rule name {rule.name!r} is used twice; names are unique")
            seen.add(rule.name)
            for sink in rule.sinks:
                if sink not in self.sinks and sink != "log":
                    known = ", ".join(sorted({"log", *self.sinks}))
                    raise ValueError(
                        f"alert rule {rule.name!r} sends to sink {sink!r}, which is not defined "
                        f"under alerts.sinks (defined: {known})"
                    )
        for name in self.sinks:
            if not re.match(_NAME, name):
                raise ValueError(f"sink name {name!r} must be letters, digits, '.', '_' or '-'")
        return self
