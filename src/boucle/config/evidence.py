"""``explain:``, ``fairness:`` and ``robustness:`` of boucle.yaml: the evidence steps.

The three steps run after ``evaluate`` and before ``register``. Every field has a default, so
an absent section means "on, with sensible sample sizes and thresholds". A gate threshold set
to ``null`` is not checked (the value is still measured and reported); ``on_fail`` says
whether a failed gate only warns (ledger, report) or stops the run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from boucle.config.base import Section

__all__ = [
    "ExplainConfig",
    "ExplainMethod",
    "FairnessConfig",
    "Mitigation",
    "MitigationConstraint",
    "OnFail",
    "RobustnessConfig",
]

ExplainMethod = Literal["auto", "tree", "linear", "kernel"]
OnFail = Literal["warn", "error"]
Mitigation = Literal["none", "threshold_optimizer"]
MitigationConstraint = Literal["demographic_parity", "equalized_odds"]


class ExplainConfig(Section):
    """``explain:`` SHAP values on the held-out rows and ICE/PDP curves of the top features."""

    enabled: bool = Field(default=True, description="Run the explain step.")
    method: ExplainMethod = Field(
        default="auto",
        description="SHAP explainer: auto = tree for forests and boosted trees, linear for "
        "the linear model, kernel otherwise.",
    )
    sample_rows: int = Field(
        default=1000, ge=10, description="Held-out rows explained with SHAP (a random sample)."
    )
    kernel_rows: int = Field(
        default=100, ge=1, description="Rows explained when the kernel explainer is used (slow)."
    )
    kernel_samples: int = Field(
        default=200, ge=10, description="Model evaluations per row for the kernel explainer."
    )
    background_rows: int = Field(
        default=100, ge=5, description="Training rows used as the background distribution."
    )
    top_features: int = Field(
        default=10, ge=1, description="Features listed in the importance chart and the ledger."
    )
    curve_features: int = Field(
        default=4, ge=0, description="Top features that get ICE and PDP curves (0: none)."
    )
    ice_rows: int = Field(default=200, ge=2, description="Rows drawn as ICE curves.")
    grid_points: int = Field(
        default=20, ge=2, description="Grid values of a numeric feature's curves."
    )
    examples: int = Field(
        default=5, ge=0, description="Held-out predictions explained one by one in the report."
    )


class FairnessConfig(Section):
    """``fairness:`` group metrics per sensitive column and the fairness gate (classification).

    Groups are the values of each ``data.sensitive`` column (numeric columns in quantile bins)
    and, with ``intersections``, the value pairs of two columns. A group smaller than
    ``min_group_size`` is reported but ignored by the gate.
    """

    enabled: bool = Field(default=True, description="Run the fairness step.")
    intersections: bool = Field(
        default=True, description="Also check every pair of sensitive columns (sex x race)."
    )
    min_group_size: int | None = Field(
        default=None,
        ge=1,
        description="Groups with fewer test rows are ignored by the gate; null: "
        "data.checks.representation.min_count.",
    )
    min_dp_ratio: float | None = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="Lowest demographic parity ratio (selection rates, min / max): the "
        "four-fifths rule.",
    )
    max_dp_difference: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Largest selection-rate gap between groups."
    )
    max_eo_difference: float | None = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Largest equalized-odds difference (worst TPR or FPR gap between groups).",
    )
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1.0, description="Level of the Wilson intervals of each rate."
    )
    on_fail: OnFail = Field(
        default="warn", description="warn: record the failure; error: stop the run."
    )
    mitigation: Mitigation = Field(
        default="none",
        description="none: no mitigation; threshold_optimizer: the mitigate step fits "
        "fairlearn's ThresholdOptimizer on the trained model and registers the result as a "
        "separate version (alias challenger-fair, never champion automatically).",
    )
    mitigation_constraint: MitigationConstraint = Field(
        default="demographic_parity",
        description="The parity the ThresholdOptimizer enforces: demographic_parity (equal "
        "selection rates) or equalized_odds (equal true and false positive rates).",
    )
    mitigation_sensitive: str | None = Field(
        default=None,
        description="The sensitive column the per-group thresholds are learned for; null: "
        "the first data.sensitive column that is a feature.",
    )


class RobustnessConfig(Section):
    """``robustness:`` perturbation tests and the membership-inference probe.

    A prediction *flips* when its class changes (classification) or moves by more than
    ``regression_tolerance`` standard deviations of the predictions (regression).
    """

    enabled: bool = Field(default=True, description="Run the robustness step.")
    sample_rows: int = Field(
        default=1000, ge=10, description="Held-out (and training) rows used by the probes."
    )
    noise_scale: float = Field(
        default=0.1,
        gt=0.0,
        le=10.0,
        description="Gaussian noise on numeric features, in robust training SDs "
        "(interquartile range / 1.349).",
    )
    max_noise_flip_rate: float | None = Field(
        default=0.05, ge=0.0, le=1.0, description="Largest share of flips under the noise."
    )
    max_swap_flip_rate: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Largest share of flips when one categorical value per row is swapped "
        "for another seen in training (null: report only).",
    )
    max_membership_gap: float | None = Field(
        default=0.1,
        ge=0.0,
        description="Largest gap between the mean confidence on training and held-out rows.",
    )
    max_membership_auc: float | None = Field(
        default=None,
        ge=0.5,
        le=1.0,
        description="Largest AUC of the loss-threshold membership attack (0.5: no leak).",
    )
    regression_tolerance: float = Field(
        default=0.1, gt=0.0, description="Regression flip: change above this many prediction SDs."
    )
    on_fail: OnFail = Field(
        default="warn", description="warn: record the failure; error: stop the run."
    )
