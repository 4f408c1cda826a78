"""``explain:``, ``fairness:`` and ``robustness:`` of boucle.yaml: the evidence steps."""

from __future__ import annotations

from boucle.config.base import Section

__all__ = ["ExplainConfig", "FairnessConfig", "RobustnessConfig"]


class ExplainConfig(Section):
    """``explain:`` SHAP and ICE/PDP settings."""


class FairnessConfig(Section):
    """``fairness:`` group metrics and the fairness gate."""


class RobustnessConfig(Section):
    """``robustness:`` perturbation, membership-inference and skew checks."""
