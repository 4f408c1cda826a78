"""``retrain:`` of boucle.yaml: when ``boucle loop`` retrains, on which rows, what it does next.

The rules use the grammar of the alert rules (``path operator number``) on the values the
loop computes from the serving log (``drift.*``, ``performance.*``, ``performance_drop.*``,
``ops.*``, ``labels.*``, ``schedule.*``; see docs/closed-loop.md). The training window says
how the labelled serving records join the original ``data.source`` for the retrain.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from boucle.config.base import Section
from boucle.config.durations import parse_duration

__all__ = ["RetrainConfig", "RetrainRuleConfig", "RetrainWindowConfig", "WindowMode"]

WindowMode = Literal["all", "sliding", "reference_plus_recent"]
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class RetrainRuleConfig(Section):
    """One retrain rule: a condition on the loop's monitored values."""

    name: str = Field(pattern=_NAME, description="Unique rule name (letters, digits, . _ -).")
    when: str = Field(
        description="Condition: dotted path, comparison, number, e.g. 'drift.share_drifted > 0.3'."
    )

    @field_validator("when")
    @classmethod
    def _check_when(cls, when: str, info: ValidationInfo) -> str:
        # Imported here: the grammar is only needed when a config declares rules.
        from boucle.monitor.alerts.rules import parse_condition

        name = info.data.get("name", "?")
        try:
            parse_condition(when, rule=name)
        except Exception as exc:  # RuleSyntaxError; pydantic needs a ValueError
            message = getattr(exc, "message", str(exc))
            raise ValueError(message.replace("alert rule", "retrain rule", 1)) from None
        return when


def _default_rules() -> list[RetrainRuleConfig]:
    return [
        RetrainRuleConfig(name="drift", when="drift.share_drifted > 0.3"),
        RetrainRuleConfig(name="performance-drop", when="performance_drop.roc_auc > 0.05"),
    ]


class RetrainWindowConfig(Section):
    """``retrain.window:`` the rows a retrain learns from."""

    mode: WindowMode = Field(
        default="reference_plus_recent",
        description="all: data.source + every labelled serving record; sliding: the newest "
        "`size` rows of data.source followed by the labelled records; reference_plus_recent: "
        "`reference_rows` rows sampled from data.source + the newest `recent_rows` labelled "
        "records.",
    )
    size: int = Field(
        default=50_000, ge=10, description="sliding: rows kept, newest first (records last)."
    )
    reference_rows: int | None = Field(
        default=None,
        ge=1,
        description="reference_plus_recent: rows sampled from data.source (null: all of them).",
    )
    recent_rows: int | None = Field(
        default=None,
        ge=1,
        description="reference_plus_recent: newest labelled records kept (null: all of them).",
    )
    seed: int = Field(default=0, description="Seed of the reference sample and the gate holdout.")


class RetrainConfig(Section):
    """``retrain:`` the closed loop run by ``boucle loop``."""

    rules: list[RetrainRuleConfig] = Field(
        default_factory=_default_rules,
        description="Retrain when any of these fires (default: drift share > 0.3, ROC AUC "
        "drop > 0.05 against the champion's held-out score).",
    )
    min_new_labels: int = Field(
        default=100,
        ge=0,
        description="A fired rule retrains only when at least this many labelled records "
        "arrived since the last retrain (0: retrain on the rules alone).",
    )
    window: RetrainWindowConfig = Field(
        default_factory=RetrainWindowConfig, description="The training rows of a retrain."
    )
    gate_holdout: float = Field(
        default=0.3,
        ge=0.0,
        lt=1.0,
        description="Share of the labelled records kept out of training and given to the "
        "gates as recent rows (both models are compared on them).",
    )
    promote: bool = Field(
        default=True,
        description="Promote a challenger that passes the gates (the risk policy still "
        "applies); false: leave it as challenger for a person to promote.",
    )
    notify: list[str] = Field(
        default_factory=lambda: ["log"],
        description="Alert sinks (alerts.sinks names, or log) told of every retrain decision.",
    )
    lookback: float | None = Field(
        default=None,
        description="Monitor this far back ('7d', '12h', seconds), never before the champion "
        "took office; null: everything since it did.",
    )
    timeline: str = Field(
        default="1D", description="Time step of the monitoring timeline (pandas frequency)."
    )
    alpha: float = Field(
        default=0.01, gt=0.0, lt=1.0, description="False discovery rate of the drift tests."
    )

    @field_validator("lookback", mode="before")
    @classmethod
    def _check_lookback(cls, value: float | int | str | None) -> float | None:
        return None if value is None else parse_duration(value)

    @model_validator(mode="after")
    def _check_unique_names(self) -> RetrainConfig:
        names = [rule.name for rule in self.rules]
        doubles = sorted({name for name in names if names.count(name) > 1})
        if doubles:
            raise ValueError(f"retrain.rules names must be unique; repeated: {', '.join(doubles)}")
        return self
