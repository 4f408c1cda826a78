"""``gates:`` of boucle.yaml: what a challenger must pass to replace the champion.

Absolute floors on held-out metrics, a paired comparison with the champion (bootstrap or
McNemar), a per-slice tolerance, the parity and data-gate requirements, and plug-in gates.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from boucle.config.base import Section

__all__ = ["COMPARED_METRICS", "GATE_METRICS", "GatesConfig"]

#: Metrics a gate threshold may name, with the direction that is better.
GATE_METRICS: dict[str, Literal["higher", "lower"]] = {
    "accuracy": "higher",
    "precision": "higher",
    "recall": "higher",
    "f1": "higher",
    "roc_auc": "higher",
    "pr_auc": "higher",
    "log_loss": "lower",
    "brier": "lower",
    "rmse": "lower",
    "mae": "lower",
    "r2": "higher",
}
#: Metrics the champion/challenger comparison can resample (those of ``train.search.metric``).
COMPARED_METRICS = ("accuracy", "f1", "log_loss", "mae", "pr_auc", "r2", "rmse", "roc_auc")


class GatesConfig(Section):
    """``gates:`` what a challenger must pass to replace the champion."""

    metric: str | None = Field(
        default=None,
        description="Metric compared with the champion; default the search metric "
        "(accuracy with test: mcnemar).",
    )
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description="Minimum (maximum for log_loss, brier, rmse, mae) of each held-out metric.",
    )
    min_improvement: float = Field(
        default=0.0, description="delta: how much the challenger must beat the champion by."
    )
    test: Literal["bootstrap", "mcnemar"] = Field(
        default="bootstrap",
        description="Paired test: bootstrap CI of the metric difference, or McNemar (accuracy).",
    )
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1.0, description="Confidence level of the paired test."
    )
    bootstrap_samples: int = Field(
        default=1000, ge=100, le=100_000, description="Resamples of the paired bootstrap."
    )
    seed: int = Field(default=0, description="Seed of the bootstrap resampling.")
    slice_tolerance: float = Field(
        default=0.05, ge=0.0, description="epsilon: the largest drop of the metric on any slice."
    )
    min_slice_rows: int = Field(
        default=30, ge=1, description="Slices with fewer rows are too noisy and are skipped."
    )
    require_parity: bool = Field(
        default=True, description="The challenger's ONNX export must have passed its parity check."
    )
    require_data_checks: bool = Field(
        default=True, description="The data gate of the challenger's snapshot must have passed."
    )
    custom: list[str] = Field(
        default_factory=list,
        description="Plug-in gates run after the built-in ones: boucle.gates entry-point "
        "names or module:attr paths.",
    )

    @field_validator("custom")
    @classmethod
    def _check_custom_gates(cls, names: list[str]) -> list[str]:
        from boucle.plugins import BUILTIN_NAMES, check_config_name

        for name in names:
            if name in BUILTIN_NAMES["gate"]:
                raise ValueError(
                    f"gates.custom names {name!r}, a built-in gate that always runs; list "
                    "only plug-in gates there"
                )
            check_config_name("gate", name)
        if len(set(names)) != len(names):
            raise ValueError("gates.custom names a gate twice")
        return names

    @field_validator("metrics")
    @classmethod
    def _check_metric_names(cls, metrics: dict[str, float]) -> dict[str, float]:
        for name in metrics:
            if name not in GATE_METRICS:
                raise ValueError(
                    f"gates.metrics key {name!r} is not a metric; use one of: "
                    + ", ".join(sorted(GATE_METRICS))
                )
        return metrics

    @model_validator(mode="after")
    def _check_compared_metric(self) -> GatesConfig:
        if self.metric is not None and self.metric not in COMPARED_METRICS:
            raise ValueError(
                f"gates.metric {self.metric!r} cannot be compared; use one of: "
                + ", ".join(COMPARED_METRICS)
            )
        if self.test == "mcnemar" and self.metric not in (None, "accuracy"):
            raise ValueError(
                f"test: mcnemar compares per-row correctness (accuracy), not {self.metric!r}; "
                "set gates.metric: accuracy or test: bootstrap"
            )
        return self
